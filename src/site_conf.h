/*
 * src/site_conf.h — qured's own keys among the site settings (issue 11
 * item 1): the running config is the local file, then the site's value
 * of each key the file does not set, then the defaults. The keys of
 * [node] and [cluster] (the name, the interface, the key file) are each
 * host's own: never site settings. app.NAME is the application's.
 */
#ifndef QURE_SITE_CONF_H
#define QURE_SITE_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "store/settings.h"

struct conf;

/*
 * Whether key may be set as a site setting: app.NAME, or a key of
 * qured.conf(5) outside [node] and [cluster]. 0, or -1 with one line
 * in err saying why not.
 */
int site_conf_check_key(const char *key, char *err, size_t errlen);

/*
 * The file's text (named path in messages) with the site's values of the
 * keys it does not set: 0 with *out, or -1 with err when the file alone
 * does not load. A site value that does not parse is left out and said
 * in one log line; left[i] (SETTINGS_MAX entries, may be NULL) marks
 * the settings' entries i left out so.
 */
int site_conf_load(const char *text, const char *path,
    const struct settings *set, struct conf *out, bool *left, char *err,
    size_t errlen);

/*
 * Whether value would parse as key's over this host's file (text, path):
 * 0, or -1 with the parser's line in err. An app.NAME key, or one the
 * file sets, always passes.
 */
int site_conf_check_value(const char *text, const char *path, const char *key,
    const char *value, char *err, size_t errlen);

/* Where key's value comes from: "file" (the local file sets it: the
 * site's does not apply), "site", or "app" (the application's). */
const char *site_conf_source(
    const char *text, const char *path, const char *key);

#endif
