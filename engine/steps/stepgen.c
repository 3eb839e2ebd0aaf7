#include "stepgen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "pipeline.h"
#include "stepcompress.h"
#include "steptimes.h"

#define DEFAULT_MAX_ERROR 25e-6
/* Small batches let the steppers' work start while the caller plans the
 * next moves; each costs a little (a fit left open at its end is redone
 * in the next). */
#define DEFAULT_BATCH 128
/* Batches handed to the pipeline and not yet to the sinks: how far step
 * generation may fall behind the caller before the caller joins in. */
#define PIPELINE_DEPTH 4
/* How far a move may start from where a stepper is (steps), and overlap
 * the move before (s), before it is refused: far above rounding. */
#define POS_TOLERANCE 0.01
#define TIME_TOLERANCE 1e-6
#define PROFILE_TOLERANCE 1e-6
/* Negative times and speeds down to this are rounding, taken as 0. */
#define ROUNDING 1e-9

enum item_kind { ITEM_MOVE, ITEM_SET_POSITION, ITEM_CLOCK };

struct item {
    enum item_kind kind;
    int stepper;
    double a, b;
    struct move m;
};

/* What one stepper's unit of a batch hands on. */
struct unit_out {
    struct step_cmd *v;
    size_t n, cap;
    uint64_t fallbacks; /* the stepper's count after the unit */
    int failed;
};

/* The calls between two batch ends, in order, and how the batch ends. */
struct batch {
    struct item *items;
    size_t nitems, icap, nmoves;
    int force;
    double until;
    struct unit_out *out; /* per stepper */
};

struct sg_stepper {
    char name[64];
    struct stepgen_stepper_config cfg;
    double max_error; /* s */
    /* As the caller sees it, after everything added so far. */
    double commanded, pos_steps;
    int64_t count, mcu_position;
    double freq, offset;
    struct stepgen_stats handed;
    /* Advanced by the batches, in the pipeline. */
    struct steptrack track;
    struct stepcompress sc;
};

struct stepgen {
    struct sg_stepper **st;
    int n;
    /* Batch b is ring[b % RING]: batches before drained went to the
     * sinks, those up to sealed to the pipeline; sealed is being filled. */
    struct batch ring[PIPELINE_DEPTH + 1];
    uint64_t sealed, drained;
    unsigned batch_moves;
    struct pipeline *pipe;
    double last_end;
    int have_move;
};

#define RING (PIPELINE_DEPTH + 1)

static void run_unit(void *ctx, uint64_t batch, unsigned job);

struct stepgen *stepgen_create(const struct stepgen_config *cfg, char *err, size_t errlen)
{
    struct stepgen *sg = calloc(1, sizeof(*sg));
    if (!sg) {
        seterr(err, errlen, "stepgen: out of memory");
        return NULL;
    }
    unsigned threads = cfg ? cfg->threads : 0;
    sg->batch_moves = cfg && cfg->batch_moves ? cfg->batch_moves : DEFAULT_BATCH;
    sg->pipe = pipeline_create(threads, run_unit, sg);
    if (!sg->pipe) {
        seterr(err, errlen, "stepgen: cannot start %u worker threads", threads);
        free(sg);
        return NULL;
    }
    return sg;
}

void stepgen_destroy(struct stepgen *sg)
{
    if (!sg)
        return;
    pipeline_destroy(sg->pipe);
    for (int i = 0; i < sg->n; i++) {
        stepcompress_free(&sg->st[i]->sc);
        free(sg->st[i]);
    }
    for (int b = 0; b < RING; b++) {
        struct batch *bt = &sg->ring[b];
        for (int i = 0; bt->out && i < sg->n; i++)
            free(bt->out[i].v);
        free(bt->out);
        free(bt->items);
    }
    free(sg->st);
    free(sg);
}

int stepgen_stepper_count(const struct stepgen *sg)
{
    return sg->n;
}

static int64_t clock_at(const struct sg_stepper *s, double print_time)
{
    double c = print_time * s->track.freq + s->track.offset;
    if (!(c < 9e18))
        return INT64_MAX;
    return (int64_t)floor(c);
}

