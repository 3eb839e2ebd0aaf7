#include "thermistor_model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Klipper's built-in thermistors, by the points Klipper defines them with
 * (klippy/extras/temperature_sensors.cfg, which names the datasheet each
 * comes from; the values are those datasheets' R/T tables). beta == 0
 * means three points. */
struct builtin {
    const char *name;
    double t[3], r[3];
    double beta;
};

static const struct builtin builtins[] = {
    /* TDK (EPCOS) B57560G glass-encapsulated sensors datasheet, R/T table. */
    {"EPCOS 100K B57560G104F", {25, 150, 250}, {100000, 1641.9, 226.15}, 0},
    /* ATC Semitec GT-2 glass thermistors datasheet, 104GT-2 column. */
    {"ATC Semitec 104GT-2", {20, 150, 300}, {126800, 1360, 80.65}, 0},
    /* ATC Semitec NT-4 glass NTC thermistor datasheet. */
    {"ATC Semitec 104NT-4-R025H42G", {25, 160, 300}, {100000, 1074, 82.78}, 0},
    /* Keenovo's NTC thermistor R-T table (the "3950" sold with most
     * silicone beds and hotends); not exactly beta 3950: its effective
     * beta between 25 and 150 C is about 4070. */
    {"Generic 3950", {25, 150, 250}, {100000, 1770, 230}, 0},
    /* Slice Engineering's high-temperature thermistor table. */
    {"SliceEngineering 450", {25, 200, 400}, {500000, 3734, 240}, 0},
    /* TDK NTCG104LH104JT1 R/T sheet. */
    {"TDK NTCG104LH104JT1", {25, 50, 125}, {100000, 31230, 2066}, 0},
    /* Honeywell 135-104LAG-J01 datasheet: 100 kOhm at 25 C, beta 3974. */
    {"Honeywell 100K 135-104LAG-J01", {25, 0, 0}, {100000, 0, 0}, 3974},
    /* Defined by its name; Klipper keeps it as a deprecated alias. */
    {"NTC 100K beta 3950", {25, 0, 0}, {100000, 0, 0}, 3950},
    /* Marlin's "thermistor 75", as Klipper took it: beta 4100. */
    {"NTC 100K MGB18-104F39050L32", {25, 0, 0}, {100000, 0, 0}, 4100},
};
#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

struct thermistor_divider thermistor_divider_ramps(void)
{
    struct thermistor_divider d = {.pullup_ohms = 4700, .inline_ohms = 0, .vref_mv = 5000};
    return d;
}

static int check_point(double t, double r, int n, char *err, size_t errlen)
{
    char msg[160];
    if (!isfinite(t) || t <= -THERMISTOR_KELVIN) {
        snprintf(msg, sizeof(msg),
                 "thermistor: temperature%d must be a number above -273.15 C (got %g)", n, t);
        set_err(err, errlen, msg);
        return -1;
    }
    if (!isfinite(r) || r <= 0) {
        snprintf(msg, sizeof(msg),
                 "thermistor: resistance%d must be a number of ohms above 0 (got %g)", n, r);
        set_err(err, errlen, msg);
        return -1;
    }
    return 0;
}

int thermistor_from_beta(struct thermistor *th, double temp_c, double ohms, double beta, char *err,
                         size_t errlen)
{
    if (check_point(temp_c, ohms, 1, err, errlen))
        return -1;
    if (!isfinite(beta) || beta <= 0) {
        char msg[120];
        snprintf(msg, sizeof(msg), "thermistor: beta must be a number above 0 (got %g)", beta);
        set_err(err, errlen, msg);
        return -1;
    }
    /* 1/T = 1/T1 + ln(R/R1)/beta, which is Steinhart-Hart with c3 = 0. */
    th->c3 = 0;
    th->c2 = 1 / beta;
    th->c1 = 1 / (temp_c + THERMISTOR_KELVIN) - log(ohms) / beta;
    return 0;
}

int thermistor_from_points(struct thermistor *th, const double temp_c[3], const double ohms[3],
                           char *err, size_t errlen)
{
    int order[3] = {0, 1, 2};
    for (int i = 0; i < 3; i++)
        if (check_point(temp_c[i], ohms[i], i + 1, err, errlen))
            return -1;
    /* Order by temperature, as Klipper does, so that the beta fallback
     * spans the whole range whatever order the points came in. */
    for (int i = 1; i < 3; i++)
        for (int j = i; j > 0 && temp_c[order[j]] < temp_c[order[j - 1]]; j--) {
            int k = order[j];
            order[j] = order[j - 1];
            order[j - 1] = k;
        }
    double y[3], x[3], x3[3];
    for (int i = 0; i < 3; i++) {
        int k = order[i];
        if (i > 0 && temp_c[k] == temp_c[order[i - 1]]) {
            char msg[160];
            snprintf(msg, sizeof(msg),
                     "thermistor: temperature%d and temperature%d are both %g C; three different"
                     " temperatures are needed",
                     order[i - 1] + 1, k + 1, temp_c[k]);
            set_err(err, errlen, msg);
            return -1;
        }
        y[i] = 1 / (temp_c[k] + THERMISTOR_KELVIN);
        x[i] = log(ohms[k]);
        x3[i] = x[i] * x[i] * x[i];
    }
    /* y_i = c1 + c2 x_i + c3 x_i^3: subtracting the first equation from
     * the others leaves two equations in c2 and c3 (Cramer's rule). */
    double a11 = x[0] - x[1], a12 = x3[0] - x3[1], b1 = y[0] - y[1];
    double a21 = x[0] - x[2], a22 = x3[0] - x3[2], b2 = y[0] - y[2];
    double det = a11 * a22 - a12 * a21;
    struct thermistor t;
    double c3 = det != 0 ? (a11 * b2 - a21 * b1) / det : 0;
    if (det != 0 && c3 > 0) {
        t.c3 = c3;
        t.c2 = (b1 * a22 - b2 * a12) / det;
        t.c1 = y[0] - t.c2 * x[0] - t.c3 * x3[0];
    } else {
        /* The beta through the coldest and hottest points. */
        if (x[0] == x[2]) {
            set_err(err, errlen,
                    "thermistor: the coldest and the hottest point have the same resistance;"
                    " an NTC thermistor's resistance falls as it heats");
            return -1;
        }
        t.c3 = 0;
        t.c2 = (y[0] - y[2]) / (x[0] - x[2]);
        t.c1 = y[0] - t.c2 * x[0];
    }
    if (thermistor_check(&t, NULL, 0)) {
        set_err(err, errlen,
                "thermistor: the points do not describe a resistance that falls as the"
                " temperature rises (an NTC thermistor)");
        return -1;
    }
    *th = t;
    return 0;
}

int thermistor_by_name(struct thermistor *th, const char *sensor_type)
{
    if (!sensor_type)
        return -1;
    for (size_t i = 0; i < NBUILTINS; i++) {
        const struct builtin *b = &builtins[i];
        if (strcmp(b->name, sensor_type) != 0)
            continue;
        if (b->beta > 0)
            return thermistor_from_beta(th, b->t[0], b->r[0], b->beta, NULL, 0);
        return thermistor_from_points(th, b->t, b->r, NULL, 0);
    }
    return -1;
}

const char *thermistor_builtin_name(size_t i)
{
    return i < NBUILTINS ? builtins[i].name : NULL;
}

int thermistor_check(const struct thermistor *th, char *err, size_t errlen)
{
    /* With c2 > 0 and c3 >= 0, 1/T grows with ln R everywhere: one
     * resistance per temperature, and the cubic for ln R has one real
     * root. */
    if (!isfinite(th->c1) || !isfinite(th->c2) || !isfinite(th->c3) || th->c2 <= 0 || th->c3 < 0) {
        char msg[200];
        snprintf(msg, sizeof(msg),
                 "thermistor: coefficients c1=%g c2=%g c3=%g do not describe an NTC thermistor"
                 " (expected finite values with c2 > 0 and c3 >= 0)",
                 th->c1, th->c2, th->c3);
        set_err(err, errlen, msg);
        return -1;
    }
    return 0;
}

int thermistor_divider_check(const struct thermistor_divider *d, char *err, size_t errlen)
{
    char msg[160];
    if (!isfinite(d->pullup_ohms) || d->pullup_ohms <= 0)
        snprintf(msg, sizeof(msg),
                 "thermistor divider: pullup_resistor must be above 0 ohms (got %g)",
                 d->pullup_ohms);
    else if (!isfinite(d->inline_ohms) || d->inline_ohms < 0)
        snprintf(msg, sizeof(msg),
                 "thermistor divider: inline_resistor must be 0 ohms or more (got %g)",
                 d->inline_ohms);
    else if (!isfinite(d->vref_mv) || d->vref_mv <= 0)
        snprintf(msg, sizeof(msg), "thermistor divider: reference must be above 0 mV (got %g)",
                 d->vref_mv);
    else
        return 0;
    set_err(err, errlen, msg);
    return -1;
}

double thermistor_resistance(const struct thermistor *th, double temp_c)
{
    if (isnan(temp_c))
        return NAN;
    if (temp_c <= -THERMISTOR_KELVIN)
        return INFINITY;
    double y = 1 / (temp_c + THERMISTOR_KELVIN);
    if (th->c3 == 0)
        return exp((y - th->c1) / th->c2);
    /* c3 x^3 + c2 x + (c1 - y) = 0 for x = ln R. As a depressed cubic
     * x^3 + p x + q with p > 0 it has one real root (Cardano):
     * x = u - p / (3u), u = cbrt(-q/2 + sqrt(q^2/4 + p^3/27)), taking the
     * square root's sign from -q/2 so that nothing cancels. */
    double p = th->c2 / th->c3, q = (th->c1 - y) / th->c3;
    double w = -q / 2, s = sqrt(w * w + p * p * p / 27);
    double u = cbrt(w + copysign(s, w));
    double x = u - p / (3 * u);
    if (!isfinite(x))
        return x > 0 ? INFINITY : 0;
    /* Newton on the cubic mops up what rounding left in Cardano's form. */
    for (int i = 0; i < 2; i++) {
        double f = th->c3 * x * x * x + th->c2 * x + th->c1 - y;
        x -= f / (3 * th->c3 * x * x + th->c2);
    }
    return exp(x);
}

double thermistor_temp_at_resistance(const struct thermistor *th, double ohms)
{
    if (!(ohms > 0))
        return NAN;
    double x = log(ohms);
    double y = th->c1 + th->c2 * x + th->c3 * x * x * x;
    if (!(y > 0) || isinf(x))
        return NAN;
    return 1 / y - THERMISTOR_KELVIN;
}

double thermistor_pin_mv(const struct thermistor *th, const struct thermistor_divider *d,
                         double temp_c)
{
    double rs = thermistor_resistance(th, temp_c) + d->inline_ohms;
    /* Written so that an infinite resistance gives vref. */
    return d->vref_mv / (1 + d->pullup_ohms / rs);
}

double thermistor_temp_at_mv(const struct thermistor *th, const struct thermistor_divider *d,
                             double mv)
{
    if (!(mv > 0 && mv < d->vref_mv))
        return NAN;
    double r = d->pullup_ohms * mv / (d->vref_mv - mv) - d->inline_ohms;
    return thermistor_temp_at_resistance(th, r);
}

double thermistor_open_mv(const struct thermistor_divider *d)
{
    return d->vref_mv;
}

double thermistor_short_mv(const struct thermistor_divider *d)
{
    (void)d;
    return 0;
}
