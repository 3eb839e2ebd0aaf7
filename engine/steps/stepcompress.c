#include "stepcompress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Pieces one command may span; a command reaching this many stops there
 * (only runs of tiny moves at one speed get near it). */
#define MAX_PIECES 4096
/* Ticks kept back from the window against rounding in the step times. */
#define E_MARGIN 1e-3

void stepcompress_init(struct stepcompress *sc, uint8_t oid, int invert_dir, double max_error_ticks)
{
    memset(sc, 0, sizeof(*sc));
    sc->oid = oid;
    sc->invert_dir = invert_dir ? 1 : 0;
    sc->dir_sent = -1;
    stepcompress_set_max_error(sc, max_error_ticks);
}

void stepcompress_free(struct stepcompress *sc)
{
    segq_free(&sc->q);
    free(sc->pieces);
    free(sc->out);
    sc->pieces = NULL;
    sc->out = NULL;
    sc->pcap = sc->nout = sc->outcap = 0;
}

void stepcompress_set_max_error(struct stepcompress *sc, double max_error_ticks)
{
    sc->E = max_error_ticks > 2 * E_MARGIN ? max_error_ticks - E_MARGIN : 0.5 * max_error_ticks;
}

int stepcompress_push(struct stepcompress *sc, const struct step_seg *s)
{
    if (!s->n)
        return 0;
    /* the queue may move in memory */
    sc->next_seg = NULL;
    if (segq_push(&sc->q, s) < 0) {
        sc->failed = 1;
        return -1;
    }
    return 0;
}

void stepcompress_reset(struct stepcompress *sc)
{
    /* Commands not handed on yet would reach an MCU that dropped its
     * queue and wants reset_step_clock first. */
    for (size_t i = 0; i < sc->nout; i++) {
        const struct step_cmd *c = &sc->out[i];
        if (c->kind == STEP_CMD_QUEUE_STEP) {
            sc->stats.steps -= c->count;
            sc->stats.queue_steps--;
        } else if (c->kind == STEP_CMD_RESET_STEP_CLOCK)
            sc->stats.resets--;
        else
            sc->stats.dir_changes--;
    }
    sc->nout = 0;
    segq_clear(&sc->q);
    sc->next_seg = NULL;
    sc->have_last = 0;
    sc->dir_sent = -1;
    /* The MCU's queue is empty: the next command may be due earlier than
     * dropped ones were. */
    sc->last_req = 0;
}

static struct step_cmd *emit(struct stepcompress *sc, enum step_cmd_kind kind, int64_t req)
{
    if (sc->nout == sc->outcap) {
        size_t cap = sc->outcap ? sc->outcap * 2 : 256;
        struct step_cmd *v = realloc(sc->out, cap * sizeof(*v));
        if (!v) {
            sc->failed = 1;
            return NULL;
        }
        sc->out = v;
        sc->outcap = cap;
    }
    struct step_cmd *c = &sc->out[sc->nout++];
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->oid = sc->oid;
    uint64_t r = req > 0 ? (uint64_t)req : 0;
    if (r < sc->last_req)
        r = sc->last_req;
    sc->last_req = r;
    c->req_clock = r;
    return c;
}

enum view_end {
    VIEW_OPEN,   /* no more steps are known yet */
    VIEW_CLOSED, /* the run ends (a direction change) or cannot go on (limits) */
    VIEW_CUT,    /* stopped at the requested count; more of the run follows */
};

/* Pieces for the run of same-direction steps that starts `skip` steps
 * after the front of the queue, with times relative to L: at most cap
 * steps (cap < limit) or limit steps. */
static uint32_t build_view(struct stepcompress *sc, uint32_t skip, int64_t L, uint32_t cap,
                           uint32_t limit, int *nump, enum view_end *end, uint32_t *first)
{
    struct segq *q = &sc->q;
    size_t i = q->head;
    uint64_t j = (uint64_t)q->used + skip;
    while (i < q->len && j >= q->v[i].n) {
        j -= q->v[i].n;
        i++;
    }
    *end = VIEW_OPEN;
    *first = i < q->len ? q->v[i].n - (uint32_t)j : 0;
    int dir = q->v[q->head].dir;
    uint32_t total = 0;
    int np = 0;
    for (; i < q->len; i++, j = 0) {
        const struct step_seg *s = &q->v[i];
        if (s->dir != dir || np == MAX_PIECES || total == limit) {
            *end = VIEW_CLOSED;
            break;
        }
        if (total == cap) {
            *end = VIEW_CUT;
            break;
        }
        if ((size_t)np == sc->pcap) {
            size_t c = sc->pcap ? sc->pcap * 2 : 64;
            struct fit_piece *v = realloc(sc->pieces, c * sizeof(*v));
            if (!v) {
                sc->failed = 1;
                *end = VIEW_CLOSED;
                break;
            }
            sc->pieces = v;
            sc->pcap = c;
        }
        uint32_t n = s->n - (uint32_t)j;
        if (n > cap - total)
            n = cap - total;
        struct fit_piece *p = &sc->pieces[np++];
        p->kind = s->kind;
        p->ka = total;
        p->n = n;
        p->prepared = 0;
        double boff = (double)(s->base - L) + s->t0;
        if (s->kind == SEG_CRUISE) {
            p->g = s->g;
            p->off = boff + s->g * ((double)j - total);
        } else {
            p->off = boff;
            p->u0 = s->u0 + (double)j - total;
            p->v = s->v;
            p->a = s->a;
            p->ia = s->fast ? s->ia : 0;
        }
        total += n;
        if (total == cap && j + n < s->n) {
            *end = total == limit ? VIEW_CLOSED : VIEW_CUT;
            break;
        }
    }
    if (*end == VIEW_OPEN && total == limit)
        *end = VIEW_CLOSED;
    *nump = np;
    return total;
}

