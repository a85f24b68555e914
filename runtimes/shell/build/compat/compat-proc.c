/* compat-proc.c: processes and signals for busybox on the sandflow host.
 * fork is emulated by the host with Binaryen Asyncify (a new instance with a copy
 * of this linear memory); exec of an applet runs it in the same process; signals
 * are delivered synchronously at host-call boundaries (waits, sigsuspend, ticks). */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <stdint.h>
#include <sys/wait.h>
#include "host.h"

#ifndef F_DUPFD_CLOEXEC
#define F_DUPFD_CLOEXEC 1030 /* wasi-libc fcntl.h value */
#endif

static int ret_errno(int r) { if (r < 0) { errno = -r; return -1; } return r; }

/* ---- fds owned by the host ---- */
int dup(int fd) { return ret_errno(bbhost_dup_min(fd, 0, 0)); }
int dup2(int fd, int to) {
	if (fd == to) return fcntl(fd, F_GETFL) < 0 ? -1 : to;
	return ret_errno(bbhost_dup2(fd, to));
}
int pipe(int fds[2]) { return ret_errno(bbhost_pipe(fds)); }

/* -Wl,--wrap=fcntl: F_DUPFD / F_DUPFD_CLOEXEC and FD_CLOEXEC, kept by the host
 * (which closes close-on-exec fds when a process execs an applet) */
int __real_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...) {
	va_list ap; va_start(ap, cmd); int arg = va_arg(ap, int); va_end(ap);
	if (cmd == F_DUPFD) return ret_errno(bbhost_dup_min(fd, arg, 0));
	if (cmd == F_DUPFD_CLOEXEC) return ret_errno(bbhost_dup_min(fd, arg, 1));
	if (cmd == F_SETFD) return ret_errno(bbhost_fdflags(fd, (arg & FD_CLOEXEC) ? 1 : 0));
	if (cmd == F_GETFD) { int r = ret_errno(bbhost_fdflags(fd, -1)); return r > 0 ? FD_CLOEXEC : r; }
	return __real_fcntl(fd, cmd, arg);
}

/* ---- signals ---- */
void __SIG_IGN(int s) { (void)s; }
void __SIG_ERR(int s) { (void)s; }
static struct sigaction sa_table[_NSIG];

static void deliver_signals(void) {
	int s;
	while ((s = bbhost_sigtake()) > 0) {
		if (s >= _NSIG) continue;
		struct sigaction *sa = &sa_table[s];
		void (*h)(int) = sa->sa_handler;
		if (h == SIG_DFL || h == SIG_IGN || h == SIG_ERR) continue; /* the host handles these */
		if (sa->sa_flags & SA_RESETHAND) { sa->sa_handler = SIG_DFL; bbhost_sigdisp(s, 0); }
		if (sa->sa_flags & SA_SIGINFO) {
			siginfo_t si; memset(&si, 0, sizeof(si)); si.si_signo = s;
			sa->sa_sigaction(s, &si, NULL);
		} else {
			h(s);
		}
	}
}

int sigaction(int s, const struct sigaction *n, struct sigaction *o) {
	if (s <= 0 || s >= _NSIG) { errno = EINVAL; return -1; }
	if (o) *o = sa_table[s];
	if (n) {
		if (s == SIGKILL || s == SIGSTOP) { errno = EINVAL; return -1; }
		sa_table[s] = *n;
		bbhost_sigdisp(s, n->sa_handler == SIG_DFL ? 0 : n->sa_handler == SIG_IGN ? 1 : 2);
	}
	return 0;
}
void (*signal(int s, void (*h)(int)))(int) {
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa)); sa.sa_handler = h; sa.sa_flags = SA_RESTART;
	if (sigaction(s, &sa, &old) < 0) return SIG_ERR;
	return old.sa_handler;
}
void (*bsd_signal(int s, void (*h)(int)))(int) { return signal(s, h); }
int sigemptyset(sigset_t *s) { memset(s, 0, sizeof(*s)); return 0; }
int sigfillset(sigset_t *s) { memset(s, 0xff, sizeof(*s)); return 0; }
/* wasi-libc's sigset_t is a single byte: masks are kept for signals 1..8 only; they are
 * never consulted anyway, because signals are only delivered at defined points. */
