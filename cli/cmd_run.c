/* lockstep run: a G-code file printed by the engine on the digital twin,
 * with a summary of what the simulated hardware did. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "twin_fault.h"
#include "twin_run.h"

#define MAX_FAULTS TWIN_MAX_FAULTS

struct run_ui {
    int quiet;
    int bar; /* stderr is a terminal: draw the progress bar */
    int bar_shown;
    double wall_start, last_draw;
    const char *name;
};

static void clear_bar(struct run_ui *ui)
{
    if (ui->bar_shown) {
        fputs("\r\033[K", stderr);
        ui->bar_shown = 0;
    }
}

static void respond(void *ctx, const char *line)
{
    struct run_ui *ui = ctx;
    int error = !strncmp(line, "!!", 2);
    if (!strcmp(line, "ok") || (ui->quiet && !error))
        return;
    clear_bar(ui);
    printf("%s\n", line);
    fflush(stdout);
}

static void progress(void *ctx, const struct twin_progress *p)
{
    struct run_ui *ui = ctx;
    if (!ui->bar)
        return;
    double now = cli_wall_seconds();
    if (now - ui->last_draw < 0.1)
        return;
    ui->last_draw = now;
    double wall = now - ui->wall_start;
    char bar[31];
    int fill = (int)(p->share * 30 + 0.5);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = 0;
    fprintf(stderr, "\r\033[K[%s] %3.0f%%  line %lu  %.1f s simulated  %.1fx real time", bar,
            p->share * 100, p->line, p->sim_time, wall > 0 ? p->sim_time / wall : 0.0);
    ui->bar_shown = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lockstep run [PRINTER.CFG [FILE.gcode]] [--backend avr|native]\n"
            "                    [--fault SPEC]... [--trace FILE] [--seed N] [-q]\n\n"
            "Prints FILE.gcode with the engine on the digital twin of the printer in\n"
            "PRINTER.CFG: the firmware on a simulated MCU, on a RAMPS 1.4 board, driving\n"
            "simulated steppers, axes with endstops, heaters with thermistors and a fan.\n"
            "The engine's answers (\"// ...\", \"!! ...\") go to standard output, then a\n"
            "summary: simulated time, per stepper the steps commanded, followed and\n"
            "slipped, carriage positions, peak temperatures, the shutdown reason.\n\n"
            "Defaults: PRINTER.CFG %s/printer-ramps.cfg; FILE coaster.gcode there (a small\n"
            "round part, sliced for that printer: heat-up, 10 layers, about 400 s). A single\n"
            "argument ending in .gcode is the G-code file.\n\n"
            "  --backend B    avr (simavr running the atmega2560 firmware, default) or\n"
            "                 native (the firmware built for this machine)\n"
            "  --fault SPEC   make something go wrong (repeatable), e.g. slip:x:2@t=12,\n"
            "                 thermistor-open:extruder@line=40, host-stall:5@extruder>150\n"
            "  --trace FILE   write what the simulated hardware did, line by line\n"
            "  --seed N       seed of the endstops' trigger spread (default 1)\n"
            "  -q             only errors and the summary\n\n"
            "Fault specs (WHAT[@WHEN]):\n%s\n"
            "The same run gives the same record hash, on every run and machine.\n"
            "Exit status: 0, 1 if a G-code line was refused or the printer shut down,\n"
            "2 for bad arguments, 3 if the run could not be made.\n",
            LOCKSTEP_EXAMPLES, twin_fault_help());
}

static void print_summary(const char *cfg, const char *gcode, const struct twin_run_result *res,
                          double wall, int refused)
{
    const struct twin_report *r = &res->report;
    printf("\n== %s on %s (%s backend)\n", gcode, cfg, r->backend);
    printf("simulated %.3f s in %.2f s of wall time (%.1fx real time); %lu lines, %llu "
           "refused\n",
           r->time, wall, wall > 0 ? r->time / wall : 0.0, res->lines,
           (unsigned long long)res->stats.errors);
    printf("%-10s %12s %12s %6s %14s %14s\n", "stepper", "commanded", "followed", "slips",
           "commanded mm", "simulated mm");
    for (size_t i = 0; i < r->nsteppers; i++) {
        const struct twin_stepper_report *s = &r->steppers[i];
        printf("%-10s %12llu %12llu %6llu %14.4f %14.4f%s\n", s->name,
               (unsigned long long)s->motor.edges, (unsigned long long)s->followed,
               (unsigned long long)s->motor.slips, s->commanded_mm, s->actual_mm,
               s->is_axis ? "" : " (filament)");
    }
    for (size_t i = 0; i < r->nheaters; i++) {
        const struct twin_heater_report *h = &r->heaters[i];
        printf("%-10s peak %.1f C (thermistor %.1f C), now %.1f C", h->name, h->peak_block,
               h->peak_sensor, h->block);
        if (h->faults)
            printf(", faults 0x%x", h->faults);
        printf("\n");
    }
    for (size_t i = 0; i < r->nfaults; i++) {
        if (r->faults[i].fired)
            printf("fault %s: at %.3f s\n", r->faults[i].spec, r->faults[i].time);
        else
            printf("fault %s: did not happen\n", r->faults[i].spec);
    }
    const struct twin_schedule_stats *sc = &r->schedule;
    if (sc->checked) {
        double us = 1e6 / r->freq;
        printf("step times: %llu steps against their scheduled clocks: %lld..%lld ticks late "
               "(%.2f..%.2f us; the most: %s at %.3f s)\n",
               (unsigned long long)sc->checked, (long long)sc->min_late, (long long)sc->max_late,
               sc->min_late * us, sc->max_late * us, sc->worst, sc->worst_time);
    } else if (!sc->watching) {
        printf("step times: not checked (%s)\n",
               sc->why_not[0] ? sc->why_not : "no dictionary for this firmware");
    }
    if (sc->unexpected)
        printf("step times: %llu steps that no command scheduled\n",
               (unsigned long long)sc->unexpected);
    if (r->model_errors)
        printf("models refused %llu inputs (see the trace)\n", (unsigned long long)r->model_errors);
    if (res->shutdown)
        printf("shutdown: %s%s\n", res->shutdown_reason,
               res->stopped_at ? " (the rest of the file was not run)" : "");
    else if (refused)
        printf("errors: %d line(s) refused\n", refused);
    else
        printf("no errors\n");
    printf("record hash %016llx\n", (unsigned long long)r->hash);
}

