/* slice_resolver.c - name resolution as mysqld and libwrap meet it on this
 * host: the resolver's configuration and its cost when a nameserver dies,
 * whether a cache runs, /etc/hosts coverage of the clients in the census,
 * and measured lookups of those clients and of each nameserver. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "check/fields.h"
#include "check/resolver.h"
#include "check/slices.h"
#include "util/clock.h"
#include "util/fileio.h"

/* A resolver fact's definition (check/fields.c). */
#define FR(x) (&chk_fields_resolver[CHK_FR_##x])

#define MAX_CLIENTS 16
#define FILE_MAX    (256 * 1024)

/* What the rules look at. */
struct resolver_view {
	struct cd_resolv_conf conf;
	char nss[8][16];
	size_t nnss;
	int nss_found;
	int cache; /* a caching resolver runs or is the nameserver */
	char cache_name[64];
	struct chk_lookup lookups[MAX_CLIENTS];
	size_t nlookups;
	int in_hosts[MAX_CLIENTS];
	struct chk_ns_probe probes[CD_RESOLV_MAXNS];
	int measured;
	double bound_s;
};

static char *read_text(const char *root, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	return cd_read_text(path, FILE_MAX, NULL);
}

/* A local cache: a known caching daemon runs, or a loopback nameserver. */
static void find_cache(const char *procroot, struct resolver_view *v)
{
	static const char *const daemons[] = {"nscd",	 "systemd-resolve",
					      "dnsmasq", "unbound",
					      "named",	 "pdns_recursor"};
	DIR *d = opendir(procroot);
	struct dirent *de;
	unsigned i;

	for (i = 0; i < v->conf.nns; i++)
		if (!strncmp(v->conf.ns[i], "127.", 4) ||
		    !strcmp(v->conf.ns[i], "::1")) {
			v->cache = 1;
			snprintf(v->cache_name, sizeof(v->cache_name),
				 "nameserver %s", v->conf.ns[i]);
		}
	if (!d)
		return;
	while (!v->cache && (de = readdir(d))) {
		char path[300], comm[32];
		FILE *fp;
		size_t k;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s/comm", procroot,
			 de->d_name);
		fp = fopen(path, "re");
		if (!fp)
			continue;
		if (fgets(comm, sizeof(comm), fp)) {
			comm[strcspn(comm, "\n")] = '\0';
			for (k = 0; k < sizeof(daemons) / sizeof(daemons[0]);
			     k++)
				if (!strcmp(comm, daemons[k])) {
					v->cache = 1;
					snprintf(v->cache_name,
						 sizeof(v->cache_name), "%s",
						 comm);
				}
		}
		fclose(fp);
	}
	closedir(d);
}

/* Client addresses of the server-side connections in the census. */
static void client_addresses(const struct chk_census *c,
			     struct resolver_view *v)
{
	size_t i, k;

	if (!c)
		return;
	for (i = 0; i < c->ntcp && v->nlookups < MAX_CLIENTS; i++) {
		const struct chk_sock *s = &c->tcp[i];
		int dup = 0;

		if (!s->server_side || (s->state != CHK_TCP_ESTABLISHED &&
					s->state != CHK_TCP_SYN_RECV))
			continue;
		for (k = 0; k < v->nlookups; k++)
			if (!memcmp(&v->lookups[k].addr, &s->dst,
				    sizeof(s->dst)))
				dup = 1;
		if (!dup)
			v->lookups[v->nlookups++].addr = s->dst;
	}
}

static void addr_text(const struct in6_addr *a, char *out, size_t len)
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, out, (socklen_t)len);
}

static double dead_cost(const struct cd_resolv_conf *r)
{
	return chk_resolv_dead_lookup_s(r->timeout_s, r->attempts, (int)r->nns);
}

static int rules(const struct resolver_view *v, struct chk_facts *facts,
		 struct cd_findings *out)
{
	const struct cd_resolv_conf *r = &v->conf;
	struct cd_finding *f;
	char a[INET6_ADDRSTRLEN];
	size_t i;
	unsigned dead = 0, slow = 0;

