/* Exact step times of one stepper, kept as closed-form segments rather
 * than one time per step.
 *
 * A segment is a run of n steps in one direction inside one phase
 * (accelerate, cruise, decelerate) of one move. Step j (0 <= j < n)
 * happens at MCU clock
 *   cruise: base + t0 + g * j
 *   accel:  base + t0 + tau(u0 + j),  tau(u) = 2u / (v + sqrt(v^2 + 2au))
 * where tau is the time to cover u steps starting at v steps/tick under
 * a steps/tick^2 (negative while decelerating). This form of tau has no
 * cancellation when a is small and is exact for a == 0. Within a segment
 * the step time's third derivative in j is never negative (it is
 * 3a^2/r^5 with r the speed), which is what step compression's error
 * analysis relies on. Steps taken at a standstill (speed exactly 0) are
 * split off into cruise segments with g = 0, so that r > 0 inside every
 * accel segment. */
#ifndef LOCKSTEP_STEPS_STEPSEG_H
#define LOCKSTEP_STEPS_STEPSEG_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

enum { SEG_CRUISE, SEG_ACCEL };

struct step_seg {
    int64_t base; /* clock the times are counted from, so that doubles stay small */
    double t0;    /* ticks after base */
    double g;     /* cruise: ticks per step */
    double u0;    /* accel: steps from the phase start to step 0 */
    double v, a;  /* accel: speed and acceleration at the phase start */
    /* accel: 1/a, usable as tau(u) = (r - v)/a when the cancellation in
     * r - v costs nothing measurable (fast), which is the usual case */
    double ia;
    uint32_t n;
    int8_t dir; /* +1 or -1 */
    uint8_t kind;
    uint8_t fast;
};

/* Ticks from base to step j (j may be fractional). */
static inline double seg_time(const struct step_seg *s, double j)
{
    if (s->kind == SEG_CRUISE)
        return s->t0 + s->g * j;
    double u = s->u0 + j;
    double r2 = s->v * s->v + 2 * s->a * u;
    double r = sqrt(r2 > 0 ? r2 : 0);
    if (s->fast)
        return s->t0 + (r - s->v) * s->ia;
    double den = s->v + r;
    return s->t0 + (den > 0 ? 2 * u / den : 0);
}

/* A queue of segments; the first `used` steps of the head are consumed. */
struct segq {
    struct step_seg *v;
    size_t head, len, cap;
    uint32_t used;
};

int segq_push(struct segq *q, const struct step_seg *s);
/* Drop count steps from the front (at most what is queued). */
void segq_consume(struct segq *q, uint64_t count);
void segq_clear(struct segq *q);
void segq_free(struct segq *q);

static inline int segq_empty(const struct segq *q)
{
    return q->head == q->len;
}

#endif
