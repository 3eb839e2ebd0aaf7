/* A lumped thermal model of a heater and its thermistor: a hotend's
 * heater block or a heated bed, for the digital twin.
 *
 * The block is one heat capacity C heated by power * duty and losing heat
 * to ambient through a conductance that grows with temperature:
 *
 *   C dT/dt = power * duty - G(T) * (T - ambient)
 *   G(T)    = conductance + fan * fan_conductance
 *             + emissivity_area * sigma * (T^2 + Ta^2) * (T + Ta)   (kelvin)
 *
 * The last term is Stefan-Boltzmann radiation written as a conductance
 * (sigma * eA * (T^4 - Ta^4) = that * (T - Ta)); it also stands in for
 * natural convection getting stronger as the block heats. With
 * emissivity_area = 0 the model is linear and its steady state is
 * ambient + power * duty / G.
 *
 * The thermistor follows the block with a first-order lag (sensor_tau);
 * a detached thermistor follows ambient instead (detached_tau). Its heat
 * capacity is too small to load the block, so the coupling is one-way.
 *
 * Time is simulated seconds, as the caller's clock reads them (never a
 * wall clock); it starts at 0 with block and thermistor at ambient and
 * only goes forward. Inputs (duty, fan, faults) are constant between the
 * times they are set at. The model advances on a fixed grid of 10 ms
 * steps counted from time 0, each solved exactly for the linear part, so
 * the result does not depend on how the caller slices time. */
#ifndef LOCKSTEP_SIM_MODELS_HEATER_MODEL_H
#define LOCKSTEP_SIM_MODELS_HEATER_MODEL_H

#include <stddef.h>

#include "thermistor_model.h"

/* Faults, as a set of flags; each can be set and cleared at any time. */
enum heater_model_fault {
    /* The pin reads its pull-up (thermistor lead broken). */
    HEATER_FAULT_SENSOR_OPEN = 1u << 0,
    /* The pin reads 0 mV (leads shorted together); wins over OPEN. */
    HEATER_FAULT_SENSOR_SHORT = 1u << 1,
    /* The thermistor has fallen out of the block: it cools or warms
     * towards ambient while the block does whatever it does. */
    HEATER_FAULT_SENSOR_DETACHED = 1u << 2,
    /* Cartridge or bed heater disconnected: no heat whatever the pin does;
     * wins over MOSFET_STUCK_ON. */
    HEATER_FAULT_HEATER_OPEN = 1u << 3,
    /* The MOSFET conducts whatever the pin does: full power. */
    HEATER_FAULT_MOSFET_STUCK_ON = 1u << 4,
};
#define HEATER_FAULT_ALL 0x1fu

/* Seconds; later times are refused (about 116 days, 10^9 steps). */
#define HEATER_MODEL_MAX_TIME 1e7

struct heater_model_params {
    double heat_capacity;   /* J/K of the block (or bed plate); > 0 */
    double power;           /* W at duty 1; >= 0 */
    double ambient;         /* C */
    double conductance;     /* W/K lost by conduction and convection; > 0 */
    double emissivity_area; /* m^2, emissivity times area of the radiation term; >= 0 */
    double fan_conductance; /* W/K added by the part-cooling fan at duty 1; >= 0 */
    double sensor_tau;      /* s, thermistor's lag behind the block; > 0 */
    double detached_tau;    /* s, thermistor's lag behind ambient once detached; > 0 */
    struct thermistor thermistor;
    struct thermistor_divider divider;
};

/* A 40 W cartridge in an aluminium block (about 16 J/K), EPCOS 100K
 * thermistor, 2.5 s sensor lag: 25 -> 200 C in about 90 s at full power,
 * about 380 C steady at full power, about 18 W (45 %) to hold 210 C. */
struct heater_model_params heater_model_preset_hotend(void);
/* A 130 W 12 V 200x200 mm aluminium bed (about 420 J/K), ATC Semitec
 * 104GT-2 thermistor (as Klipper's RAMPS example config), 4 s sensor lag:
 * 25 -> 60 C in about 2.5 min, about 105 C steady at full power. */
struct heater_model_params heater_model_preset_bed(void);

/* Fields are the model's state; read them through the functions below. */
struct heater_model {
    struct heater_model_params p;
    double now;    /* s */
    double block;  /* C */
    double sensor; /* C */
    double duty, fan;
    unsigned faults;
    char error[200];
};

/* Returns 0, or -1 with err naming the parameter that is out of range. */
int heater_model_init(struct heater_model *h, const struct heater_model_params *p, char *err,
                      size_t errlen);

/* Each of these first advances the model to t. They return 0, or -1 for
 * a refused input (t before the model's time or not a number, a duty
 * outside 0..1, unknown fault bits): the model is then left as it was
 * and heater_model_error() says why. */
int heater_model_advance(struct heater_model *h, double t);
/* The heater pin's duty from t on: 0 off, 1 on, or in between. */
int heater_model_set_duty(struct heater_model *h, double t, double duty);
/* The part-cooling fan's duty (0..1) from t on. */
int heater_model_set_fan(struct heater_model *h, double t, double duty);
/* The whole set of faults (HEATER_FAULT_* flags) from t on. */
int heater_model_set_faults(struct heater_model *h, double t, unsigned faults);
const char *heater_model_error(const struct heater_model *h);

double heater_model_time(const struct heater_model *h);
double heater_model_block_temp(const struct heater_model *h);
double heater_model_sensor_temp(const struct heater_model *h);
unsigned heater_model_faults(const struct heater_model *h);
/* W going into the block now, after the heater faults. */
double heater_model_power(const struct heater_model *h);

/* What the ADC pin reads now: the thermistor at the sensor temperature
 * through the divider, or the open/short level. Round it for
 * sim_mcu_set_analog_mv(). */
double heater_model_pin_mv(const struct heater_model *h);

/* Block temperature the model settles at with constant duty and fan and
 * no faults (the solution of power * duty = G(T) * (T - ambient)). */
double heater_model_steady_temp(const struct heater_model_params *p, double duty, double fan);

#endif
