#include "arena.h"

#include "alloc.h"

#include <stdint.h>

struct ml_arena_block {
    ml_arena_block *next;
    size_t size;   /* usable bytes in data */
    size_t off;    /* next free offset */
    unsigned char *data;
};

enum { MIN_BLOCK = 64 * 1024 };

void ml_arena_init(ml_arena *a)
{
    a->head = NULL;
    a->used = 0;
    a->capacity = 0;
    a->peak = 0;
}

static ml_arena_block *block_new(size_t size)
{
    /* One malloc for header and data; data aligned by hand.  The total
     * must not wrap around (a wrapped size would give a tiny block). */
    if (size > SIZE_MAX - sizeof(ml_arena_block) - ML_ARENA_ALIGN)
        return NULL;
    ml_arena_block *b = ml_malloc(sizeof *b + size + ML_ARENA_ALIGN);
    if (!b)
        return NULL;
    uintptr_t p = (uintptr_t)(b + 1);
    p = (p + ML_ARENA_ALIGN - 1) & ~(uintptr_t)(ML_ARENA_ALIGN - 1);
    b->data = (unsigned char *)p;
    b->size = size;
    b->off = 0;
    b->next = NULL;
    return b;
}

void *ml_arena_alloc(ml_arena *a, size_t bytes)
{
    size_t need = (bytes + ML_ARENA_ALIGN - 1) & ~(size_t)(ML_ARENA_ALIGN - 1);
    if (need < bytes)
        return NULL;
    if (!need)
        need = ML_ARENA_ALIGN;
    ml_arena_block *b = a->head;
    if (!b || b->size - b->off < need) {
        size_t size = a->capacity > MIN_BLOCK ? a->capacity : MIN_BLOCK;
        if (size < need)
            size = need;
        b = block_new(size);
        if (!b)
            return NULL;
        b->next = a->head;
        a->head = b;
        a->capacity += size;
    }
    void *p = b->data + b->off;
    b->off += need;
    a->used += need;
    if (a->used > a->peak)
        a->peak = a->used;
    return p;
}

void ml_arena_reset(ml_arena *a)
{
    ml_arena_block *b = a->head;
    if (b && b->next) {
        /* Several blocks were needed: replace them by one block holding the
         * whole peak, so the next computation of this size needs one. */
        size_t want = a->peak;
        ml_arena_release(a);
        a->peak = want;
        ml_arena_block *nb = block_new(want);
        if (nb) {
            a->head = nb;
            a->capacity = want;
        }
        return;
    }
    if (b)
        b->off = 0;
    a->used = 0;
}

void ml_arena_release(ml_arena *a)
{
    ml_arena_block *b = a->head;
    while (b) {
        ml_arena_block *next = b->next;
        ml_free(b);
        b = next;
    }
    ml_arena_init(a);
}
