#include "alloc.h"

#include <stdlib.h>

/* Failure injection state: tests only, documented as not thread-safe. */
static long fail_countdown;
static long alloc_count;

static int should_fail(void)
{
    alloc_count++;
    if (fail_countdown > 0 && --fail_countdown == 0)
        return 1;
    return 0;
}

void *ml_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *ml_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *ml_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void ml_free(void *p)
{
    free(p);
}

void ml_alloc_fail_after(long n)
{
    fail_countdown = n;
}

long ml_alloc_count(void)
{
    return alloc_count;
}
