/* slice_wrappers.c - the TCP wrappers slice of `conndoctor check`: finds
 * mysqld, tells from its ELF dependencies whether it calls libwrap, reads
 * hosts.allow/hosts.deny (hosts_access(5)) and says which rules make every
 * connection wait on DNS (field reports 000 and 001). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "check/census.h"
#include "check/fds.h"
#include "probe/hostfacts.h"
#include "check/fields.h"
#include "check/hostsaccess.h"
#include "check/resolver.h"
#include "check/slices.h"

/* A wrappers fact's definition (check/fields.c). */
#define FW(x)		  (&chk_fields_wrappers[CHK_FW_##x])
#define MAX_NOTE_FINDINGS 8 /* malformed-line findings per table */
#define MAX_CLIENTS	  1024

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* Copies src into dst[len]; -1 (dst emptied) when it does not fit: a
 * cut path names another file. */
static int set_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len) {
		dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

static int is_mysqld_name(const char *n)
{
	return !strcmp(n, "mysqld") || !strcmp(n, "mariadbd");
}

/* ---- collectors: find mysqld ---- */

/* First line of a small /proc file, newline removed; -1 with errno. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* argv[0] of a process (the first NUL-terminated string of cmdline). */
static int read_argv0(const char *procroot, int pid, char *out, size_t len)
{
	char path[PATH_MAX], buf[PATH_MAX];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/cmdline", procroot, pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (!buf[0])
		return -1;
	snprintf(out, len, "%s", buf);
	return 0;
}

/* Whether libwrap is mapped into the process (/proc/PID/maps): the loader's
 * own answer, LD_PRELOAD and dlopen() included. */
static void read_maps(const char *procroot, struct chk_mysqld *m)
{
	char path[PATH_MAX], line[PATH_MAX + 128];
	FILE *f;

	m->maps = -1;
	snprintf(path, sizeof(path), "%s/%d/maps", procroot, m->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	m->maps = 0;
	while (fgets(line, sizeof(line), f)) {
		char *slash = strchr(line, '/');

		if (slash && strstr(slash, "/libwrap.so")) {
			slash[strcspn(slash, "\n")] = '\0';
			snprintf(m->maps_path, sizeof(m->maps_path), "%s",
				 slash);
			m->maps = 1;
			break;
		}
	}
	fclose(f);
}

/* The process's root when it is not ours (a container), for reading its
 * binary's libraries and its /etc. */
static void read_root(const char *procroot, struct chk_mysqld *m)
{
	char path[PATH_MAX];
	struct stat a, b;

	snprintf(path, sizeof(path), "%s/%d/root", procroot, m->pid);
	if (stat(path, &a) || stat("/", &b))
		return;
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		set_str(m->rootdir, sizeof(m->rootdir), path);
}

static int numeric(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* Reads process pid (its /proc name d_name) into m when it is a mysqld
 * or mariadbd by comm or exe; 1 it is, 0 not. Its pid alone (comm "?")
 * when any_name is set and it is not. */
static int read_running(const char *procroot, const char *d_name, long pid,
			int any_name, struct chk_mysqld *m)
{
	char path[PATH_MAX], comm[64], exe[PATH_MAX];
	ssize_t n;
	int named;

	snprintf(path, sizeof(path), "%s/%s/comm", procroot, d_name);
	if (read_line(path, comm, sizeof(comm)))
		snprintf(comm, sizeof(comm), "?");
	snprintf(path, sizeof(path), "%s/%s/exe", procroot, d_name);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	if (n > 10 && !strcmp(exe + n - 10, " (deleted)"))
		exe[n - 10] = '\0';
	named = is_mysqld_name(comm) ||
		(n > 0 && is_mysqld_name(base_name(exe)));
	if (!named && !any_name)
		return 0;
	memset(m, 0, sizeof(*m));
	m->src = CHK_MYSQLD_RUNNING;
	m->pid = (int)pid;
	m->maps = -1;
	snprintf(m->comm, sizeof(m->comm), "%.31s", comm);
	if (n > 0) {
		set_str(m->path, sizeof(m->path), exe);
		set_str(m->open, sizeof(m->open), path);
	} else {
		m->exe_err = errno;
	}
	return named;
}

/* The running mysqld with the lowest pid; 0 found, -1 none. *count (may
 * be NULL) gets how many run. */
static int find_running(const char *procroot, struct chk_mysqld *m,
			unsigned *count)
{
	struct dirent *de;
	DIR *d = opendir(procroot);
	struct chk_mysqld cand;
	long best = -1;
	unsigned found = 0;

	if (count)
		*count = 0;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		long pid;

		if (!numeric(de->d_name))
			continue;
		pid = strtol(de->d_name, NULL, 10);
		if (pid <= 0 || pid > INT_MAX)
			continue;
		if (!read_running(procroot, de->d_name, pid, 0, &cand))
			continue;
		found++;
		if (best > 0 && pid > best)
			continue;
		best = pid;
		*m = cand;
	}
	closedir(d);
	if (count)
		*count = found;
	return best > 0 ? 0 : -1;
}

/* What the process found in m has besides its binary: argv[0]'s name
 * (libwrap's daemon name), libwrap in its maps, its root. */
static void complete_running(const char *procroot, struct chk_mysqld *m)
{
	char argv0[PATH_MAX];

	if (!read_argv0(procroot, m->pid, argv0, sizeof(argv0))) {
		snprintf(m->argv0, sizeof(m->argv0), "%.63s", base_name(argv0));
		/* exe unreadable: argv[0] still names the binary when it is
		 * absolute. */
		if (!m->path[0] && argv0[0] == '/')
			set_str(m->path, sizeof(m->path), argv0);
	}
	read_maps(procroot, m);
	read_root(procroot, m);
}

int chk_mysqld_of_pid(const char *procroot, int pid, struct chk_mysqld *m)
{
	char name[24];
	int named;

	snprintf(name, sizeof(name), "%d", pid);
	named = read_running(procroot, name, pid, 1, m);
	complete_running(procroot, m);
	return named;
}

int chk_find_mysqld(const char *procroot, const char *option_path,
		    const char *installed_root, struct chk_mysqld *m)
{
	static const char *const installed[] = {"/usr/sbin/mariadbd",
						"/usr/sbin/mysqld",
						"/usr/libexec/mysqld"};
	size_t i;

	memset(m, 0, sizeof(*m));
	m->maps = -1;
	if (option_path) {
		m->src = CHK_MYSQLD_OPTION;
		snprintf(m->path, sizeof(m->path), "%s", option_path);
		snprintf(m->open, sizeof(m->open), "%s", option_path);
		return 0;
	}
	if (procroot && !find_running(procroot, m, NULL)) {
		complete_running(procroot, m);
		return 0;
	}
	for (i = 0; i < sizeof(installed) / sizeof(installed[0]); i++) {
		char full[PATH_MAX];

		snprintf(full, sizeof(full), "%s%s",
			 installed_root && strcmp(installed_root, "/")
				 ? installed_root
				 : "",
			 installed[i]);
		if (!access(full, F_OK)) {
			m->src = CHK_MYSQLD_INSTALLED;
			snprintf(m->path, sizeof(m->path), "%s", installed[i]);
			snprintf(m->open, sizeof(m->open), "%s", installed[i]);
			return 0;
		}
	}
	return -1;
}

/* ---- the rules (pure) ---- */

static const char *table_name(const struct chk_wrappers_view *v, int k)
{
	const struct chk_wrap_table *t = v->tables[k];

	return t && t->path[0] ? t->path : (k ? "hosts.deny" : "hosts.allow");
}

/* "/etc/hosts.allow:3" */
static void where(const struct chk_wrappers_view *v, int table, unsigned line,
		  char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u", table_name(v, table), line);
}

static const struct chk_wrap_rule *step_rule(const struct chk_wrappers_view *v,
					     const struct chk_wrap_step *s)
{
	return &v->tables[s->table]->rules[s->rule];
}

static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* The daemon names, or (for a rule) those it applies under. */
static const char *daemon_names(const struct chk_wrappers_view *v,
				const struct chk_wrap_step *s, char *buf,
				size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < v->ndaemons; i++)
		if (!s || chk_wrap_applies(v->tables[s->table], s->rule,
					   &v->daemons[i], 1) != CHK_WS_NONE)
			append(buf, len, "%s'%s'", n++ ? " or " : "",
			       v->daemons[i]);
	return buf;
}

static int rule_libwrap(const struct chk_wrappers_view *v,
			struct cd_findings *out)
{
	struct cd_finding *f;
	int dns = v->an.first_dns >= 0;

	if (v->libwrap != CHK_LIBWRAP_YES)
		return 0;
	f = cd_finding_add(out, "CD5001", dns ? CD_SEV_WARNING : CD_SEV_INFO);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "mysqld (%.60s) is linked with %.40s: every TCP connection is "
		 "checked against hosts.allow and hosts.deny in its accept "
		 "loop%s",
		 v->mysqld.path, v->libwrap_name,
		 dns ? ", and a rule there makes it wait on DNS" : "");
	snprintf(f->evidence, sizeof(f->evidence),
		 "%.300s => %.300s, %s (read from the ELF dynamic section%s); "
		 "%zu rule(s) name mysqld, %zu more apply through ALL",
		 v->libwrap_chain, v->libwrap_path[0] ? v->libwrap_path : "?",
		 v->libwrap_depth <= 1 ? "needed by mysqld itself"
				       : "needed by a library mysqld needs",
		 v->mysqld.maps == 1 ? " and mapped in the running process"
				     : "",
		 v->an.rules_named, v->an.rules_all);
	cd_finding_num(f, "libwrap_depth", v->libwrap_depth);
	cd_finding_num(f, "rules_named", (double)v->an.rules_named);
	cd_finding_num(f, "rules_all", (double)v->an.rules_all);
	cd_finding_num(f, "dns_rules", dns);
	if (v->mysqld.pid)
		cd_finding_num(f, "pid", v->mysqld.pid);
	return 0;
}