	if (!r->found) {
		chk_unreadable(facts, "resolv.conf", "not found");
	} else {
		chk_fact_add(facts, FR(RESOLV_CONF), NULL, CHK_UINT(r->nns),
			     CHK_BOOL(r->nns_ignored), CHK_INT(r->timeout_s),
			     CHK_INT(r->attempts), CHK_BOOL(r->rotate),
			     CHK_UINT(r->nsearch), CHK_INT(r->ndots),
			     CHK_DBL(dead_cost(r)));
	}
	if (v->nss_found) {
		char order[128] = "";

		for (i = 0; i < v->nnss; i++) {
			strncat(order, v->nss[i],
				sizeof(order) - strlen(order) - 1);
			if (i + 1 < v->nnss)
				strncat(order, " ",
					sizeof(order) - strlen(order) - 1);
		}
		chk_fact_add(facts, FR(NSSWITCH), NULL, CHK_STR(order));
	}
	chk_fact_add(facts, FR(CACHE), NULL,
		     CHK_STR(v->cache ? v->cache_name : ""));

	for (i = 0; v->measured && i < r->nns; i++) {
		const struct chk_ns_probe *p = &v->probes[i];

		if (p->rtt_s >= 0) {
			chk_fact_add(facts, FR(NAMESERVER), p->ns,
				     CHK_STR(p->ns), CHK_DBL(p->rtt_s),
				     CHK_INT(p->rcode));
			if (p->rtt_s >= 1.0)
				slow++;
			continue;
		}
		dead++;
		f = cd_finding_add(out, "CD2010", CD_SEV_WARNING);
		if (!f)
			return -1;
		if (p->send_errno)
			snprintf(f->summary, sizeof(f->summary),
				 "nameserver %s cannot be queried: %s", p->ns,
				 strerror(p->send_errno));
		else
			snprintf(f->summary, sizeof(f->summary),
				 "nameserver %s did not answer a PTR query in "
				 "%.1f s",
				 p->ns, v->bound_s);
		snprintf(f->evidence, sizeof(f->evidence),
			 "a PTR query sent to %s alone; glibc waits %d s for "
			 "it per attempt (%d attempts) before the next "
			 "nameserver%s",
			 p->ns, r->timeout_s, r->attempts,
			 i == 0 && !r->rotate
				 ? ", and asks it first for every lookup"
				 : "");
		cd_finding_num(f, "nameserver_index", (double)i);
		cd_finding_num(f, "waited_s", p->send_errno ? 0 : v->bound_s);
		cd_finding_num(f, "resolver_timeout_s", r->timeout_s);
		cd_finding_num(f, "resolver_attempts", r->attempts);
	}
	if (dead && dead == r->nns)
		for (i = 0; i < out->n; i++)
			if (!strcmp(out->v[i].def->code, "CD2010"))
				out->v[i].severity = CD_SEV_CRITICAL;
	if (slow) {
		f = cd_finding_add(out, "CD2011", CD_SEV_WARNING);
		if (!f)
			return -1;
		snprintf(f->summary, sizeof(f->summary),
			 "%u nameserver(s) took over 1 s to answer", slow);
		snprintf(f->evidence, sizeof(f->evidence),
			 "PTR queries sent to each nameserver on its own");
		cd_finding_num(f, "slow_nameservers", slow);
	}

