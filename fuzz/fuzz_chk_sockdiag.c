/* fuzz_chk_sockdiag.c - the sock_diag reply parser (check/census.c) on
 * arbitrary bytes: it stays inside the buffer, answers the same twice,
 * keeps only records its filters allow, and whatever it keeps goes
 * through the Unix selection, the census summary and the census rules
 * without harm.
 */
#include <string.h>

#include "check/census.h"
#include "fuzz.h"

static const uint16_t ports[] = {3306, 3307};
static const char path[] = "/run/mysqld/mysqld.sock";

static int is_port(uint16_t p)
{
	return p == ports[0] || p == ports[1];
}

static enum chk_diag_rc parse(const uint8_t *data, size_t size,
			      struct chk_census *c, struct chk_diag_parse *p)
{
	memset(c, 0, sizeof(*c));
	memset(p, 0, sizeof(*p));
	p->ports = ports;
	p->nports = 2;
	p->unix_path = path;
	p->c = c;
	return chk_sockdiag_parse(p, data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chk_census c, c2;
	struct chk_diag_parse p, p2;
	struct chk_census_input in;
	struct cd_findings out;
	enum chk_diag_rc rc, rc2;
	size_t i;

	rc = parse(data, size, &c, &p);
	CHECK(rc >= CHK_DIAG_NOMEM && rc <= CHK_DIAG_DONE);
	CHECK(p.nmsgs <= size / 17);
	CHECK(c.ntcp <= p.nmsgs && c.nunix <= p.nmsgs);
	CHECK(rc != CHK_DIAG_ERROR || p.nl_errno > 0);
	for (i = 0; i < c.ntcp; i++) {
		const struct chk_sock *k = &c.tcp[i];

		CHECK(k->state >= 1 && k->state <= 15 && k->state != 12);
		CHECK(k->family == 2 || k->family == 10);
		CHECK(is_port(k->sport) || is_port(k->dport));
		CHECK(k->server_side == is_port(k->sport));
	}
	for (i = 0; i < c.nunix; i++) {
		const struct chk_usock *u = &c.unix_[i];

		CHECK(memchr(u->path, '\0', sizeof(u->path)) != NULL);
		CHECK(!u->path[0] || !strcmp(u->path, path));
	}

	/* The same bytes, the same answer. */
	rc2 = parse(data, size, &c2, &p2);
	CHECK(rc2 == rc && c2.ntcp == c.ntcp && c2.nunix == c.nunix &&
	      p2.nicons == p.nicons && p2.nmsgs == p.nmsgs);
	for (i = 0; i < c.ntcp; i++)
		CHECK(c.tcp[i].inode == c2.tcp[i].inode &&
		      c.tcp[i].sport == c2.tcp[i].sport &&
		      c.tcp[i].dport == c2.tcp[i].dport);
	chk_diag_parse_free(&p2);
	chk_census_free(&c2);

	/* What was kept feeds the rest of the slice. */
	c.tcp_ok = 1;
	chk_unix_select(&c, path, p.icons, p.nicons);
	c.unix_ok = 1;
	for (i = 0; i < c.nunix; i++)
		CHECK(c.unix_[i].role != CHK_UROLE_OTHER);
	memset(&in, 0, sizeof(in));
	in.census = &c;
	in.port_lo = 40000;
	in.port_hi = 40100;
	cd_findings_init(&out);
	CHECK(chk_rules_census(&in, &out) == 0);
	for (i = 0; i < out.n; i++)
		CHECK(out.v[i].summary[0] != '\0');
	cd_findings_free(&out);
	chk_diag_parse_free(&p);
	chk_census_free(&c);
	return 0;
}
