/*
 * src/site_conf.c — qured's own keys among the site settings
 * (src/site_conf.h).
 */
#include "config.h"

#include "src/site_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmalloc.h"
#include "src/conf.h"

/* "section.name" into its parts; false if there is no dot. */
static bool
split(const char *key, char *section, size_t slen, const char **name)
{
	const char *dot = strchr(key, '.');

	if (dot == NULL || (size_t)(dot - key) >= slen)
		return false;
	memcpy(section, key, (size_t)(dot - key));
	section[dot - key] = '\0';
	*name = dot + 1;
	return true;
}

/* The key table's row of section/name, or -1. */
static int
row_of(const char *section, const char *name)
{
	struct conf_keyinfo k;
	size_t i;

	for (i = 0; conf_key_info(i, &k); i++)
		if (strcmp(k.section, section) == 0 && strcmp(k.key, name) == 0)
			return (int)i;
	return -1;
}

/* Sections each host sets for itself: [http] listen names an address
 * of one host, and the others would not start with it (issue 14). */
static bool
is_host_section(const char *section)
{
	return strcmp(section, "node") == 0 ||
	       strcmp(section, "cluster") == 0 || strcmp(section, "http") == 0;
}

int
site_conf_check_key(const char *key, char *err, size_t errlen)
{
	char section[SETTINGS_KEY_MAX + 1];
	const char *name = "";

	if (settings_check_key(key) != SETTINGS_OK ||
	    !split(key, section, sizeof(section), &name)) {
		snprintf(err, errlen, "%s: %s", key,
		    settings_strerror(SETTINGS_E_KEY));
		return -1;
	}
	if (strcmp(section, "app") == 0)
		return 0;
	if (is_host_section(section)) {
		snprintf(err, errlen,
		    "%s: [%s] is each host's own, not a site setting (set it "
		    "in qured.conf)",
		    key, section);
		return -1;
	}
	if (row_of(section, name) == -1) {
		snprintf(err, errlen,
		    "%s: not a key of qured.conf(5) (app.NAME for the "
		    "application's own)",
		    key);
		return -1;
	}
	return 0;
}

/* The rows the file sets (origin), or -1 if it does not load. */
static int
file_origin(const char *text, const char *path, struct conf *out,
    struct conf_origin *origin, char *err, size_t errlen)
{
	return conf_load_string_origin(text, path, out, origin, err, errlen);
}

/* Whether entry e goes over the file: one of qured's keys the file
 * leaves unset, with a value. */
static bool
applies(const struct settings_entry *e, const struct conf_origin *origin)
{
	char section[SETTINGS_KEY_MAX + 1];
	const char *name = "";
	int row;

	if (e->value == NULL || !split(e->key, section, sizeof(section), &name))
		return false;
	if (strcmp(section, "app") == 0 || is_host_section(section))
		return false;
	row = row_of(section, name);
	return row >= 0 && origin->line[row] == 0;
}

