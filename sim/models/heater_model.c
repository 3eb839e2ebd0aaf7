#include "heater_model.h"

#include <math.h>
#include <stdio.h>

/* Grid step in seconds. The linear part is solved exactly over a step;
 * only the temperature dependence of G is approximated (midpoint), and
 * G changes over tens of seconds, so 10 ms keeps the error far below
 * what an ADC can see while costing 100 steps per simulated second. */
#define STEP 0.01
/* W / (m^2 K^4) */
#define STEFAN_BOLTZMANN 5.670374419e-8

struct heater_model_params heater_model_preset_hotend(void)
{
    struct heater_model_params p = {
        .heat_capacity = 16, /* ~10 g aluminium, cartridge, nozzle */
        .power = 40,         /* the common 12/24 V 40 W cartridge */
        .ambient = 25,
        .conductance = 0.08,       /* heat break, wires, air around the block */
        .emissivity_area = 1.2e-3, /* radiation plus stronger convection when hot */
        .fan_conductance = 0.05,   /* part-cooling air grazing the block and nozzle */
        .sensor_tau = 2.5,         /* glass bead in a bore with a little paste */
        .detached_tau = 20,        /* the bare bead hanging in air */
        .divider = thermistor_divider_ramps(),
    };
    thermistor_by_name(&p.thermistor, "EPCOS 100K B57560G104F");
    return p;
}

struct heater_model_params heater_model_preset_bed(void)
{
    struct heater_model_params p = {
        .heat_capacity = 420, /* 3 mm aluminium 200x200 (~290 J/K) plus build sheet */
        .power = 130,         /* 12 V, ~1.1 ohm PCB or silicone heater */
        .ambient = 25,
        .conductance = 0.9,      /* convection off both faces, conduction to the frame */
        .emissivity_area = 0.08, /* both faces, dark sheet on top */
        .fan_conductance = 0,    /* the part fan barely reaches the bed */
        .sensor_tau = 4,         /* taped or glued to the plate */
        .detached_tau = 30,
        .divider = thermistor_divider_ramps(),
    };
    thermistor_by_name(&p.thermistor, "ATC Semitec 104GT-2");
    return p;
}

static int param_err(char *err, size_t errlen, const char *name, const char *expected, double got)
{
    if (err && errlen)
        snprintf(err, errlen, "heater model: %s must be %s (got %g)", name, expected, got);
    return -1;
}

static int check_params(const struct heater_model_params *p, char *err, size_t errlen)
{
    if (!isfinite(p->heat_capacity) || p->heat_capacity <= 0)
        return param_err(err, errlen, "heat_capacity", "above 0 J/K", p->heat_capacity);
    if (!isfinite(p->power) || p->power < 0)
        return param_err(err, errlen, "power", "0 W or more", p->power);
    if (!isfinite(p->ambient) || p->ambient <= -THERMISTOR_KELVIN)
        return param_err(err, errlen, "ambient", "above -273.15 C", p->ambient);
    if (!isfinite(p->conductance) || p->conductance <= 0)
        return param_err(err, errlen, "conductance", "above 0 W/K", p->conductance);
    if (!isfinite(p->emissivity_area) || p->emissivity_area < 0)
        return param_err(err, errlen, "emissivity_area", "0 m^2 or more", p->emissivity_area);
    if (!isfinite(p->fan_conductance) || p->fan_conductance < 0)
        return param_err(err, errlen, "fan_conductance", "0 W/K or more", p->fan_conductance);
    if (!isfinite(p->sensor_tau) || p->sensor_tau <= 0)
        return param_err(err, errlen, "sensor_tau", "above 0 s", p->sensor_tau);
    if (!isfinite(p->detached_tau) || p->detached_tau <= 0)
        return param_err(err, errlen, "detached_tau", "above 0 s", p->detached_tau);
    char sub[220];
    if (thermistor_check(&p->thermistor, sub, sizeof(sub)) ||
        thermistor_divider_check(&p->divider, sub, sizeof(sub))) {
        if (err && errlen)
            snprintf(err, errlen, "heater model: %s", sub);
        return -1;
    }
    return 0;
}

int heater_model_init(struct heater_model *h, const struct heater_model_params *p, char *err,
                      size_t errlen)
{
    if (check_params(p, err, errlen))
        return -1;
    *h = (struct heater_model){
        .p = *p,
        .now = 0,
        .block = p->ambient,
        .sensor = p->ambient,
    };
    return 0;
}

static double effective_duty(const struct heater_model *h)
{
    if (h->faults & HEATER_FAULT_HEATER_OPEN)
        return 0;
    if (h->faults & HEATER_FAULT_MOSFET_STUCK_ON)
        return 1;
    return h->duty;
}

double heater_model_power(const struct heater_model *h)
{
    return h->p.power * effective_duty(h);
}

/* G(T) of the header; always > 0 as conductance > 0. */
static double conductance_at(const struct heater_model_params *p, double fan, double temp)
{
    double g = p->conductance + fan * p->fan_conductance;
    if (p->emissivity_area > 0) {
        double tk = temp + THERMISTOR_KELVIN, ak = p->ambient + THERMISTOR_KELVIN;
        g += p->emissivity_area * STEFAN_BOLTZMANN * (tk * tk + ak * ak) * (tk + ak);
    }
    return g;
}

/* (exp(-a s) - exp(-b s)) / (b - a), also where a and b nearly agree. */
static double two_rate_response(double a, double b, double s)
{
    double x = (b - a) * s;
    if (fabs(x) > 1e-3)
        return (exp(-a * s) - exp(-b * s)) / (b - a);
    return exp(-a * s) * s * (1 - x / 2 + x * x / 6 - x * x * x / 24);
}