/* One stepper's part of one batch, in the pipeline. */
static void run_unit(void *ctx, uint64_t batch, unsigned job)
{
    struct stepgen *sg = ctx;
    struct batch *bt = &sg->ring[batch % RING];
    struct sg_stepper *s = sg->st[job];
    for (size_t i = 0; i < bt->nitems; i++) {
        const struct item *it = &bt->items[i];
        if (it->kind == ITEM_MOVE) {
            steptrack_move(&s->track, &it->m, &s->sc);
            continue;
        }
        if (it->stepper != (int)job)
            continue;
        switch (it->kind) {
        case ITEM_SET_POSITION:
            s->track.count = steptrack_count(it->a / s->track.step_distance);
            break;
        case ITEM_CLOCK:
            s->track.freq = it->a;
            s->track.offset = it->b;
            stepcompress_set_max_error(&s->sc, s->max_error * it->a);
            break;
        case ITEM_MOVE:
            break;
        }
    }
    stepcompress_run(&s->sc, bt->force, bt->force ? clock_at(s, bt->until) : 0);
    /* The commands go with the batch; its emptied buffer serves next. */
    struct unit_out *o = &bt->out[job];
    struct step_cmd *v = o->v;
    size_t cap = o->cap;
    o->v = s->sc.out;
    o->n = s->sc.nout;
    o->cap = s->sc.outcap;
    s->sc.out = v;
    s->sc.outcap = cap;
    s->sc.nout = 0;
    o->fallbacks = s->sc.stats.fallbacks;
    o->failed = s->sc.failed;
}

/* Hand the oldest batch's commands to the sinks, stepper by stepper. */
static int drain_one(struct stepgen *sg, char *err, size_t errlen)
{
    pipeline_wait(sg->pipe, sg->drained);
    struct batch *bt = &sg->ring[sg->drained % RING];
    sg->drained++;
    int ret = 0;
    for (int i = 0; i < sg->n; i++) {
        struct sg_stepper *s = sg->st[i];
        struct unit_out *o = &bt->out[i];
        for (size_t k = 0; k < o->n; k++) {
            const struct step_cmd *c = &o->v[k];
            if (c->kind == STEP_CMD_QUEUE_STEP) {
                s->handed.steps += c->count;
                s->handed.queue_steps++;
            } else if (c->kind == STEP_CMD_SET_NEXT_STEP_DIR)
                s->handed.dir_changes++;
            else
                s->handed.resets++;
            s->cfg.sink(s->cfg.sink_ctx, c);
        }
        o->n = 0;
        s->handed.fallbacks = o->fallbacks;
        if (o->failed && !ret) {
            seterr(err, errlen, "%s: out of memory in step compression", s->name);
            ret = -1;
        }
    }
    return ret;
}

/* End the batch being filled; once too many wait for the sinks, the
 * oldest is handed on (running what is left of it meanwhile). */
static int seal(struct stepgen *sg, int force, double until, char *err, size_t errlen)
{
    struct batch *bt = &sg->ring[sg->sealed % RING];
    bt->force = force;
    bt->until = until;
    pipeline_submit(sg->pipe);
    sg->sealed++;
    struct batch *next = &sg->ring[sg->sealed % RING];
    int ret = 0;
    while (sg->sealed - sg->drained > RING - 1)
        if (drain_one(sg, err, errlen) < 0 && !ret)
            ret = -1;
    next->nitems = next->nmoves = 0;
    return ret;
}

/* Turn every buffered call into commands and hand them all on; force
 * also emits what later moves could lengthen, up to print time until. */
static int process(struct stepgen *sg, int force, double until, char *err, size_t errlen)
{
    int ret = 0;
    if (force || sg->ring[sg->sealed % RING].nitems)
        ret = seal(sg, force, until, err, errlen);
    if (stepgen_hand_on(sg, sg->sealed, err, errlen) < 0)
        ret = -1;
    return ret;
}

/* A new call at the end of the batch being filled (counted by the
 * caller once it is complete). */
