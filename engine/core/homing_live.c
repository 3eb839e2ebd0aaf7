/* Homing against real (or simulated) endstops: Klipper's trsync. */
#include "engine_internal.h"

int engine_live_add_objects(struct engine *e, char *err, size_t errlen)
{
    (void)e;
    (void)err;
    (void)errlen;
    return 0;
}

void engine_homing_message(struct engine *e, const struct msg_params *p, uint64_t t_ns)
{
    (void)e;
    (void)p;
    (void)t_ns;
}
