/* libFuzzer harness for the host engine's G-code path: a fresh batch-mode
 * printer runs the input, and closes. The input's length picks how:
 * even lengths go in line by line (engine_run_line), odd ones as a file
 * through the streaming reader (engine_run_file); and bit 1 picks the
 * printer, examples/printer-ramps.cfg (cartesian) or
 * scenarios/printers/corexy.cfg. Parser, commands, lookahead, step
 * generation and the MCU link all see whatever the fuzzer writes; none
 * of them may crash, hang, leak or touch memory it does not own; a
 * refused line is answered with "!! ...", and an engine failure says
 * why. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "fuzz_file.h"

/* Notes that an error was answered. */
static void respond(void *ctx, const char *line)
{
    if (!strncmp(line, "!! ", 3))
        *(int *)ctx = 1;
}

static void run_as_file(struct engine *e, const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file("print.gcode", data, size);
    char err[2048] = "";
    if (engine_run_file(e, path, err, sizeof(err)) < 0 && !err[0]) {
        fprintf(stderr, "fuzz_gcode: the file failed without a message\n");
        abort();
    }
    struct engine_stats st;
    engine_close(e, &st, err, sizeof(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int refused_said = 0;
    struct engine_batch_opts o = {.config_path = size & 2 ? FUZZ_CONFIG_COREXY : FUZZ_CONFIG,
                                  .dict_path = FUZZ_DICT,
                                  .out_path = "/dev/null",
                                  .respond = respond,
                                  .respond_ctx = &refused_said};
    char err[2048];
    struct engine *e = engine_open_batch(&o, err, sizeof(err));
    if (!e) {
        fprintf(stderr, "fuzz_gcode: %s\n", err);
        abort();
    }
    if (size % 2) {
        run_as_file(e, data, size);
        return 0;
    }
    const char *text = (const char *)data;
    size_t at = 0;
    while (at < size) {
        const char *nl = memchr(text + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (text + at)) : size - at;
        err[0] = 0;
        refused_said = 0;
        int rc = engine_run_line(e, text + at, len, err, sizeof(err));
        if ((rc == 1 && !refused_said) || (rc < 0 && !err[0])) {
            fprintf(stderr, "fuzz_gcode: line at byte %zu: %s without a message\n", at,
                    rc == 1 ? "refused" : "failed");
            abort();
        }
        if (rc < 0)
            break;
        at += len + 1;
    }
    struct engine_stats st;
    engine_close(e, &st, err, sizeof(err));
    return 0;
}