/* The earlier rules that decide some clients on their address alone. */
static void address_rules(const struct chk_wrappers_view *v, size_t upto,
			  char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < upto; i++) {
		const struct chk_wrap_step *s = &v->an.steps[i];
		char w[600];

		if (s->matched == CHK_WS_NONE || n >= 4)
			continue;
		where(v, s->table, step_rule(v, s)->line, w, sizeof(w));
		append(buf, len, "%s%s", n++ ? ", " : "", w);
	}
}

static int rule_dns(const struct chk_wrappers_view *v, struct cd_findings *out)
{
	const struct chk_wrap_step *s;
	const struct chk_wrap_table *t;
	const struct chk_wrap_rule *ru;
	struct cd_finding *f;
	char w[600], earlier[256], who[96], names[64], pattern[160];
	double dead;
	size_t i, ndns = 0;

	if (v->an.first_dns < 0 || v->libwrap == CHK_LIBWRAP_NO)
		return 0;
	s = &v->an.steps[v->an.first_dns];
	t = v->tables[s->table];
	ru = step_rule(v, s);
	for (i = 0; i < v->an.nsteps; i++)
		ndns += v->an.steps[i].name || v->an.steps[i].server_name;
	dead = chk_resolv_dead_lookup_s(v->resolv_timeout_s, v->resolv_attempts,
					v->resolv_nameservers);
	f = cd_finding_add(out, "CD5002",
			   v->libwrap == CHK_LIBWRAP_YES ? CD_SEV_WARNING
							 : CD_SEV_INFO);
	if (!f)
		return -1;
	where(v, s->table, ru->line, w, sizeof(w));
	address_rules(v, (size_t)v->an.first_dns, earlier, sizeof(earlier));
	if (s->name_tok >= 0)
		snprintf(pattern, sizeof(pattern), "pattern '%.100s'",
			 chk_wrap_str(t, t->toks[s->name_tok].host));
	else if (s->options_name)
		snprintf(pattern, sizeof(pattern), "an option expanding %%n");
	else
		snprintf(pattern, sizeof(pattern),
			 "a daemon@host pattern (the server's own name)");
	if (s->name == CHK_WS_SOME)
		snprintf(who, sizeof(who), "some connections to mysqld");
	else if (s->reach == CHK_WS_EVERY)
		snprintf(who, sizeof(who), "every connection to mysqld");
	else
		snprintf(who, sizeof(who),
			 "every connection no earlier rule decides");
	snprintf(f->summary, sizeof(f->summary),
		 "%.70s makes %.45s wait for a reverse and a forward DNS "
		 "lookup: "
		 "up to %.0f s each when the resolver is dead, one "
		 "connection after another",
		 w, who, dead);
	snprintf(f->evidence, sizeof(f->evidence),
		 "%.100s: '%.160s'; its %.110s needs the client's name, so "
		 "libwrap "
		 "looks it up (PTR, then A/AAAA to verify) whatever "
		 "skip_name_resolve says%s%.150s%s. Resolver (resolv.conf): "
		 "timeout %d s x attempts %d over %d nameserver(s) = %.0f s "
		 "per lookup when none answers; a slow one costs twice its "
		 "delay. mysqld checks in its accept loop, so waits pile up "
		 "(the third waiting client waits 3x). Applies when mysqld's "
		 "daemon name is %.40s.",
		 w, chk_wrap_str(t, ru->text), pattern,
		 earlier[0] ? "; clients matching " : "",
		 earlier[0] ? earlier : "",
		 earlier[0] ? " are decided on their address alone" : "",
		 v->resolv_timeout_s, v->resolv_attempts,
		 v->resolv_nameservers ? v->resolv_nameservers : 1, dead,
		 daemon_names(v, s, names, sizeof(names)));
	cd_finding_num(f, "line", ru->line);
	cd_finding_num(f, "table", s->table);
	cd_finding_num(f, "every",
		       s->name == CHK_WS_EVERY && s->reach == CHK_WS_EVERY);
	cd_finding_num(f, "dns_rules", (double)ndns);
	cd_finding_num(f, "lookup_dead_s", dead);
	cd_finding_num(f, "resolv_timeout_s", v->resolv_timeout_s);
	cd_finding_num(f, "resolv_attempts", v->resolv_attempts);
	cd_finding_num(f, "nameservers", v->resolv_nameservers);
	cd_finding_num(f, "libwrap", v->libwrap);
	if (v->clients) {
		cd_finding_num(f, "clients", (double)v->clients);
		cd_finding_num(f, "clients_need_name",
			       (double)v->clients_need_name);
	}
	return 0;
}