static unsigned
count_lines(const char *text)
{
	unsigned n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/*
 * text + "\n" + one "[section]\nname = value\n" per entry that applies
 * and is not left; line_of[k]: the entry whose value is on line k.
 */
static char *
overlay(const char *text, const struct settings *set,
    const struct conf_origin *origin, const bool *left, int *line_of,
    size_t nlines)
{
	size_t cap = strlen(text) + 2 +
		     settings_count(set) *
			 (2 * SETTINGS_KEY_MAX + 8 + SETTINGS_VALUE_MAX);
	char *out = xcalloc(1, cap), section[SETTINGS_KEY_MAX + 1];
	unsigned line = count_lines(text) + 2;
	const struct settings_entry *e;
	const char *name = "";
	size_t i, used;

	used = (size_t)snprintf(out, cap, "%s\n", text);
	for (i = 0; i < settings_count(set); i++) {
		e = settings_at(set, i);
		if (left[i] || !applies(e, origin))
			continue;
		(void)split(e->key, section, sizeof(section), &name);
		used += (size_t)snprintf(out + used, cap - used,
		    "[%s]\n%s = %.*s\n", section, name, (int)e->value_len,
		    e->value);
		if (line + 1 < nlines) {
			line_of[line] = (int)i;
			line_of[line + 1] = (int)i;
		}
		line += 2;
	}
	return out;
}

/* The line number in "PATH:LINE: ..." (0 if none). */
static unsigned
error_line(const char *err, const char *path)
{
	size_t n = strlen(path);

	if (strncmp(err, path, n) != 0 || err[n] != ':')
		return 0;
	return (unsigned)strtoul(err + n + 1, NULL, 10);
}

int
site_conf_load(const char *text, const char *path, const struct settings *set,
    struct conf *out, bool *left, char *err, size_t errlen)
{
	static struct conf_origin origin; /* one loop: off the stack */
	bool own_left[SETTINGS_MAX] = {false};
	char why[512];
	int *line_of;
	size_t nlines, tries;
	unsigned line;
	char *all;
	int rc = -1;

	if (left == NULL)
		left = own_left;
	memset(left, 0, SETTINGS_MAX * sizeof(*left));
	if (file_origin(text, path, out, &origin, err, errlen) == -1)
		return -1;
	if (set == NULL)
		return 0;
	nlines = count_lines(text) + 4 + 2 * settings_count(set) + 2;
	line_of = xcalloc(nlines, sizeof(*line_of));
	for (tries = 0; tries <= settings_count(set); tries++) {
		memset(line_of, 0xff, nlines * sizeof(*line_of)); /* -1 */
		all = overlay(text, set, &origin, left, line_of, nlines);
		if (conf_load_string(all, path, out, why, sizeof(why)) == 0) {
			free(all);
			rc = 0;
			break;
		}
		free(all);
		line = error_line(why, path);
		if (line == 0 || line >= nlines || line_of[line] < 0) {
			/* Not one entry's: the site's values all stay out. */
			log_warnx(
			    "site: the settings do not apply over %s: %s; "
			    "running on the file alone",
			    path, why);
			(void)file_origin(
			    text, path, out, &origin, err, errlen);
			rc = 0;
			break;
		}
		log_warnx("site: %s = %.60s is left out: %s",
		    settings_at(set, (size_t)line_of[line])->key,
		    settings_at(set, (size_t)line_of[line])->value, why);
		left[line_of[line]] = true;
	}
	free(line_of);
	return rc;
}

const char *
site_conf_source(const char *text, const char *path, const char *key)
{
	static struct conf_origin origin;
	static struct conf c;
	char section[SETTINGS_KEY_MAX + 1], err[256];
	const char *name = "";
	int row;

	if (!split(key, section, sizeof(section), &name) ||
	    strcmp(section, "app") == 0)
		return "app";
	row = row_of(section, name);
	if (row >= 0 &&
	    file_origin(text, path, &c, &origin, err, sizeof(err)) == 0 &&
	    origin.line[row] != 0)
		return "file";
	return "site";
}

int
site_conf_check_value(const char *text, const char *path, const char *key,
    const char *value, char *err, size_t errlen)
{
	static struct conf_origin origin;
	static struct conf c;
	char section[SETTINGS_KEY_MAX + 1], *all;
	struct settings_entry e = {.value = value};
	const char *name = "";
	size_t cap;
	int rc;

	if (strlen(key) > SETTINGS_KEY_MAX)
		return 0; /* the settings refuse it with their reason */
	memcpy(e.key, key, strlen(key) + 1);
	e.value_len = strlen(value);
	if (file_origin(text, path, &c, &origin, err, errlen) == -1 ||
	    !applies(&e, &origin))
		return 0;
	(void)split(key, section, sizeof(section), &name);
	cap = strlen(text) + strlen(key) + strlen(value) + 16;
	all = xcalloc(1, cap);
	snprintf(all, cap, "%s\n[%s]\n%s = %s\n", text, section, name, value);
	rc = conf_load_string(all, path, &c, err, errlen);
	free(all);
	if (rc == -1 && error_line(err, path) != 0) {
		/* "PATH:LINE: [dmz] ports: ...": the line is not the file's */
		const char *rest = strchr(err + strlen(path) + 1, ':');

		if (rest != NULL && rest[1] == ' ')
			memmove(err, rest + 2, strlen(rest + 2) + 1);
	}
	return rc;
}
