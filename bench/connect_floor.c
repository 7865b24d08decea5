/* connect_floor.c - the kernel's floor for one TCP connection on loopback:
 * socket(), a blocking connect() and close(), nothing else, COUNT times,
 * CONC connections open at once (connect CONC, then close them). Any MySQL
 * client pays at least this per connection, so probe_bench.py sets it
 * beside the per-connection CPU of mysqlslap.
 * With RATE, at most RATE connections a second (trace_bench.py's storm).
 * usage: connect_floor PORT COUNT CONC [RATE] (prints the connects that
 * worked) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONC 1024

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {0};
	struct timespec t0, due;
	long count, conc, rate = 0, done = 0, ok = 0;
	int fds[MAX_CONC];

	if (argc != 4 && argc != 5)
		return 64;
	count = atol(argv[2]);
	conc = atol(argv[3]);
	if (argc == 5)
		rate = atol(argv[4]);
	if (count < 1 || conc < 1 || conc > MAX_CONC || rate < 0)
		return 64;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (done < count) {
		long i, n = count - done < conc ? count - done : conc;

		if (rate) { /* this batch starts at done/rate seconds */
			long long ns = t0.tv_nsec + done * 1000000000LL / rate;

			due.tv_sec = t0.tv_sec + (time_t)(ns / 1000000000LL);
			due.tv_nsec = (long)(ns % 1000000000LL);
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due,
					NULL);
		}
		for (i = 0; i < n; i++) {
			fds[i] = socket(AF_INET, SOCK_STREAM, 0);
			if (fds[i] >= 0 &&
			    connect(fds[i], (struct sockaddr *)&sa,
				    sizeof(sa)) == 0)
				ok++;
		}
		for (i = 0; i < n; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		done += n;
	}
	printf("%ld\n", ok);
	return ok == count ? 0 : 1;
}
