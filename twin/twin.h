/* The digital twin: a simulated MCU running the firmware, on a board,
 * with the printer around it built from a printer.cfg: one axis and
 * stepper model per rail, the extruder's motor, the hotend and bed heater
 * models with their thermistors, the part-cooling fan.
 *
 * The twin advances only when asked to: through the transport it gives
 * the engine (twin_transport), whose waits run the simulation, or through
 * twin_run_until. Everything it does depends on its inputs alone (no wall
 * clock; the only randomness is a generator seeded from opts.seed), so
 * the same run gives the same record hash on every run and machine. */
#ifndef LOCKSTEP_TWIN_TWIN_H
#define LOCKSTEP_TWIN_TWIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stepper_model.h"

#define TWIN_MAX_STEPPERS 4 /* stepper_x, stepper_y, stepper_z, extruder */
#define TWIN_MAX_HEATERS 2  /* extruder, heater_bed */
#define TWIN_MAX_FAULTS 16
#define TWIN_NAME_MAX 48

struct twin_opts {
    const char *config_path;
    const char *backend; /* "avr" (default), "avr=FILE.elf" or "native" */
    const char *board;   /* default "ramps14" */
    uint64_t seed;       /* endstop trigger points; any value, 1 by default */
    /* Where each rail's carriage (x, y, z) starts, mm; NAN: the middle of
     * position_min..position_max. */
    double start[3];
    /* Half-width of the endstops' trigger spread, mm; NAN: 0.005 (the
     * repeatability of a microswitch); 0 makes homing exact. */
    double endstop_spread;
    const char *trace_path; /* NULL: no trace file (the hash is kept anyway) */
    const char *title;      /* the trace's "# scenario" line; NULL: none */
};

/* Defaults as described above; set what you need afterwards. */
void twin_opts_init(struct twin_opts *o);

struct twin;
struct link_transport;
struct sim_mcu;

/* Build the twin for the printer in o->config_path. NULL with err naming
 * the file, section and option when the printer cannot be built on the
 * board (a pin the board does not wire there, a sensor that is not
 * modelled, corexy kinematics), or when the MCU cannot be simulated. */
struct twin *twin_open(const struct twin_opts *o, char *err, size_t errlen);
/* Free the twin; an engine still holding its transport must be closed
 * first (its transport fails from then on). */
void twin_close(struct twin *tw);

/* The transport for engine_live_opts.transport: a link to the simulated
 * MCU whose waits advance the whole twin. One at a time; closing it (the
 * engine does) leaves the twin as it is. NULL with err if one is open. */
struct link_transport *twin_transport(struct twin *tw, char *err, size_t errlen);

/* Add a fault (see twin_fault.h for the grammar); one without a trigger
 * acts at once. Returns 0, or -1 with err naming the spec and what was
 * expected; the twin is then unchanged. */
int twin_add_fault(struct twin *tw, const char *spec, char *err, size_t errlen);

/* The engine is about to run line `line` of its G-code: line faults act
 * now (a host stall runs the MCU alone for its duration before this
 * returns). Returns 0, or -1 with err if the simulation failed. */
int twin_begin_line(struct twin *tw, unsigned long line, char *err, size_t errlen);

/* Put one of the engine's answers in the record (and trace). */
void twin_note_answer(struct twin *tw, const char *text);

/* Run the twin alone (no host) until simulated time t (s). Returns 0, or
 * -1 with err if the simulation failed. */
int twin_run_until(struct twin *tw, double t, char *err, size_t errlen);

/* Called every 0.1 s of simulated time, with that time: for progress
 * displays. It must not touch the twin. */
typedef void (*twin_tick_fn)(void *ctx, double sim_time);
void twin_set_tick(struct twin *tw, twin_tick_fn fn, void *ctx);

/* Where the trace's temperature lines get each heater's target from (the
 * host's: the twin cannot see targets on the wire). fn returns NAN for
 * "unknown"; it is called from inside the host's waits and must only
 * read. */
typedef double (*twin_target_fn)(void *ctx, const char *heater);
void twin_set_target_source(struct twin *tw, twin_target_fn fn, void *ctx);

/* The block temperature of heater `name` now (C), NAN if there is none.
 * Reads only: safe from a tick callback. */
double twin_heater_temp(const struct twin *tw, const char *name);

/* Simulated seconds since the MCU's reset. */
double twin_time(const struct twin *tw);
struct sim_mcu *twin_mcu(struct twin *tw);
/* Why the simulation stopped (the MCU crashed, a model refused an input),
 * or NULL while it runs. */
const char *twin_error(const struct twin *tw);

struct twin_stepper_report {
    char name[TWIN_NAME_MAX]; /* the config section: "stepper_x", "extruder" */
    bool is_axis;             /* a rail with a carriage; else the extruder */
    double mm_per_step;       /* one microstep, mm of carriage or filament */
    struct stepper_report motor;
    uint64_t followed; /* step edges the rotor followed: edges minus microsteps lost */
    /* Axis: carriage mm had the rotor followed every step, and the
     * simulated carriage. Extruder: filament mm fed by the steps, and by
     * the rotor. */
    double commanded_mm, actual_mm;
    bool endstop_closed; /* as the MCU's pin says */
};

struct twin_heater_report {
    char name[TWIN_NAME_MAX]; /* "extruder", "heater_bed" */
    double block, sensor;     /* C now */
    double peak_block, peak_sensor;
    double duty;     /* the heater pin's last duty, 0..1 */
    unsigned faults; /* HEATER_FAULT_* flags */
};

struct twin_fault_report {
    char spec[128];
    bool fired;
    double time; /* s, when it acted */
};

/* Step edges against the clocks the host scheduled them for (read from
 * queue_step and its kin on the wire). */
struct twin_schedule_stats {
    bool watching;       /* false for a firmware whose dictionary the twin lacks */
    char why_not[200];   /* why it stopped watching, if it did */
    uint64_t checked;    /* edges matched with a scheduled step */
    uint64_t unexpected; /* edges with no step scheduled: a bug somewhere */
    int64_t min_late;    /* MCU ticks after the scheduled clock, over all checked */
    int64_t max_late;
    char worst[TWIN_NAME_MAX]; /* the stepper of max_late */
    double worst_time;         /* s, when */
};

struct twin_report {
    double time;   /* simulated s */
    uint32_t freq; /* the MCU's clock, ticks per s */
    char backend[16];
    size_t nsteppers;
    struct twin_stepper_report steppers[TWIN_MAX_STEPPERS];
    size_t nheaters;
    struct twin_heater_report heaters[TWIN_MAX_HEATERS];
    bool has_fan;
    double fan_duty;
    size_t nfaults;
    struct twin_fault_report faults[TWIN_MAX_FAULTS];
    uint64_t model_errors; /* inputs a model refused (see twin_error) */
    struct twin_schedule_stats schedule;
    uint64_t hash; /* twin_record_hash */
};

/* A stepper or heater of a report by name ("stepper_x", "heater_bed"), or
 * NULL if the printer has none. */
const struct twin_stepper_report *twin_report_stepper(const struct twin_report *r,
                                                      const char *name);
const struct twin_heater_report *twin_report_heater(const struct twin_report *r, const char *name);

/* The state now. Also closes the step runs in progress in the trace. */
void twin_report(struct twin *tw, struct twin_report *r);

/* A hash of everything the simulated hardware did so far: every pin edge
 * and serial byte with its cycle, temperatures every second, the faults
 * and the engine's answers. Equal runs give equal hashes. */
uint64_t twin_record_hash(const struct twin *tw);

#endif
