#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>

/* Failure injection state (tests).  Atomics, because the library
 * allocates from its worker threads; relaxed order is enough for a count. */
static atomic_long fail_countdown;
static atomic_long alloc_count;

static int should_fail(void)
{
    atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
    if (atomic_load_explicit(&fail_countdown, memory_order_relaxed) <= 0)
        return 0;
    return atomic_fetch_sub_explicit(&fail_countdown, 1, memory_order_relaxed) == 1;
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
    atomic_store_explicit(&fail_countdown, n, memory_order_relaxed);
}

long ml_alloc_count(void)
{
    return atomic_load_explicit(&alloc_count, memory_order_relaxed);
}
