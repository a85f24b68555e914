/* net/if.h for busybox on wasm32-wasi: declarations only, there is no network. */
#ifndef SANDFLOW_NET_IF_H
#define SANDFLOW_NET_IF_H
#define IF_NAMESIZE 16
#define IFNAMSIZ IF_NAMESIZE
unsigned if_nametoindex(const char *);
char *if_indextoname(unsigned, char *);
#endif