	for (i = 0; v->measured && i < v->nlookups; i++) {
		const struct chk_lookup *l = &v->lookups[i];

		addr_text(&l->addr, a, sizeof(a));
		if (l->reverse_s < 0 || l->reverse_s >= 1.0) {
			f = cd_finding_add(out, "CD2012",
					   l->reverse_s < 0 ? CD_SEV_CRITICAL
							    : CD_SEV_WARNING);
			if (!f)
				return -1;
			if (l->reverse_s < 0)
				snprintf(f->summary, sizeof(f->summary),
					 "reverse lookup of client %s did not "
					 "finish in %.1f s",
					 a, v->bound_s);
			else
				snprintf(f->summary, sizeof(f->summary),
					 "reverse lookup of client %s took "
					 "%.2f s",
					 a, l->reverse_s);
			snprintf(f->evidence, sizeof(f->evidence),
				 "getnameinfo() as mysqld (skip_name_resolve="
				 "OFF) and libwrap do for each new connection "
				 "from %s%s",
				 a,
				 v->in_hosts[i] ? "" : "; not in /etc/hosts");
			cd_finding_num(f, "reverse_s",
				       l->reverse_s < 0 ? v->bound_s
							: l->reverse_s);
			cd_finding_num(f, "finished", l->reverse_s >= 0);
		} else {
			chk_fact_add(facts, FR(CLIENT), a, CHK_STR(a),
				     CHK_DBL(l->reverse_s), CHK_STR(l->name),
				     l->name[0] ? CHK_BOOL(l->forward_match)
						: CHK_NUL);
		}
		if (l->name[0] && l->forward_s >= 0 && !l->forward_match) {
			f = cd_finding_add(out, "CD2013", CD_SEV_INFO);
			if (!f)
				return -1;
			snprintf(f->summary, sizeof(f->summary),
				 "client %s is named %.100s, which does not "
				 "resolve back to it",
				 a, l->name);
			snprintf(f->evidence, sizeof(f->evidence),
				 "reverse then forward lookup, as mysqld and "
				 "libwrap (PARANOID) check");
		}
	}
	if (v->nss_found && v->nnss > 1) {
		size_t files = v->nnss, dns = v->nnss;

		for (i = 0; i < v->nnss; i++) {
			if (!strcmp(v->nss[i], "files") && files == v->nnss)
				files = i;
			if (!strcmp(v->nss[i], "dns") && dns == v->nnss)
				dns = i;
		}
		if (dns < files) {
			f = cd_finding_add(out, "CD2014", CD_SEV_WARNING);
			if (!f)
				return -1;
			snprintf(f->summary, sizeof(f->summary),
				 "nsswitch.conf asks DNS before /etc/hosts");
			snprintf(f->evidence, sizeof(f->evidence),
				 "hosts: line of nsswitch.conf");
		}
	}
	return 0;
}

int chk_slice_resolver(const struct chk_ctx *ctx, struct chk_facts *facts,
		       struct cd_findings *out)
{
	struct resolver_view *v = calloc(1, sizeof(*v));
	struct chk_lookups *lookups;
	char *text, *hosts;
	int64_t t0;
	size_t i;
	int rc;

	if (!v)
		return -1;
	text = read_text(ctx->etcroot, "resolv.conf");
	if (text) {
		cd_resolv_conf_parse(text, getenv("RES_OPTIONS"), &v->conf);
		free(text);
	}
	text = read_text(ctx->etcroot, "nsswitch.conf");
	if (text) {
		v->nss_found = 1;
		v->nnss = chk_nsswitch_hosts(text, v->nss, 8);
		free(text);
	}
	find_cache(ctx->procroot, v);
	client_addresses(ctx->census, v);
	hosts = read_text(ctx->etcroot, "hosts");
	for (i = 0; i < v->nlookups; i++)
		v->in_hosts[i] =
			hosts && chk_hosts_has(hosts, &v->lookups[i].addr);
	free(hosts);
	v->bound_s = ctx->dns_timeout_s > 0 ? ctx->dns_timeout_s : 3;
	if (ctx->resolve) {
		struct in6_addr ask = IN6ADDR_LOOPBACK_INIT;

		/* Ask the nameservers about a real client when there is one,
		 * else about 127.0.0.1, which any resolver answers at once. */
		if (v->nlookups)
			ask = v->lookups[0].addr;
		else
			inet_pton(AF_INET6, "::ffff:127.0.0.1", &ask);
		v->measured = 1;
		/* Both under one bound: lookups run while the probes wait. */
		lookups = chk_lookups_start(v->lookups, v->nlookups);
		t0 = cd_now_ns();
		chk_probe_nameservers(&v->conf, &ask, v->probes, v->bound_s);
		chk_lookups_finish(
			lookups, v->bound_s - (double)(cd_now_ns() - t0) / 1e9);
	}
	rc = rules(v, facts, out);
	free(v);
	return rc;
}
