/* color.c - whether output gets ANSI colour: the one decision, from
 * --color=auto|always|never, NO_COLOR (no-color.org), FORCE_COLOR
 * (force-color.org) and whether the output is a terminal. */
#include "cli/cli.h"

#include <stdlib.h>
#include <unistd.h>

/* Set and not empty, as both conventions define "present". */
static int present(const char *v)
{
	return v && *v;
}

int cli_color_decide(enum cli_color mode, int is_tty, const char *no_color,
		     const char *force_color)
{
	/* The command line (and option files) beat the environment, as
	 * no-color.org and force-color.org both ask. */
	if (mode == CLI_COLOR_ALWAYS)
		return 1;
	if (mode == CLI_COLOR_NEVER)
		return 0;
	/* Asked both ways at once, the request to turn colour off wins: it
	 * is the one a reader may need (a screen reader, a log). */
	if (present(no_color))
		return 0;
	if (present(force_color))
		return 1;
	return is_tty;
}

int cli_color_enabled(enum cli_color mode, int fd)
{
	return cli_color_decide(mode, isatty(fd) == 1, getenv("NO_COLOR"),
				getenv("FORCE_COLOR"));
}
