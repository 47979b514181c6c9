/*
 * StatsD load generator for bench/statsd-ingest.ts: sends counter lines to a
 * loopback UDP port with sendmmsg, paced to a target rate, for a bounded time.
 *
 *   statsd-sender HOST PORT LINES_PER_SEC SECONDS MODE SERIES
 *     MODE    single: one line per datagram; multi: ~1400-byte datagrams
 *     SERIES  distinct series cycled through (name x tag)
 *     LINES_PER_SEC 0 sends as fast as it can (the generator's own ceiling)
 *
 * Every line is "bench.m<k>:1|c|#s:<j>", so the sum of all counters equals the
 * number of lines sent. Prints one JSON object: lines and packets sent, the
 * seconds it took, and send errors (ENOBUFS/EAGAIN: the kernel refused).
 * Loopback only: HOST must be 127.0.0.1 or ::1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define PKT 1400

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s HOST PORT LINES_PER_SEC SECONDS single|multi SERIES\n", argv[0]);
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  double rate = atof(argv[3]);
  double seconds = atof(argv[4]);
  int multi = strcmp(argv[5], "multi") == 0;
  long series = atol(argv[6]);
  if (series < 1) series = 1;
  if (strcmp(host, "127.0.0.1") != 0 && strcmp(host, "::1") != 0) {
    fprintf(stderr, "loopback only\n");
    return 2;
  }
  int v6 = strchr(host, ':') != NULL;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sl;
  if (v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, host, &a->sin6_addr);
    sl = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, host, &a->sin_addr);
    sl = sizeof *a;
  }
  if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
    perror("connect");
    return 1;
  }
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  static char bufs[BATCH][PKT + 64];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  int lines_in[BATCH];
  long next = 0;
  unsigned long long lines = 0, packets = 0, errors = 0;
  double start = now_s();
  double deadline = start + seconds;
  for (;;) {
    double t = now_s();
    if (t >= deadline) break;
    if (rate > 0) {
      double due = start + lines / rate;
      if (due > t) {
        double wait = due - t;
        if (wait > 0.0002) {
          struct timespec ts = {0, (long)(wait * 1e9)};
          nanosleep(&ts, NULL);
        }
        continue;
      }
    }
    for (int i = 0; i < BATCH; i++) {
      int len = 0, n = 0;
      for (;;) {
        long k = next % series;
        char line[64];
        int ll = snprintf(line, sizeof line, "bench.m%ld:1|c|#s:%ld\n", k % 100, k / 100);
        if (len + ll > PKT) break;
        memcpy(bufs[i] + len, line, ll);
        len += ll;
        n++;
        next++;
        if (!multi) break;
      }
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = len;
      memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      lines_in[i] = n;
    }
    int sent = 0;
    while (sent < BATCH) {
      int r = sendmmsg(fd, msgs + sent, BATCH - sent, 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        errors++;
        /* Not sent: roll the cursor back so sent = counted stays exact. */
        for (int i = sent; i < BATCH; i++) next -= lines_in[i];
        break;
      }
      for (int i = sent; i < sent + r; i++) {
        lines += lines_in[i];
        packets++;
      }
      sent += r;
    }
  }
  double el = now_s() - start;
  printf("{\"lines\":%llu,\"packets\":%llu,\"seconds\":%.4f,\"errors\":%llu}\n", lines, packets, el, errors);
  return 0;
}
