/* libFuzzer harness for printer.cfg: the input is the configuration of a
 * batch-mode printer. Any text must either build a printer or be refused
 * with a message; nothing may crash, leak or touch memory it does not
 * own. The file is written to a directory of its own, so [include] globs
 * find nothing of the machine's. FUZZ_VERBOSE=1 prints each refusal. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file("printer.cfg", data, size);
    char err[2048] = "";
    struct engine_batch_opts o = {
        .config_path = path, .dict_path = FUZZ_DICT, .out_path = "/dev/null"};
    struct engine *e = engine_open_batch(&o, err, sizeof(err));
    if (!e && !err[0]) {
        fprintf(stderr, "fuzz_config: refused without a message\n");
        abort();
    }
    if (!e && getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_config: %s\n", err);
    if (e) {
        struct engine_stats st;
        engine_close(e, &st, err, sizeof(err));
    }
    return 0;
}
