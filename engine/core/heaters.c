/* The printer's heaters and part fan on the MCU, Klipper's way.
 *
 * Each heater is an analog input the MCU samples and range-checks by
 * itself (query_analog_in with the ADC values of min_temp and max_temp,
 * so a broken or shorted thermistor shuts the MCU down with "ADC out of
 * range" whatever the host does), and a software-PWM output whose every
 * setting expires after max_duration unless renewed (so a stalled host
 * cannot leave a heater on). The control itself (heater/) answers each
 * analog_in_state report with a new power when it is worth sending;
 * verify_heater runs once a second. In batch mode no MCU reports, so the
 * targets are only kept and the waits return at once. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine_internal.h"
#include "errmsg.h"
#include "temp_report.h"

/* Klipper staggers the first samples of each sensor, starting a little
 * after the configuration is done. */
#define QUERY_START 1.5
#define QUERY_SLOT 0.010

static int add_heater(struct engine *e, struct engine_heater *eh, const char *name,
                      const char *gcode_id, const struct heater_config *hc, char *err,
                      size_t errlen)
{
    snprintf(eh->name, sizeof(eh->name), "%s", name);
    snprintf(eh->gcode_id, sizeof(eh->gcode_id), "%s", gcode_id);
    char e2[200];
    eh->h = heater_create(name, hc, e2, sizeof(e2));
    if (!eh->h) {
        seterr(err, errlen, "[%s]: %s", name, e2);
        return -1;
    }
    struct verify_heater_params vp;
    verify_heater_defaults(name, &vp);
    if (verify_heater_init(&eh->verify, name, &vp, err, errlen))
        return -1;
    if (strcmp(hc->heater_pin.mcu, "mcu") || strcmp(hc->sensor_pin.mcu, "mcu")) {
        seterr(err, errlen, "[%s]: only heaters on the main [mcu] are supported", name);
        return -1;
    }
    uint32_t freq = mcu_out_freq(e->mcu);
    eh->adc_oid = mcu_out_alloc_oid(e->mcu);
    eh->pwm_oid = mcu_out_alloc_oid(e->mcu);
    eh->invert = hc->heater_pin.invert;
    eh->cycle_ticks = (uint32_t)llround(hc->pwm_cycle_time * freq);
    int64_t adc_max;
    if (dict_config_int(mcu_out_dict(e->mcu), "ADC_MAX", &adc_max) || adc_max <= 0) {
        seterr(err, errlen, "[%s]: the MCU's dictionary has no ADC_MAX", name);
        return -1;
    }
    eh->adc_max = (double)adc_max;
    uint16_t lo, hi;
    if (heater_mcu_adc_range(eh->h, eh->adc_max, &lo, &hi, e2, sizeof(e2))) {
        seterr(err, errlen, "[%s]: %s", name, e2);
        return -1;
    }
    int off = eh->invert ? 1 : 0;
    uint64_t start =
        mcu_out_clock(e->mcu, engine_est_print_time(e) + QUERY_START + QUERY_SLOT * eh->adc_oid);
    eh->present = true;
    return mcu_out_add_config(e->mcu, err, errlen, "config_analog_in oid=%d pin=%s", eh->adc_oid,
                              hc->sensor_pin.name) ||
           mcu_out_add_config(e->mcu, err, errlen,
                              "config_digital_out oid=%d pin=%s value=%d default_value=%d "
                              "max_duration=%u",
                              eh->pwm_oid, hc->heater_pin.name, off, off,
                              (uint32_t)(HEATER_MAX_HEAT_TIME * freq)) ||
           mcu_out_add_config(e->mcu, err, errlen,
                              "set_digital_out_pwm_cycle oid=%d cycle_ticks=%u", eh->pwm_oid,
                              eh->cycle_ticks) ||
           mcu_out_add_init(e->mcu, err, errlen,
                            "query_analog_in oid=%d clock=%u sample_ticks=%u sample_count=%d "
                            "rest_ticks=%u min_value=%u max_value=%u range_check_count=%d",
                            eh->adc_oid, (uint32_t)start,
                            (uint32_t)(TEMP_SENSOR_SAMPLE_TIME * freq), TEMP_SENSOR_SAMPLE_COUNT,
                            (uint32_t)(TEMP_SENSOR_REPORT_TIME * freq), lo, hi,
                            TEMP_SENSOR_RANGE_CHECK_COUNT);
}