/* The longest command for the run starting `skip` steps after the front,
 * counting from a step at L that was exactly due at t_prev. Most commands
 * are short, so the run is looked at in full only when the first steps
 * all fit. *closed: the command cannot grow with more moves. */
static uint32_t fit_run(struct stepcompress *sc, uint32_t skip, int64_t L, double t_prev,
                        uint32_t limit, struct fit_result *r, int *closed)
{
    int np;
    enum view_end end;
    uint32_t first;
    uint32_t total = build_view(sc, skip, L, FIT_DIRECT_STEPS, limit, &np, &end, &first);
    struct fit_input in = {sc->pieces, np, total, sc->E, t_prev, end == VIEW_CUT, first, 0, 0};
    if (!total) {
        *r = (struct fit_result){0, 0, 0, 0};
        *closed = end == VIEW_CLOSED;
        return 0;
    }
    stepfit_best(&in, r);
    if (r->want_more) {
        total = build_view(sc, skip, L, limit, limit, &np, &end, &first);
        in = (struct fit_input){sc->pieces, np, total, sc->E, t_prev, 0, first, 1, r->add};
        stepfit_best(&in, r);
    }
    *closed = end != VIEW_OPEN;
    return total;
}

/* A step's exact time as its segment and the ticks after the segment's
 * base (seg NULL: not queued yet). Relative to a clock L it is
 * (seg->base - L) + t, the same double whoever computes it. */
struct step_at {
    const struct step_seg *seg;
    uint32_t j; /* the step's index in seg */
    double t;
};

/* The step idx steps after the queue's front. Filled in field by field:
 * a struct returned by value is written in parts and read back whole,
 * which stalls store forwarding on every command. */
static void find_step(const struct stepcompress *sc, uint64_t idx, struct step_at *at)
{
    const struct segq *q = &sc->q;
    size_t i = q->head;
    uint64_t j = (uint64_t)q->used + idx;
    while (i < q->len && j >= q->v[i].n) {
        j -= q->v[i].n;
        i++;
    }
    if (i == q->len) {
        at->seg = NULL;
        return;
    }
    at->seg = &q->v[i];
    at->j = (uint32_t)j;
    at->t = seg_time(at->seg, (double)j);
}

static double relative_to(const struct step_at *s, int64_t L)
{
    return (double)(s->seg->base - L) + s->t;
}

/* Exact time of the step idx steps after the queue's front (which must
 * be queued), relative to L. */
static double step_time(const struct stepcompress *sc, uint64_t idx, int64_t L)
{
    struct step_at s;
    find_step(sc, idx, &s);
    return relative_to(&s, L);
}

/* Hand on one queue_step of the front steps, with what must precede it.
 * reset >= 0 is the clock for a reset_step_clock first. The times of its
 * last step and of the one after it, where the caller has them (seg
 * NULL where not), spare walking the queue for them again. */
static void emit_steps(struct stepcompress *sc, int dir, int64_t from, int64_t reset, int64_t I,
                       uint32_t n, int A, const struct step_at *last_at,
                       const struct step_at *next_at)
{
    int64_t first = from + I;
    int dirval = (dir > 0) ^ sc->invert_dir;
    if (sc->dir_sent != dirval) {
        struct step_cmd *c = emit(sc, STEP_CMD_SET_NEXT_STEP_DIR, first);
        if (!c)
            return;
        c->dir = (uint8_t)dirval;
        sc->dir_sent = dirval;
        sc->stats.dir_changes++;
    }
    if (reset >= 0) {
        struct step_cmd *c = emit(sc, STEP_CMD_RESET_STEP_CLOCK, first);
        if (!c)
            return;
        c->clock = (uint64_t)reset;
        c->min_clock = sc->have_last && sc->last_clock > 0 ? (uint64_t)sc->last_clock : 0;
        sc->stats.resets++;
    }
    struct step_cmd *c = emit(sc, STEP_CMD_QUEUE_STEP, first);
    if (!c)
        return;
    c->interval = (uint32_t)I;
    c->count = (uint16_t)n;
    c->add = (int16_t)A;
    int64_t last = from + (int64_t)n * I + (int64_t)A * ((int64_t)n * (n - 1) / 2);
    sc->last_exact = last_at->seg ? relative_to(last_at, last) : step_time(sc, n - 1, last);
    sc->last_clock = last;
    sc->have_last = 1;
    sc->stats.steps += n;
    sc->stats.queue_steps++;
    segq_consume(&sc->q, n);
    sc->next_seg = next_at->seg;
    sc->next_j = next_at->j;
    sc->next_t = next_at->t;
}

