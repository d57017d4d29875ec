/* A neutral consume + ack load generator for DriftQ's HTTP API, as DriftQ's SDKs use it:
 * each worker holds one consume stream (GET /v1/consume, NDJSON) and one keep-alive
 * connection on which it acks each message it reads (POST /v1/ack), one request at a time,
 * waiting for every answer. No pipelining, no batching.
 *
 *   consume_ack HOST PORT TOPIC GROUP WORKERS MESSAGES
 *
 * Prints "MESSAGES SECONDS RATE" (acked messages, from the first read to the last answer)
 * once MESSAGES messages are acked in all, or exits 1 after 20 s without progress.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *host, *topic, *group;
static int port, target;
static atomic_int acked, failed;
static atomic_long last_progress_ns;

static long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

static int connect_to(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &addr.sin_addr);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("connect"); exit(1); }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) { perror("write"); exit(1); }
    p += w;
    n -= (size_t)w;
  }
}

/* Reads one HTTP response (head, then a Content-Length body) on the ack connection; returns its
 * status (a client that waits for each answer never has bytes past it). */
static int read_response(int fd) {
  char head[4096];
  size_t have = 0;
  char *end = NULL;
  while (!(end = memmem(head, have, "\r\n\r\n", 4))) {
    ssize_t r = read(fd, head + have, sizeof head - have - 1);
    if (r <= 0) { fprintf(stderr, "ack connection closed\n"); exit(1); }
    have += (size_t)r;
  }
  head[have] = 0;
  int status = atoi(head + 9);
  long length = 0;
  char *cl = strcasestr(head, "\r\ncontent-length:");
  if (cl && cl < end) length = atol(cl + 17);
  long body = (long)(head + have - (end + 4));
  char sink[4096];
  while (body < length) {
    ssize_t r = read(fd, sink, sizeof sink);
    if (r <= 0) { fprintf(stderr, "ack connection closed\n"); exit(1); }
    body += r;
  }
  return status;
}

static long field(const char *line, const char *name) {
  const char *p = strstr(line, name);
  return p ? atol(p + strlen(name)) : -1;
}

static void *worker(void *arg) {
  int id = (int)(long)arg;
  char owner[32];
  snprintf(owner, sizeof owner, "w%d", id);
  int stream = connect_to(), acks = connect_to();
  char request[1024];
  int n = snprintf(request, sizeof request,
    "GET /v1/consume?topic=%s&group=%s&owner=%s&lease_ms=600000 HTTP/1.1\r\nHost: %s\r\nAccept: application/x-ndjson\r\n\r\n",
    topic, group, owner, host);
  send_all(stream, request, (size_t)n);
  char *buf = malloc(1 << 20);
  size_t have = 0;
  while (atomic_load(&acked) < target) {
    ssize_t r = read(stream, buf + have, (1 << 20) - have - 1);
    if (r <= 0) break;
    have += (size_t)r;
    buf[have] = 0;
    char *start = buf, *nl;
    while ((nl = memchr(start, '\n', (size_t)(buf + have - start)))) {
      *nl = 0;
      long partition = field(start, "\"partition\":"), offset = field(start, "\"offset\":");
      start = nl + 1;
      if (partition < 0 || offset < 0) continue; /* headers, chunk sizes, blank keep-alive lines */
      char body[512];
      int b = snprintf(body, sizeof body, "{\"topic\":\"%s\",\"group\":\"%s\",\"owner\":\"%s\",\"partition\":%ld,\"offset\":%ld}",
        topic, group, owner, partition, offset);
      n = snprintf(request, sizeof request,
        "POST /v1/ack HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", host, b, body);
      send_all(acks, request, (size_t)n);
      int status = read_response(acks);
      if (status / 100 == 2) {
        atomic_fetch_add(&acked, 1);
        atomic_store(&last_progress_ns, now_ns());
      } else {
        atomic_fetch_add(&failed, 1);
      }
    }
    have = (size_t)(buf + have - start);
    memmove(buf, start, have);
  }
  close(stream);
  close(acks);
  free(buf);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: consume_ack HOST PORT TOPIC GROUP WORKERS MESSAGES\n");
    return 2;
  }
  host = argv[1];
  port = atoi(argv[2]);
  topic = argv[3];
  group = argv[4];
  int workers = atoi(argv[5]);
  target = atoi(argv[6]);
  long started = now_ns();
  atomic_store(&last_progress_ns, started);
  for (int i = 0; i < workers; i++) {
    pthread_t t;
    pthread_create(&t, NULL, worker, (void *)(long)i);
    pthread_detach(t);
  }
  while (atomic_load(&acked) < target) {
    usleep(1000);
    if (now_ns() - atomic_load(&last_progress_ns) > 20000000000L) {
      fprintf(stderr, "no progress for 20 s: %d acked, %d refused\n", atomic_load(&acked), atomic_load(&failed));
      return 1;
    }
  }
  double seconds = (double)(now_ns() - started) / 1e9;
  printf("%d %.3f %.0f %d\n", atomic_load(&acked), seconds, atomic_load(&acked) / seconds, atomic_load(&failed));
  return 0;
}
