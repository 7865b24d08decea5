/* main.c - conndoctor's front end: picks the command (each lives in its
 * cmd_NAME.c) and prints the documentation of findings. Everything else
 * lives in the engine modules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "findings/findings.h"
#include "report/report.h"

#define DEFAULT_SOCKET "/run/mysqld/mysqld.sock"
#define KEY_MAX	       (64 * 1024)

static void usage(FILE *out)
{
	fputs("usage: conndoctor COMMAND [OPTIONS]\n"
	      "\n"
	      "Finds out why connections to MySQL and MariaDB stall, drop or\n"
	      "\"go away\", and proves it with measurements.\n"
	      "\n"
	      "commands:\n"
	      "  diagnose       the main job: probe the server (TCP and, when "
	      "local, the\n"
	      "                 socket), audit this host and the server, and "
	      "print the\n"
	      "                 root cause first with its evidence and fix\n"
	      "  probe          open connections like an application, time "
	      "every phase,\n"
	      "                 classify failures and name the pattern\n"
	      "  check          audit this host: kernel settings, sockets, "
	      "TCP wrappers,\n"
	      "                 resolver, firewall and conntrack, fd hygiene\n"
	      "  pcap FILE      rebuild every TCP connection and MySQL session "
	      "of a capture\n"
	      "                 (or --live IFACE) and say where each went "
	      "wrong\n"
	      "  trace          read the kernel's TCP events for the MySQL "
	      "port live (eBPF)\n"
	      "  watch          probe targets continuously and serve "
	      "Prometheus metrics\n"
	      "                 (docs/watch.md)\n"
	      "  explain [CODE] print the documentation of a finding (all "
	      "codes without one)\n"
	      "  help           this text; `conndoctor probe --help` for "
	      "the probe's options\n"
	      "  version        print the version\n"
	      "\n"
	      "Exit status: 0 healthy, 1 warnings, 2 critical findings, 64 "
	      "usage error,\n"
	      "69 target unavailable. probe and diagnose with --nagios: 0 OK, "
	      "1 WARNING,\n"
	      "2 CRITICAL (69 too), 3 UNKNOWN (64 too). The table: "
	      "docs/exit-status.md.\n",
	      out);
}

static int cmd_explain(int argc, char **argv)
{
	const struct cd_finding_def *defs;
	const char *doc;
	size_t n, i;

	if (argc < 2) {
		defs = cd_catalogue(&n);
		for (i = 0; i < n; i++)
			printf("%s  %-12s %s\n", defs[i].code,
			       cd_layer_name(defs[i].layer), defs[i].title);
		return CD_EXIT_OK;
	}
	if (argc > 2) {
		fprintf(stderr, "conndoctor explain: one code at a time\n");
		return CD_EXIT_USAGE;
	}
	doc = cd_finding_doc(argv[1]);
	if (!doc) {
		fprintf(stderr,
			"conndoctor explain: unknown code '%s' (`conndoctor "
			"explain` lists them)\n",
			argv[1]);
		return CD_EXIT_USAGE;
	}
	fputs(doc, stdout);
	return CD_EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage(stderr);
		return CD_EXIT_USAGE;
	}
	if (!strcmp(cmd, "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (!strcmp(cmd, "diagnose"))
		return cmd_diagnose(argc - 1, argv + 1);
	if (!strcmp(cmd, "pcap"))
		return cmd_pcap(argc - 1, argv + 1);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(cmd, "trace"))
		return cmd_trace(argc - 1, argv + 1);
	if (!strcmp(cmd, "watch"))
		return cmd_watch(argc - 1, argv + 1);
	if (!strcmp(cmd, "explain"))
		return cmd_explain(argc - 1, argv + 1);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "-?")) {
		usage(stdout);
		return CD_EXIT_OK;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("conndoctor %s\n", CD_VERSION);
		return CD_EXIT_OK;
	}
	fprintf(stderr,
		"conndoctor: unknown command '%s' (try `conndoctor "
		"help`)\n",
		cmd);
	return CD_EXIT_USAGE;
}
