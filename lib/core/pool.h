/* A small pool of worker threads that runs a loop of independent items.
 * The calling thread works too, as worker 0, so a pool of one thread
 * starts no thread at all. */
#ifndef ML_CORE_POOL_H
#define ML_CORE_POOL_H

#include "metalearn.h"

#include <stddef.h>

typedef struct ml_pool ml_pool;
typedef void (*ml_pool_fn)(void *ctx, size_t item, int worker);

ml_status ml_pool_create(ml_pool **out, int nthreads);
int ml_pool_threads(const ml_pool *p);
/* Runs fn(ctx, i, worker) for i in [0, n), items spread over the workers;
 * returns when all are done.  Which worker runs which item varies, so
 * results must be written per item and combined in item order. */
void ml_pool_run(ml_pool *p, size_t n, ml_pool_fn fn, void *ctx);
void ml_pool_free(ml_pool *p);

#endif