#define SIGBITS (8 * sizeof(sigset_t))
static int sig_ok(int s) { if (s <= 0 || s >= _NSIG) { errno = EINVAL; return 0; } return 1; }
int sigaddset(sigset_t *set, int s) {
	if (!sig_ok(s)) return -1;
	if ((unsigned)(s - 1) < SIGBITS) *set |= (sigset_t)(1u << (s - 1));
	return 0;
}
int sigdelset(sigset_t *set, int s) {
	if (!sig_ok(s)) return -1;
	if ((unsigned)(s - 1) < SIGBITS) *set &= (sigset_t)~(1u << (s - 1));
	return 0;
}
int sigismember(const sigset_t *set, int s) {
	if (s <= 0 || (unsigned)(s - 1) >= SIGBITS) return 0;
	return !!(*set & (1u << (s - 1)));
}
static sigset_t cur_mask;
int sigprocmask(int how, const sigset_t *n, sigset_t *o) {
	sigset_t prev = cur_mask;
	if (n) {
		if (how == SIG_BLOCK) cur_mask |= *n;
		else if (how == SIG_UNBLOCK) cur_mask &= (sigset_t)~*n;
		else cur_mask = *n;
	}
	if (o) *o = prev;
	return 0;
}
int pthread_sigmask(int how, const sigset_t *n, sigset_t *o) { return sigprocmask(how, n, o); }
int sigpending(sigset_t *s) { memset(s, 0, sizeof(*s)); return 0; }
int siginterrupt(int s, int f) { (void)s; (void)f; return 0; }
int sigsuspend(const sigset_t *m) {
	(void)m;
	int r = bbhost_sigsuspend();
	deliver_signals();
	if (r < 0) { errno = -r; return -1; }
	errno = EINTR; return -1;
}
int pause(void) { return sigsuspend(&cur_mask); }
int kill(pid_t p, int s) {
	int r = bbhost_kill(p, s);
	deliver_signals(); /* a signal to ourselves arrives before kill returns */
	return ret_errno(r);
}
int killpg(pid_t p, int s) { return kill(-p, s); }
int raise(int s) { return kill(bbhost_getpid(), s); }
unsigned alarm(unsigned s) { (void)s; return 0; }

void bb_wasm_tick(void) {
	static unsigned n;
	if ((++n & 63) == 0) { bbhost_tick(); deliver_signals(); }
}