static struct item *new_item(struct stepgen *sg, char *err, size_t errlen)
{
    struct batch *bt = &sg->ring[sg->sealed % RING];
    if (bt->nitems == bt->icap) {
        size_t cap = bt->icap ? bt->icap * 2 : 64;
        struct item *v = realloc(bt->items, cap * sizeof(*v));
        if (!v) {
            seterr(err, errlen, "stepgen: out of memory");
            return NULL;
        }
        bt->items = v;
        bt->icap = cap;
    }
    struct item *it = &bt->items[bt->nitems];
    memset(it, 0, sizeof(*it));
    return it;
}

static struct batch *filling(struct stepgen *sg)
{
    return &sg->ring[sg->sealed % RING];
}

static int check_clock(const char *name, double freq, double offset, double max_error, char *err,
                       size_t errlen)
{
    if (!(freq > 0) || !isfinite(freq)) {
        seterr(err, errlen, "%s: mcu_freq must be a positive number (got %g)", name, freq);
        return -1;
    }
    if (!isfinite(offset) || offset < 0) {
        seterr(err, errlen, "%s: clock_offset must be a number >= 0 (got %g)", name, offset);
        return -1;
    }
    if (!(max_error * freq >= 1) || !(max_error * freq < 1e9)) {
        seterr(err, errlen,
               "%s: max_error of %g s is %g ticks at %g Hz; it must be at least one tick", name,
               max_error, max_error * freq, freq);
        return -1;
    }
    return 0;
}

int stepgen_add_stepper(struct stepgen *sg, const struct stepgen_stepper_config *cfg, char *err,
                        size_t errlen)
{
    const char *name = cfg->name ? cfg->name : "stepper";
    if (!(cfg->step_distance > 0) || !isfinite(cfg->step_distance)) {
        seterr(err, errlen, "%s: step_distance must be a positive number (got %g)", name,
               cfg->step_distance);
        return -1;
    }
    int moves = 0;
    for (int i = 0; i < AXIS_COUNT; i++) {
        if (!isfinite(cfg->coef[i])) {
            seterr(err, errlen, "%s: kinematic coefficient %d is not a number", name, i);
            return -1;
        }
        moves |= cfg->coef[i] != 0;
    }
    if (!moves) {
        seterr(err, errlen, "%s: its kinematic coefficients are all 0", name);
        return -1;
    }
    double max_error = cfg->max_error ? cfg->max_error : DEFAULT_MAX_ERROR;
    if (check_clock(name, cfg->mcu_freq, cfg->clock_offset, max_error, err, errlen) < 0)
        return -1;
    if (!cfg->sink) {
        seterr(err, errlen, "%s: no sink for its commands", name);
        return -1;
    }
    /* Earlier moves are not this stepper's; and with nothing left in the
     * pipeline, no other thread looks at the steppers while they grow. */
    if (process(sg, 0, 0, err, errlen) < 0)
        return -1;
    struct sg_stepper **v = realloc(sg->st, (sg->n + 1) * sizeof(*v));
    if (!v) {
        seterr(err, errlen, "stepgen: out of memory");
        return -1;
    }
    sg->st = v;
    struct sg_stepper *s = calloc(1, sizeof(*s));
    if (!s) {
        seterr(err, errlen, "stepgen: out of memory");
        return -1;
    }
    for (int b = 0; b < RING; b++) {
        struct unit_out *o = realloc(sg->ring[b].out, (sg->n + 1) * sizeof(*o));
        if (!o) {
            seterr(err, errlen, "stepgen: out of memory");
            free(s);
            return -1;
        }
        memset(&o[sg->n], 0, sizeof(*o));
        sg->ring[b].out = o;
    }
    if (pipeline_set_lanes(sg->pipe, (unsigned)sg->n + 1) < 0) {
        seterr(err, errlen, "stepgen: out of memory");
        free(s);
        return -1;
    }
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->cfg = *cfg;
    s->cfg.name = s->name;
    s->max_error = max_error;
    s->freq = cfg->mcu_freq;
    s->offset = cfg->clock_offset;
    memcpy(s->track.coef, cfg->coef, sizeof(s->track.coef));
    s->track.step_distance = cfg->step_distance;
    s->track.freq = cfg->mcu_freq;
    s->track.offset = cfg->clock_offset;
    stepcompress_init(&s->sc, cfg->oid, cfg->invert_dir, max_error * cfg->mcu_freq);
    sg->st[sg->n] = s;
    return sg->n++;
}

