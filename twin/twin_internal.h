/* The twin's state, shared by its files (not a public header). */
#ifndef LOCKSTEP_TWIN_INTERNAL_H
#define LOCKSTEP_TWIN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "axis_model.h"
#include "corexy_model.h"
#include "board.h"
#include "heater_model.h"
#include "printer_config.h"
#include "stepper_model.h"
#include "twin.h"
#include "twin_fault.h"
#include "twin_schedule.h"

/* The atmega2560's pins as the simulator numbers them: ports A..L. */
#define TWIN_NPINS (12 * 8)
/* A pin may drive several parts (two drivers on one enable line). */
#define TWIN_ROLES_PER_PIN 4

/* Models see the thermistors and heaters every 10 ms: the firmware reads
 * its ADC 8 times 1 ms apart every 0.3 s, so a 10 ms old voltage is as
 * good as a fresh one, and the heater model's own grid is 10 ms. */
#define TWIN_TICK_S 0.010
#define TWIN_TICKS_PER_PROGRESS 10 /* 0.1 s */
#define TWIN_TICKS_PER_TEMP 100    /* the trace's temperatures, every 1 s */

/* Step runs in the trace end at a pause this long (or a dir change). */
#define TWIN_RUN_GAP_S 0.050

enum pin_role_kind { ROLE_STEP, ROLE_DIR, ROLE_ENABLE, ROLE_HEATER, ROLE_FAN };

struct pin_role {
    uint8_t kind;  /* enum pin_role_kind */
    uint8_t index; /* stepper or heater */
};

/* A PWM output as seen on its pin: the duty of the last full period, or
 * the level once the pin has rested long enough. */
struct twin_pwm {
    int level;
    bool have_rise;
    uint64_t last_rise, last_edge, high;
    double duty;        /* last estimate */
    double logged_duty; /* the last one put in the record */
};

struct twin_stepper {
    char name[TWIN_NAME_MAX];
    int rail; /* 0..2, or -1 for the extruder */
    unsigned step_pin, dir_pin, enable_pin;
    bool has_enable, enable_active_low;
    struct stepper_model *motor;
    struct axis_model *axis; /* a cartesian rail; NULL for the extruder and a gantry motor */
    int gantry_motor;        /* COREXY_X (a) or COREXY_Y (b) on a corexy gantry, else -1 */
    bool has_endstop;
    unsigned endstop_pin;
    int triggered_level;
    bool reversed;   /* the cfg's '!' on dir_pin: the motor is mounted the other way */
    double start_mm; /* the carriage's, or a gantry motor's belt (a = x + y, b = x - y) */
    double mm_per_microstep;
    int dir_level;
    /* The trace's step run in progress: edges at run_start, then
     * run_interval later, the interval growing by run_add after each edge
     * (the firmware's queue_step arithmetic), all in direction run_dir. */
    uint64_t run_count, run_start, run_last;
    int64_t run_interval, run_add;
    int run_dir;
};

struct twin_heater {
    char name[TWIN_NAME_MAX];
    unsigned heater_pin, sensor_pin;
    struct heater_model model;
    long last_mv;
    double peak_block, peak_sensor;
    struct twin_pwm pwm;
};

struct twin_fault_state {
    struct twin_fault f;
    int index;      /* the stepper or heater it acts on, -1 for none */
    int watch;      /* the heater of a condition */
    uint64_t cycle; /* TWIN_WHEN_TIME: when */
    bool armed;     /* a condition seen false once */
    bool fired;
    uint64_t fired_cycle;
};

/* Everything the hardware did, as text lines (a trace file if asked for)
 * and as a running hash over those lines and the binary events. */
struct twin_record {
    FILE *f;
    uint64_t hash;
    char line[512];
};

struct twin_transport;
struct sim_mcu;

struct twin {
    char *config_path;
    struct printer_config pc;
    const struct board *board;
    struct sim_mcu *mcu;
    uint32_t freq;
    char backend[16];

