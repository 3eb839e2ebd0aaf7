/* A trace of what the simulated hardware did ("# lockstep trace 2",
 * written by `lockstep run --trace FILE`): step edges as runs,
 * temperatures, the engine's answers, faults and shutdowns.
 *
 * Each stepper keeps its runs in time order with the edges and signed
 * steps before each run, so the carriage position at any tick is two
 * binary searches away. */
#ifndef LOCKSTEP_VIZ_TRACE_H
#define LOCKSTEP_VIZ_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

#define VIZ_TRACE_MAX_STEPPERS TRACE_MAX_STEPPERS
#define VIZ_TRACE_MAX_HEATERS TRACE_MAX_HEATERS
#define VIZ_TRACE_NAME TRACE_NAME

enum viz_rail {
    VIZ_RAIL_X = TRACE_RAIL_X,
    VIZ_RAIL_Y = TRACE_RAIL_Y,
    VIZ_RAIL_Z = TRACE_RAIL_Z,
    VIZ_RAIL_E = TRACE_RAIL_E,
    VIZ_RAIL_COUNT = TRACE_RAIL_COUNT
};

struct viz_stepper {
    char name[VIZ_TRACE_NAME];
    int rail; /* enum viz_rail */
    double mm_per_step, start_mm;
    struct trace_run *runs; /* sorted by tick */
    size_t nruns, cap;
};

struct viz_temp {
    double t;           /* s */
    float temp, target; /* C; target NAN when the trace did not say */
};

struct viz_heater {
    char name[VIZ_TRACE_NAME];
    struct viz_temp *temps;
    size_t n, cap;
};

enum viz_event_kind { VIZ_EVENT_FAULT, VIZ_EVENT_SHUTDOWN, VIZ_EVENT_ERROR };

struct viz_event {
    double t;                 /* s */
    int kind;                 /* enum viz_event_kind */
    unsigned long gcode_line; /* VIZ_EVENT_ERROR: the G-code line answered "!! ..." */
    char text[120];
};

struct viz_trace {
    char scenario[64];
    /* "# config PATH" and "# gcode PATH" header lines, if the writer
     * named the files the trace ran (else empty). */
    char config[512], gcode[512];
    double freq; /* ticks per second */
    bool corexy; /* "kinematics corexy": stepper_x and stepper_y are belts, not rails */
    struct viz_stepper steppers[VIZ_TRACE_MAX_STEPPERS];
    size_t nsteppers;
    struct viz_heater heaters[VIZ_TRACE_MAX_HEATERS];
    size_t nheaters;
    struct viz_event *events;
    size_t nevents, event_cap;
    uint64_t last_tick;    /* the latest tick any line mentions (step runs: their last edge) */
    unsigned long skipped; /* lines of kinds this reader does not know */
};

/* Read a trace file, or trace text (name stands for the file in
 * messages), with the trace reader (trace/). Returns 0, or -1 with err
 * naming the file and line and what was expected; *tr is then empty. */
int viz_trace_load(const char *path, struct viz_trace *tr, char *err, size_t errlen);
int viz_trace_parse(const char *text, size_t len, const char *name, struct viz_trace *tr, char *err,
                    size_t errlen);
void viz_trace_free(struct viz_trace *tr);

/* Whether the file starts the way a trace does ("# lockstep trace"). */
bool viz_trace_sniff(const char *path);

/* The first stepper on a rail, or NULL. */
const struct viz_stepper *viz_trace_rail(const struct viz_trace *tr, int rail);

/* The index of the last run starting at or before tick, or -1. */
ptrdiff_t viz_stepper_run_at(const struct viz_stepper *s, uint64_t tick);
/* Edges at or before tick, and their signed sum. */
uint64_t viz_stepper_edges_upto(const struct viz_stepper *s, uint64_t tick, int64_t *steps);
/* The carriage position (mm) once every edge up to tick has happened. */
double viz_stepper_pos_at(const struct viz_stepper *s, uint64_t tick);
/* The tick and direction (+1/-1, dir may be NULL) of edge number index
 * (from 0); false if there is none. */
bool viz_stepper_edge(const struct viz_stepper *s, uint64_t index, uint64_t *tick, int *dir);
/* Ticks of edge k of a run. */
static inline uint64_t viz_run_edge_tick(const struct trace_run *r, uint64_t k)
{
    return trace_run_edge_tick(r, k);
}

#endif
