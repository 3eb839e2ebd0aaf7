/* The host engine: a printer built from its printer.cfg, answering
 * G-code the way Klipper does and sending step schedules to its MCU.
 *
 * Every command gets Klipper's answers, one line each: "// ..." for
 * information, "!! ..." for an error (the command then did nothing),
 * and a final "ok" (or "ok ..." for M105). */
#ifndef LOCKSTEP_CORE_ENGINE_H
#define LOCKSTEP_CORE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

typedef void (*engine_respond_fn)(void *ctx, const char *line);

struct engine_batch_opts {
    const char *config_path;
    const char *dict_path; /* the MCU's data dictionary (JSON, as the firmware build writes it) */
    const char *out_path;  /* the binary command stream */
    double max_error;      /* s; 0: Klipper's 25 us */
    engine_respond_fn respond;
    void *respond_ctx;
};

struct engine_stats {
    uint64_t steps;           /* step edges scheduled, all steppers */
    uint64_t queue_step_msgs; /* queue_step commands */
    uint64_t messages, bytes; /* everything sent to the MCU */
    uint64_t lines, errors;   /* G-code commands run, and refused */
    double print_time;        /* s at the end of the last move */
};

struct engine;
struct link_transport;

struct engine_live_opts {
    const char *config_path;
    /* Where the MCU is: an open transport (handed over to the engine),
     * else a device ("sim:avr", "sim:native", a serial port), else the
     * config's [mcu] serial at its baud. */
    struct link_transport *transport;
    const char *device;
    double max_error; /* s; 0: Klipper's 25 us */
    engine_respond_fn respond;
    void *respond_ctx;
};

/* Batch mode (Klipper's -o/-d): no MCU, homing assumes every endstop is
 * reached at position_endstop. NULL with err naming file, line, section
 * or option on a bad configuration or dictionary. */
struct engine *engine_open_batch(const struct engine_batch_opts *o, char *err, size_t errlen);

/* Live mode: connect to the MCU (identify, clock), configure it and get
 * ready for G-code. NULL with err on a bad configuration or link. */
struct engine *engine_open_live(const struct engine_live_opts *o, char *err, size_t errlen);

/* Live: wait until the MCU has run every queued move (M400). */
int engine_wait_moves(struct engine *e, char *err, size_t errlen);
/* Live: the MCU's clock now, as print time (0 in batch mode). */
double engine_est_print_time(struct engine *e);
/* The target of heater `name` ("extruder", "heater_bed") in C: 0 when
 * off (and after a shutdown), NAN if the printer has no such heater. */
double engine_heater_target(const struct engine *e, const char *name);
/* Why the printer is shut down, or NULL while it runs. */
const char *engine_shutdown_reason(const struct engine *e);

/* Run one line of G-code. Returns 0, 1 if it was refused (answered with
 * "!!"), -1 if the engine failed (err). */
int engine_run_line(struct engine *e, const char *text, size_t len, char *err, size_t errlen);
/* Run a G-code file, streaming; refused lines are answered and counted,
 * and the run goes on (live mode: until a shutdown, and then waits for
 * the last move to run). -1 on a read or engine failure. */
int engine_run_file(struct engine *e, const char *path, char *err, size_t errlen);

/* See every move as the lookahead planner finalises it, in print-time
 * order, before its steps are generated (for viewers and records). The
 * move is valid during the call only. NULL turns it off. */
struct move;
typedef void (*engine_move_fn)(void *ctx, const struct move *m);
void engine_set_move_observer(struct engine *e, engine_move_fn fn, void *ctx);

/* Finish every move, flush the output and free the engine. */
int engine_close(struct engine *e, struct engine_stats *stats, char *err, size_t errlen);

#endif
