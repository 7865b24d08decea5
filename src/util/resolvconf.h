/* resolvconf.h - resolv.conf(5) text as glibc's resolver reads it: the
 * nameservers it uses, search domains and options, with RES_OPTIONS
 * applied. Pure: the caller reads the file. */
#ifndef CONNDOCTOR_UTIL_RESOLVCONF_H
#define CONNDOCTOR_UTIL_RESOLVCONF_H

#define CD_RESOLV_MAXNS	 3 /* glibc's MAXNS */
#define CD_RESOLV_NS_STR 48

struct cd_resolv_conf {
	unsigned nns; /* nameservers used (<= 3) */
	char ns[CD_RESOLV_MAXNS]
	       [CD_RESOLV_NS_STR];	/* their addresses, as text */
	unsigned nns_ignored;		/* nameserver lines beyond 3 */
	int timeout_s, attempts, ndots; /* with glibc's defaults */
	int rotate;
	unsigned nsearch; /* search domains */
	int found;	  /* the file was read */
};

/* Parses resolv.conf text (NUL-terminated); RES_OPTIONS-style words may
 * follow in res_options (NULL: none). */
void cd_resolv_conf_parse(const char *text, const char *res_options,
			  struct cd_resolv_conf *r);

#endif /* CONNDOCTOR_UTIL_RESOLVCONF_H */
