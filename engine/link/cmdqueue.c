#include "cmdqueue.h"

#include <stdlib.h>
#include <string.h>

#include "frame.h"

struct queued_msg {
    uint64_t min_clock, req_clock;
    uint8_t len;
    uint8_t data[FRAME_MAX_CONTENT];
};

/* A ring buffer; taken counts the head messages the last pack chose. */
struct command_queue {
    struct queued_msg *msgs;
    size_t head, count, cap;
    size_t taken;
    struct command_queues *set;
};

struct command_queues {
    struct command_queue **queues; /* in creation order: the tie-break */
    size_t nqueues, cap;
    size_t pending;
};

static void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size);
    if (!p)
        abort();
    return p;
}

struct command_queues *cmdq_create(void)
{
    struct command_queues *s = calloc(1, sizeof(*s));
    if (!s)
        abort();
    return s;
}

void cmdq_destroy(struct command_queues *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nqueues; i++) {
        free(s->queues[i]->msgs);
        free(s->queues[i]);
    }
    free(s->queues);
    free(s);
}

struct command_queue *cmdq_alloc(struct command_queues *s)
{
    if (s->nqueues == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->queues = xrealloc(s->queues, s->cap * sizeof(*s->queues));
    }
    struct command_queue *q = calloc(1, sizeof(*q));
    if (!q)
        abort();
    q->set = s;
    s->queues[s->nqueues++] = q;
    return q;
}

size_t cmdq_clear(struct command_queue *q)
{
    size_t n = q->count;
    q->set->pending -= n;
    q->head = q->count = q->taken = 0;
    return n;
}

static struct queued_msg *at(const struct command_queue *q, size_t i)
{
    return &q->msgs[(q->head + i) % q->cap];
}

static void grow(struct command_queue *q)
{
    size_t ncap = q->cap ? q->cap * 2 : 16;
    struct queued_msg *n = malloc(ncap * sizeof(*n));
    if (!n)
        abort();
    for (size_t i = 0; i < q->count; i++)
        n[i] = *at(q, i);
    free(q->msgs);
    q->msgs = n;
    q->cap = ncap;
    q->head = 0;
}

int cmdq_push(struct command_queue *q, const uint8_t *msg, size_t len, uint64_t min_clock,
              uint64_t req_clock)
{
    if (len == 0 || len > FRAME_MAX_CONTENT)
        return -1;
    if (q->count == q->cap)
        grow(q);
    struct queued_msg *m = at(q, q->count);
    m->min_clock = min_clock;
    m->req_clock = req_clock;
    m->len = (uint8_t)len;
    memcpy(m->data, msg, len);
    q->count++;
    q->set->pending++;
    return 0;
}

int cmdq_in_set(const struct command_queue *q, const struct command_queues *s)
{
    return q && q->set == s;
}

size_t cmdq_pending(const struct command_queues *s)
{
    return s->pending;
}

size_t cmdq_queue_pending(const struct command_queue *q)
{
    return q->count;
}

/* The head after the ones already chosen, if it may go now. */
static const struct queued_msg *candidate(const struct command_queue *q, uint64_t ready_clock,
                                          uint64_t req_limit)
{
    if (q->taken >= q->count)
        return NULL;
    const struct queued_msg *m = at(q, q->taken);
    if (m->req_clock > req_limit || m->min_clock > ready_clock)
        return NULL;
    return m;
}

size_t cmdq_pack(struct command_queues *s, uint64_t ready_clock, uint64_t req_limit, size_t cap,
                 uint8_t *out, size_t *nmsgs)
{
    if (cap > FRAME_MAX_CONTENT)
        cap = FRAME_MAX_CONTENT;
    for (size_t i = 0; i < s->nqueues; i++)
        s->queues[i]->taken = 0;
    size_t len = 0, n = 0;
    for (;;) {
        struct command_queue *best = NULL;
        const struct queued_msg *bm = NULL;
        for (size_t i = 0; i < s->nqueues; i++) {
            const struct queued_msg *m = candidate(s->queues[i], ready_clock, req_limit);
            /* Strictly lower only, so equal clocks favour the older queue. */
            if (m && (!bm || m->req_clock < bm->req_clock)) {
                best = s->queues[i];
                bm = m;
            }
        }
        if (!bm || len + bm->len > cap)
            break;
        memcpy(out + len, bm->data, bm->len);
        len += bm->len;
        best->taken++;
        n++;
    }
    if (nmsgs)
        *nmsgs = n;
    return len;
}

void cmdq_commit(struct command_queues *s)
{
    for (size_t i = 0; i < s->nqueues; i++) {
        struct command_queue *q = s->queues[i];
        if (!q->taken)
            continue;
        q->head = (q->head + q->taken) % q->cap;
        q->count -= q->taken;
        s->pending -= q->taken;
        q->taken = 0;
        if (!q->count)
            q->head = 0;
    }
}

uint64_t cmdq_next_min_clock(const struct command_queues *s, uint64_t ready_clock,
                             uint64_t req_limit)
{
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < s->nqueues; i++) {
        const struct command_queue *q = s->queues[i];
        if (!q->count)
            continue;
        const struct queued_msg *m = at(q, 0);
        if (m->req_clock <= req_limit && m->min_clock > ready_clock && m->min_clock < next)
            next = m->min_clock;
    }
    return next;
}
