/* compat.h: force-included (clang -include) into every busybox translation unit.
 * Declares the POSIX pieces wasi-libc leaves out; compat-*.c implement them,
 * mostly on top of the sandflow host's "bbhost" imports (see host.h). */
#ifndef SANDFLOW_COMPAT_H
#define SANDFLOW_COMPAT_H
#ifndef _WASI_EMULATED_SIGNAL
#define _WASI_EMULATED_SIGNAL 1
#endif
#ifndef _WASI_EMULATED_MMAN
#define _WASI_EMULATED_MMAN 1
#endif
#ifndef _WASI_EMULATED_PROCESS_CLOCKS
#define _WASI_EMULATED_PROCESS_CLOCKS 1
#endif
#ifndef _WASI_EMULATED_GETPID
#define _WASI_EMULATED_GETPID 1
#endif
#include <sys/types.h>
#include <stddef.h>
#include <unistd.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>

/* called by the patched ash evaltree() and awk evaluate(): host interrupt/switch point */
void bb_wasm_tick(void);

/* ---- unistd.h ---- */
int pipe(int [2]);
int dup(int);
int dup2(int, int);
pid_t fork(void);
pid_t vfork(void);
int execve(const char *, char *const [], char *const []);
int execv(const char *, char *const []);
int execvp(const char *, char *const []);
int execl(const char *, const char *, ...);
int execlp(const char *, const char *, ...);
int sched_getaffinity(pid_t, size_t, void *);
pid_t getppid(void);
pid_t getpgrp(void);
pid_t getpgid(pid_t);
int setpgid(pid_t, pid_t);
pid_t setsid(void);
pid_t getsid(pid_t);
pid_t tcgetpgrp(int);
int tcsetpgrp(int, pid_t);
uid_t getuid(void); uid_t geteuid(void); gid_t getgid(void); gid_t getegid(void);
int getgroups(int, gid_t []);
int setuid(uid_t); int seteuid(uid_t); int setgid(gid_t); int setegid(gid_t);
int setreuid(uid_t, uid_t); int setregid(gid_t, gid_t);
int setresuid(uid_t, uid_t, uid_t); int setresgid(gid_t, gid_t, gid_t);
int setgroups(size_t, const gid_t *);
int chown(const char *, uid_t, gid_t); int fchown(int, uid_t, gid_t); int lchown(const char *, uid_t, gid_t);
int fchownat(int, const char *, uid_t, gid_t, int);
int fchdir(int);
unsigned alarm(unsigned);
int pause(void);
int nice(int);
void sync(void);
int getpagesize(void);
int getdtablesize(void);
char *ttyname(int);
int ttyname_r(int, char *, size_t);
int chroot(const char *);
int sethostname(const char *, size_t);
/* ---- sys/stat.h ---- */
int chmod(const char *, mode_t); int fchmod(int, mode_t); int fchmodat(int, const char *, mode_t, int);
mode_t umask(mode_t);
int mkfifo(const char *, mode_t);
int mknod(const char *, mode_t, dev_t);
/* ---- stdlib.h ---- */
int system(const char *);
char *realpath(const char *__restrict, char *__restrict);
int mkstemp(char *);
char *mkdtemp(char *);
char *mktemp(char *);
/* ---- time ---- */
int stime(const time_t *);
int settimeofday(const struct timeval *, const void *);
int clock_settime(clockid_t, const struct timespec *);
/* ---- sys/resource.h ---- */
#ifndef RLIMIT_CPU
#define RLIMIT_CPU 0
#define RLIMIT_FSIZE 1
#define RLIMIT_DATA 2
#define RLIMIT_STACK 3
#define RLIMIT_CORE 4
#define RLIMIT_NOFILE 7
#define RLIM_INFINITY (~0ULL)
typedef unsigned long long rlim_t;
struct rlimit { rlim_t rlim_cur, rlim_max; };
int getrlimit(int, struct rlimit *);
int setrlimit(int, const struct rlimit *);
#endif
/* ---- signal.h ---- */
#ifndef SIG_BLOCK
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#endif
#define SA_NOCLDSTOP 1
#define SA_NOCLDWAIT 2
#define SA_SIGINFO 4
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
union sigval { int sival_int; void *sival_ptr; };
typedef struct { int si_signo, si_errno, si_code; pid_t si_pid; uid_t si_uid; int si_status; union sigval si_value; } siginfo_t;
struct sigaction {
	union { void (*sa_handler)(int); void (*sa_sigaction)(int, siginfo_t *, void *); } __sa_handler;
	sigset_t sa_mask; int sa_flags; void (*sa_restorer)(void);
};
#define sa_handler __sa_handler.sa_handler
#define sa_sigaction __sa_handler.sa_sigaction
int kill(pid_t, int);
int killpg(pid_t, int);
int sigemptyset(sigset_t *); int sigfillset(sigset_t *);
int sigaddset(sigset_t *, int); int sigdelset(sigset_t *, int); int sigismember(const sigset_t *, int);
int sigprocmask(int, const sigset_t *__restrict, sigset_t *__restrict);
int sigsuspend(const sigset_t *);
int sigaction(int, const struct sigaction *__restrict, struct sigaction *__restrict);
int sigpending(sigset_t *);
int siginterrupt(int, int);
/* ---- stdio / socket pieces ---- */
FILE *popen(const char *, const char *);
int pclose(FILE *);
struct sockaddr;
int socket(int, int, int);
int bind(int, const struct sockaddr *, socklen_t);
int connect(int, const struct sockaddr *, socklen_t);
int listen(int, int);
ssize_t sendto(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
ssize_t recvfrom(int, void *__restrict, size_t, int, struct sockaddr *__restrict, socklen_t *__restrict);
int getsockname(int, struct sockaddr *__restrict, socklen_t *__restrict);
int getpeername(int, struct sockaddr *__restrict, socklen_t *__restrict);
int setsockopt(int, int, int, const void *, socklen_t);
#ifndef TIOCGWINSZ
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define TIOCSCTTY 0x540E
#define TIOCNOTTY 0x5422
#endif
#ifndef F_DUPFD
#define F_DUPFD 0
#endif
#ifndef SOCK_RAW
#define SOCK_RAW 3
#endif
#ifndef SOCK_RDM
#define SOCK_RDM 4
#endif
#ifndef SOCK_SEQPACKET
#define SOCK_SEQPACKET 5
#endif
#ifndef O_NOCTTY
#define O_NOCTTY 0
#endif
#endif