static int rule_paranoid(const struct chk_wrappers_view *v,
			 struct cd_findings *out)
{
	const struct chk_wrap_step *s;
	const struct chk_wrap_rule *ru;
	struct cd_finding *f;
	char w[600];

	if (v->an.first_paranoid < 0 || v->libwrap == CHK_LIBWRAP_NO)
		return 0;
	s = &v->an.steps[v->an.first_paranoid];
	ru = step_rule(v, s);
	f = cd_finding_add(out, "CD5003", CD_SEV_WARNING);
	if (!f)
		return -1;
	where(v, s->table, ru->line, w, sizeof(w));
	snprintf(f->summary, sizeof(f->summary),
		 "%.80s uses PARANOID: clients whose reverse and forward DNS "
		 "disagree or fail are %s, and each connection waits for both "
		 "lookups",
		 w, s->table ? "refused" : "matched (allowed)");
	snprintf(
		f->evidence, sizeof(f->evidence),
		"%.100s: '%.300s'. PARANOID matches when the name from the PTR "
		"record does not resolve back to the client's address; a "
		"resolver timeout makes the name unknown, not paranoid.",
		w, chk_wrap_str(v->tables[s->table], ru->text));
	cd_finding_num(f, "line", ru->line);
	cd_finding_num(f, "table", s->table);
	return 0;
}