int cmd_run(int argc, char **argv)
{
    struct twin_run_opts o;
    memset(&o, 0, sizeof(o));
    twin_opts_init(&o.twin);
    const char *faults[MAX_FAULTS];
    size_t nfaults = 0;
    const char *positional[2] = {NULL, NULL};
    size_t npos = 0;
    struct run_ui ui = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--backend") && i + 1 < argc) {
            const char *b = argv[++i];
            if (strcmp(b, "avr") && strcmp(b, "native") && strncmp(b, "avr=", 4)) {
                fprintf(stderr, "run: --backend takes avr, native or avr=FILE.elf, got '%s'\n", b);
                return 2;
            }
            o.twin.backend = b;
        } else if (!strcmp(a, "--fault") && i + 1 < argc) {
            const char *spec = argv[++i];
            struct twin_fault f;
            char err[400];
            if (twin_fault_parse(spec, &f, err, sizeof(err))) {
                fprintf(stderr, "run: %s\n", err);
                return 2;
            }
            if (nfaults == MAX_FAULTS) {
                fprintf(stderr, "run: at most %d --fault options\n", MAX_FAULTS);
                return 2;
            }
            faults[nfaults++] = spec;
        } else if (!strcmp(a, "--trace") && i + 1 < argc) {
            o.twin.trace_path = argv[++i];
        } else if (!strcmp(a, "--seed") && i + 1 < argc) {
            char *end;
            const char *s = argv[++i];
            unsigned long long v = strtoull(s, &end, 0);
            if (!*s || *end || *s == '-') {
                fprintf(stderr, "run: --seed takes a whole number 0 or more, got '%s'\n", s);
                return 2;
            }
            o.twin.seed = v;
        } else if (!strcmp(a, "-q")) {
            ui.quiet = 1;
        } else if (a[0] != '-' && npos < 2) {
            positional[npos++] = a;
        } else {
            fprintf(stderr, "run: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (npos == 1 && cli_ends_with(positional[0], ".scn")) {
        if (nfaults) {
            fprintf(stderr, "run: a scenario names its own faults; --fault goes with G-code\n");
            return 2;
        }
        return run_scenario(positional[0], o.twin.trace_path);
    }
    const char *cfg = LOCKSTEP_EXAMPLES "/printer-ramps.cfg";
    /* A small real part, sliced for the example printer. */
    const char *gcode = LOCKSTEP_EXAMPLES "/coaster.gcode";
    if (npos == 1 && (cli_ends_with(positional[0], ".gcode") ||
                      cli_ends_with(positional[0], ".gco") || cli_ends_with(positional[0], ".g"))) {
        gcode = positional[0];
    } else {
        if (npos >= 1)
            cfg = positional[0];
        if (npos == 2)
            gcode = positional[1];
    }
    o.twin.config_path = cfg;
    o.faults = faults;
    o.nfaults = nfaults;
    o.respond = respond;
    o.respond_ctx = &ui;
    ui.bar = !ui.quiet && isatty(STDERR_FILENO);
    o.progress = progress;
    o.progress_ctx = &ui;
    ui.wall_start = cli_wall_seconds();

    /* Before the twin starts: a mistyped name should not wait for it. */
    FILE *f = fopen(gcode, "r");
    if (!f) {
        fprintf(stderr, "run: cannot read '%s': %s\n", gcode, strerror(errno));
        return 3;
    }
    fclose(f);
    struct twin_run_result *res = malloc(sizeof(*res));
    if (!res) {
        fprintf(stderr, "run: out of memory\n");
        return 3;
    }
    char err[1024];
    struct twin_run *r = twin_run_open(&o, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "run: %s\n", err);
        free(res);
        return 3;
    }
    int rc = twin_run_file(r, gcode, err, sizeof(err));
    char ferr[512];
    int frc = twin_run_finish(r, res, ferr, sizeof(ferr));
    clear_bar(&ui);
    double wall = cli_wall_seconds() - ui.wall_start;
    if (rc)
        fprintf(stderr, "run: %s\n", err);
    if (frc && !rc)
        fprintf(stderr, "run: %s\n", ferr);
    print_summary(cfg, gcode, res, wall, (int)res->stats.errors);
    int status = rc || frc ? 3 : res->shutdown || res->stats.errors ? 1 : 0;
    free(res);
    return status;
}
