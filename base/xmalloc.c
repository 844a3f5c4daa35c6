#include "config.h"

#include "base/xmalloc.h"

#include <stdint.h>
#include <stdlib.h>

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
