/* The pin watch: the MCU's output edges drive the parts wired to them. */
#include <math.h>
#include <string.h>

#include "sim_mcu.h"
#include "twin_internal.h"

/* Record tags of the binary events in the hash. */
#define EVENT_PIN 0x10000u

bool twin_endstop_closed(const struct twin *tw, const struct twin_stepper *s)
{
    if (s->axis)
        return axis_model_endstop_closed(s->axis);
    return s->gantry_motor >= 0 && corexy_model_endstop_closed(tw->gantry, s->gantry_motor);
}

void twin_drive_endstop(struct twin *tw, struct twin_stepper *s, uint64_t cycle)
{
    bool closed = twin_endstop_closed(tw, s);
    int level = closed ? s->triggered_level : !s->triggered_level;
    sim_mcu_set_input(tw->mcu, s->endstop_pin, level);
    twin_record(tw, cycle, "endstop %s %s", s->name, closed ? "closed" : "open");
}

void twin_flush_run(struct twin *tw, struct twin_stepper *s)
{
    if (!s->run_count)
        return;
    twin_record(tw, s->run_start, "step %s %c %lld %llu %lld", s->name, s->run_dir > 0 ? '+' : '-',
                (long long)s->run_interval, (unsigned long long)s->run_count,
                (long long)s->run_add);
    s->run_count = 0;
}

static void model_error(struct twin *tw, uint64_t cycle, const char *part, const char *why)
{
    /* A refused input is a wiring bug of the twin, not a printer fault:
     * count it, say it once, and keep going. */
    if (!tw->model_errors++)
        twin_record(tw, cycle, "model-error %s: %s", part, why);
}

static void step_edge(struct twin *tw, struct twin_stepper *s, uint64_t cycle)
{
    int dir = (s->dir_level ? 1 : -1) * (s->reversed ? -1 : 1);
    if (s->run_count && (dir != s->run_dir || cycle - s->run_last > tw->run_gap_cycles))
        twin_flush_run(tw, s);
    /* Extend the run while the edges keep its arithmetic exactly. */
    int64_t gap = (int64_t)(cycle - s->run_last);
    if (s->run_count == 1) {
        s->run_interval = gap;
    } else if (s->run_count == 2) {
        s->run_add = gap - s->run_interval;
    } else if (s->run_count > 2 &&
               gap != s->run_interval + (int64_t)(s->run_count - 1) * s->run_add) {
        twin_flush_run(tw, s);
    }
    if (!s->run_count) {
        s->run_start = cycle;
        s->run_dir = dir;
        s->run_interval = s->run_add = 0;
    }
    s->run_count++;
    s->run_last = cycle;
    if (!tw->clock_origin_known) {
        tw->clock_origin = sim_mcu_clock_origin(tw->mcu);
        tw->clock_origin_known = true;
    }
    twin_schedule_step(&tw->sched, (size_t)(s - tw->steppers), (uint32_t)(cycle - tw->clock_origin),
                       cycle);
    if (s->axis) {
        int rc = axis_model_step(s->axis, cycle);
        if (rc == 1)
            twin_drive_endstop(tw, s, cycle);
        else if (rc < 0)
            model_error(tw, cycle, s->name, axis_model_error(s->axis));
    } else if (s->gantry_motor >= 0) {
        /* One motor of the gantry moves the carriage in x and y: either
         * switch may change. */
        int rc = corexy_model_step(tw->gantry, s->gantry_motor, cycle);
        if (rc < 0)
            model_error(tw, cycle, s->name, corexy_model_error(tw->gantry));
        for (int axis = 0; rc > 0 && axis < 2; axis++)
            if (rc & (axis == COREXY_X ? COREXY_X_CHANGED : COREXY_Y_CHANGED))
                twin_drive_endstop(tw, &tw->steppers[tw->gantry_stepper[axis]], cycle);
    } else if (stepper_model_step(s->motor, cycle) < 0) {
        model_error(tw, cycle, s->name, stepper_model_error(s->motor));
    }
}

