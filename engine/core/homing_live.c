/* Homing against real (or simulated) endstops, Klipper's way: a trsync
 * object on the MCU ties the endstop to the steppers that move, so the
 * MCU itself stops them at the trigger, within one sampling period; the
 * host then learns where they stopped and where the trigger happened.
 *
 * One homing move:
 *   trsync_start, trsync_set_timeout      the MCU stops everything by itself
 *                                         if the host goes quiet
 *   stepper_stop_on_trigger (each)        who stops
 *   endstop_home                          start sampling the switch
 *   the move's queue_step commands
 *   ...trsync_state reports (refresh the timeout) until the trigger or the
 *   move's end...
 *   trsync_trigger reason=host_request    end it, learn the first reason
 *   endstop_home sample_count=0           stop sampling
 *   stepper_get_position (each)           where they stopped
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clocksync.h"
#include "engine_internal.h"
#include "errmsg.h"
#include "kinematics.h"

/* Trigger reasons, as Klipper numbers them. */
#define REASON_ENDSTOP_HIT 1
#define REASON_COMMS_TIMEOUT 2
#define REASON_HOST_REQUEST 3

/* With one MCU, Klipper gives the host a quarter of a second. */
#define TRSYNC_TIMEOUT 0.250
#define TRSYNC_REPORT (TRSYNC_TIMEOUT * 0.3)
#define ENDSTOP_SAMPLE_TIME 0.000015
#define ENDSTOP_SAMPLE_COUNT 4
/* How often the host looks at the reports while it waits. */
#define HOMING_POLL_NS 5000000ull

int engine_live_add_objects(struct engine *e, char *err, size_t errlen)
{
    if (!e->live || toolhead_kinematics(e->th)->cfg.type == KIN_NONE)
        return 0;
    for (size_t i = 0; i < e->pc.nrails && i < 3; i++) {
        const struct rail_config *r = &e->pc.rails[i];
        struct engine_endstop *es = &e->endstops[i];
        if (strcmp(r->endstop_pin.mcu, "mcu")) {
            seterr(err, errlen, "[%s] endstop_pin: only endstops on the main [mcu] are supported",
                   r->stepper.name);
            return -1;
        }
        es->oid = mcu_out_alloc_oid(e->mcu);
        es->trsync_oid = mcu_out_alloc_oid(e->mcu);
        es->pin_value = r->endstop_pin.invert ? 0 : 1;
        es->present = true;
        if (mcu_out_add_config(e->mcu, err, errlen, "config_endstop oid=%d pin=%s pull_up=%d",
                               es->oid, r->endstop_pin.name, r->endstop_pin.pullup ? 1 : 0) ||
            mcu_out_add_config(e->mcu, err, errlen, "config_trsync oid=%d", es->trsync_oid))
            return -1;
    }
    return 0;
}

void engine_homing_message(struct engine *e, const struct msg_params *p, uint64_t t_ns)
{
    (void)t_ns;
    struct engine_homing_wait *w = &e->homing_wait;
    int64_t oid, can_trigger, clock;
    if (!w->active || strcmp(p->fmt->name, "trsync_state") || msg_get_int(p, "oid", &oid) ||
        oid != w->trsync_oid || msg_get_int(p, "can_trigger", &can_trigger) ||
        msg_get_int(p, "clock", &clock))
        return;
    w->reports++;
    w->can_trigger = can_trigger != 0;
    w->clock32 = (uint32_t)clock;
}

/* A command that goes out at once, ahead of anything queued. */
#define send_now(e, err, errlen, ...)                                                              \
    mcu_out_send_text((e)->mcu, NULL, 0, 0, err, errlen, __VA_ARGS__)

/* Distance along m at time t after its start. */
static double move_distance_at(const struct move *m, double t)
{
    if (t <= 0.0)
        return 0.0;
    if (t < m->accel_t)
        return (m->start_v + 0.5 * m->accel * t) * t;
    double d = (m->start_v + 0.5 * m->accel * m->accel_t) * m->accel_t;
    t -= m->accel_t;
    if (t < m->cruise_t)
        return d + m->cruise_v * t;
    d += m->cruise_v * m->cruise_t;
    t -= m->cruise_t;
    if (t < m->decel_t)
        return d + (m->cruise_v - 0.5 * m->accel * t) * t;
    return m->move_d;
}

static bool stepper_moves_axis(struct engine *e, int i, int axis)
{
    return stepper_out_coeff(e->steppers[i])[axis] != 0.0;
}

/* The toolhead position with each stepper moved from where it was at
 * from[] by delta_steps[i] steps. */
