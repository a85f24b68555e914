/* compat-sys.c: identity, system information, permissions and misc stubs for
 * busybox on the sandflow host. The sandbox answers are fixed and documented in
 * runtimes/shell/README.md: user and group "sandflow" (1000), host "sandflow". */
#include <errno.h>
#include <string.h>
#include <stdint.h>
#include <limits.h>
#include <termios.h>
#include <pwd.h>
#include <grp.h>
#include <mntent.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <wasi/libc.h>
#include <netdb.h>
#include "host.h"

#define SF_UID 1000
#define SF_NAME "sandflow"

/* ---- identity ---- */
uid_t getuid(void) { return SF_UID; }
uid_t geteuid(void) { return SF_UID; }
gid_t getgid(void) { return SF_UID; }
gid_t getegid(void) { return SF_UID; }
int getgroups(int n, gid_t l[]) { if (n == 0) return 1; if (n < 1) { errno = EINVAL; return -1; } l[0] = SF_UID; return 1; }
static int eperm(void) { errno = EPERM; return -1; }
int setuid(uid_t u) { return u == SF_UID ? 0 : eperm(); }
int seteuid(uid_t u) { return u == SF_UID ? 0 : eperm(); }
int setgid(gid_t g) { return g == SF_UID ? 0 : eperm(); }
int setegid(gid_t g) { return g == SF_UID ? 0 : eperm(); }
int setreuid(uid_t a, uid_t b) { (void)a; (void)b; return eperm(); }
int setregid(gid_t a, gid_t b) { (void)a; (void)b; return eperm(); }
int setresuid(uid_t a, uid_t b, uid_t c) { (void)a; (void)b; (void)c; return eperm(); }
int setresgid(gid_t a, gid_t b, gid_t c) { (void)a; (void)b; (void)c; return eperm(); }
int setgroups(size_t n, const gid_t *l) { (void)n; (void)l; return eperm(); }
int initgroups(const char *u, gid_t g) { (void)u; (void)g; return eperm(); }

static struct passwd pw_users[2] = {
	{ (char *)"root", (char *)"x", 0, 0, (char *)"root", (char *)"/root", (char *)"/bin/sh" },
	{ (char *)SF_NAME, (char *)"x", SF_UID, SF_UID, (char *)SF_NAME, (char *)"/workspace", (char *)"/bin/sh" },
};
static char *no_members[] = { NULL };
static char *sf_members[] = { (char *)SF_NAME, NULL };
static struct group gr_groups[2] = {
	{ (char *)"root", (char *)"x", 0, no_members },
	{ (char *)SF_NAME, (char *)"x", SF_UID, sf_members },
};
struct passwd *getpwuid(uid_t u) { for (int i = 0; i < 2; i++) if (pw_users[i].pw_uid == u) return &pw_users[i]; return NULL; }
struct passwd *getpwnam(const char *n) { for (int i = 0; i < 2; i++) if (!strcmp(pw_users[i].pw_name, n)) return &pw_users[i]; return NULL; }
struct group *getgrgid(gid_t g) { for (int i = 0; i < 2; i++) if (gr_groups[i].gr_gid == g) return &gr_groups[i]; return NULL; }
struct group *getgrnam(const char *n) { for (int i = 0; i < 2; i++) if (!strcmp(gr_groups[i].gr_name, n)) return &gr_groups[i]; return NULL; }
static int pw_pos, gr_pos;
void setpwent(void) { pw_pos = 0; }
void endpwent(void) { pw_pos = 0; }
struct passwd *getpwent(void) { return pw_pos < 2 ? &pw_users[pw_pos++] : NULL; }
void setgrent(void) { gr_pos = 0; }
void endgrent(void) { gr_pos = 0; }
struct group *getgrent(void) { return gr_pos < 2 ? &gr_groups[gr_pos++] : NULL; }
int getgrouplist(const char *u, gid_t g, gid_t *l, int *n) {
	(void)u;
	int want = g == SF_UID ? 1 : 2;
	if (*n < want) { *n = want; return -1; }
	l[0] = g; if (want == 2) l[1] = SF_UID;
	*n = want; return want;
}

