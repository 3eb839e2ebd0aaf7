/* A stepper driver of the A4988 class with its motor, for the digital twin.
 *
 * Inputs are the driver's pins as the MCU drives them, each stamped with
 * the MCU's cycle counter (clock_hz cycles per second, 16 MHz on the
 * atmega2560): the enable state (logical: the board knows the polarity),
 * the dir level (high counts up) and the rising edges of step. Inputs
 * must come in time order; equal cycles are fine.
 *
 * Positions are in microsteps. The driver's field ("commanded") moves one
 * microstep per step edge while enabled; edges while disabled are ignored
 * and counted. The rotor follows the field unless the motor cannot give
 * the torque the motion needs:
 *
 *   demand    = J * a + friction * s + damping * w
 *   available = torque_scale * holding_torque / (1 + |w| / corner_speed)
 *
 * with w and a the shaft speed (rad/s) and acceleration (rad/s^2)
 * estimated from the step edge times (two first-order filters with time
 * constant filter_time), s = +-1 the step's direction and
 * J = rotor_inertia + load_inertia. When |demand| > available the rotor
 * slips: it falls back one electrical cycle (4 full steps, 4 * microsteps
 * microsteps) against the motion and stays stalled, losing one more cycle
 * each time the field runs a cycle away from it, until the field is slow
 * enough to pull it back in (below the pull-in speed, where a rotor at
 * rest reaches the field's speed within one full step) and the demand
 * fits again. So commanded - rotor is always a whole number of electrical
 * cycles (except while the rotor is pressed against an obstacle, see
 * stepper_model_set_travel).
 *
 * Nothing here reads a clock or draws random numbers: the same inputs
 * give the same results. See docs/twin-models-motion.md for the default
 * numbers and why they were chosen. */
#ifndef LOCKSTEP_SIM_MODELS_STEPPER_MODEL_H
#define LOCKSTEP_SIM_MODELS_STEPPER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stepper_params {
    double clock_hz;                  /* cycles per second of the time stamps */
    unsigned full_steps_per_rotation; /* a multiple of 4 (200 for 1.8 degree motors) */
    unsigned microsteps;              /* per full step: a power of two, 1..256 */
    double holding_torque;            /* Nm, at standstill with full current */
    double corner_speed;              /* rad/s where the pull-out torque has halved */
    double rotor_inertia;             /* kg m^2 */
    double load_inertia;              /* kg m^2 reflected to the shaft (axis_reflected_inertia) */
    double friction_torque;           /* Nm against the motion at any speed */
    double damping;                   /* Nm per rad/s: losses growing with speed */
    double filter_time;               /* s: smoothing of the speed and acceleration estimates */
    double min_step_period;           /* s: between rising edges, at least */
    double dir_setup_time;            /* s: dir stable before a step edge */
    double dir_hold_time;             /* s: and after it */
};

/* NEMA17 (0.45 Nm, 57 g cm^2) at 16 microsteps driving a 1 kg carriage on
 * a 20-tooth GT2 pulley (rotation_distance 40), at 16 MHz. */
void stepper_params_default(struct stepper_params *p);

struct stepper_model;

/* Returns NULL and fills err (naming the parameter) if p is invalid. */
struct stepper_model *stepper_model_create(const struct stepper_params *p, char *err,
                                           size_t errlen);
void stepper_model_destroy(struct stepper_model *m);

/* Inputs. Each returns 0, or -1 if refused (time going backwards), with
 * the reason in stepper_model_error() and the model unchanged. Enabling
 * or disabling puts the speed estimate back to rest and ends a stall. */
int stepper_model_set_enable(struct stepper_model *m, uint64_t cycle, bool enabled);
int stepper_model_set_dir(struct stepper_model *m, uint64_t cycle, int level);
int stepper_model_step(struct stepper_model *m, uint64_t cycle);
const char *stepper_model_error(const struct stepper_model *m);

/* Faults. force_slip: the next step edge while enabled loses `cycles`
 * electrical cycles at once (replacing any not yet applied; 0 cancels).
 * set_torque_scale: the motor gives `scale` times its torque (0..100; 1 is
 * healthy, 0 a dead motor). Return 0, or -1 with stepper_model_error(). */
int stepper_model_force_slip(struct stepper_model *m, unsigned cycles);
int stepper_model_set_torque_scale(struct stepper_model *m, double scale);

/* An obstacle: the rotor cannot turn below lo or above hi (microsteps).
 * Driven into it, the rotor stays pressed there while the field is less
 * than half an electrical cycle past it, and falls back a whole cycle
 * whenever the field gets further. Returns -1 if lo > hi or the rotor is
 * already outside. */
int stepper_model_set_travel(struct stepper_model *m, int64_t lo, int64_t hi);
/* An obstacle that moves (another motor shifted it, as on a corexy
 * gantry): the same, but a rotor now outside is pushed back as if driven
 * into it, losing whole cycles if the field is more than half a cycle
 * past. Returns -1 only if lo > hi or an end is beyond +-2^62. */
int stepper_model_move_travel(struct stepper_model *m, int64_t lo, int64_t hi);

struct stepper_report {
    int64_t commanded;          /* net microsteps of the field: step edges while enabled */
    uint64_t edges;             /* step edges while enabled */
    uint64_t ignored;           /* step edges while disabled */
    int64_t rotor;              /* microsteps the rotor followed */
    int64_t lost;               /* commanded minus the rotor's detent: whole cycles */
    uint64_t slips;             /* electrical cycles lost, in either direction */
    uint64_t slipped;           /* microsteps lost in total: slips * cycle */
    uint64_t timing_violations; /* edges breaking the driver's timing (see params) */
    bool enabled;
    bool stalled;
    double speed;            /* rad/s, estimated at the last step edge */
    double accel;            /* rad/s^2, likewise */
    double torque_demand;    /* Nm at the last step edge */
    double torque_available; /* Nm at the last step edge */
    double peak_load;        /* highest |demand| / available seen (1 = on the edge) */
};
void stepper_model_report(const struct stepper_model *m, struct stepper_report *out);

/* The rotor's position alone (stepper_report.rotor), cheap enough per step. */
int64_t stepper_model_rotor(const struct stepper_model *m);
/* Microsteps per electrical cycle: 4 * microsteps. */
int64_t stepper_model_cycle(const struct stepper_model *m);
/* rad/s below which a stalled rotor can be pulled back in. */
double stepper_model_pullin_speed(const struct stepper_model *m);
/* The pull-out torque curve (including the torque scale), Nm at w rad/s. */
double stepper_model_torque_at(const struct stepper_model *m, double w);
const struct stepper_params *stepper_model_params(const struct stepper_model *m);

#endif
