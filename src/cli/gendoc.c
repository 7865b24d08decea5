/* gendoc.c - cd_gendoc, a build-time host tool: writes conndoctor's manual
 * pages and its bash, zsh and fish completions from the option table
 * (opttab.c) and the finding catalogue, so --help, the manuals and the
 * completions cannot drift apart. Not installed. */
#include "cli/gendoc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CMD_BITS 16

const struct gd_cmd *gd_commands(size_t *n)
{
	static struct gd_cmd all[CMD_BITS];
	static size_t count;
	size_t i;

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
		all[count].cmd = c->flags & CLI_CF_NOOPTS ? 0 : c->cmd;
		all[count].args = c->operands ? c->operands : "";
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