static int rule_ident(const struct chk_wrappers_view *v,
		      struct cd_findings *out)
{
	const struct chk_wrap_step *s;
	const struct chk_wrap_rule *ru;
	struct cd_finding *f;
	char w[600];

	if (v->an.first_ident < 0 || v->libwrap == CHK_LIBWRAP_NO)
		return 0;
	s = &v->an.steps[v->an.first_ident];
	ru = step_rule(v, s);
	f = cd_finding_add(out, "CD5006", CD_SEV_WARNING);
	if (!f)
		return -1;
	where(v, s->table, ru->line, w, sizeof(w));
	snprintf(f->summary, sizeof(f->summary),
		 "%.80s asks the client's identd (TCP port 113) who connects: "
		 "up to 10 s per connection when the client's firewall "
		 "drops it",
		 w);
	snprintf(f->evidence, sizeof(f->evidence),
		 "%.100s: '%.300s' (a user@host pattern or the rfc931 option / "
		 "%%u); libwrap's RFC 931 lookup waits rfc931 seconds, 10 "
		 "by default.",
		 w, chk_wrap_str(v->tables[s->table], ru->text));
	cd_finding_num(f, "line", ru->line);
	cd_finding_num(f, "table", s->table);
	return 0;
}

/* Whether a note concerns mysqld: a skipped line (it may have been
 * meant for it) or a rule that applies to it. */
static int note_for_mysqld(const struct chk_wrappers_view *v, int k,
			   const struct chk_wrap_note *n)
{
	return n->rule < 0 ||
	       chk_wrap_applies(v->tables[k], (size_t)n->rule, v->daemons,
				v->ndaemons) != CHK_WS_NONE;
}

static int rule_notes(const struct chk_wrappers_view *v,
		      struct cd_findings *out)
{
	int k;

	for (k = 0; k < 2; k++) {
		const struct chk_wrap_table *t = v->tables[k];
		size_t i, shown = 0, more = 0;

		for (i = 0; t && i < t->nnotes; i++) {
			const struct chk_wrap_note *n = &t->notes[i];
			int acts = n->what == CHK_WP_OPTION_ACTS;
			int mine = note_for_mysqld(v, k, n);
			struct cd_finding *f;
			char w[600];

			if (n->what == CHK_WP_FILE_UNREAD ||
			    (acts && (!mine || v->libwrap == CHK_LIBWRAP_NO)))
				continue;
			if (shown >= MAX_NOTE_FINDINGS) {
				more++;
				continue;
			}
			shown++;
			f = cd_finding_add(out, acts ? "CD5007" : "CD5004",
					   mine && v->libwrap != CHK_LIBWRAP_NO
						   ? CD_SEV_WARNING
						   : CD_SEV_INFO);
			if (!f)
				return -1;
			where(v, k, n->line, w, sizeof(w));
			snprintf(f->summary, sizeof(f->summary), "%.100s: %s",
				 w, n->detail);
			snprintf(f->evidence, sizeof(f->evidence),
				 "%.100s (%s)%s%.300s%s", w,
				 chk_wrap_problem_name(n->what),
				 n->rule >= 0 ? ": '" : "",
				 n->rule >= 0
					 ? chk_wrap_str(t,
							t->rules[n->rule].text)
					 : "",
				 n->rule >= 0 ? "'" : "");
			cd_finding_num(f, "line", n->line);
			cd_finding_num(f, "table", k);
		}
		if (more && shown) {
			struct cd_finding *f = &out->v[out->n - 1];

			append(f->evidence, sizeof(f->evidence),
			       "; %zu more problem(s) in %s not shown", more,
			       table_name(v, k));
		}
	}
	return 0;
}

static int rule_no_effect(const struct chk_wrappers_view *v,
			  struct cd_findings *out)
{
	struct cd_finding *f;
	size_t n = v->an.rules_named + v->an.rules_all;

	if (!n || v->libwrap == CHK_LIBWRAP_YES)
		return 0;
	f = cd_finding_add(out,
			   v->libwrap == CHK_LIBWRAP_NO ? "CD5005" : "CD5008",
			   CD_SEV_INFO);
	if (!f)
		return -1;
	if (v->libwrap == CHK_LIBWRAP_NO) {
		snprintf(f->summary, sizeof(f->summary),
			 "mysqld (%.60s) is not linked with libwrap: the %zu "
			 "hosts.allow/hosts.deny rule(s) for it have no "
			 "effect on MySQL connections",
			 v->mysqld.path, n);
		snprintf(f->evidence, sizeof(f->evidence),
			 "no libwrap among the %zu libraries mysqld needs "
			 "(ELF dynamic section, resolved like ld.so)%s; %zu "
			 "rule(s) name mysqld, %zu apply through ALL%s",
			 v->nlibs,
			 v->mysqld.maps == 0 ? " nor mapped in the process"
					     : "",
			 v->an.rules_named, v->an.rules_all,
			 v->an.first_dns >= 0
				 ? "; some would make connections wait on "
				   "DNS if mysqld used TCP wrappers"
				 : "");
	} else {
		snprintf(f->summary, sizeof(f->summary),
			 "could not tell whether mysqld uses TCP wrappers; "
			 "%zu hosts.allow/hosts.deny rule(s) would apply to it",
			 n);
		snprintf(f->evidence, sizeof(f->evidence), "%s",
			 v->why_unknown);
	}
	cd_finding_num(f, "rules_named", (double)v->an.rules_named);
	cd_finding_num(f, "rules_all", (double)v->an.rules_all);
	cd_finding_num(f, "dns_rules", v->an.first_dns >= 0);
	return 0;
}

