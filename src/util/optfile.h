/* optfile.h - MySQL option files (my.cnf): [group] sections, key = value
 * lines, quotes and escapes, !include and !includedir, as the mysql client
 * reads them. */
#ifndef CONNDOCTOR_UTIL_OPTFILE_H
#define CONNDOCTOR_UTIL_OPTFILE_H

#include <stddef.h>

/* Called for each option in a wanted group; value is NULL for a bare key.
 * key has '_' turned into '-'. Returns 0 to go on, -1 to stop (errbuf set
 * by the callback). */
typedef int (*cd_optfile_cb)(void *ctx, const char *file, unsigned line,
			     const char *key, const char *value, char *errbuf,
			     size_t errlen);

/* Reads path; options of the groups named in groups (NULL-terminated) go to
 * cb. Returns 0; 1 when the file does not exist (and must_exist is 0); -1
 * on a malformed file or unreadable include, with "file:line: why" in
 * errbuf. */
int cd_optfile_read(const char *path, const char *const *groups, int must_exist,
		    cd_optfile_cb cb, void *ctx, char *errbuf, size_t errlen);

/* Called for every group header (key NULL, value NULL) and every option of
 * any group, with the group's name as written between the brackets (group
 * NULL for an option before the first header). key is as written, '_' not
 * turned into '-', so a caller with keys of its own (labels) keeps them.
 * Returns 0 to go on, -1 to stop (errbuf set by the callback). */
typedef int (*cd_optfile_group_cb)(void *ctx, const char *file, unsigned line,
				   const char *group, const char *key,
				   const char *value, char *errbuf,
				   size_t errlen);

/* Reads path as cd_optfile_read does, handing every group to cb (a file
 * with groups of its own design, such as watch's [target NAME]). Returns 0,
 * or -1 with "file:line: why" in errbuf (a missing file included). */
int cd_optfile_read_all(const char *path, cd_optfile_group_cb cb, void *ctx,
			char *errbuf, size_t errlen);

#endif /* CONNDOCTOR_UTIL_OPTFILE_H */
