/* The engine driving the twin: G-code in, line by line, with the line
 * numbers the twin's faults wait for, and a summary at the end. */
#ifndef LOCKSTEP_TWIN_RUN_H
#define LOCKSTEP_TWIN_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "twin.h"

struct twin_progress {
    double sim_time;    /* s */
    double share;       /* of the file read, 0..1 (0 for single lines) */
    unsigned long line; /* the line being run */
};

struct twin_run_opts {
    struct twin_opts twin; /* twin_opts_init() first */
    const char *const *faults;
    size_t nfaults;
    /* Every answer of the engine ("ok", "// ...", "!! ..."). */
    engine_respond_fn respond;
    void *respond_ctx;
    /* Every 0.1 s of simulated time; for displays only. */
    void (*progress)(void *ctx, const struct twin_progress *p);
    void *progress_ctx;
};

struct twin_run;

/* Build the twin, add the faults and connect the engine to it. NULL with
 * err (a bad config, fault spec, or a failed connection). */
struct twin_run *twin_run_open(const struct twin_run_opts *o, char *err, size_t errlen);

/* Run the next line (numbered from 1 over the whole session). Returns 0,
 * 1 if the engine refused it, -1 with err if the engine or the simulation
 * failed. */
int twin_run_line(struct twin_run *r, const char *text, char *err, size_t errlen);
/* Run a G-code file, or text (name for messages), line by line: refused
 * lines are answered and counted and the run goes on; after a shutdown
 * the rest is not run. Ends by waiting for the last move. Returns 0, or -1
 * with err if the file cannot be read or the run failed. */
int twin_run_file(struct twin_run *r, const char *path, char *err, size_t errlen);
int twin_run_text(struct twin_run *r, const char *text, char *err, size_t errlen);

/* The line being run (numbered from 1 over the session; 0 before any). */
unsigned long twin_run_current_line(const struct twin_run *r);
struct twin *twin_run_twin(struct twin_run *r);
struct engine *twin_run_engine(struct twin_run *r);

struct twin_run_result {
    unsigned long lines;       /* lines handed to the engine */
    unsigned long stopped_at;  /* the line after which a shutdown stopped the run, or 0 */
    struct engine_stats stats; /* the engine's: steps scheduled, lines refused, ... */
    bool shutdown;
    char shutdown_reason[160];
    struct twin_report report; /* the twin after the last move */
};

/* Let the engine finish its moves and close it, report the twin and free
 * everything (also on failure). Returns 0, or -1 with err. */
int twin_run_finish(struct twin_run *r, struct twin_run_result *res, char *err, size_t errlen);

#endif
