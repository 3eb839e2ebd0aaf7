/* NTC thermistors on a pull-up divider: Steinhart-Hart
 *   1/T = c1 + c2 ln R + c3 (ln R)^3       (T in kelvin)
 * fitted through three measured points, or its beta form (c3 = 0). */
#include "errmsg.h"
#include "temp_sensor_internal.h"

#include <math.h>
#include <string.h>

/* A reading whose resistance leaves the model (a short behind an inline
 * resistor): far above any max_temp, so the heater's range check trips. */
#define SHORTED_SENSOR_TEMP 1e6

static int check_point(double t, double r, char *err, size_t errlen)
{
    if (!(t > TEMP_KELVIN_TO_CELSIUS) || !isfinite(t)) {
        seterr(err, errlen, "thermistor temperature %g: expected a number above %.2f", t,
               TEMP_KELVIN_TO_CELSIUS);
        return -1;
    }
    if (!(r > 0.0) || !isfinite(r)) {
        seterr(err, errlen, "thermistor resistance %g: expected a number above 0", r);
        return -1;
    }
    return 0;
}

static int check_divider(double pullup, double inline_resistor, char *err, size_t errlen)
{
    if (!(pullup > 0.0) || !isfinite(pullup)) {
        seterr(err, errlen, "pullup_resistor %g: expected a number above 0", pullup);
        return -1;
    }
    if (!(inline_resistor >= 0.0) || !isfinite(inline_resistor)) {
        seterr(err, errlen, "inline_resistor %g: expected a number of at least 0", inline_resistor);
        return -1;
    }
    return 0;
}

static void set_beta(struct temp_sensor *s, double t1, double r1, double beta)
{
    s->c3 = 0.0;
    s->c2 = 1.0 / beta;
    s->c1 = 1.0 / (t1 - TEMP_KELVIN_TO_CELSIUS) - s->c2 * log(r1);
}

int temp_sensor_init_beta(struct temp_sensor *s, double t1, double r1, double beta, double pullup,
                          double inline_resistor, char *err, size_t errlen)
{
    if (check_point(t1, r1, err, errlen) || check_divider(pullup, inline_resistor, err, errlen))
        return -1;
    if (!(beta > 0.0) || !isfinite(beta)) {
        seterr(err, errlen, "thermistor beta %g: expected a number above 0", beta);
        return -1;
    }
    memset(s, 0, sizeof(*s));
    s->model = TEMP_MODEL_THERMISTOR;
    s->pullup = pullup;
    s->inline_resistor = inline_resistor;
    set_beta(s, t1, r1, beta);
    return 0;
}

int temp_sensor_init_thermistor(struct temp_sensor *s, const double t_in[3], const double r_in[3],
                                double pullup, double inline_resistor, char *err, size_t errlen)
{
    double t[3], r[3];
    for (int i = 0; i < 3; i++) {
        if (check_point(t_in[i], r_in[i], err, errlen))
            return -1;
        t[i] = t_in[i];
        r[i] = r_in[i];
    }
    if (check_divider(pullup, inline_resistor, err, errlen))
        return -1;
    /* Point order does not matter to the fit, but the beta fallback uses
     * the coldest and the hottest point. */
    for (int i = 1; i < 3; i++)
        for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double tt = t[j], rr = r[j];
            t[j] = t[j - 1], r[j] = r[j - 1];
            t[j - 1] = tt, r[j - 1] = rr;
        }
    double y[3], x[3], x3[3];
    for (int i = 0; i < 3; i++) {
        y[i] = 1.0 / (t[i] - TEMP_KELVIN_TO_CELSIUS);
        x[i] = log(r[i]);
        x3[i] = x[i] * x[i] * x[i];
    }
    /* Differences against the first point remove c1; the two remaining
     * equations in c2 and c3 are solved by elimination. */
    double dy12 = y[0] - y[1], dy13 = y[0] - y[2];
    double dx12 = x[0] - x[1], dx13 = x[0] - x[2];
    double dx3_12 = x3[0] - x3[1], dx3_13 = x3[0] - x3[2];
    if (dx12 == 0.0 || dx13 == 0.0 || t[0] == t[1] || t[1] == t[2]) {
        seterr(err, errlen,
               "thermistor points (%g C, %g ohm), (%g C, %g ohm), (%g C, %g ohm): expected "
               "three different temperatures with different resistances",
               t[0], r[0], t[1], r[1], t[2], r[2]);
        return -1;
    }
    double ratio = dx12 / dx13;
    double denom = dx3_12 - dx3_13 * ratio;
    double c3 = denom != 0.0 ? (dy12 - dy13 * ratio) / denom : 0.0;
    memset(s, 0, sizeof(*s));
    s->model = TEMP_MODEL_THERMISTOR;
    s->pullup = pullup;
    s->inline_resistor = inline_resistor;
    if (!(c3 > 0.0) || !isfinite(c3)) {
        /* Points that do not fit Steinhart-Hart's curvature: Klipper uses
         * the beta through the outer points instead. */
        set_beta(s, t[0], r[0], dx13 / dy13);
        return 0;
    }
    s->c3 = c3;
    s->c2 = (dy12 - c3 * dx3_12) / dx12;
    s->c1 = y[0] - s->c2 * x[0] - c3 * x3[0];
    return 0;
}

double thermistor_temp(const struct temp_sensor *s, double adc)
{
    double ratio = sensor_clamp_ratio(adc);
    double r = s->pullup * ratio / (1.0 - ratio) - s->inline_resistor;
    if (!(r > 0.0))
        return SHORTED_SENSOR_TEMP;
    double ln_r = log(r);
    double inv_t = s->c1 + s->c2 * ln_r + s->c3 * ln_r * ln_r * ln_r;
    if (!(inv_t > 0.0))
        return SHORTED_SENSOR_TEMP;
    return 1.0 / inv_t + TEMP_KELVIN_TO_CELSIUS;
}

double thermistor_adc(const struct temp_sensor *s, double temp)
{
    if (temp <= TEMP_KELVIN_TO_CELSIUS)
        return 1.0;
    double inv_t = 1.0 / (temp - TEMP_KELVIN_TO_CELSIUS);
    double ln_r;
    if (s->c3 != 0.0) {
        /* ln R solves c3 u^3 + c2 u + (c1 - 1/T) = 0: with c2, c3 > 0 the
         * cubic is monotonic and Cardano's formula gives its one real root. */
        double p = s->c2 / s->c3;
        double half_q = (s->c1 - inv_t) / (2.0 * s->c3);
        double root = sqrt(half_q * half_q + p * p * p / 27.0);
        ln_r = cbrt(root - half_q) - cbrt(root + half_q);
    } else {
        ln_r = (inv_t - s->c1) / s->c2;
    }
    double r = exp(ln_r) + s->inline_resistor;
    if (isinf(r))
        return 1.0;
    return r / (s->pullup + r);
}
