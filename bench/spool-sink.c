/*
 * Loopback TCP sink for bench/report-spool.ts: listens on 127.0.0.1 (port 0), prints the port, then accepts
 * connections one after another and discards what arrives: recv(MSG_TRUNC) on a TCP socket drops up to 4 MiB per
 * call in the kernel without copying it to user space (tcp(7)). A reader that copies into user space bounded the
 * sendfile mode near 4.5 GB/s on two vCPUs (bench/README.md); this one leaves the sender as what is measured. The
 * same reader serves every replay mode, so what differs between them is the sender.
 * Build: cc -O2 -Wall -o bench/out/spool-sink bench/spool-sink.c
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (s < 0 || bind(s, (struct sockaddr*)&a, sizeof a) != 0 || listen(s, 16) != 0 ||
      getsockname(s, (struct sockaddr*)&a, &len) != 0) {
    perror("spool-sink");
    return 1;
  }
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  size_t cap = 4u << 20;
  char* buf = malloc(cap);
  if (buf == NULL) return 1;
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    while (recv(c, buf, cap, MSG_TRUNC) > 0) {
    }
    close(c);
  }
}
