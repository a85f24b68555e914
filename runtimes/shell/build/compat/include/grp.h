#ifndef SANDFLOW_GRP_H
#define SANDFLOW_GRP_H
#include <sys/types.h>
struct group { char *gr_name, *gr_passwd; gid_t gr_gid; char **gr_mem; };
struct group *getgrgid(gid_t);
struct group *getgrnam(const char *);
void setgrent(void); void endgrent(void); struct group *getgrent(void);
int initgroups(const char *, gid_t);
int getgrouplist(const char *, gid_t, gid_t *, int *);
#endif
