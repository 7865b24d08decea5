/* tw_maker.c - fills a (lab) network namespace with TIME_WAIT sockets for
 * census_bench.py: N loopback connections to 127.0.0.1:PORT, each closed
 * by the client first (then by the server), so TIME_WAIT sits on the
 * client's side for 60 s.
 * usage: tw_maker PORT N (prints {"made": N, "seconds": S} when done) */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct timespec t0, t1;
	int l, one = 1;
	long i, n;

	if (argc != 3)
		return 64;
	n = atol(argv[2]);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 ||
	    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1024)) {
		printf("{\"made\": 0, \"errno\": %d}\n", errno);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), s;

		if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa))) {
			printf("{\"made\": %ld, \"errno\": %d}\n", i, errno);
			return 1;
		}
		s = accept(l, NULL, NULL);
		if (s < 0) {
			printf("{\"made\": %ld, \"errno\": %d}\n", i, errno);
			return 1;
		}
		close(c); /* the client first: TIME_WAIT is the client's */
		close(s);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("{\"made\": %ld, \"seconds\": %.3f}\n", n,
	       (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