static void position_after_steps(struct engine *e, const double from[AXIS_COUNT],
                                 const int64_t *delta_steps, double pos[AXIS_COUNT])
{
    const struct kinematics *k = toolhead_kinematics(e->th);
    double spos[KIN_MAX_STEPPERS];
    for (int i = 0; i < k->stepper_count; i++) {
        const double *c = stepper_out_coeff(e->steppers[i]);
        double at = 0.0;
        for (int a = 0; a < AXIS_COUNT; a++)
            at += c[a] * from[a];
        spos[i] = at + (double)delta_steps[i] * e->pc.rails[i].stepper.step_distance;
    }
    double xyz[3];
    kinematics_calc_position(k, spos, xyz);
    memcpy(pos, from, AXIS_COUNT * sizeof(*pos));
    for (int a = 0; a < 3; a++)
        pos[a] = xyz[a];
}

/* Run the homing move and say how it ended: REASON_ENDSTOP_HIT with the
 * trigger clock, or another reason. */
static int run_and_wait(struct engine *e, const struct engine_endstop *es, double t_end,
                        int *reason, uint64_t *trigger_clock, char *err, size_t errlen)
{
    struct engine_homing_wait *w = &e->homing_wait;
    uint32_t freq = mcu_out_freq(e->mcu);
    uint64_t expire_ticks = (uint64_t)(TRSYNC_TIMEOUT * freq);
    unsigned seen = 0;
    while (!e->shutdown && w->can_trigger && engine_est_print_time(e) < t_end) {
        if (w->reports != seen) {
            /* Each report from a trsync that can still trigger buys the
             * host another timeout. */
            seen = w->reports;
            uint64_t report = clocksync_clock32_to_64(link_mcu_clock_now(e->link), w->clock32);
            if (send_now(e, err, errlen, "trsync_set_timeout oid=%d clock=%u", es->trsync_oid,
                         (uint32_t)(report + expire_ticks)))
                return -1;
        }
        if (engine_pump_until(e, link_now(e->transport) + HOMING_POLL_NS, err, errlen))
            return -1;
    }
    if (e->shutdown) {
        seterr(err, errlen, "%s", e->shutdown_reason);
        return -1;
    }
    /* End it; the answer carries the first reason it ended for. */
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "trsync_trigger oid=%d reason=%d", es->trsync_oid,
             REASON_HOST_REQUEST);
    struct msg_params p;
    int64_t r, clock;
    w->active = false;
    if (link_mcu_query(e->link, cmd, "trsync_state", &p, err, errlen) ||
        msg_get_int(&p, "trigger_reason", &r) || msg_get_int(&p, "clock", &clock))
        return -1;
    *reason = (int)r;
    *trigger_clock = clocksync_clock32_to_64(link_mcu_clock_now(e->link), (uint32_t)clock);
    return send_now(e, err, errlen,
                    "endstop_home oid=%d clock=0 sample_ticks=0 sample_count=0 rest_ticks=0 "
                    "pin_value=0 trsync_oid=%d trigger_reason=0",
                    es->oid, es->trsync_oid);
}

/* Where each stepper of the axis stopped: their queues end there. */
static int collect_halt(struct engine *e, int axis, int64_t *halt_delta, const int64_t *start_mcu,
                        char *err, size_t errlen)
{
    for (int i = 0; i < e->nsteppers; i++) {
        halt_delta[i] = 0;
        if (!stepper_moves_axis(e, i, axis))
            continue;
        char cmd[48];
        snprintf(cmd, sizeof(cmd), "stepper_get_position oid=%d", stepper_out_oid(e->steppers[i]));
        struct msg_params p;
        int64_t pos;
        if (link_mcu_query(e->link, cmd, "stepper_position", &p, err, errlen) ||
            msg_get_int(&p, "pos", &pos))
            return -1;
        pos = stepper_out_from_mcu(e->steppers[i], pos);
        halt_delta[i] = pos - start_mcu[i];
        if (stepper_out_halted(e->steppers[i], pos, err, errlen))
            return -1;
    }
    return 0;
}

