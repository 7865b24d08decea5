/* help.c - each command's --help, generated from the option table
 * (opttab.c): the command's text, then every option that applies to it,
 * grouped by section, with its argument, range and choices. */
#include <stdio.h>
#include <string.h>

#include "cli/opttab.h"

#define WIDTH	   79
#define HELP_COL   27
#define CHOICE_MAX 512

/* Writes text from column col, wrapped at WIDTH, continuation lines
 * indented to indent. */
static void wrap(FILE *out, const char *text, size_t col, size_t indent)
{
	const char *p = text;
	int first = 1;

	while (*p) {
		size_t word = strcspn(p, " ");

		if (!first && col + 1 + word > WIDTH) {
			fprintf(out, "\n%*s", (int)indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', out);
			col++;
		}
		first = 0;
		fwrite(p, 1, word, out);
		col += word;
		p += word;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

/* The choices of a row joined with sep. */
static void choices(const struct cli_optdef *d, const char *sep, char *out,
		    size_t len)
{
	size_t i, used = 0;
	const char *c;

	out[0] = '\0';
	for (i = 0; d->choice && (c = d->choice(i)) && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s",
					 i ? sep : "", c);
}

/* "  -h, --host=NAME", "      --password[=PW]", "  -4". */
static size_t left_column(FILE *out, const struct cli_optdef *d)
{
	char meta[CHOICE_MAX];
	int n;

	if (d->metavar)
		snprintf(meta, sizeof(meta), "%s", d->metavar);
	else
		choices(d, "|", meta, sizeof(meta));
	n = fprintf(out, "  %c%c%s", d->short_name ? '-' : ' ',
		    d->short_name ? d->short_name : ' ',
		    d->short_name && d->name ? ", " : "  ");
	if (!d->name)
		return (size_t)n;
	n += fprintf(out, "--%s", d->name);
	if (d->arg == CLI_ARG_OPTIONAL)
		n += fprintf(out, "[=%s]", meta);
	else if (d->arg != CLI_ARG_NONE)
		n += fprintf(out, "=%s", meta);
	return (size_t)n;
}

static void option_line(FILE *out, const struct cli_optdef *d)
{
	char text[1024], extra[CHOICE_MAX];
	size_t col = left_column(out, d);

	snprintf(text, sizeof(text), "%s", d->help);
	if (d->choice && d->metavar) {
		choices(d, ", ", extra, sizeof(extra));
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 ": %s", extra);
	}
	if (d->arg == CLI_ARG_UINT || d->arg == CLI_ARG_REAL) {
		cli_opt_range(d, extra, sizeof(extra));
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "; %s from %s", d->metavar, extra);
	}
	if (col + 2 > HELP_COL) {
		fputs("  ", out);
		col += 2;
	} else {
		fprintf(out, "%*s", (int)(HELP_COL - col), "");
		col = HELP_COL;
	}
	wrap(out, text, col, HELP_COL);
}

/* The environment variables that set the command's options. */
static void env_line(FILE *out, enum cli_cmd cmd, const struct cli_optdef *t,
		     size_t n)
{
	char text[512] = "Environment (between the option files and the "
			 "command line, as with the mysql client):";
	size_t i, used = strlen(text);
	const char *sep = " ";

	for (i = 0; i < n && used < sizeof(text); i++) {
		if (!(t[i].commands & cmd) || !t[i].env)
			continue;
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "%s%s", sep, t[i].env);
		sep = ", ";
	}
	if (*sep == ' ')
		return; /* none */
	fputc('\n', out);
	wrap(out, text, 0, 0);
}

void cli_usage(FILE *out, enum cli_cmd cmd)
{
	const struct cli_cmddef *c = cli_cmd_def(cmd);
	const struct cli_optdef *t;
	size_t n, i;
	int s, shown;

	if (!c)
		return;
	t = cli_opttab(&n);
	fprintf(out, "usage: conndoctor %s\n\n", c->usage);
	wrap(out, c->about, 0, 0);
	for (s = 0; s < CLI_SEC__COUNT; s++) {
		shown = 0;
		for (i = 0; i < n; i++) {
			if (!(t[i].commands & cmd) ||
			    t[i].section != (enum cli_section)s)
				continue;
			if (!shown) {
				fputc('\n', out);
				fprintf(out, "%s:\n",
					cli_section_title((enum cli_section)s));
				shown = 1;
			}
			option_line(out, &t[i]);
		}
	}
	env_line(out, cmd, t, n);
	fputc('\n', out);
	wrap(out, c->footer, 0, 0);
}
