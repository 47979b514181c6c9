/*
 * The kernel's own replay ceiling on this machine, for bench/report-spool.ts: sends the given files to the loopback
 * sink (bench/spool-sink.c) once with sendfile in runs of RUN_KB and once with pread + write of RECORD_KB records, on
 * a blocking socket with no runtime in the way, and prints one line per mode:
 *   <mode> <MB/s> <sender CPU s per GB>
 * Both modes read the same files from the page cache and write to the same sink, so their ratio is what the kernel
 * allows between the two ways of sending here: the bound on what the agent's replay (Node, the addon's sendfile
 * thread) can show against read+write.
 * Build: cc -O2 -Wall -o bench/out/spool-send bench/spool-send.c
 * Run:   spool-send PORT RECORD_KB RUN_KB FILE...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static int connect_sink(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || connect(s, (struct sockaddr*)&a, sizeof a) != 0) {
    perror("spool-send: connect");
    exit(1);
  }
  return s;
}

static int write_all(int s, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(s, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* One mode over every file; returns 0 and fills bytes, or -1 on an error (printed). */
static int send_files(int port, int use_sendfile, size_t unit, char** files, int nfiles, double* bytes) {
  int s = connect_sink(port);
  char* buf = use_sendfile ? NULL : malloc(unit);
  if (!use_sendfile && buf == NULL) return -1;
  *bytes = 0;
  for (int i = 0; i < nfiles; i++) {
    int fd = open(files[i], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      perror(files[i]);
      return -1;
    }
    off_t size = st.st_size;
    for (off_t off = 0; off < size;) {
      size_t n = (size_t)(size - off) < unit ? (size_t)(size - off) : unit;
      if (use_sendfile) {
        off_t o = off;
        size_t left = n;
        while (left > 0) {
          ssize_t w = sendfile(s, fd, &o, left);
          if (w < 0 && errno == EINTR) continue;
          if (w <= 0) {
            perror("spool-send: sendfile");
            return -1;
          }
          left -= (size_t)w;
        }
      } else {
        ssize_t r = pread(fd, buf, n, off);
        if (r != (ssize_t)n || write_all(s, buf, n) != 0) {
          perror("spool-send: pread/write");
          return -1;
        }
      }
      off += (off_t)n;
      *bytes += (double)n;
    }
    close(fd);
  }
  free(buf);
  close(s);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: spool-send PORT RECORD_KB RUN_KB FILE...\n");
    return 2;
  }
  int port = atoi(argv[1]);
  size_t record = (size_t)atol(argv[2]) * 1024;
  size_t run = (size_t)atol(argv[3]) * 1024;
  if (port <= 0 || record == 0 || run == 0) {
    fprintf(stderr, "spool-send: bad PORT, RECORD_KB or RUN_KB\n");
    return 2;
  }
  const char* names[2] = {"read+write/record", "sendfile/run"};
  for (int m = 0; m < 2; m++) {
    double bytes = 0;
    double t0 = now_s(), c0 = cpu_s();
    if (send_files(port, m == 1, m == 1 ? run : record, argv + 4, argc - 4, &bytes) != 0) return 1;
    double t = now_s() - t0, c = cpu_s() - c0;
    printf("%s %.0f %.3f\n", names[m], bytes / 1e6 / t, c / (bytes / 1e9));
    fflush(stdout);
  }
  return 0;
}
