/* lockstep batch: G-code in, the MCU's exact command stream out, with no
 * MCU attached (Klipper's batch mode). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "engine.h"

struct batch_ui {
    int verbose;
};

static void respond(void *ctx, const char *line)
{
    const struct batch_ui *ui = ctx;
    if (!ui->verbose && !strcmp(line, "ok"))
        return;
    fprintf(stderr, "%s\n", line);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lockstep batch PRINTER.CFG -i FILE.gcode -o OUT.bin [-d DICT.json]\n"
            "                      [--max-error SECONDS] [-v]\n\n"
            "Plans the G-code for the printer described by PRINTER.CFG and writes the exact\n"
            "bytes the engine would send its MCU (message blocks with sequence numbers and\n"
            "CRC) to OUT.bin, as Klipper's batch mode does. Homing assumes each endstop is\n"
            "reached at position_endstop. Answers to the G-code (errors \"!! ...\",\n"
            "information \"// ...\"; with -v also \"ok\") go to standard error.\n\n"
            "  -d DICT.json       the MCU's data dictionary (default: this build's firmware,\n"
            "                     %s)\n"
            "  --max-error S      step time tolerance (default 0.000025)\n\n"
            "Read the output with: lockstep dump OUT.bin -d DICT.json\n"
            "Exit status: 0, 1 if G-code lines were refused (the output is still written),\n"
            "2 for bad arguments, 3 if the run failed.\n",
            LOCKSTEP_AVR_DICT);
}

int cmd_batch(int argc, char **argv)
{
    struct engine_batch_opts o = {.dict_path = LOCKSTEP_AVR_DICT};
    const char *input = NULL;
    struct batch_ui ui = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-i") && i + 1 < argc) {
            input = argv[++i];
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            o.out_path = argv[++i];
        } else if (!strcmp(a, "-d") && i + 1 < argc) {
            o.dict_path = argv[++i];
        } else if (!strcmp(a, "--max-error") && i + 1 < argc) {
            char *end;
            o.max_error = strtod(argv[++i], &end);
            if (*end || !(o.max_error > 0.0)) {
                fprintf(stderr, "batch: --max-error takes seconds above 0, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "-v")) {
            ui.verbose = 1;
        } else if (a[0] != '-' && !o.config_path) {
            o.config_path = a;
        } else {
            fprintf(stderr, "batch: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!o.config_path || !input || !o.out_path) {
        fprintf(stderr, "batch: PRINTER.CFG, -i FILE.gcode and -o OUT.bin are required\n");
        usage(stderr);
        return 2;
    }
    o.respond = respond;
    o.respond_ctx = &ui;
    char err[1024];
    struct engine *e = engine_open_batch(&o, err, sizeof(err));
    if (!e) {
        fprintf(stderr, "batch: %s\n", err);
        return 3;
    }
    int rc = engine_run_file(e, input, err, sizeof(err));
    if (rc)
        fprintf(stderr, "batch: %s\n", err);
    struct engine_stats st;
    char cerr[512];
    if (engine_close(e, &st, cerr, sizeof(cerr))) {
        fprintf(stderr, "batch: %s\n", cerr);
        rc = -1;
    }
    if (rc)
        return 3;
    fprintf(stderr,
            "batch: %llu G-code commands (%llu refused), %llu steps in %llu queue_step "
            "messages, %llu messages in %llu bytes, print time %.3f s\n",
            (unsigned long long)st.lines, (unsigned long long)st.errors,
            (unsigned long long)st.steps, (unsigned long long)st.queue_step_msgs,
            (unsigned long long)st.messages, (unsigned long long)st.bytes, st.print_time);
    return st.errors ? 1 : 0;
}