int engine_homing_move_live(struct engine *e, int axis, const double start[AXIS_COUNT],
                            const double target[AXIS_COUNT], double speed, bool retried,
                            double final[AXIS_COUNT], char *err, size_t errlen)
{
    const struct engine_endstop *es = &e->endstops[axis];
    const struct rail_config *rail = &e->pc.rails[axis];
    static const char names[] = "xyz";
    struct kinematics *k = toolhead_kinematics(e->th);
    unsigned homed = kinematics_homed_axes(k) | AXIS_BIT(axis);
    if (engine_set_position(e, start, homed, err, errlen))
        return -1;
    engine_live_prime(e);
    if (engine_motors_on(e, err, errlen))
        return -1;
    double t0 = toolhead_get_last_move_time(e->th);
    uint64_t c0 = mcu_out_clock(e->mcu, t0);
    uint32_t freq = mcu_out_freq(e->mcu);
    double rest = rail->stepper.step_distance / speed;
    int64_t start_mcu[ENGINE_MAX_STEPPERS];
    for (int i = 0; i < e->nsteppers; i++)
        start_mcu[i] = stepper_out_mcu_position(e->steppers[i]);
    struct engine_homing_wait *w = &e->homing_wait;
    memset(w, 0, sizeof(*w));
    w->trsync_oid = es->trsync_oid;
    w->can_trigger = true;
    w->active = true;
    if (send_now(
            e, err, errlen, "trsync_start oid=%d report_clock=%u report_ticks=%u expire_reason=%d",
            es->trsync_oid, (uint32_t)c0, (uint32_t)(TRSYNC_REPORT * freq), REASON_COMMS_TIMEOUT) ||
        send_now(e, err, errlen, "trsync_set_timeout oid=%d clock=%u", es->trsync_oid,
                 (uint32_t)(c0 + (uint64_t)(TRSYNC_TIMEOUT * freq))))
        goto fail;
    for (int i = 0; i < e->nsteppers; i++)
        if (stepper_moves_axis(e, i, axis) &&
            send_now(e, err, errlen, "stepper_stop_on_trigger oid=%d trsync_oid=%d",
                     stepper_out_oid(e->steppers[i]), es->trsync_oid))
            goto fail;
    if (send_now(e, err, errlen,
                 "endstop_home oid=%d clock=%u sample_ticks=%u sample_count=%d rest_ticks=%u "
                 "pin_value=%d trsync_oid=%d trigger_reason=%d",
                 es->oid, (uint32_t)c0, (uint32_t)ceil(ENDSTOP_SAMPLE_TIME * freq),
                 ENDSTOP_SAMPLE_COUNT, (uint32_t)ceil(rest * freq), es->pin_value, es->trsync_oid,
                 REASON_ENDSTOP_HIT))
        goto fail;
    if (engine_homing_toolhead_move(e, axis, target, speed, err, errlen) ||
        engine_flush_moves(e, err, errlen))
        goto fail;
    struct move m = e->sink.last_move;
    double t_end = toolhead_get_last_move_time(e->th);
    int reason;
    uint64_t trig_clock;
    if (run_and_wait(e, es, t_end, &reason, &trig_clock, err, errlen))
        goto fail;
    if (reason == REASON_COMMS_TIMEOUT) {
        seterr(err, errlen, "Communication timeout during homing");
        return -1;
    }
    if (reason != REASON_ENDSTOP_HIT) {
        seterr(err, errlen, "No trigger on %c after full movement", names[axis]);
        return -1;
    }
    int64_t halt_delta[ENGINE_MAX_STEPPERS];
    if (collect_halt(e, axis, halt_delta, start_mcu, err, errlen))
        return -1;
    const struct clocksync *cs = mcu_out_clocksync(e->mcu);
    double t_trig = clocksync_clock_to_print_time(cs, trig_clock);
    double d_trig = move_distance_at(&m, t_trig - m.print_time);
    /* The second touch came before a single step: the switch never
     * opened when the carriage backed off (Klipper checks only then). */
    if (retried && d_trig * fabs(m.axes_r[axis]) < rail->stepper.step_distance) {
        seterr(err, errlen, "Endstop %c still triggered after retract", names[axis]);
        return -1;
    }
    /* The steps after the stop point were never taken: go on from the
     * trigger, with the toolhead where the steppers stopped. */
    double restart = fmax(t_trig, engine_est_print_time(e));
    mcu_out_forget_moves(e->mcu, mcu_out_clock(e->mcu, restart));
    if (stepgen_restart_time(e->sg, restart, err, errlen) ||
        toolhead_set_print_time(e->th, restart, err, errlen))
        return -1;
    e->sink.last_move_end = restart;
    engine_live_prime(e);
    double halt[AXIS_COUNT];
    position_after_steps(e, m.start_pos, halt_delta, halt);
    memcpy(final, halt, sizeof(halt));
    double trig = m.start_pos[axis] + m.axes_r[axis] * d_trig;
    final[axis] = rail->position_endstop + (halt[axis] - trig);
    final[AXIS_E] = start[AXIS_E];
    return engine_set_position(e, final, homed, err, errlen);
fail:
    w->active = false;
    return -1;
}
