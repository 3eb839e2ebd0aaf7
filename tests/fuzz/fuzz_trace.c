/* libFuzzer harness for trace files (docs/trace-format.md), which the
 * viewer, `lockstep trace export` and the golden comparison read: the
 * input is parsed, and when it is accepted every stepper's edges are
 * walked and every event's text looked up, as the readers do. Malformed
 * text must be refused with a message; nothing may crash, hang, leak or
 * touch memory it does not own. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct trace tr;
    char err[512] = "";
    if (trace_parse((const char *)data, size, "fuzz.trace", &tr, err, sizeof(err))) {
        if (!err[0]) {
            fprintf(stderr, "fuzz_trace: refused without a message\n");
            abort();
        }
        return 0;
    }
    for (size_t i = 0; i < tr.nsteppers; i++) {
        struct trace_edges e;
        uint64_t tick, last = 0;
        int dir;
        trace_edges_start(&e, &tr.steppers[i]);
        /* edges come in time order */
        for (size_t n = 0; trace_edges_next(&e, &tick, &dir); n++) {
            if ((n && tick < last) || (dir != 1 && dir != -1))
                abort();
            last = tick;
        }
    }
    for (size_t i = 0; i < tr.nevents; i++)
        if (!trace_event_text(&tr, &tr.events[i]))
            abort();
    trace_free(&tr);
    return 0;
}
