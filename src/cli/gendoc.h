/* gendoc.h - the build-time generator of manual pages and shell completions
 * (cd_gendoc): what its two halves share, all read from the option table
 * (opttab.h) and the finding catalogue. */
#ifndef CONNDOCTOR_CLI_GENDOC_H
#define CONNDOCTOR_CLI_GENDOC_H

#include <stddef.h>
#include <stdio.h>

#include "cli/opttab.h"

/* One command of `conndoctor`, as conndoctor(1) and the completions list
 * it. */
struct gd_cmd {
	const char *name;
	const char *summary; /* one line, no final full stop */
	/* The table's command (its options, its own page); 0: a command
	 * without options (CLI_CF_NOOPTS: explain, help, version). */
	enum cli_cmd cmd;
	const char *args; /* its operands ("FILE...", "[CODE]"), or "" */
};

/* Every command of the table (cli_cmd_def()), in its bit order; *n set to
 * the count. */
const struct gd_cmd *gd_commands(size_t *n);
/* The i-th CLI_ARG_CHOICE (or LIST) word of an option, NULL past the last. */
const char *gd_choice(const struct cli_optdef *d, size_t i);
/* Whether an option's value names a file (metavar FILE, PATH or DIR). */
int gd_is_file(const struct cli_optdef *d);

/* The man pages into dir (man1/, man5/ made there); date and version for
 * .TH; docsrc: the source's docs/ (a page points to docs/NAME.md when it
 * exists), docdir: where they are installed. Returns 0, or -1 with a
 * message on stderr. */
int gd_man(const char *dir, const char *date, const char *version,
	   const char *docsrc, const char *docdir);
/* A completion script on out: shell is "bash", "zsh" or "fish". Returns 0,
 * -1 for an unknown shell. */
int gd_completion(FILE *out, const char *shell);

#endif /* CONNDOCTOR_CLI_GENDOC_H */
