/* A trace as a Value Change Dump (IEEE 1364 VCD, as GTKWave reads it):
 * per stepper 1-bit step, dir, enable and endstop wires; per heater its
 * duty, temperature and target as reals; the fan's duty; the host's
 * G-code line, answers, faults and shutdowns. docs/trace-format.md, "VCD
 * export", says what each signal means. */
#ifndef LOCKSTEP_TRACE_VCD_H
#define LOCKSTEP_TRACE_VCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace.h"

/* The VCD time unit is 10^-exp s. A tick is exactly per_tick units when
 * the clock allows it (per_tick 0: ticks are rounded to the nearest
 * unit). */
struct trace_vcd_timescale {
    int exp;
    uint64_t per_tick;
};

/* The coarsest unit in which a tick is a whole number of units, and at
 * least 100 of them so that step pulses can be shorter than a tick (16
 * MHz: 100 ps, 625 a tick). A clock with prime factors other than 2 and
 * 5 (72 MHz) gets 1 ps (1 fs above 10 GHz), rounded. */
struct trace_vcd_timescale trace_vcd_timescale(uint64_t freq);

/* The unit as $timescale writes it ("100ps"). */
const char *trace_vcd_unit(const struct trace_vcd_timescale *ts);

/* A tick in units of ts. */
uint64_t trace_vcd_time(const struct trace_vcd_timescale *ts, uint64_t freq, uint64_t tick);

struct trace_vcd_options {
    /* Leave out the string variables (answers, fault specs): they are
     * GTKWave's extension, which strict IEEE 1364 readers refuse. */
    bool no_strings;
};

struct trace_vcd_stats {
    uint64_t edges;    /* step pulses written */
    uint64_t changes;  /* value changes written */
    uint64_t end_time; /* the last timestamp, in units */
};

/* Write tr to out. Returns 0, or -1 with err saying why (a trace too long
 * for 64-bit times in its unit, or a failed write). stats may be NULL. */
int trace_vcd_write(const struct trace *tr, FILE *out, const struct trace_vcd_options *opt,
                    struct trace_vcd_stats *stats, char *err, size_t errlen);

#endif
