/* The machine's limit for durable single writes: append SIZE bytes and fdatasync, N times.
 * Prints "<syncs per second> <p50 microseconds> <p99 microseconds>". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: fsync_rate FILE COUNT SIZE\n"); return 2; }
  int count = atoi(argv[2]), size = atoi(argv[3]);
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) { perror("open"); return 1; }
  char *buffer = calloc(1, size);
  double *lat = calloc(count, sizeof(double));
  struct timespec start, a, b;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (int i = 0; i < count; i++) {
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (write(fd, buffer, size) != size || fdatasync(fd) != 0) { perror("write/fdatasync"); return 1; }
    clock_gettime(CLOCK_MONOTONIC, &b);
    lat[i] = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
  }
  double total = (b.tv_sec - start.tv_sec) + (b.tv_nsec - start.tv_nsec) / 1e9;
  qsort(lat, count, sizeof(double), cmp);
  printf("%.0f %.1f %.1f\n", count / total, lat[count / 2], lat[(int)(count * 0.99)]);
  close(fd);
  unlink(argv[1]);
  return 0;
}