/* ---- processes ---- */
pid_t getpid(void) { return bbhost_getpid(); }
pid_t getppid(void) { return bbhost_getppid(); }
pid_t fork(void) { return ret_errno(bbhost_fork()); }
pid_t vfork(void) { return ret_errno(bbhost_fork()); }
pid_t waitpid(pid_t p, int *s, int o) {
	int32_t st = 0;
	int r = bbhost_waitpid(p, &st, o);
	if (r > 0 && s) *s = st;
	deliver_signals();
	return ret_errno(r);
}
pid_t wait(int *s) { return waitpid(-1, s, 0); }
pid_t wait3(int *s, int o, struct rusage *ru) { if (ru) memset(ru, 0, sizeof(*ru)); return waitpid(-1, s, o); }
pid_t wait4(pid_t p, int *s, int o, struct rusage *ru) { if (ru) memset(ru, 0, sizeof(*ru)); return waitpid(p, s, o); }
pid_t getpgrp(void) { return bbhost_getpid(); }
pid_t getpgid(pid_t p) { return p ? p : bbhost_getpid(); }
int setpgid(pid_t p, pid_t g) { (void)p; (void)g; return 0; }
pid_t setsid(void) { return bbhost_getpid(); }
pid_t getsid(pid_t p) { (void)p; return 1; }
pid_t tcgetpgrp(int fd) { (void)fd; errno = ENOTTY; return -1; }
int tcsetpgrp(int fd, pid_t p) { (void)fd; (void)p; errno = ENOTTY; return -1; }
/* popen/pclose/system: /bin/sh -c in a forked child (awk's "cmd" | getline, system()) */
static struct { FILE *f; pid_t pid; } popened[16];
FILE *popen(const char *cmd, const char *mode) {
	int reading = mode[0] == 'r';
	if (!reading && mode[0] != 'w') { errno = EINVAL; return NULL; }
	int slot = -1;
	for (int i = 0; i < 16; i++) if (!popened[i].f) { slot = i; break; }
	if (slot < 0) { errno = EMFILE; return NULL; }
	int fds[2];
	if (pipe(fds) < 0) return NULL;
	pid_t pid = fork();
	if (pid < 0) { close(fds[0]); close(fds[1]); return NULL; }
	if (pid == 0) {
		dup2(reading ? fds[1] : fds[0], reading ? 1 : 0);
		close(fds[0]); close(fds[1]);
		for (int i = 0; i < 16; i++) if (popened[i].f) close(fileno(popened[i].f));
		execl("/bin/sh", "sh", "-c", cmd, (char *)0);
		_exit(127);
	}
	close(reading ? fds[1] : fds[0]);
	FILE *f = fdopen(reading ? fds[0] : fds[1], reading ? "r" : "w");
	if (!f) { close(reading ? fds[0] : fds[1]); return NULL; }
	popened[slot].f = f; popened[slot].pid = pid;
	return f;
}
int pclose(FILE *f) {
	for (int i = 0; i < 16; i++) {
		if (popened[i].f != f) continue;
		pid_t pid = popened[i].pid;
		popened[i].f = NULL;
		fclose(f);
		int st;
		while (waitpid(pid, &st, 0) < 0) if (errno != EINTR) return -1;
		return st;
	}
	errno = ECHILD; return -1;
}
int system(const char *cmd) {
	if (!cmd) return 1;
	pid_t pid = fork();
	if (pid < 0) return -1;
	if (pid == 0) { execl("/bin/sh", "sh", "-c", cmd, (char *)0); _exit(127); }
	int st;
	while (waitpid(pid, &st, 0) < 0) if (errno != EINTR) return -1;
	return st;
}

/* ---- exec: run an applet (or a #! script) in this process ---- */
extern char **environ;
int find_applet_by_name(const char *name);
void bb_wasm_run_applet_and_exit(const char *name, char **argv) __attribute__((noreturn));
static const char *base_name(const char *p) { const char *s = strrchr(p, '/'); return s ? s + 1 : p; }
static int is_applet(const char *n) { return find_applet_by_name(n) >= 0 || strcmp(n, "busybox") == 0; }

static void set_env(char *const envp[]) {
	if (!envp || envp == (char *const *)environ) return;
	size_t n = 0; while (envp[n]) n++;
	char **ne = malloc((n + 1) * sizeof(*ne));
	if (!ne) return;
	for (size_t i = 0; i <= n; i++) ne[i] = envp[i];
	environ = ne;
}

static _Noreturn void run_applet(const char *name, char *const argv[], char *const envp[]) {
	set_env(envp);
	bbhost_exec(name);
	bb_wasm_run_applet_and_exit(name, (char **)argv);
}

