/* Figures of the thermal models: the presets' heat-up and steady
 * temperatures, and what advancing a model costs on the host. */
#include <stdio.h>
#include <time.h>

#include "heater_model.h"

/* Duty that holds the block at temp with no fan. */
static double holding_duty(const struct heater_model_params *p, double temp)
{
    double lo = 0, hi = 1;
    for (int i = 0; i < 60; i++) {
        double mid = (lo + hi) / 2;
        if (heater_model_steady_temp(p, mid, 0) < temp)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

static void heat_up(const char *name, const struct heater_model_params *p, const double *targets,
                    int ntargets, double hold)
{
    struct heater_model h;
    char err[200];
    if (heater_model_init(&h, p, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    heater_model_set_duty(&h, 0, 1);
    int k = 0;
    for (int i = 1; i <= 360000 && k < ntargets; i++) {
        heater_model_advance(&h, i / 100.0);
        while (k < ntargets && heater_model_sensor_temp(&h) >= targets[k])
            printf("%s: thermistor reads %.0f C after %.2f s at full power\n", name, targets[k++],
                   i / 100.0);
    }
    double duty = holding_duty(p, hold);
    printf("%s: %.1f C steady at full power; holding %.0f C takes %.1f W (duty %.2f)\n", name,
           heater_model_steady_temp(p, 1, 0), hold, duty * p->power, duty);
}

int main(void)
{
    struct heater_model_params hot = heater_model_preset_hotend(), bed = heater_model_preset_bed();
    const double hot_targets[] = {100, 200, 250}, bed_targets[] = {60, 80, 100};
    heat_up("hotend", &hot, hot_targets, 3, 210);
    heat_up("bed", &bed, bed_targets, 3, 60);

    /* Soft PWM at 0.1 s with two edges per cycle and an ADC reading every
     * 1 ms: a heavier call pattern than the twin's. */
    struct heater_model h;
    heater_model_init(&h, &hot, NULL, 0);
    const double secs = 3600;
    double sink = 0;
    clock_t c0 = clock();
    for (int cycle = 0; cycle < (int)(secs * 10); cycle++) {
        double t0 = cycle * 0.1;
        heater_model_set_duty(&h, t0, 1);
        heater_model_set_duty(&h, t0 + 0.045, 0);
        for (int ms = 1; ms <= 100; ms++) {
            heater_model_advance(&h, t0 + ms * 1e-3);
            sink += heater_model_pin_mv(&h);
        }
    }
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    printf("hotend at 45%% duty: %.0f simulated s with 20 edges/s and 1000 pin readings/s in %.3f"
           " CPU s (%.0fx real time), ends at %.1f C (checksum %.0f)\n",
           secs, cpu, secs / cpu, heater_model_block_temp(&h), sink);
    return 0;
}