static struct sg_stepper *stepper_at(const struct stepgen *sg, int i, char *err, size_t errlen)
{
    if (i < 0 || i >= sg->n) {
        seterr(err, errlen, "stepgen: no stepper %d (there are %d)", i, sg->n);
        return NULL;
    }
    return sg->st[i];
}

int stepgen_set_clock(struct stepgen *sg, int stepper, double mcu_freq, double clock_offset,
                      char *err, size_t errlen)
{
    struct sg_stepper *s = stepper_at(sg, stepper, err, errlen);
    if (!s || check_clock(s->name, mcu_freq, clock_offset, s->max_error, err, errlen) < 0)
        return -1;
    struct item *it = new_item(sg, err, errlen);
    if (!it)
        return -1;
    it->kind = ITEM_CLOCK;
    it->stepper = stepper;
    it->a = mcu_freq;
    it->b = clock_offset;
    filling(sg)->nitems++;
    s->freq = mcu_freq;
    s->offset = clock_offset;
    return 0;
}

static int check_move(const struct stepgen *sg, const struct move *m, char *err, size_t errlen)
{
    static const char *const names[] = {"print_time", "accel_t", "cruise_t", "decel_t", "start_v",
                                        "cruise_v",   "end_v",   "accel",    "move_d"};
    const double vals[] = {m->print_time, m->accel_t, m->cruise_t, m->decel_t, m->start_v,
                           m->cruise_v,   m->end_v,   m->accel,    m->move_d};
    double pt = m->print_time;
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        if (!isfinite(vals[i])) {
            seterr(err, errlen, "move at print_time %.6f: %s is not a finite number", pt, names[i]);
            return -1;
        }
        if (i > 0 && vals[i] < -ROUNDING) {
            seterr(err, errlen, "move at print_time %.6f: %s must be >= 0 (got %g)", pt, names[i],
                   vals[i]);
            return -1;
        }
    }
    for (int i = 0; i < AXIS_COUNT; i++) {
        if (!isfinite(m->start_pos[i]) || !isfinite(m->axes_r[i])) {
            seterr(err, errlen,
                   "move at print_time %.6f: start_pos/axes_r of axis %d is not a number", pt, i);
            return -1;
        }
    }
    if (!(m->move_d > 0)) {
        seterr(err, errlen, "move at print_time %.6f: move_d must be > 0 (got %g)", pt, m->move_d);
        return -1;
    }
    if ((m->accel_t > 0 || m->decel_t > 0) && !(m->accel > 0)) {
        seterr(err, errlen, "move at print_time %.6f: accel must be > 0 with accel_t or decel_t",
               pt);
        return -1;
    }
    double tol = PROFILE_TOLERANCE * fmax(1, m->cruise_v);
    if (m->start_v > m->cruise_v + tol || m->end_v > m->cruise_v + tol) {
        seterr(err, errlen,
               "move at print_time %.6f: start_v %g and end_v %g must not exceed cruise_v %g", pt,
               m->start_v, m->end_v, m->cruise_v);
        return -1;
    }
    if (fabs(m->start_v + m->accel * m->accel_t - m->cruise_v) > tol ||
        fabs(m->cruise_v - m->accel * m->decel_t - m->end_v) > tol) {
        seterr(err, errlen,
               "move at print_time %.6f: speeds %g -> %g -> %g do not match accel %g over "
               "accel_t %g and decel_t %g",
               pt, m->start_v, m->cruise_v, m->end_v, m->accel, m->accel_t, m->decel_t);
        return -1;
    }
    double d = 0.5 * (m->start_v + m->cruise_v) * m->accel_t + m->cruise_v * m->cruise_t +
               0.5 * (m->cruise_v + m->end_v) * m->decel_t;
    if (fabs(d - m->move_d) > PROFILE_TOLERANCE * m->move_d + 1e-9) {
        seterr(err, errlen,
               "move at print_time %.6f: its phases cover %.9g mm but move_d is %.9g mm", pt, d,
               m->move_d);
        return -1;
    }
    if (sg->have_move && pt < sg->last_end - TIME_TOLERANCE) {
        seterr(err, errlen,
               "move at print_time %.6f starts before the previous move ends (at %.6f)", pt,
               sg->last_end);
        return -1;
    }
    for (int i = 0; i < sg->n; i++) {
        const struct sg_stepper *s = sg->st[i];
        double p0 = steptrack_steps(&s->track, m->start_pos);
        if (fabs(p0 - s->pos_steps) > POS_TOLERANCE) {
            seterr(err, errlen,
                   "%s: move at print_time %.6f starts at %.6f mm but the stepper is at %.6f mm "
                   "(set its position first)",
                   s->name, pt, p0 * s->track.step_distance, s->commanded);
            return -1;
        }
        double p1 = steptrack_end_steps(&s->track, m);
        if (!(fabs(p1 - p0) < 2e9) || !(fabs(p1) < 4e15)) {
            seterr(err, errlen, "%s: move at print_time %.6f takes it to %g steps, too far",
                   s->name, pt, p1);
            return -1;
        }
        /* Steps closer than a tick apart cannot all get a tick of their
         * own. */
        double k = 0;
        for (int a = 0; a < AXIS_COUNT; a++)
            k += s->track.coef[a] * m->axes_r[a];
        double rate = fabs(k) / s->track.step_distance * m->cruise_v;
        if (rate > s->freq) {
            seterr(err, errlen,
                   "%s: move at print_time %.6f steps %.0f times per second, faster than its MCU "
                   "clock (%.0f Hz)",
                   s->name, pt, rate, s->freq);
            return -1;
        }
        double c = pt * s->freq + s->offset;
        double c_end = (pt + move_duration(m)) * s->freq + s->offset;
        if (!(c >= 0) || !(c_end < 9e15)) {
            seterr(err, errlen, "%s: move at print_time %.6f maps to MCU clock %.0f, out of range",
                   s->name, pt, c);
            return -1;
        }
    }
    return 0;
}

