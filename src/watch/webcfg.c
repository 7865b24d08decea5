/* webcfg.c - --web-config FILE in the format of Prometheus'
 * exporter-toolkit (docs/web-configuration.md there): the TLS certificate
 * and key (tls_server_config.cert_file, key_file) and basic auth users
 * (basic_auth_users: NAME: bcrypt hash), read with libyaml, checked with
 * crypt(3) (libxcrypt: $2b$, $2y$, $2a$). Other keys are refused with
 * their line. */
#include <crypt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/fileio.h"
#include "watch/watch.h"

#define WEB_FILE_MAX (64u * 1024)
#define PEM_MAX	     (1024u * 1024)

/* The file's scalar at n, or NULL when n is not a scalar. */
static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
		       ? (const char *)n->data.scalar.value
		       : NULL;
}

/* Reads a PEM file named in the config; relative to the config's
 * folder. */
static int read_pem(const char *cfgpath, const char *name, char **out,
		    char *err, size_t errlen)
{
	char path[4096], dir[4096];
	size_t len;

	if (name[0] == '/') {
		snprintf(path, sizeof(path), "%s", name);
	} else {
		snprintf(dir, sizeof(dir), "%s", cfgpath);
		snprintf(path, sizeof(path), "%s/%s", dirname(dir), name);
	}
	*out = cd_read_text(path, PEM_MAX, &len);
	if (!*out) {
		cd_errf(err, errlen, "cannot read %s", path);
		return -1;
	}
	return 0;
}

static int load_tls(struct watch_web *w, const char *path, yaml_document_t *doc,
		    yaml_node_t *map, char *err, size_t errlen)
{
	yaml_node_pair_t *p;

	if (map->type != YAML_MAPPING_NODE) {
		cd_errf(err, errlen, "%s:%lu: tls_server_config is a mapping",
			path, (unsigned long)map->start_mark.line + 1);
		return -1;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *key = scalar(k), *val = scalar(v);
		char why[256];
		char **dst;

		if (key && !strcmp(key, "cert_file"))
			dst = &w->cert_pem;
		else if (key && !strcmp(key, "key_file"))
			dst = &w->key_pem;
		else {
			cd_errf(err, errlen,
				"%s:%lu: tls_server_config: '%s' is not "
				"supported (cert_file, key_file)",
				path, (unsigned long)k->start_mark.line + 1,
				key ? key : "?");
			return -1;
		}
		if (!val || !*val || *dst) {
			cd_errf(err, errlen, "%s:%lu: %s wants one file name",
				path, (unsigned long)k->start_mark.line + 1,
				key);
			return -1;
		}
		if (read_pem(path, val, dst, why, sizeof(why)) < 0) {
			cd_errf(err, errlen, "%s:%lu: %s: %s", path,
				(unsigned long)v->start_mark.line + 1, key,
				why);
			return -1;
		}
	}
	if (!w->cert_pem != !w->key_pem) {
		cd_errf(err, errlen,
			"%s: tls_server_config needs both cert_file and "
			"key_file",
			path);
		return -1;
	}
	return 0;
}

static int load_users(struct watch_web *w, const char *path,
		      yaml_document_t *doc, yaml_node_t *map, char *err,
		      size_t errlen)
{
	yaml_node_pair_t *p;

	if (map->type != YAML_MAPPING_NODE) {
		cd_errf(err, errlen, "%s:%lu: basic_auth_users is a mapping",
			path, (unsigned long)map->start_mark.line + 1);
		return -1;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *user = scalar(k), *hash = scalar(v);
		unsigned long line = (unsigned long)k->start_mark.line + 1;
		struct watch_web_user *u;

		if (!user || !*user || strlen(user) >= sizeof(u->name) ||
		    strchr(user, ':')) {
			cd_errf(err, errlen,
				"%s:%lu: a user name is 1-127 bytes without "
				"':'",
				path, line);
			return -1;
		}
		if (!hash || strncmp(hash, "$2", 2) ||
		    strlen(hash) >= sizeof(u->hash)) {
			cd_errf(err, errlen,
				"%s:%lu: user %s: the password must be a "
				"bcrypt hash ($2y$..., htpasswd -nBC 10)",
				path, line, user);
			return -1;
		}
		if (w->nusers == WATCH_WEB_USERS_MAX) {
			cd_errf(err, errlen, "%s:%lu: more than %d users", path,
				line, WATCH_WEB_USERS_MAX);
			return -1;
		}
		u = &w->users[w->nusers++];
		snprintf(u->name, sizeof(u->name), "%s", user);
		snprintf(u->hash, sizeof(u->hash), "%s", hash);
	}
	return 0;
}

int watch_web_load(struct watch_web *w, const char *path, char *err,
		   size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_pair_t *p;
	char *text = NULL;
	size_t len;
	int rc = -1, have_doc = 0;

	text = cd_read_text(path, WEB_FILE_MAX, &len);
	if (!text) {
		cd_errf(err, errlen, "--web-config %s: cannot read it", path);
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		cd_errf(err, errlen, "out of memory");
		free(text);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		cd_errf(err, errlen, "%s:%lu: %s", path,
			(unsigned long)parser.problem_mark.line + 1,
			parser.problem ? parser.problem : "not YAML");
		goto out;
	}
	have_doc = 1;
	root = yaml_document_get_root_node(&doc);
	if (!root) { /* an empty file: nothing asked */
		rc = 0;
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		cd_errf(err, errlen, "%s:1: want a mapping of settings", path);
		goto out;
	}
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		const char *key = scalar(k);

		if (key && !strcmp(key, "tls_server_config")) {
			if (load_tls(w, path, &doc, v, err, errlen) < 0)
				goto out;
		} else if (key && !strcmp(key, "basic_auth_users")) {
			if (load_users(w, path, &doc, v, err, errlen) < 0)
				goto out;
		} else {
			cd_errf(err, errlen,
				"%s:%lu: '%s' is not supported "
				"(tls_server_config, basic_auth_users)",
				path, (unsigned long)k->start_mark.line + 1,
				key ? key : "?");
			goto out;
		}
	}
	rc = 0;
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(text);
	if (rc < 0)
		watch_web_free(w);
	return rc;
}

void watch_web_free(struct watch_web *w)
{
	free(w->cert_pem);
	if (w->key_pem) {
		explicit_bzero(w->key_pem, strlen(w->key_pem));
		free(w->key_pem);
	}
	memset(w, 0, sizeof(*w));
}

int watch_web_check(const struct watch_web *w, const char *user,
		    const char *password)
{
	struct crypt_data cd;
	const char *h;
	unsigned i;
	size_t n, j;
	unsigned char diff = 0;
	int found = -1;

	for (i = 0; i < w->nusers; i++)
		if (!strcmp(w->users[i].name, user))
			found = (int)i;
	if (found < 0)
		return 0;
	memset(&cd, 0, sizeof(cd));
	h = crypt_r(password, w->users[found].hash, &cd);
	if (!h || h[0] == '*') {
		explicit_bzero(&cd, sizeof(cd));
		return 0;
	}
	n = strlen(w->users[found].hash);
	if (strlen(h) != n) {
		explicit_bzero(&cd, sizeof(cd));
		return 0;
	}
	for (j = 0; j < n; j++) /* the same time whatever differs */
		diff |= (unsigned char)(h[j] ^ w->users[found].hash[j]);
	explicit_bzero(&cd, sizeof(cd));
	return diff == 0;
}
