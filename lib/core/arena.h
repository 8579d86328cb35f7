/* Arena allocator: everything of one computation comes from here and is
 * released at once by ml_arena_reset().  After a reset the arena keeps one
 * block as large as everything the previous computation used, so a
 * computation repeated with the same shapes does no malloc at all. */
#ifndef ML_CORE_ARENA_H
#define ML_CORE_ARENA_H

#include <stddef.h>

#define ML_ARENA_ALIGN 64

typedef struct ml_arena_block ml_arena_block;

typedef struct ml_arena {
    ml_arena_block *head;  /* current block; older blocks follow ->next */
    size_t used;           /* bytes handed out since the last reset */
    size_t capacity;       /* bytes held in all blocks */
    size_t peak;           /* largest `used` seen */
} ml_arena;

void ml_arena_init(ml_arena *a);
/* Aligned to ML_ARENA_ALIGN; NULL when memory runs out. */
void *ml_arena_alloc(ml_arena *a, size_t bytes);
void ml_arena_reset(ml_arena *a);
void ml_arena_release(ml_arena *a);

#endif