int chk_wrappers_rules(const struct chk_wrappers_view *v,
		       struct cd_findings *out)
{
	if (rule_libwrap(v, out) || rule_dns(v, out) || rule_paranoid(v, out) ||
	    rule_ident(v, out) || rule_notes(v, out) || rule_no_effect(v, out))
		return -1;
	return 0;
}

/* ---- the slice: collect, decide, report ---- */

/* Reads mysqld's dependencies into v (libwrap yes/no/unknown). */
static int examine_binary(struct chk_wrappers_view *v, struct chk_facts *facts)
{
	struct chk_mysqld *m = &v->mysqld;
	struct chk_elf_deps d;
	char err[512];
	const char *open_path = m->open[0] ? m->open : m->path;
	int idx;

	if (!open_path[0]) {
		static const char *const installed[] = {"/usr/sbin/mariadbd",
							"/usr/sbin/mysqld"};
		size_t i;

		/* /proc/PID/exe is not ours to read and argv[0] names no
		 * file: the installed binary is the best guess, said so. */
		for (i = 0; i < 2 && !open_path[0]; i++)
			if (!access(installed[i], R_OK))
				open_path = installed[i];
		if (!open_path[0]) {
			snprintf(v->why_unknown, sizeof(v->why_unknown),
				 "mysqld pid %d: its binary is not readable "
				 "(%s)",
				 m->pid, strerror(m->exe_err));
			return 0;
		}
		set_str(m->path, sizeof(m->path), open_path);
		chk_fact_add(facts, FW(MYSQLD_BINARY), NULL, CHK_STR(open_path),
			     CHK_INT(m->pid));
	}
	if (chk_elf_needed(open_path, m->rootdir[0] ? m->rootdir : NULL, &d,
			   err, sizeof(err))) {
		if (!strcmp(err, "out of memory"))
			return -1;
		snprintf(v->why_unknown, sizeof(v->why_unknown), "%.250s", err);
		chk_unreadable(facts, "mysqld binary", "%s", err);
		return 0;
	}
	v->nlibs = d.n;
	idx = chk_elf_links(&d, "libwrap.so");
	if (idx >= 0) {
		v->libwrap = CHK_LIBWRAP_YES;
		snprintf(v->libwrap_name, sizeof(v->libwrap_name), "%s",
			 d.v[idx].name);
		snprintf(v->libwrap_path, sizeof(v->libwrap_path), "%s",
			 d.v[idx].path);
		chk_elf_chain(&d, idx, v->libwrap_chain,
			      sizeof(v->libwrap_chain));
		v->libwrap_depth = d.v[idx].depth;
		chk_fact_add(facts, FW(LIBWRAP), NULL, CHK_BOOL(1),
			     CHK_STR(v->libwrap_chain), CHK_STR(d.v[idx].path),
			     CHK_STR(chk_elf_how_name(d.v[idx].how)),
			     CHK_BOOL(0), CHK_UINT(d.n), CHK_UINT(d.not_found),
			     CHK_BOOL(d.capped));
	} else if (!d.dynamic) {
		v->libwrap = CHK_LIBWRAP_NO;
		chk_fact_add(facts, FW(LIBWRAP), NULL, CHK_BOOL(0), CHK_NUL,
			     CHK_NUL, CHK_NUL, CHK_BOOL(1), CHK_UINT(0),
			     CHK_UINT(0), CHK_BOOL(0));
	} else {
		v->libwrap = d.not_found || d.capped ? CHK_LIBWRAP_UNKNOWN
						     : CHK_LIBWRAP_NO;
		chk_fact_add(facts, FW(LIBWRAP), NULL, CHK_BOOL(0), CHK_NUL,
			     CHK_NUL, CHK_NUL, CHK_BOOL(0), CHK_UINT(d.n),
			     CHK_UINT(d.not_found), CHK_BOOL(d.capped));
		if (v->libwrap == CHK_LIBWRAP_UNKNOWN)
			snprintf(v->why_unknown, sizeof(v->why_unknown),
				 "%u of mysqld's libraries were not found; "
				 "libwrap may hide behind one",
				 d.not_found);
	}
	if (!d.cache_read)
		chk_unreadable(facts, "ld.so.cache", "not used: %s",
			       d.cache_why ? d.cache_why : "?");
	if (m->maps == 1 && v->libwrap != CHK_LIBWRAP_YES) {
		/* Preloaded or dlopen()ed: the process is the truth. */
		v->libwrap = CHK_LIBWRAP_YES;
		snprintf(v->libwrap_name, sizeof(v->libwrap_name), "%.255s",
			 base_name(m->maps_path));
		snprintf(v->libwrap_path, sizeof(v->libwrap_path), "%s",
			 m->maps_path);
		snprintf(v->libwrap_chain, sizeof(v->libwrap_chain),
			 "mapped in pid %d (preloaded or dlopen()ed)", m->pid);
	}
	if (m->maps == 1)
		chk_fact_add(facts, FW(LIBWRAP_MAPPED), NULL, CHK_BOOL(1),
			     CHK_STR(m->maps_path), CHK_INT(m->pid));
	else if (m->maps == 0)
		chk_fact_add(facts, FW(LIBWRAP_MAPPED), NULL, CHK_BOOL(0),
			     CHK_NUL, CHK_INT(m->pid));
	chk_elf_deps_free(&d);
	return 0;
}

