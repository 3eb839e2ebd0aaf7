#include "stepper_model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stepper_model {
    struct stepper_params p;
    double rad_per_microstep;
    double rad_per_full_step;
    double inertia;
    double seconds_per_cycle;
    int64_t cycle; /* microsteps per electrical cycle */
    double torque_scale;
    double pullin_speed;

    bool enabled;
    int dir;
    bool have_event;
    uint64_t last_event;
    bool dir_pending; /* dir changed since the last step edge */
    uint64_t dir_changed_at;
    bool have_edge; /* for the timing checks, across enable changes */
    uint64_t last_edge;

    bool have_step;
    uint64_t last_step;
    double speed;
    double accel;

    int64_t commanded;
    int64_t lost;
    uint64_t edges, ignored, slips, timing_violations;
    bool stalled;
    int64_t anchor; /* the stalled rotor's detent */
    unsigned forced_slips;
    bool has_travel;
    int64_t travel_lo, travel_hi;

    double demand, available, peak_load;
    char error[192];
};

void stepper_params_default(struct stepper_params *p)
{
    /* A 20-tooth GT2 pulley has a pitch radius of 40 mm / 2 pi; 1 kg on it
     * reflects m r^2 to the shaft. */
    double r = 0.040 / (2.0 * M_PI);
    *p = (struct stepper_params){
        .clock_hz = 16e6,
        .full_steps_per_rotation = 200,
        .microsteps = 16,
        .holding_torque = 0.45,
        .corner_speed = 20.0,
        .rotor_inertia = 57e-7,
        .load_inertia = 1.0 * r * r,
        .friction_torque = 0.02,
        .damping = 2e-4,
        .filter_time = 0.002,
        .min_step_period = 2e-6,
        .dir_setup_time = 200e-9,
        .dir_hold_time = 200e-9,
    };
}

static void set_error(struct stepper_model *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->error, sizeof(m->error), fmt, ap);
    va_end(ap);
}

static bool check_number(const char *name, double v, double lo, bool lo_open, double hi,
                         const char *what, char *err, size_t errlen)
{
    bool ok = isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
    if (!ok)
        snprintf(err, errlen, "stepper_params.%s: expected %s, got %g", name, what, v);
    return ok;
}

static bool params_valid(const struct stepper_params *p, char *err, size_t errlen)
{
    unsigned ms = p->microsteps;
    if (ms == 0 || ms > 256 || (ms & (ms - 1)) != 0) {
        snprintf(err, errlen, "stepper_params.microsteps: expected a power of two 1..256, got %u",
                 ms);
        return false;
    }
    if (p->full_steps_per_rotation == 0 || p->full_steps_per_rotation % 4 != 0) {
        snprintf(err, errlen,
                 "stepper_params.full_steps_per_rotation: expected a positive multiple of 4, "
                 "got %u",
                 p->full_steps_per_rotation);
        return false;
    }
    return check_number("clock_hz", p->clock_hz, 0, true, 1e12, "a frequency in Hz > 0", err,
                        errlen) &&
           check_number("holding_torque", p->holding_torque, 0, true, 1e3, "a torque in Nm > 0",
                        err, errlen) &&
           check_number("corner_speed", p->corner_speed, 0, true, 1e6, "a speed in rad/s > 0", err,
                        errlen) &&
           check_number("rotor_inertia", p->rotor_inertia, 0, true, 1.0, "kg m^2 > 0", err,
                        errlen) &&
           check_number("load_inertia", p->load_inertia, 0, false, 1.0, "kg m^2 >= 0", err,
                        errlen) &&
           check_number("friction_torque", p->friction_torque, 0, false, 1e3, "a torque in Nm >= 0",
                        err, errlen) &&
           check_number("damping", p->damping, 0, false, 1e3, "Nm s/rad >= 0", err, errlen) &&
           check_number("filter_time", p->filter_time, 0, true, 10, "seconds > 0", err, errlen) &&
           check_number("min_step_period", p->min_step_period, 0, false, 1, "seconds >= 0", err,
                        errlen) &&
           check_number("dir_setup_time", p->dir_setup_time, 0, false, 1, "seconds >= 0", err,
                        errlen) &&
           check_number("dir_hold_time", p->dir_hold_time, 0, false, 1, "seconds >= 0", err,
                        errlen);
}

double stepper_model_torque_at(const struct stepper_model *m, double w)
{
    return m->torque_scale * m->p.holding_torque / (1.0 + fabs(w) / m->p.corner_speed);
}

/* Torque left after friction and damping, spent over one full step, minus
 * the kinetic energy the rotor needs at w: positive while a rotor at rest
 * can still catch a field running at w within that step. */
static double pullin_excess(const struct stepper_model *m, double w)
{
    double spare = stepper_model_torque_at(m, w) - m->p.friction_torque - m->p.damping * w;
    return spare * m->rad_per_full_step - 0.5 * m->inertia * w * w;
}

/* The excess only falls with w, so bisection finds its one zero; a fixed
 * number of halvings keeps the result reproducible. */
