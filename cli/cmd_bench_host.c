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

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lockstep bench host [FILE.gcode] [--config PRINTER.CFG] [-d DICT.json]\n"
            "                           [-o OUT.bin]\n\n"
            "Runs batch mode over FILE (default: the largest .gcode in %s)\n"
            "for PRINTER.CFG (default: %s/printer-ramps.cfg), writing to OUT\n"
            "(default /dev/null), and ends with the line:\n"
            "  host batch: N steps in S s = R steps/s, Q queue_step msgs, peak RSS M MiB\n",
            LOCKSTEP_SHARED_GCODE, LOCKSTEP_EXAMPLES);
}

int bench_host(int argc, char **argv)
{
    char file[4096] = "", cfg[4096];
    snprintf(cfg, sizeof(cfg), "%s/printer-ramps.cfg", LOCKSTEP_EXAMPLES);
    const char *dict = LOCKSTEP_AVR_DICT, *out = "/dev/null";
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
    char err[1024];
    double t0 = cli_wall_seconds();
    struct engine *e = engine_open_batch(&o, err, sizeof(err));
    if (!e) {
        fprintf(stderr, "bench host: %s\n", err);
        return 1;
    }
    int rc = engine_run_file(e, file, err, sizeof(err));
    if (rc)
        fprintf(stderr, "bench host: %s\n", err);
    struct engine_stats st;
    if (engine_close(e, &st, err, sizeof(err))) {
        fprintf(stderr, "bench host: %s\n", err);
        rc = -1;
    }
    double dt = cli_wall_seconds() - t0;
    if (rc)
        return 1;
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
