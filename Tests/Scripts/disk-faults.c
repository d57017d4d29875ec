// An LD_PRELOAD shim that makes the disk fail on purpose, for driftqctl's disk-fault tests.
//
// DRIFTQ_FAULTS is a comma-separated list of CALL:N:WHAT or CALL:N+:WHAT, where CALL is
// fsync, fdatasync, write, pwrite or rename; N counts that call in the process (1 = the
// first; "N+" = the Nth and every later one); WHAT is EIO, ENOSPC or short (write and pwrite
// only: half the bytes are written and the short count returned), optionally prefixed "slow-"
// (the call first takes 300 ms, so a test can act while it is in flight). write and pwrite count only
// regular files, so a process's own stdout and stderr are never touched.
// Build: cc -shared -fPIC -o libdisk-faults.so disk-faults.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { FSYNC, FDATASYNC, WRITE, PWRITE, RENAME, CALLS };
static const char *names[CALLS] = {"fsync", "fdatasync", "write", "pwrite", "rename"};
static atomic_long counts[CALLS];

// The action for the count-th call of `call`: 0 (none), an errno, or -1 (short).
static int fault(int call, long count) {
  const char *spec = getenv("DRIFTQ_FAULTS");
  if (!spec) return 0;
  char buffer[512];
  strncpy(buffer, spec, sizeof buffer - 1);
  buffer[sizeof buffer - 1] = 0;
  for (char *save = NULL, *item = strtok_r(buffer, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
    char name[32], what[16];
    long n;
    char plus = 0;
    if (sscanf(item, "%31[a-z]:%ld%c", name, &n, &plus) < 2) continue;
    const char *last = strrchr(item, ':');
    if (!last) continue;
    strncpy(what, last + 1, sizeof what - 1);
    what[sizeof what - 1] = 0;
    if (strcmp(name, names[call]) != 0) continue;
    if (!(count == n || (plus == '+' && count >= n))) continue;
    if (strncmp(what, "slow-", 5) == 0) {  // the call takes 300 ms first, then fails
      usleep(300000);
      memmove(what, what + 5, strlen(what + 5) + 1);
    }
    if (strcmp(what, "EIO") == 0) return EIO;
    if (strcmp(what, "ENOSPC") == 0) return ENOSPC;
    if (strcmp(what, "short") == 0) return -1;
  }
  return 0;
}

static int isRegular(int fd) {
  if (fd <= 2) return 0;  // standard streams, even when redirected to files
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

#define REAL(type, name, ...) static type (*real)(__VA_ARGS__); if (!real) real = dlsym(RTLD_NEXT, name)

int fsync(int fd) {
  REAL(int, "fsync", int);
  int action = fault(FSYNC, atomic_fetch_add(&counts[FSYNC], 1) + 1);
  if (action > 0) { errno = action; return -1; }
  return real(fd);
}

int fdatasync(int fd) {
  REAL(int, "fdatasync", int);
  int action = fault(FDATASYNC, atomic_fetch_add(&counts[FDATASYNC], 1) + 1);
  if (action > 0) { errno = action; return -1; }
  return real(fd);
}

ssize_t write(int fd, const void *bytes, size_t count) {
  REAL(ssize_t, "write", int, const void *, size_t);
  if (!isRegular(fd)) return real(fd, bytes, count);
  int action = fault(WRITE, atomic_fetch_add(&counts[WRITE], 1) + 1);
  if (action > 0) { errno = action; return -1; }
  if (action < 0 && count > 1) count /= 2;
  return real(fd, bytes, count);
}

ssize_t pwrite(int fd, const void *bytes, size_t count, off_t offset) {
  REAL(ssize_t, "pwrite", int, const void *, size_t, off_t);
  if (!isRegular(fd)) return real(fd, bytes, count, offset);
  int action = fault(PWRITE, atomic_fetch_add(&counts[PWRITE], 1) + 1);
  if (action > 0) { errno = action; return -1; }
  if (action < 0 && count > 1) count /= 2;
  return real(fd, bytes, count, offset);
}

ssize_t pwrite64(int fd, const void *bytes, size_t count, off_t offset) { return pwrite(fd, bytes, count, offset); }

int rename(const char *from, const char *to) {
  REAL(int, "rename", const char *, const char *);
  int action = fault(RENAME, atomic_fetch_add(&counts[RENAME], 1) + 1);
  if (action > 0) { errno = action; return -1; }
  return real(from, to);
}