/* ---- uname / hostname ---- */
int __real_uname(struct utsname *);
int __wrap_uname(struct utsname *u) {
	memset(u, 0, sizeof(*u));
	strcpy(u->sysname, "sandflow");
	strcpy(u->nodename, SF_NAME);
	strcpy(u->release, "1.35.0");
	strcpy(u->version, "busybox-1.35.0 wasm32-wasi");
	strcpy(u->machine, "wasm32");
	return 0;
}
int gethostname(char *name, size_t len) {
	if (len < sizeof(SF_NAME)) { errno = ENAMETOOLONG; return -1; }
	strcpy(name, SF_NAME); return 0;
}
int sethostname(const char *n, size_t l) { (void)n; (void)l; return eperm(); }
int getdomainname(char *name, size_t len) { if (len < 7) { errno = EINVAL; return -1; } strcpy(name, "(none)"); return 0; }

/* ---- df / free: one in-memory file system, sizes from the step's limits ---- */
static uint64_t sys_info[4];
static void load_sysinfo(void) { bbhost_sysinfo(sys_info); }
static struct mntent the_mount = { (char *)"sandflow", (char *)"/", (char *)"memfs", (char *)"rw", 0, 0 };
static int mnt_pos;
FILE *setmntent(const char *f, const char *m) { (void)f; (void)m; mnt_pos = 0; return (FILE *)&the_mount; }
struct mntent *getmntent(FILE *f) { (void)f; return mnt_pos++ == 0 ? &the_mount : NULL; }
struct mntent *getmntent_r(FILE *f, struct mntent *m, char *b, int l) { (void)b; (void)l; struct mntent *r = getmntent(f); if (r) *m = *r; return r ? m : NULL; }
int endmntent(FILE *f) { (void)f; return 1; }
char *hasmntopt(const struct mntent *m, const char *o) { return strstr(m->mnt_opts, o); }
int statvfs(const char *path, struct statvfs *s) {
	struct stat st;
	if (stat(path, &st) != 0) return -1;
	load_sysinfo();
	memset(s, 0, sizeof(*s));
	s->f_bsize = s->f_frsize = 1024;
	s->f_blocks = sys_info[0] / 1024;
	uint64_t used = (sys_info[1] + 1023) / 1024;
	s->f_bfree = s->f_bavail = used > s->f_blocks ? 0 : s->f_blocks - used;
	s->f_files = 65536; s->f_ffree = s->f_favail = 65536;
	s->f_namemax = 255;
	return 0;
}
int fstatvfs(int fd, struct statvfs *s) { (void)fd; return statvfs("/", s); }
int sysinfo(struct sysinfo *si) {
	load_sysinfo();
	memset(si, 0, sizeof(*si));
	si->mem_unit = 1;
	si->totalram = (unsigned long)sys_info[2];
	si->freeram = sys_info[3] > sys_info[2] ? 0 : (unsigned long)(sys_info[2] - sys_info[3]);
	si->procs = 1;
	return 0;
}
int get_nprocs(void) { return 1; }
int sched_getaffinity(pid_t p, size_t n, void *mask) { (void)p; memset(mask, 0, n); if (n) *(unsigned char *)mask = 1; return 0; }
int get_nprocs_conf(void) { return 1; }

