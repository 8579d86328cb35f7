#include "core/pool.h"

#include "core/alloc.h"

#include <pthread.h>
#include <stdatomic.h>

struct ml_pool {
    int nthreads;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    unsigned long generation;  /* bumped for each run */
    int busy;                  /* helper threads still in the current run */
    int quit;
    ml_pool_fn fn;
    void *ctx;
    size_t n;
    atomic_size_t next;
};

typedef struct worker_arg {
    ml_pool *pool;
    int id;
} worker_arg;

static void drain(ml_pool *p, int worker)
{
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n)
            break;
        p->fn(p->ctx, i, worker);
    }
}

static void *worker_main(void *arg)
{
    worker_arg *wa = arg;
    ml_pool *p = wa->pool;
    int id = wa->id;
    ml_free(wa);
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->generation == seen)
            pthread_cond_wait(&p->start, &p->mu);
        if (p->quit)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        drain(p, id);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void stop_threads(ml_pool *p, int started)
{
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < started; i++)
        pthread_join(p->threads[i], NULL);
}

ml_status ml_pool_create(ml_pool **out, int nthreads)
{
    if (nthreads < 1)
        nthreads = 1;
    ml_pool *p = ml_calloc(1, sizeof *p);
    if (!p)
        return ML_ERR_NOMEM;
    p->nthreads = nthreads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->next, 0);
    if (nthreads > 1) {
        p->threads = ml_calloc((size_t)(nthreads - 1), sizeof *p->threads);
        if (!p->threads) {
            p->nthreads = 1; /* no thread to stop in ml_pool_free */
            ml_pool_free(p);
            return ML_ERR_NOMEM;
        }
        for (int i = 0; i < nthreads - 1; i++) {
            worker_arg *wa = ml_malloc(sizeof *wa);
            if (wa) {
                wa->pool = p;
                wa->id = i + 1;
            }
            if (!wa || pthread_create(&p->threads[i], NULL, worker_main, wa) != 0) {
                ml_free(wa);
                stop_threads(p, i);
                p->nthreads = 1; /* nothing left to join in ml_pool_free */
                ml_pool_free(p);
                return ML_ERR_NOMEM;
            }
        }
    }
    *out = p;
    return ML_OK;
}

int ml_pool_threads(const ml_pool *p)
{
    return p->nthreads;
}

void ml_pool_run(ml_pool *p, size_t n, ml_pool_fn fn, void *ctx)
{
    if (p->nthreads == 1 || n <= 1) {
        for (size_t i = 0; i < n; i++)
            fn(ctx, i, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    atomic_store(&p->next, 0);
    p->busy = p->nthreads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    drain(p, 0);
    pthread_mutex_lock(&p->mu);
    while (p->busy > 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void ml_pool_free(ml_pool *p)
{
    if (!p)
        return;
    if (p->nthreads > 1)
        stop_threads(p, p->nthreads - 1);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->done);
    ml_free(p->threads);
    ml_free(p);
}
