/* lockstep bench twin: a real sliced print on the digital twin, on each
 * backend, timed against the simulated duration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "twin_run.h"

static void quiet(void *ctx, const char *line)
{
    (void)ctx, (void)line;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lockstep bench twin [FILE.gcode] [--config PRINTER.CFG]\n"
            "                           [--backend avr|native]...\n\n"
            "Prints FILE (default: %s/cube.gcode) on the twin of PRINTER.CFG\n"
            "(default: %s/printer-ramps.cfg) on each backend (default: avr, then\n"
            "native) and ends with one line per backend:\n"
            "  twin BACKEND: simulated S s in W s wall = X× real time\n",
            LOCKSTEP_SHARED_GCODE, LOCKSTEP_EXAMPLES);
}

static int bench_one(const char *cfg, const char *file, const char *backend, double *sim,
                     double *wall)
{
    struct twin_run_opts o;
    memset(&o, 0, sizeof(o));
    twin_opts_init(&o.twin);
    o.twin.config_path = cfg;
    o.twin.backend = backend;
    o.respond = quiet;
    struct twin_run_result *res = malloc(sizeof(*res));
    if (!res) {
        fprintf(stderr, "bench twin: out of memory\n");
        return -1;
    }
    char err[1024], ferr[512];
    double t0 = cli_wall_seconds();
    struct twin_run *r = twin_run_open(&o, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "bench twin: %s\n", err);
        free(res);
        return -1;
    }
    int rc = twin_run_file(r, file, err, sizeof(err));
    int frc = twin_run_finish(r, res, ferr, sizeof(ferr));
    *wall = cli_wall_seconds() - t0;
    *sim = res->report.time;
    if (rc || frc)
        fprintf(stderr, "bench twin: %s\n", rc ? err : ferr);
    else if (res->shutdown || res->stats.errors)
        fprintf(stderr, "bench twin: %s on %s: %s\n", file, backend,
                res->shutdown ? res->shutdown_reason : "G-code lines were refused");
    else {
        uint64_t steps = 0;
        for (size_t i = 0; i < res->report.nsteppers; i++)
            steps += res->report.steppers[i].motor.edges;
        fprintf(stderr, "bench twin: %s on %s: %lu lines, %llu step edges, record hash %016llx\n",
                file, backend, res->lines, (unsigned long long)steps,
                (unsigned long long)res->report.hash);
    }
    int failed = rc || frc || res->shutdown || res->stats.errors;
    free(res);
    return failed ? -1 : 0;
}

int bench_twin(int argc, char **argv)
{
    char file[4096] = "", cfg[4096];
    snprintf(cfg, sizeof(cfg), "%s/printer-ramps.cfg", LOCKSTEP_EXAMPLES);
    const char *backends[4];
    int nbackends = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            snprintf(cfg, sizeof(cfg), "%s", argv[++i]);
        } else if (!strcmp(argv[i], "--backend") && i + 1 < argc && nbackends < 4) {
            const char *b = argv[++i];
            if (strcmp(b, "avr") && strcmp(b, "native")) {
                fprintf(stderr, "bench twin: --backend takes avr or native, got '%s'\n", b);
                return 2;
            }
            backends[nbackends++] = b;
        } else if (argv[i][0] != '-' && !file[0]) {
            snprintf(file, sizeof(file), "%s", argv[i]);
        } else {
            fprintf(stderr, "bench twin: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!nbackends) {
        backends[nbackends++] = "avr";
        backends[nbackends++] = "native";
    }
    if (!file[0]) {
        snprintf(file, sizeof(file), "%s/cube.gcode", LOCKSTEP_SHARED_GCODE);
        FILE *f = fopen(file, "r");
        if (!f) {
            fprintf(stderr,
                    "bench twin: skipped: no FILE given and no %s (the shared corpus is "
                    "absent)\n",
                    file);
            return 0;
        }
        fclose(f);
    }
    int status = 0;
    for (int i = 0; i < nbackends; i++) {
        double sim = 0, wall = 0;
        if (bench_one(cfg, file, backends[i], &sim, &wall)) {
            status = 1;
            continue;
        }
        printf("twin %s: simulated %.1f s in %.2f s wall = %.1f× real time\n", backends[i], sim,
               wall, wall > 0 ? sim / wall : 0.0);
        fflush(stdout);
    }
    return status;
}