int stepgen_add_move(struct stepgen *sg, const struct move *m, char *err, size_t errlen)
{
    if (check_move(sg, m, err, errlen) < 0)
        return -1;
    struct item *it = new_item(sg, err, errlen);
    if (!it)
        return -1;
    it->kind = ITEM_MOVE;
    it->m = *m;
    double *nonneg[] = {&it->m.accel_t, &it->m.cruise_t, &it->m.decel_t,
                        &it->m.start_v, &it->m.cruise_v, &it->m.end_v};
    for (size_t k = 0; k < sizeof(nonneg) / sizeof(nonneg[0]); k++)
        if (*nonneg[k] < 0)
            *nonneg[k] = 0;
    struct batch *bt = filling(sg);
    bt->nitems++;
    bt->nmoves++;
    for (int i = 0; i < sg->n; i++) {
        struct sg_stepper *s = sg->st[i];
        double p1 = steptrack_end_steps(&s->track, m);
        int64_t c1 = steptrack_count(p1);
        s->mcu_position += c1 - s->count;
        s->count = c1;
        s->pos_steps = p1;
        double c = 0;
        for (int k = 0; k < AXIS_COUNT; k++)
            c += s->track.coef[k] * (m->start_pos[k] + m->axes_r[k] * m->move_d);
        s->commanded = c;
    }
    double end = m->print_time + move_duration(m);
    if (!sg->have_move || end > sg->last_end)
        sg->last_end = end;
    sg->have_move = 1;
    if (bt->nmoves >= sg->batch_moves)
        return seal(sg, 0, 0, err, errlen);
    return 0;
}

int stepgen_flush(struct stepgen *sg, double until, char *err, size_t errlen)
{
    if (isnan(until)) {
        seterr(err, errlen, "stepgen_flush: print time is not a number");
        return -1;
    }
    return process(sg, 1, until, err, errlen);
}

int stepgen_flush_later(struct stepgen *sg, double until, uint64_t *mark, char *err, size_t errlen)
{
    if (isnan(until)) {
        seterr(err, errlen, "stepgen_flush_later: print time is not a number");
        return -1;
    }
    int ret = seal(sg, 1, until, err, errlen);
    *mark = sg->sealed;
    return ret;
}

