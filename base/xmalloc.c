#include "config.h"

#include "base/xmalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

/* Out of memory is not survivable in a daemon that must not half-work. */
static void
oom(size_t nmemb, size_t size)
{
	log_warnx(
	    "xmalloc: out of memory allocating %zu x %zu bytes", nmemb, size);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p;

	p = malloc(size != 0 ? size : 1);
	if (p == NULL)
		oom(1, size);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	p = calloc(nmemb, size);
	if (p == NULL)
		oom(nmemb, size);
	return p;
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		oom(nmemb, size);
	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	p = realloc(ptr, nmemb * size);
	if (p == NULL)
		oom(nmemb, size);
	return p;
}

char *
xstrdup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *p;

	p = xmalloc(len);
	memcpy(p, s, len);
	return p;
}