static void mysqld_facts(const struct chk_mysqld *m, struct chk_facts *facts)
{
	switch (m->src) {
	case CHK_MYSQLD_RUNNING:
		chk_fact_add(facts, FW(MYSQLD_RUNNING), NULL,
			     CHK_STR("running"), CHK_INT(m->pid),
			     m->path[0] ? CHK_STR(m->path) : CHK_NUL,
			     CHK_STR(m->comm));
		/* ENOENT: the process ended after it was found; nothing of
		 * it is left to check. */
		if (m->exe_err && m->exe_err != ENOENT)
			chk_unreadable(facts, "mysqld exe",
				       "readlink /proc/%d/exe: %s", m->pid,
				       strerror(m->exe_err));
		if (m->rootdir[0])
			chk_fact_add(facts, FW(MYSQLD_ROOT), NULL,
				     CHK_STR(m->rootdir));
		break;
	case CHK_MYSQLD_OPTION:
		chk_fact_add(facts, FW(MYSQLD_OPTION), NULL, CHK_STR("option"),
			     CHK_STR(m->path));
		break;
	case CHK_MYSQLD_INSTALLED:
		chk_fact_add(facts, FW(MYSQLD_INSTALLED), NULL,
			     CHK_STR("installed"), CHK_STR(m->path));
		break;
	default:
		chk_fact_add(facts, FW(MYSQLD_NONE), NULL, CHK_STR("none"));
	}
}

static void table_facts(const struct chk_wrappers_view *v, int k,
			struct chk_facts *facts)
{
	const struct chk_wrap_table *t = v->tables[k];
	const char *key = k ? "hosts.deny" : "hosts.allow";
	size_t i, mine = 0;

	if (!t->found) {
		if (t->read_err == ENOENT)
			chk_fact_add(facts, FW(TABLE), key, CHK_STR(t->path),
				     CHK_BOOL(0), CHK_NUL, CHK_NUL, CHK_NUL,
				     CHK_NUL, CHK_NUL);
		else
			chk_unreadable(facts, key, "%s: %s", t->path,
				       strerror(t->read_err));
		return;
	}
	for (i = 0; i < t->nrules; i++)
		mine += chk_wrap_applies(t, i, v->daemons, v->ndaemons) !=
			CHK_WS_NONE;
	chk_fact_add(facts, FW(TABLE), key, CHK_STR(t->path), CHK_BOOL(1),
		     CHK_UINT(t->lines), CHK_UINT(t->nrules), CHK_UINT(mine),
		     CHK_UINT(t->nnotes), CHK_BOOL(t->capped));
	for (i = 0; i < t->nfiles; i++)
		if (t->files[i].unread || t->files[i].err)
			chk_unreadable(facts, "pattern file", "%s: %s",
				       t->files[i].path,
				       t->files[i].unread
					       ? "outside the tables' directory"
					       : strerror(t->files[i].err));
}

/* Which current clients (from the census) libwrap would look up. */
static void census_clients(const struct chk_ctx *ctx,
			   struct chk_wrappers_view *v)
{
	const struct chk_census *c = ctx->census;
	struct in6_addr *seen;
	size_t i, n = 0, k;

	if (!c || !c->tcp_ok)
		return;
	seen = calloc(MAX_CLIENTS, sizeof(*seen));
	if (!seen)
		return;
	for (i = 0; i < c->ntcp && n < MAX_CLIENTS; i++) {
		const struct chk_sock *s = &c->tcp[i];
		struct chk_wrap_query q;
		struct chk_wrap_result r;
		char addr[INET6_ADDRSTRLEN];
		int dup = 0;

		if (!s->server_side || s->state == CHK_TCP_LISTEN)
			continue;
		for (k = 0; k < n && !dup; k++)
			dup = !memcmp(&seen[k], &s->dst, sizeof(s->dst));
		if (dup)
			continue;
		seen[n++] = s->dst;
		if (IN6_IS_ADDR_V4MAPPED(&s->dst))
			inet_ntop(AF_INET, &s->dst.s6_addr[12], addr,
				  sizeof(addr));
		else
			inet_ntop(AF_INET6, &s->dst, addr, sizeof(addr));
		for (k = 0; k < v->ndaemons; k++) {
			memset(&q, 0, sizeof(q));
			q.daemon = v->daemons[k];
			q.client_addr = addr;
			chk_wrap_eval(v->tables[0], v->tables[1], &q, &r);
			if (r.client_name || r.server_name) {
				v->clients_need_name++;
				break;
			}
		}
	}
	v->clients = n;
	free(seen);
}

static void resolver_of(const char *etc, struct chk_wrappers_view *v,
			struct chk_facts *facts)
{
	struct cd_host_facts hf;
	char path[PATH_MAX], *text;
	size_t n;
	FILE *f;