static void set_duty(struct twin *tw, struct twin_pwm *p, const char *name, uint64_t cycle,
                     double duty)
{
    p->duty = duty;
    /* Soft PWM on whole timer ticks jitters in the last digits: log real
     * changes only. */
    if (fabs(duty - p->logged_duty) >= 0.005 ||
        ((duty == 0 || duty == 1) && duty != p->logged_duty)) {
        p->logged_duty = duty;
        twin_record(tw, cycle, "duty %s %.3f", name, duty);
    }
}

static void pwm_edge(struct twin *tw, struct twin_pwm *p, const char *name, uint64_t cycle,
                     int level)
{
    if (level) {
        if (p->have_rise && cycle > p->last_rise)
            set_duty(tw, p, name, cycle, (double)p->high / (double)(cycle - p->last_rise));
        p->last_rise = cycle;
        p->have_rise = true;
    } else if (p->have_rise) {
        p->high = cycle - p->last_rise;
    }
    p->level = level;
    p->last_edge = cycle;
}

void twin_pwm_idle(struct twin *tw, struct twin_pwm *p, const char *name, uint64_t now)
{
    if (now - p->last_edge < tw->idle_pwm_cycles)
        return;
    /* Resting: a period that spans the rest says nothing about a duty. */
    p->have_rise = false;
    /* Dated when the pin settled, not when that became clear. */
    if (p->duty != (double)p->level || p->logged_duty != (double)p->level)
        set_duty(tw, p, name, p->last_edge, p->level);
}

/* Heater models run on seconds; edges come in cycle order, but never let
 * a rounding put one before the model's own time. */
static double model_time(const struct twin *tw, const struct heater_model *h, uint64_t cycle)
{
    double t = twin_seconds(tw, cycle);
    double mt = heater_model_time(h);
    return t < mt ? mt : t;
}

void twin_on_pin(void *ctx, uint64_t cycle, unsigned pin, int level)
{
    struct twin *tw = ctx;
    level = level ? 1 : 0;
    twin_record_event(&tw->rec, cycle, EVENT_PIN | pin, (uint32_t)level);
    if (pin >= TWIN_NPINS || tw->level[pin] == level)
        return;
    tw->level[pin] = (uint8_t)level;
    for (unsigned i = 0; i < tw->nroles[pin]; i++) {
        struct pin_role r = tw->roles[pin][i];
        switch (r.kind) {
        case ROLE_STEP:
            if (level)
                step_edge(tw, &tw->steppers[r.index], cycle);
            break;
        case ROLE_DIR: {
            struct twin_stepper *s = &tw->steppers[r.index];
            s->dir_level = level;
            if (stepper_model_set_dir(s->motor, cycle, level) < 0)
                model_error(tw, cycle, s->name, stepper_model_error(s->motor));
            break;
        }
        case ROLE_ENABLE: {
            struct twin_stepper *s = &tw->steppers[r.index];
            bool on = s->enable_active_low ? !level : level;
            twin_flush_run(tw, s);
            if (stepper_model_set_enable(s->motor, cycle, on) < 0)
                model_error(tw, cycle, s->name, stepper_model_error(s->motor));
            twin_record(tw, cycle, "enable %s %s", s->name, on ? "on" : "off");
            break;
        }
        case ROLE_HEATER: {
            struct twin_heater *h = &tw->heaters[r.index];
            if (heater_model_set_duty(&h->model, model_time(tw, &h->model, cycle), level) < 0)
                model_error(tw, cycle, h->name, heater_model_error(&h->model));
            pwm_edge(tw, &h->pwm, h->name, cycle, level);
            break;
        }
        case ROLE_FAN:
            if (tw->hotend >= 0) {
                struct heater_model *hm = &tw->heaters[tw->hotend].model;
                if (heater_model_set_fan(hm, model_time(tw, hm, cycle), level) < 0)
                    model_error(tw, cycle, "fan", heater_model_error(hm));
            }
            pwm_edge(tw, &tw->fan, "fan", cycle, level);
            break;
        }
    }
}