/* One step of dt with the inputs constant. Over the step G is frozen at
 * its value at the predicted midpoint temperature; with G constant the
 * block relaxes exponentially towards its steady temperature, and the
 * sensor, a first-order lag driven by that exponential, has a closed
 * form too. */
static void step(struct heater_model *h, double dt)
{
    const struct heater_model_params *p = &h->p;
    double q = heater_model_power(h), ta = p->ambient, c = p->heat_capacity;
    double t0 = h->block;

    double g = conductance_at(p, h->fan, t0);
    if (p->emissivity_area > 0) {
        double inf0 = ta + q / g;
        double mid = inf0 + (t0 - inf0) * exp(-g / c * dt / 2);
        g = conductance_at(p, h->fan, mid);
    }
    double a = g / c, inf = ta + q / g;
    h->block = inf + (t0 - inf) * exp(-a * dt);

    if (h->faults & HEATER_FAULT_SENSOR_DETACHED) {
        h->sensor = ta + (h->sensor - ta) * exp(-dt / p->detached_tau);
    } else {
        /* s' = b (T - s), T = inf + (t0 - inf) e^(-a t). */
        double b = 1 / p->sensor_tau;
        h->sensor =
            inf + (h->sensor - inf) * exp(-b * dt) + (t0 - inf) * b * two_rate_response(a, b, dt);
    }
}

static int refuse(struct heater_model *h, const char *what, double t)
{
    snprintf(h->error, sizeof(h->error), "heater model: %s at %.6f s", what, t);
    return -1;
}

static int check_time(struct heater_model *h, double t)
{
    if (isnan(t) || isinf(t))
        return refuse(h, "time is not a finite number", t);
    if (t > HEATER_MODEL_MAX_TIME)
        return refuse(h, "time is beyond HEATER_MODEL_MAX_TIME", t);
    if (t < h->now) {
        char what[120];
        snprintf(what, sizeof(what), "time goes backwards (the model is at %.6f s)", h->now);
        return refuse(h, what, t);
    }
    return 0;
}

static void advance(struct heater_model *h, double t)
{
    while (h->now < t) {
        /* The next grid point strictly after now; a caller's time that
         * falls on the grid only ends a step early by rounding. */
        double next = (floor(h->now / STEP) + 1) * STEP;
        if (next <= h->now)
            next = h->now + STEP;
        double end = next < t ? next : t;
        if (!(end > h->now))
            break; /* unreachable below HEATER_MODEL_MAX_TIME */
        step(h, end - h->now);
        h->now = end;
    }
}

int heater_model_advance(struct heater_model *h, double t)
{
    if (check_time(h, t))
        return -1;
    advance(h, t);
    return 0;
}

static int check_duty(struct heater_model *h, const char *what, double duty, double t)
{
    if (duty >= 0 && duty <= 1)
        return 0;
    char msg[120];
    snprintf(msg, sizeof(msg), "%s %g is outside 0..1", what, duty);
    return refuse(h, msg, t);
}

int heater_model_set_duty(struct heater_model *h, double t, double duty)
{
    if (check_time(h, t) || check_duty(h, "heater duty", duty, t))
        return -1;
    advance(h, t);
    h->duty = duty;
    return 0;
}

int heater_model_set_fan(struct heater_model *h, double t, double duty)
{
    if (check_time(h, t) || check_duty(h, "fan duty", duty, t))
        return -1;
    advance(h, t);
    h->fan = duty;
    return 0;
}

int heater_model_set_faults(struct heater_model *h, double t, unsigned faults)
{
    if (check_time(h, t))
        return -1;
    if (faults & ~HEATER_FAULT_ALL) {
        char msg[120];
        snprintf(msg, sizeof(msg), "unknown fault flags 0x%x (known: 0x%x)",
                 faults & ~HEATER_FAULT_ALL, HEATER_FAULT_ALL);
        return refuse(h, msg, t);
    }
    advance(h, t);
    h->faults = faults;
    return 0;
}

const char *heater_model_error(const struct heater_model *h)
{
    return h->error;
}

double heater_model_time(const struct heater_model *h)
{
    return h->now;
}

double heater_model_block_temp(const struct heater_model *h)
{
    return h->block;
}

double heater_model_sensor_temp(const struct heater_model *h)
{
    return h->sensor;
}

unsigned heater_model_faults(const struct heater_model *h)
{
    return h->faults;
}

double heater_model_pin_mv(const struct heater_model *h)
{
    if (h->faults & HEATER_FAULT_SENSOR_SHORT)
        return thermistor_short_mv(&h->p.divider);
    if (h->faults & HEATER_FAULT_SENSOR_OPEN)
        return thermistor_open_mv(&h->p.divider);
    return thermistor_pin_mv(&h->p.thermistor, &h->p.divider, h->sensor);
}

double heater_model_steady_temp(const struct heater_model_params *p, double duty, double fan)
{
    double q = p->power * duty;
    /* G(T) (T - Ta) rises with T and G >= G(Ta), so the root lies
     * between ambient and the linear model's steady temperature. */
    double lo = p->ambient, hi = p->ambient + q / conductance_at(p, fan, p->ambient);
    for (int i = 0; i < 200 && hi - lo > 1e-12 * (1 + fabs(hi)); i++) {
        double mid = (lo + hi) / 2;
        if (conductance_at(p, fan, mid) * (mid - p->ambient) < q)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}
