/* hostcache.c - the server's host cache as watch reads it for a target
 * (`host-cache = on`): performance_schema.host_cache's SUM_CONNECT_ERRORS
 * for the addresses of this host, beside @@GLOBAL.max_connect_errors
 * (MySQL 8.0 reference manual, "DNS Lookups and the Host Cache"; MariaDB
 * KB "Performance Schema host_cache Table"). One query on a session of
 * its own, at most once a minute; an account without the grant gets its
 * gauges left out and a line on stderr, never a failed probe. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mysql/mysql.h"
#include "watch/daemon_int.h"

/* The addresses of this host's interfaces, IPv4 mapped into IPv6. */
static void local_addrs(struct watch_hc_parse *p)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i && p->nlocal < WATCH_HC_LOCAL_MAX; i = i->ifa_next) {
		struct in6_addr *a = &p->local[p->nlocal];

		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *in =
				(const struct sockaddr_in *)(void *)i->ifa_addr;

			memset(a, 0, sizeof(*a));
			a->s6_addr[10] = a->s6_addr[11] = 0xff;
			memcpy(&a->s6_addr[12], &in->sin_addr, 4);
			p->nlocal++;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			*a = ((const struct sockaddr_in6 *)(void *)i->ifa_addr)
				     ->sin6_addr;
			p->nlocal++;
		}
	}
	freeifaddrs(ifa);
}

void watch_hc_parse_init(struct watch_hc_parse *p, int read_local)
{
	memset(p, 0, sizeof(*p));
	p->max = -1;
	if (read_local)
		local_addrs(p);
}

/* 1 when ip (text, as host_cache's IP column) is one of this host's:
 * loopback (127.0.0.0/8, ::1) or an interface's address. */
static int is_local(const struct watch_hc_parse *p, const char *ip)
{
	struct in6_addr a;
	struct in_addr v4;
	unsigned k;

	if (inet_pton(AF_INET, ip, &v4) == 1) {
		if ((ntohl(v4.s_addr) >> 24) == 127)
			return 1;
		memset(&a, 0, sizeof(a));
		a.s6_addr[10] = a.s6_addr[11] = 0xff;
		memcpy(&a.s6_addr[12], &v4, 4);
	} else if (inet_pton(AF_INET6, ip, &a) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a))
			return 1;
	} else {
		return 0;
	}
	for (k = 0; k < p->nlocal; k++)
		if (!memcmp(&p->local[k], &a, sizeof(a)))
			return 1;
	return 0;
}

void watch_hc_parse_pkt(struct watch_hc_parse *p, int row, const uint8_t *pkt,
			size_t len)
{
	struct mysql_cell cells[2];
	char ip[WATCH_HC_IP_MAX];
	double v;

	if (!row) {
		p->ncols++;
		return;
	}
	if (p->ncols != 2 ||
	    mysql_row_cells(pkt, len, 2, cells, 2) != MYSQL_OK) {
		p->bad = 1;
		return;
	}
	v = mysql_cell_num(&cells[1]);
	if (cells[0].is_null || !cells[0].data || cells[0].len >= sizeof(ip) ||
	    v < 0)
		return; /* a row without an address or count */
	memcpy(ip, cells[0].data, cells[0].len);
	ip[cells[0].len] = '\0';
	if (!p->have_max) { /* the first row: max_connect_errors */
		if (!strcmp(ip, "max_connect_errors")) {
			p->max = v;
			p->have_max = 1;
		} else {
			p->bad = 1;
		}
		return;
	}
	if (!is_local(p, ip) || p->n == WATCH_HC_ROWS)
		return;
	snprintf(p->rows[p->n].ip, sizeof(p->rows[p->n].ip), "%s", ip);
	p->rows[p->n].errors = v;
	p->n++;
}

int watch_hc_done(struct watch_link *l, const struct cd_attempt *a,
		  const struct watch_hc_parse *p)
{
	int was = l->hc_state;

	if (a->outcome == CD_OK && p->have_max && !p->bad) {
		l->hc_state = 1;
		l->hc_max = p->max;
		l->hc_n = p->n;
		memcpy(l->hc_rows, p->rows, sizeof(l->hc_rows));
		return 0;
	}
	if (a->outcome != CD_QUERY_ERROR && !p->bad)
		return 0; /* not logged in: the next read will tell */
	l->hc_state = -1;
	l->hc_n = 0;
	return was != -1;
}

void watch_hc_render(FILE *out, const struct watch_state *s)
{
	static const struct {
		const char *name, *help;
	} fam[] = {
		{"conndoctor_host_cache_readable",
		 "1 when the server's performance_schema.host_cache and "
		 "max_connect_errors were read, 0 when the account may not."},
		{"conndoctor_server_max_connect_errors",
		 "The server's max_connect_errors."},
		{"conndoctor_host_cache_connect_errors",
		 "The server's host_cache SUM_CONNECT_ERRORS for an address "
		 "of this host."},
	};
	struct rpt_prom_label lb[WATCH_LABELS_MAX + 4];
	size_t i, f, n;
	unsigned k;

	for (f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		rpt_prom_family(out, fam[f].name, "gauge", fam[f].help);
		for (i = 0; i < s->cfg->ntargets; i++) {
			const struct watch_target *t = &s->cfg->targets[i];
			const struct watch_link *l = &s->links[i];

			if (!t->host_cache || !l->hc_state ||
			    (f > 0 && l->hc_state < 0))
				continue;
			n = watch_target_labels(t, lb, -1);
			if (f == 0)
				rpt_prom_sample(out, fam[f].name, lb, n, NULL,
						NULL, l->hc_state > 0);
			else if (f == 1)
				rpt_prom_sample(out, fam[f].name, lb, n, NULL,
						NULL, l->hc_max);
			for (k = 0; f == 2 && k < l->hc_n; k++)
				rpt_prom_sample(out, fam[f].name, lb, n,
						"address", l->hc_rows[k].ip,
						l->hc_rows[k].errors);
		}
	}
}