/* Only for steps no rule can place (two steps due at one instant after
 * the first went out late): one step, as close as the MCU allows. */
static void emit_fallback(struct stepcompress *sc, int dir, double t0)
{
    int64_t I = (int64_t)floor(t0 + 0.5);
    if (I < 1)
        I = 1;
    if (I > FIT_MAX_INTERVAL)
        I = FIT_MAX_INTERVAL;
    sc->stats.fallbacks++;
    struct step_at none = {NULL, 0, 0};
    emit_steps(sc, dir, sc->last_clock, -1, I, 1, 0, &none, &none);
}

/* Steps due at one instant (a reversal exactly on a half step, steps a
 * rounded position owes) need distinct ticks. A command whose last step
 * is late by nearly E would leave the next one no tick inside its
 * window, so such a command gives up its last steps, or runs its single
 * step earlier. When the next step is not known yet (a flush), it is
 * taken to be due with the last one. */
static void leave_room(const struct stepcompress *sc, uint32_t skip, int64_t L, double t_prev,
                       struct fit_result *r, struct step_at *last_at, struct step_at *next_at)
{
    last_at->seg = next_at->seg = NULL;
    while (r->count) {
        uint32_t n = r->count;
        find_step(sc, skip + n - 1, last_at);
        find_step(sc, skip + n, next_at);
        double last_exact = relative_to(last_at, L);
        double next = next_at->seg ? relative_to(next_at, L) : last_exact;
        if (next - last_exact >= 1)
            return;
        double last = (double)n * r->interval + r->add * 0.5 * n * (n - 1.0);
        if (last <= next + sc->E - 1)
            return;
        if (n > 1) {
            r->count--;
            continue;
        }
        double t0 = step_time(sc, skip, L);
        int64_t I = (int64_t)floor(next + sc->E - 1);
        if (I >= 1 && I >= t0 - sc->E && I >= 0.5 * (t0 - t_prev))
            r->interval = I;
        return;
    }
}

static int run_normal(struct stepcompress *sc, int dir, int may_open)
{
    int closed;
    struct fit_result r;
    uint32_t total = fit_run(sc, 0, sc->last_clock, sc->last_exact, FIT_MAX_COUNT, &r, &closed);
    if (!r.count) {
        emit_fallback(sc, dir, step_time(sc, 0, sc->last_clock));
        return 1;
    }
    if (r.count == total && !closed && !may_open)
        return 0;
    struct step_at last, next;
    leave_room(sc, 0, sc->last_clock, sc->last_exact, &r, &last, &next);
    emit_steps(sc, dir, sc->last_clock, -1, r.interval, r.count, r.add, &last, &next);
    return 1;
}

/* The first step after a reset runs at its exact time rounded, at clock
 * V; the steps after it are fitted from V, and the two become one
 * queue_step by moving the reset clock back by the first interval. */
static int run_reset(struct stepcompress *sc, int dir, double t0, int may_open)
{
    const struct step_seg *s = &sc->q.v[sc->q.head];
    int64_t V = s->base + (int64_t)floor(t0 + 0.5);
    if (sc->have_last && V <= sc->last_clock)
        V = sc->last_clock + 1;
    int closed;
    struct fit_result r;
    double t_prev = (double)(s->base - V) + t0;
    uint32_t total = fit_run(sc, 1, V, t_prev, FIT_MAX_COUNT - 1, &r, &closed);
    if (r.count == total && !closed && !may_open)
        return 0;
    struct step_at last, next;
    last.seg = next.seg = NULL;
    if (r.count)
        leave_room(sc, 1, V, t_prev, &r, &last, &next);
    int64_t I = 0;
    uint32_t n = 1;
    int A = 0;
    int64_t first = r.interval - r.add;
    if (r.count && first >= 0 && first <= FIT_MAX_INTERVAL && V - first >= 0) {
        I = r.interval - r.add;
        n = r.count + 1;
        A = r.add;
    } else
        last.seg = next.seg = NULL; /* the reset step goes alone */
    emit_steps(sc, dir, V - I, V - I, I, n, A, &last, &next);
    return 1;
}

void stepcompress_run(struct stepcompress *sc, int force, int64_t until)
{
    struct segq *q = &sc->q;
    while (!sc->failed && !segq_empty(q)) {
        const struct step_seg *s = &q->v[q->head];
        double t0 = sc->next_seg == s && sc->next_j == q->used ? sc->next_t : seg_time(s, q->used);
        int may_open = force && (double)(s->base - until) + t0 <= 0;
        int far =
            sc->have_last && (double)(s->base - sc->last_clock) + t0 - sc->E > FIT_MAX_INTERVAL;
        int done = (!sc->have_last || far) ? run_reset(sc, s->dir, t0, may_open)
                                           : run_normal(sc, s->dir, may_open);
        if (!done)
            return;
    }
}
