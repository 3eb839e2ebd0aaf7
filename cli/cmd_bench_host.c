/* lockstep bench host: batch mode over a real sliced print, timed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli_util.h"
#include "commands.h"
#include "engine.h"

static void quiet(void *ctx, const char *line)
{
    (void)ctx, (void)line;
}

#define MAX_RUNS 99

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lockstep bench host [FILE.gcode] [--config PRINTER.CFG] [-d DICT.json]\n"
            "                           [-o OUT.bin] [--runs N]\n\n"
            "Runs batch mode over FILE (default: the largest .gcode in %s)\n"
            "for PRINTER.CFG (default: %s/printer-ramps.cfg), writing to OUT\n"
            "(default /dev/null), and ends with the line:\n"
            "  host batch: N steps in S s = R steps/s, Q queue_step msgs, peak RSS M MiB\n"
            "--runs N (1-%d) runs it N times, each run's time on standard error,\n"
            "and reports the median: on a machine whose speed drifts, that is the\n"
            "figure to compare builds by. Every run must give the same counts.\n",
            LOCKSTEP_SHARED_GCODE, LOCKSTEP_EXAMPLES, MAX_RUNS);
}

/* One batch run over file: its wall time and the engine's counts. */
static int run_once(const struct engine_batch_opts *o, const char *file, double *seconds,
                    struct engine_stats *st)
{
    char err[1024];
    double t0 = cli_wall_seconds();
    struct engine *e = engine_open_batch(o, err, sizeof(err));
    if (!e) {
        fprintf(stderr, "bench host: %s\n", err);
        return -1;
    }
    int rc = engine_run_file(e, file, err, sizeof(err));
    if (rc)
        fprintf(stderr, "bench host: %s\n", err);
    if (engine_close(e, st, err, sizeof(err))) {
        fprintf(stderr, "bench host: %s\n", err);
        rc = -1;
    }
    *seconds = cli_wall_seconds() - t0;
    return rc ? -1 : 0;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int bench_host(int argc, char **argv)
{
    char file[4096] = "", cfg[4096];
    snprintf(cfg, sizeof(cfg), "%s/printer-ramps.cfg", LOCKSTEP_EXAMPLES);
    const char *dict = LOCKSTEP_AVR_DICT, *out = "/dev/null";
    int runs = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            snprintf(cfg, sizeof(cfg), "%s", argv[++i]);
        } else if (!strcmp(argv[i], "-d") && i + 1 < argc) {
            dict = argv[++i];
        } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(argv[i], "--runs")) {
            char *end = NULL;
            long n = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= argc || *end || end == argv[i + 1] || n < 1 || n > MAX_RUNS) {
                fprintf(stderr,
                        "bench host: --runs takes a number of runs from 1 to %d, got '%s'\n",
                        MAX_RUNS, i + 1 < argc ? argv[i + 1] : "");
                return 2;
            }
            runs = (int)n;
            i++;
        } else if (argv[i][0] != '-' && !file[0]) {
            snprintf(file, sizeof(file), "%s", argv[i]);
        } else {
            fprintf(stderr, "bench host: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!file[0] && !cli_largest_gcode(LOCKSTEP_SHARED_GCODE, file, sizeof(file))) {
        fprintf(stderr,
                "bench host: skipped: no FILE given and no .gcode in %s (the shared corpus "
                "is absent)\n",
                LOCKSTEP_SHARED_GCODE);
        return 0;
    }
    struct engine_batch_opts o = {
        .config_path = cfg, .dict_path = dict, .out_path = out, .respond = quiet};
    double secs[MAX_RUNS];
    struct engine_stats st = {0}, first = {0};
    for (int r = 0; r < runs; r++) {
        if (run_once(&o, file, &secs[r], &st))
            return 1;
        if (runs > 1)
            fprintf(stderr, "bench host: run %d: %.3f s\n", r + 1, secs[r]);
        if (!r)
            first = st;
        else if (st.steps != first.steps || st.queue_step_msgs != first.queue_step_msgs) {
            /* batch mode is deterministic: a difference is a bug */
            fprintf(stderr,
                    "bench host: run %d gave %llu steps and %llu queue_step msgs, run 1 %llu "
                    "and %llu\n",
                    r + 1, (unsigned long long)st.steps, (unsigned long long)st.queue_step_msgs,
                    (unsigned long long)first.steps, (unsigned long long)first.queue_step_msgs);
            return 1;
        }
    }
    qsort(secs, (size_t)runs, sizeof(secs[0]), by_value);
    double dt = runs % 2 ? secs[runs / 2] : 0.5 * (secs[runs / 2 - 1] + secs[runs / 2]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "bench host: %s: %llu G-code commands (%llu refused), print time %.1f s\n",
            file, (unsigned long long)st.lines, (unsigned long long)st.errors, st.print_time);
    printf("host batch: %llu steps in %.3f s = %.0f steps/s, %llu queue_step msgs, peak RSS "
           "%.1f MiB\n",
           (unsigned long long)st.steps, dt, st.steps / dt, (unsigned long long)st.queue_step_msgs,
           ru.ru_maxrss / 1024.0);
    return 0;
}
