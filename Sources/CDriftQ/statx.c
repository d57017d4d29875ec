#define _GNU_SOURCE
#include "cdriftq.h"
#include <fcntl.h>
#include <sys/stat.h>

// statx(2) asking for the size or the inode number alone. On Linux 6.13 and later a stat
// that reports a file's timestamps marks them as seen, and the next write to the file then
// stamps it with a fine-grained time: the inode changes on every write, and every
// fdatasync writes it out too. Asking for no timestamp leaves that alone.

/// The one field `mask` names (STATX_SIZE or STATX_INO), or -1 with errno set.
static long long query(int dirfd, const char *path, int flags, unsigned int mask) {
  struct statx info;
  if (statx(dirfd, path, flags, mask, &info) != 0) return -1;
  return (long long)(mask == STATX_INO ? info.stx_ino : info.stx_size);
}

long long driftq_size_of_fd(int fd) { return query(fd, "", AT_EMPTY_PATH, STATX_SIZE); }

long long driftq_size_of_path(const char *path) { return query(AT_FDCWD, path, 0, STATX_SIZE); }

long long driftq_inode_of_path(const char *path) { return query(AT_FDCWD, path, 0, STATX_INO); }