	cd_host_facts_init(&hf);
	snprintf(path, sizeof(path), "%.4000s/resolv.conf", etc);
	f = fopen(path, "re");
	text = f ? malloc(65537) : NULL;
	if (text) {
		n = fread(text, 1, 65536, f);
		text[n] = '\0';
		probe_resolv_facts(&hf, text, NULL);
		free(text);
	}
	if (f)
		fclose(f);
	v->resolv_timeout_s = hf.resolv_timeout_s > 0 ? hf.resolv_timeout_s : 5;
	v->resolv_attempts = hf.resolv_attempts > 0 ? hf.resolv_attempts : 2;
	v->resolv_nameservers = f ? hf.resolv_nameservers : 0;
	chk_fact_add(facts, FW(RESOLVER), NULL, CHK_STR(path),
		     CHK_INT(v->resolv_timeout_s), CHK_INT(v->resolv_attempts),
		     CHK_INT(v->resolv_nameservers),
		     CHK_DBL(chk_resolv_dead_lookup_s(v->resolv_timeout_s,
						      v->resolv_attempts,
						      v->resolv_nameservers)));
}

/* ---- collectors: the process that is the server probed ---- */

#define MAX_ENDPOINTS (CHK_MAX_PORTS + 2)

/* Appends port to v (0 stands for the Unix socket) unless it is there. */
static void add_endpoint(uint16_t *v, size_t *n, uint16_t port)
{
	size_t k;

	for (k = 0; k < *n; k++)
		if (v[k] == port)
			return;
	if (*n < MAX_ENDPOINTS)
		v[(*n)++] = port;
}

/* Where the server is reached, most specific first: the audited target's
 * port or socket, the ports given (the last given first), the socket. */
static size_t server_endpoints(const struct chk_ctx *ctx, uint16_t *v)
{
	size_t n = 0, i;

	if (ctx->server && ctx->server->transport == CD_TCP) {
		const struct sockaddr_in *sin =
			(const struct sockaddr_in *)&ctx->server->addr;

		add_endpoint(v, &n, ntohs(sin->sin_port)); /* same for v6 */
	} else if (ctx->server && ctx->socket_path) {
		add_endpoint(v, &n, 0);
	}
	for (i = ctx->nports; i > 0; i--)
		add_endpoint(v, &n, ctx->ports[i - 1]);
	if (ctx->socket_path)
		add_endpoint(v, &n, 0);
	return n;
}

/* Is census socket (kind, idx) the listener of port (0: the socket)? */
static int is_listener(const struct chk_census *c, int kind, size_t idx,
		       uint16_t port)
{
	if (kind == CHK_FD_TCP)
		return port && c->tcp[idx].state == CHK_TCP_LISTEN &&
		       c->tcp[idx].sport == port;
	return !port && c->unix_[idx].role == CHK_UROLE_LISTENER;
}

/* Whether the census saw a listener on port (0: the Unix socket). */
static int census_listens(const struct chk_census *c, uint16_t port)
{
	size_t i;

	for (i = 0; port && i < c->ntcp; i++)
		if (is_listener(c, CHK_FD_TCP, i, port))
			return 1;
	for (i = 0; !port && i < c->nunix; i++)
		if (is_listener(c, CHK_FD_UNIX, i, port))
			return 1;
	return 0;
}

/* "port 3306" or the socket's path, appended to buf ("a, b"). */
static void endpoint_name(const struct chk_ctx *ctx, uint16_t port, char *buf,
			  size_t len)
{
	size_t used = strlen(buf);

	if (used >= len)
		return;
	if (port)
		snprintf(buf + used, len - used, "%sport %u", used ? ", " : "",
			 (unsigned)port);
	else
		snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
			 ctx->socket_path);
}

enum pick { PICK_BY_NAME, PICK_LISTENER, PICK_ELSEWHERE };

/* Picks the process to examine: the one that owns the listener of the
 * port or socket probed (the census's sock_diag inode found in its
 * /proc/PID/fd), whatever its name (a libwrap proxy in front of mysqld is
 * the one that asks hosts.allow); with no listener on this host while a
 * server was named or a mysqld runs, none: the server is elsewhere and its
 * libwrap cannot be judged from here. PICK_BY_NAME: fall back to the
 * lowest-pid mysqld by name (said why in facts when it matters). */
static enum pick pick_server(const struct chk_ctx *ctx,
			     struct chk_wrappers_view *v,
			     struct chk_facts *facts)
{
	uint16_t eps[MAX_ENDPOINTS];
	size_t n = 0, i, k;
	struct chk_fds fds;
	struct chk_mysqld any;
	unsigned count = 0;
	char err[256] = "", names[256] = "";
	int listened = 0;
	enum pick rc = PICK_BY_NAME;