bool stepgen_handed_on(const struct stepgen *sg, uint64_t mark)
{
    return sg->drained >= mark;
}

int stepgen_hand_on(struct stepgen *sg, uint64_t mark, char *err, size_t errlen)
{
    int ret = 0;
    if (mark > sg->sealed)
        mark = sg->sealed;
    while (sg->drained < mark)
        if (drain_one(sg, err, errlen) < 0 && !ret)
            ret = -1;
    return ret;
}

int stepgen_set_position(struct stepgen *sg, int stepper, double pos, char *err, size_t errlen)
{
    struct sg_stepper *s = stepper_at(sg, stepper, err, errlen);
    if (!s)
        return -1;
    double p = pos / s->track.step_distance;
    if (!isfinite(pos) || !(fabs(p) < 4e15)) {
        seterr(err, errlen, "%s: position %g mm is out of range", s->name, pos);
        return -1;
    }
    struct item *it = new_item(sg, err, errlen);
    if (!it)
        return -1;
    it->kind = ITEM_SET_POSITION;
    it->stepper = stepper;
    it->a = pos;
    filling(sg)->nitems++;
    s->commanded = pos;
    s->pos_steps = p;
    s->count = steptrack_count(p);
    return 0;
}

int stepgen_set_axes_position(struct stepgen *sg, const double pos[AXIS_COUNT], char *err,
                              size_t errlen)
{
    for (int k = 0; k < AXIS_COUNT; k++) {
        if (!isfinite(pos[k])) {
            seterr(err, errlen, "stepgen: axis %d position is not a number", k);
            return -1;
        }
    }
    for (int i = 0; i < sg->n; i++) {
        struct sg_stepper *s = sg->st[i];
        double p = 0;
        for (int k = 0; k < AXIS_COUNT; k++)
            p += s->track.coef[k] * pos[k];
        if (!(fabs(p / s->track.step_distance) < 4e15)) {
            seterr(err, errlen, "%s: position %g mm is out of range", s->name, p);
            return -1;
        }
    }
    for (int i = 0; i < sg->n; i++) {
        double p = 0;
        for (int k = 0; k < AXIS_COUNT; k++)
            p += sg->st[i]->track.coef[k] * pos[k];
        if (stepgen_set_position(sg, i, p, err, errlen) < 0)
            return -1;
    }
    return 0;
}

int stepgen_restart_time(struct stepgen *sg, double print_time, char *err, size_t errlen)
{
    if (!isfinite(print_time)) {
        seterr(err, errlen, "stepgen_restart_time: print time is not finite");
        return -1;
    }
    if (process(sg, 1, INFINITY, err, errlen) < 0)
        return -1;
    sg->last_end = print_time;
    return 0;
}

int stepgen_reset_stepper(struct stepgen *sg, int stepper, int64_t mcu_position, char *err,
                          size_t errlen)
{
    struct sg_stepper *s = stepper_at(sg, stepper, err, errlen);
    if (!s)
        return -1;
    /* The moves so far still advance the stepper's position; then its
     * commands that have not reached the sink go, with the steps not
     * yet compressed. */
    int ret = 0;
    if (filling(sg)->nitems)
        ret = seal(sg, 0, 0, err, errlen);
    if (sg->sealed)
        pipeline_wait(sg->pipe, sg->sealed - 1);
    for (uint64_t b = sg->drained; b < sg->sealed; b++)
        sg->ring[b % RING].out[stepper].n = 0;
    stepcompress_reset(&s->sc);
    s->mcu_position = mcu_position;
    return ret;
}

int stepgen_get_position(const struct stepgen *sg, int stepper, struct stepgen_position *out)
{
    struct sg_stepper *s = stepper_at(sg, stepper, NULL, 0);
    if (!s)
        return -1;
    out->commanded = s->commanded;
    out->steps = s->count;
    out->mcu_position = s->mcu_position;
    return 0;
}

int stepgen_get_stats(const struct stepgen *sg, int stepper, struct stepgen_stats *out)
{
    struct sg_stepper *s = stepper_at(sg, stepper, NULL, 0);
    if (!s)
        return -1;
    *out = s->handed;
    return 0;
}