/* ---- permissions: kept by the host per inode (WASI has none) ---- */
static void fix_stat(struct stat *st) {
	int m = bbhost_getmode(st->st_ino);
	if (m >= 0) st->st_mode = (st->st_mode & S_IFMT) | (m & 07777);
	else st->st_mode |= S_ISDIR(st->st_mode) ? 0755 : 0644;
	st->st_uid = SF_UID; st->st_gid = SF_UID;
	if (st->st_blksize == 0) st->st_blksize = 4096;
	st->st_blocks = (st->st_size + 511) / 512;
}
int __real_stat(const char *__restrict, struct stat *__restrict);
int __real_lstat(const char *__restrict, struct stat *__restrict);
int __real_fstat(int, struct stat *);
int __real_fstatat(int, const char *__restrict, struct stat *__restrict, int);
int __wrap_stat(const char *__restrict p, struct stat *__restrict st) { int r = __real_stat(p, st); if (r == 0) fix_stat(st); return r; }
int __wrap_lstat(const char *__restrict p, struct stat *__restrict st) { int r = __real_lstat(p, st); if (r == 0) fix_stat(st); return r; }
int __wrap_fstat(int fd, struct stat *st) { int r = __real_fstat(fd, st); if (r == 0) fix_stat(st); return r; }
int __wrap_fstatat(int d, const char *__restrict p, struct stat *__restrict st, int f) { int r = __real_fstatat(d, p, st, f); if (r == 0) fix_stat(st); return r; }
static int check_access(const struct stat *st, int amode) {
	if ((amode & R_OK) && !(st->st_mode & 0444)) { errno = EACCES; return -1; }
	if ((amode & W_OK) && !(st->st_mode & 0222)) { errno = EACCES; return -1; }
	if ((amode & X_OK) && !(st->st_mode & 0111)) { errno = EACCES; return -1; }
	return 0;
}
int __wrap_access(const char *p, int amode) { struct stat st; if (stat(p, &st) != 0) return -1; return check_access(&st, amode); }
int __wrap_faccessat(int d, const char *p, int amode, int f) { struct stat st; if (fstatat(d, p, &st, f & AT_SYMLINK_NOFOLLOW) != 0) return -1; return check_access(&st, amode); }
int euidaccess(const char *p, int amode) { return access(p, amode); }
int eaccess(const char *p, int amode) { return access(p, amode); }
static int set_mode(const struct stat *st, mode_t m) { return bbhost_setmode(st->st_ino, m & 07777) < 0 ? (errno = EPERM, -1) : 0; }
int chmod(const char *p, mode_t m) { struct stat st; if (stat(p, &st) != 0) return -1; return set_mode(&st, m); }
int fchmod(int fd, mode_t m) { struct stat st; if (fstat(fd, &st) != 0) return -1; return set_mode(&st, m); }
int fchmodat(int d, const char *p, mode_t m, int f) { struct stat st; if (fstatat(d, p, &st, f) != 0) return -1; return set_mode(&st, m); }
int chown(const char *p, uid_t u, gid_t g) { struct stat st; if (stat(p, &st) != 0) return -1; return ((u == (uid_t)-1 || u == SF_UID) && (g == (gid_t)-1 || g == SF_UID)) ? 0 : eperm(); }
int lchown(const char *p, uid_t u, gid_t g) { return chown(p, u, g); }
int fchown(int fd, uid_t u, gid_t g) { (void)fd; return ((u == (uid_t)-1 || u == SF_UID) && (g == (gid_t)-1 || g == SF_UID)) ? 0 : eperm(); }
int fchownat(int d, const char *p, uid_t u, gid_t g, int f) { (void)d; (void)f; return chown(p, u, g); }
mode_t umask(mode_t m) { static mode_t cur = 022; mode_t o = cur; cur = m & 0777; return o; }
int mkfifo(const char *p, mode_t m) { (void)p; (void)m; errno = ENOTSUP; return -1; }
int mknod(const char *p, mode_t m, dev_t d) { (void)p; (void)m; (void)d; return eperm(); }

