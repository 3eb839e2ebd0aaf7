/* A trace in "trace format 2" (docs/trace-format.md), read into memory
 * once: the one reader of the format, shared by the viewer (viz/) and
 * `lockstep trace export`.
 *
 * Step edges stay compressed as the writer's runs, each stepper's runs
 * sorted by time; every other timed line is an event, all of them sorted
 * by time (ties in file order). */
#ifndef LOCKSTEP_TRACE_H
#define LOCKSTEP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_FORMAT_VERSION 2
#define TRACE_MAX_STEPPERS 8
#define TRACE_MAX_HEATERS 8
#define TRACE_NAME 40
/* The largest tick a line may carry: runs computed from it stay well
 * inside 64 bits. */
#define TRACE_MAX_TICK (UINT64_MAX / 4)

enum trace_rail { TRACE_RAIL_X, TRACE_RAIL_Y, TRACE_RAIL_Z, TRACE_RAIL_E, TRACE_RAIL_COUNT };

/* count edges, the first at tick, then interval apart, the interval
 * growing by add after each edge; consecutive edges are at least one
 * tick apart. */
struct trace_run {
    uint64_t tick;
    uint64_t edges_before; /* edges of the stepper before this run */
    int64_t steps_before;  /* signed: + towards +mm */
    uint32_t interval, count;
    int32_t add;
    int8_t dir; /* +1 or -1 */
};

struct trace_stepper {
    char name[TRACE_NAME];
    int rail; /* enum trace_rail */
    double mm_per_step, start_mm;
    struct trace_run *runs;
    size_t nruns, cap;
    uint64_t edges; /* all runs' counts */
    bool has_endstop, has_enable;
};

struct trace_heater {
    char name[TRACE_NAME];
    bool has_duty, has_target;
};

enum trace_event_kind {
    TRACE_ENABLE,      /* on: the driver is enabled */
    TRACE_ENDSTOP,     /* on: the switch is closed */
    TRACE_DUTY,        /* value: 0..1 */
    TRACE_TEMP,        /* value: C; target: C or NAN when the line had none */
    TRACE_LINE,        /* gcode_line: the engine began it */
    TRACE_ANSWER,      /* gcode_line, text */
    TRACE_FAULT,       /* text: the fault's spec */
    TRACE_RESET,       /* text: what was reset (mcu) */
    TRACE_MODEL_ERROR, /* text: "PART: WHY" */
    TRACE_SHUTDOWN,    /* text (older traces' own shutdown line) */
    TRACE_WIRE,        /* text: what the host-to-MCU wire did ("released N bytes") */
};

/* Who a duty line is about when it is the part fan, not a heater. */
#define TRACE_FAN (-1)

struct trace_event {
    uint64_t tick;
    double value, target;
    size_t text; /* offset into trace.text; 0 is the empty string */
    uint32_t gcode_line;
    int16_t who; /* stepper or heater index, or TRACE_FAN */
    uint8_t kind;
    bool on;
};

struct trace {
    /* "# scenario NAME", "# config PATH", "# gcode PATH" and "# hash H"
     * comments, where the writer gave them (else empty). */
    char scenario[64], config[512], gcode[512], hash[24];
    uint64_t freq;       /* ticks per second */
    char kinematics[32]; /* "kinematics NAME" (corexy); empty: cartesian */
    struct trace_stepper steppers[TRACE_MAX_STEPPERS];
    size_t nsteppers;
    struct trace_heater heaters[TRACE_MAX_HEATERS];
    size_t nheaters;
    bool has_fan; /* a duty line named the fan */
    struct trace_event *events;
    size_t nevents, event_cap;
    char *text; /* the events' texts, NUL-separated */
    size_t text_len, text_cap;
    uint64_t last_tick;    /* the latest tick any line mentions (step runs: their last edge) */
    unsigned long skipped; /* timed lines of kinds this reader does not know */
};

/* Read a trace file, or trace text (name stands for the file in
 * messages). Returns 0, or -1 with err naming the file and line and what
 * was expected; *tr is then empty (and needs no trace_free). */
int trace_load(const char *path, struct trace *tr, char *err, size_t errlen);
int trace_parse(const char *text, size_t len, const char *name, struct trace *tr, char *err,
                size_t errlen);
void trace_free(struct trace *tr);

/* Whether the file starts the way a trace does ("# lockstep trace "). */
bool trace_sniff(const char *path);

/* An event's text ("" for kinds without one). */
const char *trace_event_text(const struct trace *tr, const struct trace_event *ev);

/* Whether an answer's text reports an MCU shutdown ("!! MCU 'mcu'
 * shutdown: REASON"): the engine's answer is how a shutdown reaches the
 * trace. */
bool trace_answer_is_shutdown(const char *text);

/* The tick of edge k (from 0) of a run. */
uint64_t trace_run_edge_tick(const struct trace_run *r, uint64_t k);

/* A stepper's edges one at a time, in time order, without expanding its
 * runs (trace_edges.c). */
struct trace_edges {
    const struct trace_stepper *s;
    size_t run;      /* the run the next edge is in */
    uint32_t k;      /* its index in the run */
    uint64_t tick;   /* its tick */
    int64_t spacing; /* from it to the edge after it in the same run */
};
void trace_edges_start(struct trace_edges *e, const struct trace_stepper *s);
/* The next edge's tick and direction (+1/-1); false when there is none. */
bool trace_edges_next(struct trace_edges *e, uint64_t *tick, int *dir);

#endif
