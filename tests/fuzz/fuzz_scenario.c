/* libFuzzer harness for scenario files (docs/scenarios.md): the input is
 * loaded as a .scn file from a directory of its own (so the printer and
 * G-code files it names are not the machine's). It must load or be
 * refused with a message; nothing may crash, leak or touch memory it does
 * not own. Running the scenario is the scenario tests' job, not this. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "scenario_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file("fuzz.scn", data, size);
    struct scenario *s = calloc(1, sizeof(*s));
    char err[2048] = "";
    if (!s)
        abort();
    if (scenario_load(path, FUZZ_CONFIG, s, err, sizeof(err))) {
        if (!err[0]) {
            fprintf(stderr, "fuzz_scenario: refused without a message\n");
            abort();
        }
    } else
        scenario_free(s);
    free(s);
    return 0;
}
