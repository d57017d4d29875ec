#include "cdriftq.h"
#include <sys/file.h>

int driftq_flock(int fd, int operation) { return flock(fd, operation); }
