/* gendoc.c - cd_gendoc, a build-time host tool: writes conndoctor's manual
 * pages and its bash, zsh and fish completions from the option table
 * (opttab.c) and the finding catalogue, so --help, the manuals and the
 * completions cannot drift apart. Not installed. */
#include "cli/gendoc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Commands with their own small parser (or none): they are listed here
 * until their options join the table, and drop out of this list by
 * themselves once cli_cmd_def() knows them. */
static const struct gd_cmd frontend_only[] = {
	{"pcap",
	 "rebuild every TCP connection and MySQL session of a capture (or "
	 "--live IFACE) and say where each went wrong",
	 0, "FILE"},
	{"trace", "read the kernel's TCP events for the MySQL port live (eBPF)",
	 0, ""},
	{"watch",
	 "probe targets continuously and serve Prometheus metrics on /metrics",
	 0, ""},
	{"explain",
	 "print the documentation of a finding (every code without one)", 0,
	 "[CODE]"},
	{"help", "print the list of commands", 0, ""},
	{"version", "print the version", 0, ""},
};

#define NFRONT	 (sizeof(frontend_only) / sizeof(frontend_only[0]))
#define CMD_BITS 16
#define CMD_MAX	 (CMD_BITS + NFRONT)

const struct gd_cmd *gd_commands(size_t *n)
{
	static struct gd_cmd all[CMD_MAX];
	static size_t count;
	size_t i, k;

	if (count) {
		*n = count;
		return all;
	}
	/* The table's commands in bit order (probe, diagnose, check, ...). */
	for (i = 0; i < CMD_BITS; i++) {
		const struct cli_cmddef *c =
			cli_cmd_def((enum cli_cmd)(1u << i));

		if (!c)
			continue;
		all[count].name = c->name;
		all[count].summary = c->summary ? c->summary : c->name;
		all[count].cmd = c->cmd;
		all[count].args = "";
		count++;
	}
	for (i = 0; i < NFRONT; i++) {
		for (k = 0; k < count; k++)
			if (!strcmp(all[k].name, frontend_only[i].name))
				break;
		if (k < count)
			continue; /* it has joined the table */
		all[count] = frontend_only[i];
		all[count].cmd = 0;
		count++;
	}
	*n = count;
	return all;
}

const char *gd_choice(const struct cli_optdef *d, size_t i)
{
	return d->choice ? d->choice(i) : NULL;
}

int gd_is_file(const struct cli_optdef *d)
{
	return d->metavar && d->arg != CLI_ARG_NONE &&
	       (!strcmp(d->metavar, "FILE") || !strcmp(d->metavar, "PATH") ||
		!strcmp(d->metavar, "DIR"));
}

static void usage(void)
{
	fputs("usage: cd_gendoc man DIR DATE VERSION DOCSRC DOCDIR\n"
	      "       cd_gendoc completion bash|zsh|fish FILE\n",
	      stderr);
}

/* Writes the shell's completion script to path. */
static int completion(const char *shell, const char *path)
{
	FILE *out = fopen(path, "w");
	int rc, bad;

	if (!out) {
		fprintf(stderr, "cd_gendoc: %s: %s\n", path, strerror(errno));
		return 1;
	}
	rc = gd_completion(out, shell);
	bad = ferror(out);
	if (fclose(out) || bad) {
		fprintf(stderr, "cd_gendoc: %s: write error\n", path);
		return 1;
	}
	if (rc) {
		usage();
		return 64;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "man"))
		return gd_man(argv[2], argv[3], argv[4], argv[5], argv[6]) ? 1
									   : 0;
	if (argc == 4 && !strcmp(argv[1], "completion"))
		return completion(argv[2], argv[3]);
	usage();
	return 64;
}