/* ---- temporary files ---- */
static int fill_template(char *t, size_t suffix) {
	size_t n = strlen(t);
	if (n < 6 + suffix || memcmp(t + n - suffix - 6, "XXXXXX", 6)) { errno = EINVAL; return -1; }
	static const char cs[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[6]; arc4random_buf(r, 6);
	for (int i = 0; i < 6; i++) t[n - suffix - 6 + i] = cs[r[i] % 62];
	return 0;
}
int mkstemp(char *t) {
	for (int tries = 0; tries < 100; tries++) {
		if (fill_template(t, 0) < 0) return -1;
		int fd = open(t, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0) { fchmod(fd, 0600); return fd; }
		if (errno != EEXIST) return -1;
	}
	errno = EEXIST; return -1;
}
char *mkdtemp(char *t) {
	for (int tries = 0; tries < 100; tries++) {
		if (fill_template(t, 0) < 0) return NULL;
		if (mkdir(t, 0700) == 0) { chmod(t, 0700); return t; }
		if (errno != EEXIST) return NULL;
	}
	errno = EEXIST; return NULL;
}
char *mktemp(char *t) {
	struct stat st;
	for (int tries = 0; tries < 100; tries++) {
		if (fill_template(t, 0) < 0) { t[0] = 0; return t; }
		if (stat(t, &st) != 0) return t;
	}
	t[0] = 0; return t;
}

/* ---- memory: growth is approved by the host against the step's memory limit ---- */
void *__real_sbrk(intptr_t);
void *__wrap_sbrk(intptr_t incr) {
	if (incr > 0) {
		uint64_t now = (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
		if (now + (uint64_t)incr > 0xffffffffu || !bbhost_memgrow((uint32_t)(now + (uint64_t)incr))) {
			errno = ENOMEM; return (void *)-1;
		}
	}
	return __real_sbrk(incr);
}

/* ---- limits, terminals, misc ---- */
int getrlimit(int r, struct rlimit *l) { (void)r; l->rlim_cur = l->rlim_max = RLIM_INFINITY; return 0; }
int setrlimit(int r, const struct rlimit *l) { (void)r; (void)l; return 0; }
int tcgetattr(int fd, struct termios *t) { (void)fd; (void)t; errno = ENOTTY; return -1; }
int tcsetattr(int fd, int a, const struct termios *t) { (void)fd; (void)a; (void)t; errno = ENOTTY; return -1; }
char *ttyname(int fd) { (void)fd; errno = ENOTTY; return NULL; }
int ttyname_r(int fd, char *b, size_t l) { (void)fd; (void)b; (void)l; return ENOTTY; }
int clock_settime(clockid_t c, const struct timespec *t) { (void)c; (void)t; return eperm(); }
int settimeofday(const struct timeval *t, const void *z) { (void)t; (void)z; return eperm(); }
int stime(const time_t *t) { (void)t; return eperm(); }
int chroot(const char *p) { (void)p; return eperm(); }
int fchdir(int fd) { (void)fd; errno = ENOSYS; return -1; }
void sync(void) {}
int nice(int n) { (void)n; return 0; }
int getpagesize(void) { return 65536; }
int getdtablesize(void) { return 1024; }
void syslog(int p, const char *f, ...) { (void)p; (void)f; }

/* ---- sockets and name lookups: none ---- */
int h_errno;
const char *hstrerror(int e) { (void)e; return "Unknown host"; }
struct hostent *gethostbyname(const char *n) { (void)n; h_errno = 1; return NULL; }
char *inet_ntoa(struct in_addr a) { static char b[16]; unsigned char *p = (unsigned char *)&a; snprintf(b, sizeof(b), "%u.%u.%u.%u", p[0], p[1], p[2], p[3]); return b; }
static int no_net(void) { errno = ENOSYS; return -1; }
int socket(int a, int b, int c) { (void)a; (void)b; (void)c; errno = EAFNOSUPPORT; return -1; }
int bind(int s, const struct sockaddr *a, socklen_t l) { (void)s; (void)a; (void)l; return no_net(); }
int connect(int s, const struct sockaddr *a, socklen_t l) { (void)s; (void)a; (void)l; return no_net(); }
int listen(int s, int b) { (void)s; (void)b; return no_net(); }
int setsockopt(int s, int l, int o, const void *v, socklen_t n) { (void)s; (void)l; (void)o; (void)v; (void)n; return no_net(); }

/* Move the "/" preopen from fd 3 to fd >= 64, so scripts can use fds 3..9 (exec 3>file)
 * while wasi-libc still resolves absolute paths (it searches preopens newest first). */
__attribute__((constructor(65000))) static void sandflow_move_preopen(void) {
	int nfd = bbhost_dup_min(3, 64, 0);
	if (nfd >= 0 && __wasilibc_register_preopened_fd(nfd, "/") == 0) close(3);
}

/* ---- realpath: make the path absolute, drop "." and "..", follow symbolic links ---- */
char *realpath(const char *__restrict path, char *__restrict resolved) {
	if (!path) { errno = EINVAL; return NULL; }
	if (!*path) { errno = ENOENT; return NULL; }
	char buf[PATH_MAX], work[2 * PATH_MAX];
	size_t len = 0;
	int links = 0;
	if (path[0] != '/') {
		if (!getcwd(buf, sizeof(buf))) return NULL;
		len = strlen(buf);
		if (len == 1) len = 0; /* "/" */
	}
	if (strlen(path) >= sizeof(work)) { errno = ENAMETOOLONG; return NULL; }
	strcpy(work, path);
	const char *p = work;
	while (*p) {
		while (*p == '/') p++;
		const char *e = p; while (*e && *e != '/') e++;
		size_t n = (size_t)(e - p);
		if (n == 0) break;
		if (n == 1 && p[0] == '.') { p = e; continue; }
		if (n == 2 && p[0] == '.' && p[1] == '.') { while (len > 0 && buf[--len] != '/') {} p = e; continue; }
		size_t keep = len;
		if (len + 1 + n >= sizeof(buf)) { errno = ENAMETOOLONG; return NULL; }
		buf[len++] = '/'; memcpy(buf + len, p, n); len += n; buf[len] = 0;
		struct stat st;
		if (lstat(buf, &st) != 0) return NULL;
		if (S_ISLNK(st.st_mode)) {
			if (++links > 40) { errno = ELOOP; return NULL; }
			char target[PATH_MAX];
			ssize_t t = readlink(buf, target, sizeof(target) - 1);
			if (t < 0) return NULL;
			target[t] = 0;
			len = target[0] == '/' ? 0 : keep;
			char rest[2 * PATH_MAX];
			if ((size_t)t + 1 + strlen(e) >= sizeof(rest)) { errno = ENAMETOOLONG; return NULL; }
			snprintf(rest, sizeof(rest), "%s%s", target, e); /* e is "" or starts with "/" */
			strcpy(work, rest);
			p = work;
			continue;
		}
		if (*e && !S_ISDIR(st.st_mode)) { errno = ENOTDIR; return NULL; }
		p = e;
	}
	if (len == 0) buf[len++] = '/';
	buf[len] = 0;
	if (!resolved) return strdup(buf);
	memcpy(resolved, buf, len + 1);
	return resolved;
}
/* wasi-libc keeps the cwd as a string; resolve symbolic links so getcwd() (pwd -P) is
 * physical, as the kernel's would be */
int __real_chdir(const char *);
int __wrap_chdir(const char *path) {
	char buf[PATH_MAX];
	if (!realpath(path, buf)) return -1;
	return __real_chdir(buf);
}
int getlogin_r(char *b, size_t l) { if (l < sizeof(SF_NAME)) return ERANGE; strcpy(b, SF_NAME); return 0; }
char *getlogin(void) { return (char *)SF_NAME; }

/* wasi-libc (2022) has two UTIME_NOW/UTIME_OMIT values (musl's sys/stat.h: 0x3fffffff/
 * 0x3ffffffe, its own header: -1/-2) and its utimensat() rejects the ones busybox sees.
 * Resolve NOW and OMIT here and pass explicit times. */
static int is_now(long n) { return n == 0x3fffffff || n == -1; }
static int is_omit(long n) { return n == 0x3ffffffe || n == -2; }
static const struct timespec *fix_utimes(const struct timespec *in, struct timespec *out, const struct stat *st) {
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (!in) { out[0] = out[1] = now; return out; }
	for (int i = 0; i < 2; i++) {
		if (is_now(in[i].tv_nsec)) out[i] = now;
		else if (is_omit(in[i].tv_nsec)) out[i] = st ? (i ? st->st_mtim : st->st_atim) : now;
		else out[i] = in[i];
	}
	return out;
}
int __real_utimensat(int, const char *, const struct timespec [2], int);
int __real_futimens(int, const struct timespec [2]);
int __wrap_utimensat(int d, const char *p, const struct timespec t[2], int f) {
	struct timespec b[2]; struct stat st;
	int have = t && (is_omit(t[0].tv_nsec) || is_omit(t[1].tv_nsec)) && fstatat(d, p, &st, f) == 0;
	return __real_utimensat(d, p, fix_utimes(t, b, have ? &st : NULL), f);
}
int __wrap_futimens(int fd, const struct timespec t[2]) {
	struct timespec b[2]; struct stat st;
	int have = t && (is_omit(t[0].tv_nsec) || is_omit(t[1].tv_nsec)) && fstat(fd, &st) == 0;
	return __real_futimens(fd, fix_utimes(t, b, have ? &st : NULL));
}
