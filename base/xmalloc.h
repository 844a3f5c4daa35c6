#ifndef QURE_XMALLOC_H
#define QURE_XMALLOC_H

/*
 * Allocation that cannot fail: on exhaustion these log and abort()
 * (doc/style.md §4). Free the results with free().
 */

#include <stddef.h>

/* Zeroed; nmemb * size is overflow-checked. */
void *xcalloc(size_t nmemb, size_t size);
/* nmemb * size is overflow-checked; ptr may be NULL. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);

#endif
