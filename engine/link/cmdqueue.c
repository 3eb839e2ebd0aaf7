#include "cmdqueue.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

struct queued_msg {
    uint64_t min_clock, req_clock;
    uint8_t len;
    uint8_t data[FRAME_MAX_CONTENT];
};

/* A ring buffer whose capacity is a power of two, so that a position
 * wraps with a mask; taken counts the head messages the last pack chose. */
struct command_queue {
    struct queued_msg *msgs;
    size_t head, count, cap;
    size_t taken;
    size_t index; /* creation order in the set: the tie-break */
    struct command_queues *set;
};

struct command_queues {
    struct command_queue **queues; /* in creation order */
    /* cmdq_pack()'s scratch, one entry per queue: the heads that may go,
     * as their req_clock, the message and its queue. */
    uint64_t *head_clock;
    const struct queued_msg **head_msg;
    struct command_queue **head_queue;
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
    free(s->head_clock);
    free(s->head_msg);
    free(s->head_queue);
    free(s);
}

struct command_queue *cmdq_alloc(struct command_queues *s)
{
    if (s->nqueues == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->queues = xrealloc(s->queues, s->cap * sizeof(*s->queues));
        s->head_clock = xrealloc(s->head_clock, s->cap * sizeof(*s->head_clock));
        s->head_msg = xrealloc(s->head_msg, s->cap * sizeof(*s->head_msg));
        s->head_queue = xrealloc(s->head_queue, s->cap * sizeof(*s->head_queue));
    }
    struct command_queue *q = calloc(1, sizeof(*q));
    if (!q)
        abort();
    q->set = s;
    q->index = s->nqueues;
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
    return &q->msgs[(q->head + i) & (q->cap - 1)];
}

/* Doubles the ring in place: realloc moves a large block by remapping its
 * pages rather than copying, and only the messages that had wrapped
 * around to the start of the array move, to just past the old end. */
static void grow(struct command_queue *q)
{
    size_t ncap = q->cap ? q->cap * 2 : 16;
    q->msgs = xrealloc(q->msgs, ncap * sizeof(*q->msgs));
    if (q->head + q->count > q->cap)
        memcpy(q->msgs + q->cap, q->msgs, (q->head + q->count - q->cap) * sizeof(*q->msgs));
    q->cap = ncap;
}

uint8_t *cmdq_reserve(struct command_queue *q)
{
    if (q->count == q->cap)
        grow(q);
    return at(q, q->count)->data;
}

int cmdq_push_reserved(struct command_queue *q, size_t len, uint64_t min_clock, uint64_t req_clock)
{
    if (len == 0 || len > FRAME_MAX_CONTENT || q->count == q->cap)
        return -1;
    struct queued_msg *m = at(q, q->count);
    m->min_clock = min_clock;
    m->req_clock = req_clock;
    m->len = (uint8_t)len;
    q->count++;
    q->set->pending++;
    return 0;
}

int cmdq_push(struct command_queue *q, const uint8_t *msg, size_t len, uint64_t min_clock,
              uint64_t req_clock)
{
    if (len == 0 || len > FRAME_MAX_CONTENT)
        return -1;
    memcpy(cmdq_reserve(q), msg, len);
    return cmdq_push_reserved(q, len, min_clock, req_clock);
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

static bool may_go(const struct queued_msg *m, uint64_t ready_clock, uint64_t req_limit)
{
    return m->req_clock <= req_limit && m->min_clock <= ready_clock;
}

/* The heads that may go sit in arrays in queue creation order, and each
 * message is the one with the lowest req_clock among them: a scan of a
 * few clocks (one per queue with a message ready; a printer has a
 * handful), where the first of equal clocks is the older queue's. Steppers
 * take turns message by message, so a scan per message is the norm. A
 * queue whose head may not go drops out until the next pack: its head
 * cannot change before then. */
size_t cmdq_pack(struct command_queues *s, uint64_t ready_clock, uint64_t req_limit, size_t cap,
                 uint8_t *out, size_t *nmsgs)
{
    if (cap > FRAME_MAX_CONTENT)
        cap = FRAME_MAX_CONTENT;
    uint64_t *clock = s->head_clock;
    const struct queued_msg **msg = s->head_msg;
    struct command_queue **queue = s->head_queue;
    size_t heads = 0;
    for (size_t i = 0; i < s->nqueues; i++) {
        struct command_queue *q = s->queues[i];
        q->taken = 0;
        if (!q->count || !may_go(at(q, 0), ready_clock, req_limit))
            continue;
        clock[heads] = at(q, 0)->req_clock;
        msg[heads] = at(q, 0);
        queue[heads++] = q;
    }
    size_t len = 0, n = 0;
    while (heads) {
        size_t best = 0;
        uint64_t best_clock = clock[0];
        for (size_t i = 1; i < heads; i++) {
            bool lower = clock[i] < best_clock;
            best = lower ? i : best;
            best_clock = lower ? clock[i] : best_clock;
        }
        const struct queued_msg *m = msg[best];
        if (len + m->len > cap)
            break;
        /* Most messages are short: one fixed-size copy, which the
         * compiler inlines, when out has the room for it. */
        if (m->len <= 16 && cap - len >= 16)
            memcpy(out + len, m->data, 16);
        else
            memcpy(out + len, m->data, m->len);
        len += m->len;
        n++;
        struct command_queue *q = queue[best];
        m = m + 1 == q->msgs + q->cap ? q->msgs : m + 1;
        if (++q->taken < q->count && may_go(m, ready_clock, req_limit)) {
            clock[best] = m->req_clock;
            msg[best] = m;
            continue;
        }
        heads--;
        for (size_t i = best; i < heads; i++) {
            clock[i] = clock[i + 1];
            msg[i] = msg[i + 1];
            queue[i] = queue[i + 1];
        }
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
        q->head = (q->head + q->taken) & (q->cap - 1);
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