static int add_fan(struct engine *e, char *err, size_t errlen)
{
    const struct fan_config *fc = &e->pc.fan;
    struct engine_fan *f = &e->fan;
    if (!fc->present)
        return 0;
    if (strcmp(fc->pin.mcu, "mcu")) {
        seterr(err, errlen, "[fan]: only a fan on the main [mcu] is supported");
        return -1;
    }
    f->present = true;
    f->oid = mcu_out_alloc_oid(e->mcu);
    f->invert = fc->pin.invert;
    f->cycle_ticks = (uint32_t)llround(fc->cycle_time * mcu_out_freq(e->mcu));
    int off = f->invert ? 1 : 0;
    return mcu_out_add_config(e->mcu, err, errlen,
                              "config_digital_out oid=%d pin=%s value=%d default_value=%d "
                              "max_duration=0",
                              f->oid, fc->pin.name, off, off) ||
           mcu_out_add_config(e->mcu, err, errlen,
                              "set_digital_out_pwm_cycle oid=%d cycle_ticks=%u", f->oid,
                              f->cycle_ticks);
}

int engine_heaters_add(struct engine *e, char *err, size_t errlen)
{
    const struct printer_config *pc = &e->pc;
    if (pc->extruder.present && add_heater(e, &e->heaters[ENGINE_HEATER_EXTRUDER], "extruder", "T0",
                                           &pc->extruder.heater, err, errlen))
        return -1;
    if (pc->heater_bed.present && add_heater(e, &e->heaters[ENGINE_HEATER_BED], "heater_bed", "B",
                                             &pc->heater_bed.heater, err, errlen))
        return -1;
    if (e->live && e->heaters[ENGINE_HEATER_EXTRUDER].present)
        toolhead_set_can_extrude(e->th, heater_can_extrude_cb,
                                 e->heaters[ENGINE_HEATER_EXTRUDER].h);
    return add_fan(e, err, errlen);
}

void engine_heaters_free(struct engine *e)
{
    for (int i = 0; i < ENGINE_HEATERS; i++)
        heater_free(e->heaters[i].h);
}

/* A software-PWM setting from print time t on: on_ticks of every cycle. */
static int queue_pwm(struct engine *e, int oid, bool invert, uint32_t cycle_ticks, double t,
                     double value, char *err, size_t errlen)
{
    uint32_t on = (uint32_t)(value * cycle_ticks + 0.5);
    if (on > cycle_ticks)
        on = cycle_ticks;
    if (invert)
        on = cycle_ticks - on;
    uint64_t clock = mcu_out_clock(e->mcu, t);
    return mcu_out_send_text(e->mcu, e->misc_queue, 0, clock, err, errlen,
                             "queue_digital_out oid=%d clock=%u on_ticks=%u", oid, (uint32_t)clock,
                             on);
}

/* A heater fault on the host: the whole printer shuts down, the MCU too
 * (every output to its default: heaters off, drivers disabled). */
static void heater_fault(struct engine *e, const char *msg)
{
    if (e->shutdown)
        return;
    for (int i = 0; i < ENGINE_HEATERS; i++)
        if (e->heaters[i].present)
            heater_shutdown(e->heaters[i].h);
    mcu_out_send_text(e->mcu, NULL, 0, 0, NULL, 0, "emergency_stop");
    e->shutdown = true;
    const char *nl = strchr(msg, '\n');
    snprintf(e->shutdown_reason, sizeof(e->shutdown_reason), "%.*s",
             nl ? (int)(nl - msg) : (int)strlen(msg), msg);
    engine_respond(e, "!! %s", e->shutdown_reason);
}