    struct twin_stepper steppers[TWIN_MAX_STEPPERS];
    size_t nsteppers;
    /* A corexy printer's x and y: stepper_x and stepper_y drive it
     * together (their axis is NULL). */
    struct corexy_model *gantry;
    int gantry_stepper[2]; /* the steppers of motors a and b */
    struct twin_heater heaters[TWIN_MAX_HEATERS];
    size_t nheaters;
    int hotend; /* the heater the fan blows on, or -1 */
    bool has_fan;
    unsigned fan_pin;
    struct twin_pwm fan;

    struct pin_role roles[TWIN_NPINS][TWIN_ROLES_PER_PIN];
    uint8_t nroles[TWIN_NPINS];
    uint8_t level[TWIN_NPINS];

    /* The run loop (twin_world.c). */
    uint64_t tick_cycles, next_tick, ticks;
    uint64_t run_gap_cycles, idle_pwm_cycles;
    uint64_t stall_until;
    uint64_t slice, slice_min, slice_max;
    twin_tick_fn tick_fn;
    void *tick_ctx;
    twin_target_fn target_fn;
    void *target_ctx;

    /* The host link (twin_world.c). */
    struct twin_transport *tp;
    uint8_t *rx;
    uint64_t *rx_cycle;
    size_t rxlen, rxcap;
    /* A jammed wire (fault wire-jam) holds the host's bytes until
     * jam_until, then hands them to the MCU together. */
    uint64_t jam_until;
    uint8_t *held;
    size_t nheld, heldcap;

    struct twin_fault_state faults[TWIN_MAX_FAULTS];
    size_t nfaults;
    unsigned long line;

    struct twin_record rec;
    struct twin_schedule sched;
    /* The MCU's clock at cycle c is c - clock_origin. Known once the
     * firmware has started its timer: taken at the first step edge after
     * power-on or a reset. */
    uint64_t clock_origin;
    bool clock_origin_known;
    uint64_t model_errors;
    bool failed;
    char error[256];
};

/* twin_world.c */
int twin_world_run(struct twin *tw, uint64_t target, bool for_host);
void twin_thermal_update(struct twin *tw, uint64_t now);
void twin_detach_transport(struct twin *tw);
void twin_on_rx(void *ctx, uint64_t cycle, uint8_t byte);
void twin_fail(struct twin *tw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double twin_seconds(const struct twin *tw, uint64_t cycle);
uint64_t twin_cycles(const struct twin *tw, double seconds);
/* Start (or lengthen) a jam of the host-to-MCU wire until cycle until. */
void twin_jam_wire(struct twin *tw, uint64_t until);

/* twin_wiring.c: the pin watch and the parts' state. */
void twin_on_pin(void *ctx, uint64_t cycle, unsigned pin, int level);
void twin_drive_endstop(struct twin *tw, struct twin_stepper *s, uint64_t cycle);
/* The stepper's endstop as the machine reports it (faults applied). */
bool twin_endstop_closed(const struct twin *tw, const struct twin_stepper *s);
void twin_flush_run(struct twin *tw, struct twin_stepper *s);
void twin_pwm_idle(struct twin *tw, struct twin_pwm *p, const char *name, uint64_t now);

/* twin_faults.c: faults bound to the parts and acted on. */
int twin_fault_act(struct twin *tw, struct twin_fault_state *fs, uint64_t now);
int twin_faults_due(struct twin *tw, uint64_t now);   /* timed ones */
int twin_faults_check(struct twin *tw, uint64_t now); /* conditions */
uint64_t twin_faults_next_time(const struct twin *tw);

/* twin_record.c */
int twin_record_open(struct twin_record *r, const char *path, char *err, size_t errlen);
void twin_record_close(struct twin_record *r);
/* One line "SECONDS TEXT" about cycle. */
void twin_record(struct twin *tw, uint64_t cycle, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A line outside the hash (the trace's header). */
/* A header line (no time), hashed like the rest. */
void twin_record_header(struct twin_record *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void twin_record_comment(struct twin_record *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void twin_record_event(struct twin_record *r, uint64_t cycle, uint32_t what, uint32_t value);

#endif