static double find_pullin_speed(const struct stepper_model *m)
{
    if (pullin_excess(m, 0.0) <= 0.0)
        return 0.0;
    double lo = 0.0, hi = 1.0;
    while (pullin_excess(m, hi) > 0.0 && hi < 1e7)
        hi *= 2.0;
    for (int i = 0; i < 64; i++) {
        double mid = 0.5 * (lo + hi);
        if (pullin_excess(m, mid) > 0.0)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

struct stepper_model *stepper_model_create(const struct stepper_params *p, char *err, size_t errlen)
{
    if (!params_valid(p, err, errlen))
        return NULL;
    struct stepper_model *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->p = *p;
    m->rad_per_full_step = 2.0 * M_PI / p->full_steps_per_rotation;
    m->rad_per_microstep = m->rad_per_full_step / p->microsteps;
    m->inertia = p->rotor_inertia + p->load_inertia;
    m->seconds_per_cycle = 1.0 / p->clock_hz;
    m->cycle = 4 * (int64_t)p->microsteps;
    m->torque_scale = 1.0;
    m->pullin_speed = find_pullin_speed(m);
    return m;
}

void stepper_model_destroy(struct stepper_model *m)
{
    free(m);
}

const char *stepper_model_error(const struct stepper_model *m)
{
    return m->error;
}

static int accept_time(struct stepper_model *m, uint64_t cycle, const char *what)
{
    if (m->have_event && cycle < m->last_event) {
        set_error(m, "%s at cycle %llu is before the previous input at cycle %llu", what,
                  (unsigned long long)cycle, (unsigned long long)m->last_event);
        return -1;
    }
    m->have_event = true;
    m->last_event = cycle;
    return 0;
}

static void back_to_rest(struct stepper_model *m)
{
    m->have_step = false;
    m->speed = 0.0;
    m->accel = 0.0;
    m->stalled = false;
}

int stepper_model_set_enable(struct stepper_model *m, uint64_t cycle, bool enabled)
{
    if (accept_time(m, cycle, "enable change") < 0)
        return -1;
    if (enabled != m->enabled)
        back_to_rest(m);
    m->enabled = enabled;
    return 0;
}

int stepper_model_set_dir(struct stepper_model *m, uint64_t cycle, int level)
{
    if (accept_time(m, cycle, "dir change") < 0)
        return -1;
    int dir = level ? 1 : 0;
    if (dir != m->dir) {
        m->dir_pending = true;
        m->dir_changed_at = cycle;
        if (m->have_edge &&
            (double)(cycle - m->last_edge) * m->seconds_per_cycle < m->p.dir_hold_time)
            m->timing_violations++;
    }
    m->dir = dir;
    return 0;
}

static void check_timing(struct stepper_model *m, uint64_t cycle)
{
    double since_step = m->have_edge ? (double)(cycle - m->last_edge) * m->seconds_per_cycle : 1.0;
    double since_dir =
        m->dir_pending ? (double)(cycle - m->dir_changed_at) * m->seconds_per_cycle : 1.0;
    if (since_step < m->p.min_step_period || since_dir < m->p.dir_setup_time)
        m->timing_violations++;
    m->dir_pending = false;
    m->have_edge = true;
    m->last_edge = cycle;
}

/* Speed from the interval that this edge ends, acceleration from the
 * change of the smoothed speed, each through a first-order filter whose
 * weight dt / (filter_time + dt) needs no exp(). The filters stand for
 * the rotor's compliance: it lags the field a little instead of following
 * every jitter of the step times. */
static void estimate_motion(struct stepper_model *m, uint64_t cycle, int sign)
{
    if (!m->have_step) {
        m->have_step = true;
        m->last_step = cycle;
        return;
    }
    uint64_t dc = cycle - m->last_step;
    double dt = (double)(dc ? dc : 1) * m->seconds_per_cycle;
    double w = sign * m->rad_per_microstep / dt;
    double k = dt / (m->p.filter_time + dt);
    double previous = m->speed;
    m->speed += (w - m->speed) * k;
    m->accel += ((m->speed - previous) / dt - m->accel) * k;
    m->last_step = cycle;
}

/* Keep the detent of a stalled rotor within half a cycle of where it
 * stopped, or of an obstacle, by counting whole cycles as lost. */
static void hold_within(struct stepper_model *m, int64_t lo, int64_t hi)
{
    int64_t half = m->cycle / 2;
    while (m->commanded - m->lost > hi + half) {
        m->lost += m->cycle;
        m->slips++;
    }
    while (m->commanded - m->lost < lo - half) {
        m->lost -= m->cycle;
        m->slips++;
    }
}

/* A stalled rotor stops where it is, which is never beyond an obstacle;
 * an anchor past one would have the two holds undo each other's cycles. */
static void set_anchor(struct stepper_model *m, int64_t detent)
{
    if (m->has_travel && detent > m->travel_hi)
        detent = m->travel_hi;
    if (m->has_travel && detent < m->travel_lo)
        detent = m->travel_lo;
    m->anchor = detent;
}

int stepper_model_step(struct stepper_model *m, uint64_t cycle)
{
    if (accept_time(m, cycle, "step edge") < 0)
        return -1;
    if (!m->enabled) {
        m->ignored++;
        return 0;
    }
    check_timing(m, cycle);
    int sign = m->dir ? 1 : -1;
    m->commanded += sign;
    m->edges++;
    estimate_motion(m, cycle, sign);

    m->demand = m->inertia * m->accel + m->p.friction_torque * sign + m->p.damping * m->speed;
    m->available = stepper_model_torque_at(m, m->speed);
    double load = fabs(m->demand);
    double ratio = m->available > 0.0 ? load / m->available : (load > 0.0 ? INFINITY : 0.0);
    if (ratio > m->peak_load)
        m->peak_load = ratio;

    if (m->forced_slips) {
        int64_t jump = sign * m->cycle * (int64_t)m->forced_slips;
        m->lost += jump;
        set_anchor(m, m->anchor - jump);
        m->slips += m->forced_slips;
        m->forced_slips = 0;
    } else if (m->stalled) {
        if (fabs(m->speed) <= m->pullin_speed && load <= m->available)
            m->stalled = false;
    } else if (load > m->available) {
        m->lost += sign * m->cycle;
        m->slips++;
        m->stalled = true;
        set_anchor(m, m->commanded - m->lost);
    }
    if (m->stalled)
        hold_within(m, m->anchor, m->anchor);
    if (m->has_travel)
        hold_within(m, m->travel_lo, m->travel_hi);
    return 0;
}

int stepper_model_force_slip(struct stepper_model *m, unsigned cycles)
{
    if (cycles > 1000000u) {
        set_error(m, "force_slip: expected at most 1000000 electrical cycles, got %u", cycles);
        return -1;
    }
    m->forced_slips = cycles;
    return 0;
}

int stepper_model_set_torque_scale(struct stepper_model *m, double scale)
{
    if (!isfinite(scale) || scale < 0.0 || scale > 100.0) {
        set_error(m, "torque scale: expected a factor from 0 to 100 (1 = healthy), got %g", scale);
        return -1;
    }
    m->torque_scale = scale;
    m->pullin_speed = find_pullin_speed(m);
    return 0;
}

static int travel_valid(struct stepper_model *m, int64_t lo, int64_t hi)
{
    const int64_t far = INT64_C(1) << 62;
    if (lo < -far || hi > far) {
        set_error(m, "travel: expected ends within +-2^62 microsteps, got %lld..%lld",
                  (long long)lo, (long long)hi);
        return -1;
    }
    if (lo > hi) {
        set_error(m, "travel: lower end %lld is above upper end %lld", (long long)lo,
                  (long long)hi);
        return -1;
    }
    return 0;
}

int stepper_model_move_travel(struct stepper_model *m, int64_t lo, int64_t hi)
{
    if (travel_valid(m, lo, hi) < 0)
        return -1;
    m->has_travel = true;
    m->travel_lo = lo;
    m->travel_hi = hi;
    hold_within(m, lo, hi);
    set_anchor(m, m->anchor);
    return 0;
}

int stepper_model_set_travel(struct stepper_model *m, int64_t lo, int64_t hi)
{
    if (travel_valid(m, lo, hi) < 0)
        return -1;
    int64_t rotor = m->commanded - m->lost;
    if (rotor < lo || rotor > hi) {
        set_error(m, "travel: the rotor at %lld microsteps is outside %lld..%lld", (long long)rotor,
                  (long long)lo, (long long)hi);
        return -1;
    }
    m->has_travel = true;
    m->travel_lo = lo;
    m->travel_hi = hi;
    set_anchor(m, m->anchor);
    return 0;
}

int64_t stepper_model_rotor(const struct stepper_model *m)
{
    int64_t rotor = m->commanded - m->lost;
    if (m->has_travel && rotor > m->travel_hi)
        rotor = m->travel_hi;
    if (m->has_travel && rotor < m->travel_lo)
        rotor = m->travel_lo;
    return rotor;
}

void stepper_model_report(const struct stepper_model *m, struct stepper_report *out)
{
    int64_t rotor = stepper_model_rotor(m);
    *out = (struct stepper_report){
        .commanded = m->commanded,
        .edges = m->edges,
        .ignored = m->ignored,
        .rotor = rotor,
        .lost = m->lost,
        .slips = m->slips,
        .slipped = m->slips * (uint64_t)m->cycle,
        .timing_violations = m->timing_violations,
        .enabled = m->enabled,
        .stalled = m->stalled,
        .speed = m->speed,
        .accel = m->accel,
        .torque_demand = m->demand,
        .torque_available = m->available,
        .peak_load = m->peak_load,
    };
}

int64_t stepper_model_cycle(const struct stepper_model *m)
{
    return m->cycle;
}

double stepper_model_pullin_speed(const struct stepper_model *m)
{
    return m->pullin_speed;
}

const struct stepper_params *stepper_model_params(const struct stepper_model *m)
{
    return &m->p;
}