/* "#!/path/interp [arg]" whose interpreter is an applet: run it on the script. */
static int exec_shebang(const char *path, char *const argv[], char *const envp[]) {
	int fd = open(path, O_RDONLY);
	if (fd < 0) return -1;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 2 || buf[0] != '#' || buf[1] != '!') { errno = ENOEXEC; return -1; }
	buf[n] = 0;
	char *nl = strchr(buf, '\n'); if (nl) *nl = 0;
	char *p = buf + 2; while (*p == ' ' || *p == '\t') p++;
	char *interp = p; while (*p && *p != ' ' && *p != '\t') p++;
	char *arg = NULL;
	if (*p) { *p++ = 0; while (*p == ' ' || *p == '\t') p++; if (*p) { arg = p; size_t l = strlen(arg); while (l && (arg[l-1] == ' ' || arg[l-1] == '\t' || arg[l-1] == '\r')) arg[--l] = 0; } }
	const char *name = base_name(interp);
	if (!is_applet(name)) { errno = ENOENT; return -1; }
	size_t argc = 0; while (argv[argc]) argc++;
	char **na = malloc((argc + 3) * sizeof(*na));
	if (!na) { errno = ENOMEM; return -1; }
	size_t k = 0;
	na[k++] = interp;
	if (arg) na[k++] = arg;
	na[k++] = (char *)path;
	for (size_t i = 1; i <= argc; i++) na[k++] = argv[i];
	if (strcmp(name, "env") == 0 && arg && is_applet(base_name(arg))) {
		/* "#!/usr/bin/env sh": skip env, run the named applet directly */
		run_applet(base_name(arg), na + 1, envp);
	}
	run_applet(name, na, envp);
}

static int exec_path(const char *path, char *const argv[], char *const envp[]) {
	if (strcmp(path, "/proc/self/exe") == 0) {
		const char *name = argv[0] ? base_name(argv[0]) : "";
		if (!is_applet(name)) { errno = ENOENT; return -1; }
		run_applet(name, argv, envp);
	}
	struct stat st;
	if (strchr(path, '/') == NULL || stat(path, &st) != 0) {
		const char *name = base_name(path);
		if (is_applet(name)) run_applet(name, argv, envp);
		errno = ENOENT; return -1;
	}
	if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) { errno = EACCES; return -1; }
	if (st.st_size == 0 && is_applet(base_name(path))) run_applet(base_name(path), argv, envp); /* /bin stubs */
	return exec_shebang(path, argv, envp);
}

int execve(const char *p, char *const a[], char *const e[]) { return exec_path(p, a, e); }
int execv(const char *p, char *const a[]) { return exec_path(p, a, NULL); }
int execvp(const char *p, char *const a[]) {
	if (strchr(p, '/')) return exec_path(p, a, NULL);
	if (is_applet(p)) run_applet(p, a, NULL);
	const char *path = getenv("PATH");
	if (!path) path = "/bin:/usr/bin";
	char buf[4096];
	int saw_eacces = 0;
	while (*path) {
		const char *c = strchr(path, ':');
		size_t l = c ? (size_t)(c - path) : strlen(path);
		if (l + strlen(p) + 2 < sizeof(buf)) {
			memcpy(buf, path, l); buf[l] = '/'; strcpy(buf + l + 1, p);
			if (l == 0) strcpy(buf, p);
			exec_path(buf, a, NULL);
			if (errno == EACCES) saw_eacces = 1;
			if (errno == ENOEXEC) return -1;
		}
		if (!c) break;
		path = c + 1;
	}
	errno = saw_eacces ? EACCES : ENOENT;
	return -1;
}

static int exec_list(const char *p, const char *a0, va_list ap, int search) {
	const char *argv[64];
	size_t n = 0;
	argv[n++] = a0;
	while (a0 && n < 63 && (argv[n] = va_arg(ap, const char *)) != NULL) n++;
	argv[n] = NULL;
	return search ? execvp(p, (char *const *)argv) : execv(p, (char *const *)argv);
}
int execl(const char *p, const char *a0, ...) { va_list ap; va_start(ap, a0); int r = exec_list(p, a0, ap, 0); va_end(ap); return r; }
int execlp(const char *p, const char *a0, ...) { va_list ap; va_start(ap, a0); int r = exec_list(p, a0, ap, 1); va_end(ap); return r; }
