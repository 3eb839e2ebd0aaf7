/* Faults acting on the twin's parts, at their time, line or condition. */
#include <stdint.h>

#include "twin_internal.h"

static unsigned heater_flag(enum twin_fault_kind k)
{
    switch (k) {
    case TWIN_FAULT_THERMISTOR_OPEN:
        return HEATER_FAULT_SENSOR_OPEN;
    case TWIN_FAULT_THERMISTOR_SHORT:
        return HEATER_FAULT_SENSOR_SHORT;
    case TWIN_FAULT_THERMISTOR_DETACHED:
        return HEATER_FAULT_SENSOR_DETACHED;
    case TWIN_FAULT_HEATER_OPEN:
        return HEATER_FAULT_HEATER_OPEN;
    case TWIN_FAULT_MOSFET_STUCK_ON:
        return HEATER_FAULT_MOSFET_STUCK_ON;
    default:
        return 0;
    }
}

static void act_on_heater(struct twin *tw, struct twin_heater *h, enum twin_fault_kind k,
                          uint64_t now)
{
    unsigned flags =
        k == TWIN_FAULT_HEATER_OK ? 0 : heater_model_faults(&h->model) | heater_flag(k);
    double t = twin_seconds(tw, now);
    if (t < heater_model_time(&h->model))
        t = heater_model_time(&h->model);
    if (heater_model_set_faults(&h->model, t, flags) < 0) {
        twin_fail(tw, "%s: %s", h->name, heater_model_error(&h->model));
        return;
    }
    /* The pin shows the fault at once, not at the next refresh. */
    twin_thermal_update(tw, now);
}

static void act_on_endstop(struct twin *tw, struct twin_stepper *s, enum twin_fault_kind k,
                           uint64_t now)
{
    enum endstop_fault ef = k == TWIN_FAULT_ENDSTOP_OPEN     ? ENDSTOP_STUCK_OPEN
                            : k == TWIN_FAULT_ENDSTOP_CLOSED ? ENDSTOP_STUCK_CLOSED
                                                             : ENDSTOP_WORKING;
    int rc = s->axis ? axis_model_set_endstop_fault(s->axis, ef)
                     : corexy_model_set_endstop_fault(tw->gantry, s->gantry_motor, ef);
    if (rc < 0)
        twin_fail(tw, "%s: %s", s->name,
                  s->axis ? axis_model_error(s->axis) : corexy_model_error(tw->gantry));
    else if (rc == 1)
        twin_drive_endstop(tw, s, now);
}

int twin_fault_act(struct twin *tw, struct twin_fault_state *fs, uint64_t now)
{
    const struct twin_fault *f = &fs->f;
    fs->fired = true;
    fs->fired_cycle = now;
    twin_record(tw, now, "fault %s", f->spec);
    struct twin_stepper *s =
        fs->index >= 0 && f->part_kind != TWIN_PART_HEATER ? &tw->steppers[fs->index] : NULL;
    struct twin_heater *h =
        fs->index >= 0 && f->part_kind == TWIN_PART_HEATER ? &tw->heaters[fs->index] : NULL;
    switch (f->kind) {
    case TWIN_FAULT_SLIP:
        if (stepper_model_force_slip(s->motor, (unsigned)f->value) < 0)
            twin_fail(tw, "%s: %s", s->name, stepper_model_error(s->motor));
        break;
    case TWIN_FAULT_TORQUE:
        if (stepper_model_set_torque_scale(s->motor, f->value) < 0)
            twin_fail(tw, "%s: %s", s->name, stepper_model_error(s->motor));
        break;
    case TWIN_FAULT_ENDSTOP_OPEN:
    case TWIN_FAULT_ENDSTOP_CLOSED:
    case TWIN_FAULT_ENDSTOP_OK:
        act_on_endstop(tw, s, f->kind, now);
        break;
    case TWIN_FAULT_THERMISTOR_OPEN:
    case TWIN_FAULT_THERMISTOR_SHORT:
    case TWIN_FAULT_THERMISTOR_DETACHED:
    case TWIN_FAULT_HEATER_OPEN:
    case TWIN_FAULT_MOSFET_STUCK_ON:
    case TWIN_FAULT_HEATER_OK:
        act_on_heater(tw, h, f->kind, now);
        break;
    case TWIN_FAULT_HOST_STALL: {
        uint64_t until = now + twin_cycles(tw, f->value);
        if (until > tw->stall_until)
            tw->stall_until = until;
        break;
    }
    case TWIN_FAULT_WIRE_JAM:
        twin_jam_wire(tw, now + twin_cycles(tw, f->value));
        break;
    }
    return tw->failed ? -1 : 0;
}

uint64_t twin_faults_next_time(const struct twin *tw)
{
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < tw->nfaults; i++) {
        const struct twin_fault_state *fs = &tw->faults[i];
        if (!fs->fired && fs->f.when == TWIN_WHEN_TIME && fs->cycle < next)
            next = fs->cycle;
    }
    return next;
}

int twin_faults_due(struct twin *tw, uint64_t now)
{
    for (size_t i = 0; i < tw->nfaults; i++) {
        struct twin_fault_state *fs = &tw->faults[i];
        if (!fs->fired && fs->f.when == TWIN_WHEN_TIME && fs->cycle <= now &&
            twin_fault_act(tw, fs, now))
            return -1;
    }
    return 0;
}

int twin_faults_check(struct twin *tw, uint64_t now)
{
    for (size_t i = 0; i < tw->nfaults; i++) {
        struct twin_fault_state *fs = &tw->faults[i];
        if (fs->fired || (fs->f.when != TWIN_WHEN_ABOVE && fs->f.when != TWIN_WHEN_BELOW))
            continue;
        double temp = heater_model_sensor_temp(&tw->heaters[fs->watch].model);
        bool met = fs->f.when == TWIN_WHEN_ABOVE ? temp > fs->f.threshold : temp < fs->f.threshold;
        /* "Passes": the condition must first be seen false, so that
         * heater_bed<40 waits for a bed that was hot to cool down. */
        if (!met)
            fs->armed = true;
        else if (fs->armed && twin_fault_act(tw, fs, now))
            return -1;
    }
    return 0;
}
