/* Every heap allocation of the library goes through these wrappers, so one
 * place can count, fail on purpose (tests) or be replaced. */
#ifndef ML_CORE_ALLOC_H
#define ML_CORE_ALLOC_H

#include <stddef.h>

void *ml_malloc(size_t n);
void *ml_calloc(size_t count, size_t size);
void *ml_realloc(void *p, size_t n);
void ml_free(void *p);

/* Test hook: make the n-th allocation from now fail (1 = the next one);
 * 0 turns failure injection off.  Tests only: with several threads, which
 * allocation is the n-th is up to the scheduler. */
void ml_alloc_fail_after(long n);
/* Number of allocations made since the process started (tests). */
long ml_alloc_count(void);

#endif