void engine_heaters_message(struct engine *e, const struct msg_params *p)
{
    int64_t oid, next_clock, value;
    if (strcmp(p->fmt->name, "analog_in_state") || msg_get_int(p, "oid", &oid) ||
        msg_get_int(p, "next_clock", &next_clock) || msg_get_int(p, "value", &value))
        return;
    for (int i = 0; i < ENGINE_HEATERS; i++) {
        struct engine_heater *eh = &e->heaters[i];
        if (!eh->present || eh->adc_oid != oid || e->shutdown)
            continue;
        const struct clocksync *cs = mcu_out_clocksync(e->mcu);
        uint64_t next = clocksync_clock32_to_64(clocksync_last_clock(cs), (uint32_t)next_clock);
        double read_time = clocksync_clock_to_print_time(cs, next) - TEMP_SENSOR_REPORT_TIME;
        double adc = temp_sensor_normalise((uint32_t)value, TEMP_SENSOR_SAMPLE_COUNT, eh->adc_max);
        struct heater_output out;
        char err[200];
        if (heater_adc_update(eh->h, read_time, adc, &out, err, sizeof(err)))
            return;
        if (out.fault) {
            heater_fault(e, out.msg);
            return;
        }
        if (out.send && queue_pwm(e, eh->pwm_oid, eh->invert, eh->cycle_ticks, out.pwm_time,
                                  out.pwm_value, err, sizeof(err)))
            heater_fault(e, err);
    }
}

void engine_heaters_tick(struct engine *e)
{
    double now = engine_est_print_time(e);
    for (int i = 0; i < ENGINE_HEATERS && !e->shutdown; i++) {
        struct engine_heater *eh = &e->heaters[i];
        if (!eh->present)
            continue;
        heater_stats(eh->h, now, NULL, 0);
        double temp, target;
        heater_get_temp(eh->h, now, &temp, &target);
        char msg[HEATER_MSG_MAX + 200];
        if (verify_heater_check(&eh->verify, now, temp, target, msg, sizeof(msg)) == 1 && *msg)
            heater_fault(e, msg);
    }
}

struct engine_heater *engine_heater_by_gcode(struct engine *e, bool bed)
{
    struct engine_heater *eh = &e->heaters[bed ? ENGINE_HEATER_BED : ENGINE_HEATER_EXTRUDER];
    return eh->present ? eh : NULL;
}

int engine_temperature_report(struct engine *e, char *buf, size_t len)
{
    struct temp_report_entry entries[ENGINE_HEATERS];
    size_t n = 0;
    double now = engine_est_print_time(e);
    for (int i = 0; i < ENGINE_HEATERS; i++) {
        struct engine_heater *eh = &e->heaters[i];
        if (!eh->present)
            continue;
        entries[n].gcode_id = eh->gcode_id;
        heater_get_temp(eh->h, now, &entries[n].temp, &entries[n].target);
        n++;
    }
    if (!n) {
        snprintf(buf, len, "T:0");
        return 0;
    }
    return temp_report_m105(entries, n, buf, len) < 0 ? -1 : 0;
}

int engine_heater_wait(struct engine *e, struct engine_heater *eh, char *err, size_t errlen)
{
    if (!e->live)
        return 0;
    /* Moves before M109 run first, as Klipper flushes the lookahead. */
    if (engine_flush_moves(e, err, errlen))
        return -1;
    while (!e->shutdown && heater_check_busy(eh->h)) {
        char line[160];
        if (engine_temperature_report(e, line, sizeof(line)) == 0)
            engine_respond(e, "%s", line);
        if (engine_pump_print_time(e, engine_est_print_time(e) + 1.0, err, errlen))
            return -1;
    }
    if (e->shutdown) {
        seterr(err, errlen, "%s", e->shutdown_reason);
        return -1;
    }
    return 0;
}

int engine_fan_set(struct engine *e, double speed, char *err, size_t errlen)
{
    struct engine_fan *f = &e->fan;
    if (!f->present)
        return 0;
    const struct fan_config *fc = &e->pc.fan;
    double value = speed < fc->off_below ? 0.0 : speed * fc->max_power;
    if (value == f->value)
        return 0;
    /* At the end of the moves queued so far, as Klipper times it. */
    double t = toolhead_get_last_move_time(e->th);
    if (queue_pwm(e, f->oid, f->invert, f->cycle_ticks, t, value, err, errlen))
        return -1;
    f->value = value;
    return 0;
}

double engine_heater_target(const struct engine *e, const char *name)
{
    for (int i = 0; i < ENGINE_HEATERS; i++) {
        const struct engine_heater *h = &e->heaters[i];
        if (h->present && !strcmp(h->name, name))
            return e->shutdown || !h->h ? 0.0 : heater_target(h->h);
    }
    return NAN;
}