	if (ctx->mysqld_path || !ctx->census || !ctx->procroot)
		return PICK_BY_NAME;
	n = server_endpoints(ctx, eps);
	if (!n)
		return PICK_BY_NAME;
	find_running(ctx->procroot, &any, &count);
	chk_fds_init(&fds);
	if (chk_fds_scan(&fds, ctx->procroot, ctx->census, err, sizeof(err))) {
		chk_unreadable(facts, "server's process",
			       "%s: examined the lowest-pid mysqld by name",
			       err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < fds.n; k++) {
			const struct chk_fdsock *fd = &fds.v[k];
			char ep[160] = "";

			if (!is_listener(ctx->census, fd->kind, fd->idx,
					 eps[i]))
				continue;
			chk_mysqld_of_pid(ctx->procroot, (int)fd->pid,
					  &v->mysqld);
			endpoint_name(ctx, eps[i], ep, sizeof(ep));
			chk_fact_add(facts, FW(SERVER_LISTENER), NULL,
				     CHK_STR(ep), CHK_INT(fd->pid),
				     CHK_STR(fd->comm), CHK_UINT(fd->inode),
				     CHK_INT(fd->fd), CHK_UINT(count));
			rc = PICK_LISTENER;
			goto out;
		}
		listened |= census_listens(ctx->census, eps[i]);
		endpoint_name(ctx, eps[i], names, sizeof(names));
	}
	if (listened) {
		chk_unreadable(facts, "server's process",
			       "the process listening on %s has a descriptor "
			       "table this user cannot read (%s): examined "
			       "the lowest-pid mysqld by name",
			       names,
			       fds.unreadable_errno
				       ? strerror(fds.unreadable_errno)
				       : "it ended meanwhile");
		goto out;
	}
	/* Nothing here listens where the server is reached. Without a
	 * server named and with no mysqld running, the installed binary is
	 * still worth judging (as before); otherwise the local mysqld is
	 * not the server probed. */
	if (!ctx->server && !count)
		goto out;
	chk_fact_add(facts, FW(NO_LISTENER), NULL, CHK_STR(names),
		     CHK_UINT(count));
	/* names is cut to what the reason's 256 bytes leave room for. */
	snprintf(v->why_unknown, sizeof(v->why_unknown),
		 "nothing on this host listens on %.120s: the server is "
		 "elsewhere, and whether it uses libwrap cannot be judged "
		 "from here",
		 names);
	rc = PICK_ELSEWHERE;
out:
	chk_fds_free(&fds);
	return rc;
}

int chk_slice_wrappers(const struct chk_ctx *ctx, struct chk_facts *facts,
		       struct cd_findings *out)
{
	struct chk_wrappers_view *v;
	struct chk_wrap_table tabs[2];
	char etc[PATH_MAX], paths[2][PATH_MAX], names[64];
	const char *etcroot = ctx->etcroot ? ctx->etcroot : "/etc";
	enum pick pick;
	int k, rc = -1;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -1;
	chk_wrap_table_init(&tabs[0]);
	chk_wrap_table_init(&tabs[1]);
	v->libwrap = CHK_LIBWRAP_UNKNOWN;
	pick = pick_server(ctx, v, facts);
	if (pick == PICK_BY_NAME &&
	    chk_find_mysqld(ctx->procroot, ctx->mysqld_path, NULL,
			    &v->mysqld)) {
		snprintf(v->why_unknown, sizeof(v->why_unknown),
			 "no running mysqld or mariadbd, and no installed "
			 "binary; give one with --mysqld");
	}
	if (pick != PICK_ELSEWHERE)
		mysqld_facts(&v->mysqld, facts);
	if (v->mysqld.src != CHK_MYSQLD_NONE && examine_binary(v, facts))
		goto out;

	/* libwrap's daemon name is argv[0]'s basename (MySQL's
	 * libwrapName); without a process it may be either. */
	if (v->mysqld.argv0[0]) {
		v->daemons[v->ndaemons++] = v->mysqld.argv0;
	} else {
		v->daemons[v->ndaemons++] = "mysqld";
		v->daemons[v->ndaemons++] = "mariadbd";
	}
	chk_fact_add(facts, FW(DAEMON_NAME), NULL,
		     CHK_STR(daemon_names(v, NULL, names, sizeof(names))),
		     CHK_BOOL(v->mysqld.argv0[0]));

	/* A containerised mysqld reads its own /etc. */
	if (v->mysqld.rootdir[0] && !strcmp(etcroot, "/etc"))
		snprintf(etc, sizeof(etc), "%s/etc", v->mysqld.rootdir);
	else
		snprintf(etc, sizeof(etc), "%s", etcroot);
	snprintf(paths[0], sizeof(paths[0]), "%.4000s/hosts.allow", etc);
	snprintf(paths[1], sizeof(paths[1]), "%.4000s/hosts.deny", etc);
	for (k = 0; k < 2; k++) {
		const char *p = k ? ctx->hosts_deny : ctx->hosts_allow;

		if (chk_wrap_load(&tabs[k], p ? p : paths[k], etc))
			goto out;
		v->tables[k] = &tabs[k];
		table_facts(v, k, facts);
	}
	chk_wrap_analyze(v->tables[0], v->tables[1], v->daemons, v->ndaemons,
			 &v->an);
	if (v->an.first_dns >= 0) {
		const struct chk_wrap_step *s = &v->an.steps[v->an.first_dns];

		chk_fact_add(facts, FW(FIRST_DNS_RULE), NULL,
			     CHK_STR(table_name(v, s->table)),
			     CHK_UINT(step_rule(v, s)->line));
	}
	resolver_of(etc, v, facts);
	census_clients(ctx, v);
	if (v->clients)
		chk_fact_add(facts, FW(CLIENTS_NOW), NULL, CHK_UINT(v->clients),
			     CHK_UINT(v->clients_need_name));
	rc = chk_wrappers_rules(v, out);
out:
	chk_wrap_table_free(&tabs[0]);
	chk_wrap_table_free(&tabs[1]);
	free(v);
	return rc;
}
