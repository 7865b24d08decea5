/* target.c - probe configuration defaults, the result store, and turning a
 * host name or a socket path into probe targets. */
#include "probe/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

void probe_config_init(struct probe_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = 3306;
	cfg->ssl_mode = PROBE_SSL_PREFERRED;
	cfg->count = 10;
	cfg->concurrency = 1;
	cfg->resolve_each = 1;
	cfg->timeout_s[CD_PH_RESOLVE] = 30;
	cfg->timeout_s[CD_PH_CONNECT] = 10;
	cfg->timeout_s[CD_PH_GREETING] = 10;
	cfg->timeout_s[CD_PH_TLS] = 10;
	cfg->timeout_s[CD_PH_AUTH] = 10;
	cfg->timeout_s[CD_PH_QUERY] = 30;
	cfg->timeout_s[CD_PH_REUSE] = 10;
	cfg->timeout_s[CD_PH_CLOSE] = 5;
}

void probe_result_init(struct probe_result *r)
{
	memset(r, 0, sizeof(*r));
}

void probe_result_free(struct probe_result *r)
{
	free(r->attempts);
	free(r->ok_idx);
	memset(r, 0, sizeof(*r));
}

static void label_addr(struct probe_target *t)
{
	char ip[INET6_ADDRSTRLEN];
	unsigned port;

	if (t->family == AF_INET) {
		const struct sockaddr_in *s = (const void *)&t->addr;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		port = ntohs(s->sin_port);
		snprintf(t->label, sizeof(t->label), "%s:%u", ip, port);
	} else {
		const struct sockaddr_in6 *s = (const void *)&t->addr;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		port = ntohs(s->sin6_port);
		snprintf(t->label, sizeof(t->label), "[%s]:%u", ip, port);
	}
}

int probe_add_tcp_targets(struct probe_config *cfg, int family, char *errbuf,
			  size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[16];
	int rc;
	unsigned before = cfg->ntargets;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", cfg->port);
	rc = getaddrinfo(cfg->host, port, &hints, &res);
	if (rc) {
		snprintf(errbuf, errlen, "cannot resolve '%s': %s", cfg->host,
			 gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && cfg->ntargets < PROBE_MAX_TARGETS;
	     ai = ai->ai_next) {
		struct probe_target *t = &cfg->targets[cfg->ntargets];
		unsigned i;
		int dup = 0;

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		for (i = before; i < cfg->ntargets; i++)
			if (cfg->targets[i].addrlen == ai->ai_addrlen &&
			    !memcmp(&cfg->targets[i].addr, ai->ai_addr,
				    ai->ai_addrlen))
				dup = 1;
		if (dup)
			continue;
		memset(t, 0, sizeof(*t));
		t->transport = CD_TCP;
		t->family = ai->ai_family;
		memcpy(&t->addr, ai->ai_addr, ai->ai_addrlen);
		t->addrlen = ai->ai_addrlen;
		label_addr(t);
		cfg->ntargets++;
	}
	freeaddrinfo(res);
	if (cfg->ntargets == before) {
		snprintf(errbuf, errlen, "'%s' has no usable address",
			 cfg->host);
		return -1;
	}
	return 0;
}

int probe_add_socket_target(struct probe_config *cfg, const char *path,
			    char *errbuf, size_t errlen)
{
	struct probe_target *t;
	struct sockaddr_un *sun;
	struct stat st;

	if (cfg->ntargets >= PROBE_MAX_TARGETS) {
		snprintf(errbuf, errlen, "too many targets");
		return -1;
	}
	if (strlen(path) >= sizeof(sun->sun_path)) {
		snprintf(errbuf, errlen, "socket path too long: %s", path);
		return -1;
	}
	/* A missing socket is a finding (the server is down or elsewhere);
	 * a path that exists and is no socket is a mistake in the command. */
	if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(errbuf, errlen, "%s is not a socket (%s)", path,
			 S_ISDIR(st.st_mode)   ? "a directory"
			 : S_ISREG(st.st_mode) ? "a regular file"
					       : "another kind of file");
		return -1;
	}
	t = &cfg->targets[cfg->ntargets++];
	memset(t, 0, sizeof(*t));
	t->transport = CD_SOCKET;
	t->family = AF_UNIX;
	sun = (struct sockaddr_un *)&t->addr;
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	t->addrlen = (socklen_t)sizeof(*sun);
	snprintf(t->label, sizeof(t->label), "%s", path);
	return 0;
}
