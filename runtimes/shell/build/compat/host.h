/* host.h: the "bbhost" imports the sandflow JavaScript host provides
 * (runtimes/shell/host-imports.ts). Calls return >= 0 on success or -errno.
 * Imports marked [async] may unwind the stack with Binaryen Asyncify (the host
 * switches to another process and later rewinds into the same call). */
#ifndef SANDFLOW_HOST_H
#define SANDFLOW_HOST_H
#include <stdint.h>
#define BBHOST(name) __attribute__((import_module("bbhost"), import_name(#name)))
BBHOST(dup_min)    int32_t bbhost_dup_min(int32_t fd, int32_t minfd, int32_t cloexec);
BBHOST(fdflags)    int32_t bbhost_fdflags(int32_t fd, int32_t cloexec);               /* -1: query; 0/1: set */
BBHOST(dup2)       int32_t bbhost_dup2(int32_t fd, int32_t to);
BBHOST(pipe)       int32_t bbhost_pipe(int32_t *fds);
BBHOST(fork)       int32_t bbhost_fork(void);                                /* [async] */
BBHOST(waitpid)    int32_t bbhost_waitpid(int32_t pid, int32_t *status, int32_t options); /* [async] */
BBHOST(getpid)     int32_t bbhost_getpid(void);
BBHOST(getppid)    int32_t bbhost_getppid(void);
BBHOST(kill)       int32_t bbhost_kill(int32_t pid, int32_t sig);
BBHOST(sigdisp)    int32_t bbhost_sigdisp(int32_t sig, int32_t disp);       /* 0 default, 1 ignore, 2 handler */
BBHOST(sigsuspend) int32_t bbhost_sigsuspend(void);                          /* [async] */
BBHOST(sigtake)    int32_t bbhost_sigtake(void);                             /* next pending signal or 0 */
BBHOST(tick)       void    bbhost_tick(void);                                /* [async] */
BBHOST(exec)       void    bbhost_exec(const char *name);                    /* names the process */
BBHOST(memgrow)    int32_t bbhost_memgrow(uint32_t new_total_bytes);         /* 1 allowed, 0 over the limit */
BBHOST(getmode)    int32_t bbhost_getmode(uint64_t ino);                     /* permission bits, or -1 */
BBHOST(setmode)    int32_t bbhost_setmode(uint64_t ino, int32_t mode);
BBHOST(sysinfo)    int32_t bbhost_sysinfo(uint64_t *out);                     /* [fs total, fs used, mem total, mem used] */
BBHOST(throw_longjmp) _Noreturn void bbhost_throw_longjmp(void);
#endif
