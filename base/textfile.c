/*
 * base/textfile.c — a small text file read whole (base/textfile.h).
 */
#include "config.h"

#include "base/textfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
textfile_read(const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = fopen(path, "re");

	/* getdelim() on NUL: up to the first NUL or the end, one call;
	 * an empty file is an empty text (the parser says what is missing). */
	if (fp != NULL && getdelim(&text, &len, '\0', fp) == -1 &&
	    !ferror(fp)) {
		free(text);
		text = calloc(1, 1);
	}
	if (fp == NULL || text == NULL || ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path,
		    fp == NULL ? strerror(errno) : "cannot read it");
		if (fp != NULL)
			fclose(fp);
		free(text);
		return NULL;
	}
	fclose(fp);
	return text;
}
