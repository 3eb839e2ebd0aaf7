#include "stepseg.h"

#include <stdlib.h>
#include <string.h>

int segq_push(struct segq *q, const struct step_seg *s)
{
    if (q->len == q->cap) {
        /* Reclaim the consumed front before growing. */
        if (q->head > 0) {
            memmove(q->v, q->v + q->head, (q->len - q->head) * sizeof(*q->v));
            q->len -= q->head;
            q->head = 0;
        }
        if (q->len == q->cap) {
            size_t cap = q->cap ? q->cap * 2 : 64;
            struct step_seg *v = realloc(q->v, cap * sizeof(*v));
            if (!v)
                return -1;
            q->v = v;
            q->cap = cap;
        }
    }
    q->v[q->len++] = *s;
    return 0;
}

void segq_consume(struct segq *q, uint64_t count)
{
    while (count && q->head < q->len) {
        uint32_t left = q->v[q->head].n - q->used;
        if (count < left) {
            q->used += (uint32_t)count;
            return;
        }
        count -= left;
        q->head++;
        q->used = 0;
    }
    if (q->head == q->len)
        q->head = q->len = 0;
}

void segq_clear(struct segq *q)
{
    q->head = q->len = 0;
    q->used = 0;
}

void segq_free(struct segq *q)
{
    free(q->v);
    q->v = NULL;
    q->head = q->len = q->cap = 0;
    q->used = 0;
}
