#include "heater_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temp_sensor.h"

void fixture_heater_config(struct heater_config *hc, const char *sensor_type,
                           enum heater_control control)
{
    memset(hc, 0, sizeof(*hc));
    snprintf(hc->sensor_type, sizeof(hc->sensor_type), "%s", sensor_type);
    hc->sensor_kind = SENSOR_THERMISTOR;
    hc->pullup_resistor = 4700.0;
    hc->inline_resistor = 0.0;
    hc->adc_voltage = 5.0;
    hc->max_power = 1.0;
    hc->smooth_time = 1.0;
    hc->control = control;
    hc->pid_kp = 22.2;
    hc->pid_ki = 1.08;
    hc->pid_kd = 114.0;
    hc->max_delta = 2.0;
    hc->pwm_cycle_time = 0.1;
    hc->min_extrude_temp = 170.0;
    hc->min_temp = 0.0;
    hc->max_temp = 300.0;
}

void plant_advance(struct plant *p, double power, double dt)
{
    double steady = p->ambient + p->gain * power;
    p->temp = steady + (p->temp - steady) * exp(-dt / p->tau);
}

void sim_init(struct heater_sim *s, struct heater *h, struct plant plant)
{
    memset(s, 0, sizeof(*s));
    s->h = h;
    s->plant = plant;
    s->stats = true;
}

void sim_free(struct heater_sim *s)
{
    free(s->sends);
    s->sends = NULL;
}

/* Run the plant to time t, applying the PWM changes due on the way. */
static void run_plant(struct heater_sim *s, double t)
{
    while (s->npending && s->pending[0].time <= t) {
        plant_advance(&s->plant, s->power, s->pending[0].time - s->plant_time);
        s->plant_time = s->pending[0].time;
        s->power = s->pending[0].value;
        memmove(&s->pending[0], &s->pending[1], (s->npending - 1) * sizeof(s->pending[0]));
        s->npending--;
    }
    plant_advance(&s->plant, s->power, t - s->plant_time);
    s->plant_time = t;
}

static void record(struct heater_sim *s, const struct heater_output *out)
{
    if (s->nsends == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->sends = realloc(s->sends, s->cap * sizeof(*s->sends));
        if (!s->sends)
            abort();
    }
    s->sends[s->nsends++] = (struct pwm_event){out->pwm_time, out->pwm_value};
    if (s->npending == sizeof(s->pending) / sizeof(s->pending[0]))
        abort();
    s->pending[s->npending++] = (struct pwm_event){out->pwm_time, out->pwm_value};
}

void sim_step(struct heater_sim *s, double read_time)
{
    while (s->stats && s->next_stats <= read_time) {
        heater_stats(s->h, s->next_stats, NULL, 0);
        s->next_stats += 1.0;
    }
    /* The ADC samples at the start of the period. */
    run_plant(s, read_time);
    s->readings++;
    bool lost = s->drop_every && s->readings % (unsigned long)s->drop_every == 0;
    if (!lost) {
        const struct temp_sensor *sensor = heater_sensor(s->h);
        double full = TEMP_SENSOR_SAMPLE_COUNT * AVR_ADC_MAX;
        double sum = round(temp_sensor_adc(sensor, s->plant.temp) * full);
        struct heater_output out;
        char err[200] = "";
        if (heater_adc_update(s->h, read_time, sum / full, &out, err, sizeof(err)) != 0) {
            fprintf(stderr, "heater_adc_update refused: %s\n", err);
            abort();
        }
        if (out.send)
            record(s, &out);
        if (out.fault && !s->fault) {
            s->fault = true;
            snprintf(s->fault_msg, sizeof(s->fault_msg), "%s", out.msg);
        }
    }
    run_plant(s, read_time + TEMP_SENSOR_REPORT_TIME);
}

void sim_run(struct heater_sim *s, double start, double end)
{
    for (long k = 0;; k++) {
        double t = start + k * TEMP_SENSOR_REPORT_TIME;
        if (t > end)
            break;
        sim_step(s, t);
    }
}

double sim_longest_refresh_gap(const struct heater_sim *s, double end)
{
    double longest = 0.0;
    for (size_t i = 0; i < s->nsends; i++) {
        if (s->sends[i].value == 0.0)
            continue;
        double until = i + 1 < s->nsends ? s->sends[i + 1].time : end;
        if (until - s->sends[i].time > longest)
            longest = until - s->sends[i].time;
    }
    return longest;
}
