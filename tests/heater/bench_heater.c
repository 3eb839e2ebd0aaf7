/* Throughput of the heater code: sensor conversions and whole readings
 * (conversion, PID, PWM rule, smoothing). Prints figures; not a test. */
#include <stdio.h>
#include <time.h>

#include "heater_control.h"
#include "heater_fixture.h"
#include "temp_sensor.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void)
{
    struct temp_sensor s;
    char err[600];
    if (temp_sensor_init(&s, "EPCOS 100K B57560G104F", 4700, 0, 5, 0, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const long n = 5000000;
    double sink = 0.0, t0 = now_s();
    for (long i = 0; i < n; i++)
        sink += temp_sensor_temp(&s, (i % 8000 + 100) / 8184.0);
    double t_temp = now_s() - t0;
    t0 = now_s();
    for (long i = 0; i < n; i++)
        sink += temp_sensor_adc(&s, (double)(i % 3000) / 10.0);
    double t_adc = now_s() - t0;

    struct heater_config hc;
    fixture_heater_config(&hc, "EPCOS 100K B57560G104F", HEATER_CONTROL_PID);
    struct heater *h = heater_create("extruder", &hc, err, sizeof(err));
    if (!h) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    heater_set_target(h, 200.0, NULL, 0);
    struct heater_output out;
    long sends = 0;
    t0 = now_s();
    for (long i = 0; i < n; i++) {
        double t = i * TEMP_SENSOR_REPORT_TIME;
        if (i % 4 == 0)
            heater_stats(h, t, NULL, 0);
        heater_adc_update(h, t, 0.4 + (i % 7) * 0.0001, &out, NULL, 0);
        sends += out.send;
    }
    double t_upd = now_s() - t0;
    heater_free(h);
    printf("ADC -> temperature: %.1f ns each\n", t_temp / n * 1e9);
    printf("temperature -> ADC: %.1f ns each\n", t_adc / n * 1e9);
    printf("heater reading (convert, PID, PWM rule): %.1f ns each, %ld sends (%g)\n",
           t_upd / n * 1e9, sends, sink > 0 ? 1.0 : 0.0);
    return 0;
}
