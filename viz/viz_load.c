#include "viz_load.h"

#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "printer_config.h"

struct collector {
    struct viz_plan *plan;
    int failed; /* out of memory: the rest of the moves are not kept */
};

static void on_move(void *ctx, const struct move *m)
{
    struct collector *c = ctx;
    if (!c->failed && viz_plan_add(c->plan, m))
        c->failed = 1;
}

static void on_answer(void *ctx, const char *line)
{
    struct collector *c = ctx;
    if (strncmp(line, "!!", 2))
        return;
    if (!c->plan->refused++)
        snprintf(c->plan->first_refusal, sizeof(c->plan->first_refusal), "%s", line);
}

static void read_bed(const char *config_path, struct viz_plan *p)
{
    struct printer_config pc;
    char err[256];
    if (printer_config_load(config_path, NULL, &pc, err, sizeof(err)))
        return; /* the engine reports a bad config itself */
    if (pc.nrails >= 2) {
        for (int a = 0; a < 2; a++) {
            p->bed_lo[a] = (float)pc.rails[a].position_min;
            p->bed_hi[a] = (float)pc.rails[a].position_max;
        }
        p->has_bed = p->bed_hi[0] > p->bed_lo[0] && p->bed_hi[1] > p->bed_lo[1];
    }
    printer_config_free(&pc);
}

int viz_plan_load(const struct viz_load_opts *o, struct viz_plan *p, char *err, size_t errlen)
{
    struct collector c = {.plan = p};
    struct engine_batch_opts bo = {
        .config_path = o->config_path,
        .dict_path = o->dict_path,
        .out_path = "/dev/null", /* the MCU's commands are not wanted, only the moves */
        .respond = on_answer,
        .respond_ctx = &c,
    };
    struct engine *e = engine_open_batch(&bo, err, errlen);
    if (!e)
        return -1;
    engine_set_move_observer(e, on_move, &c);
    int rc = engine_run_file(e, o->gcode_path, err, errlen);
    char cerr[512];
    /* The last moves leave the lookahead only when the engine closes. */
    if (engine_close(e, NULL, cerr, sizeof(cerr)) && !rc) {
        snprintf(err, errlen, "%s", cerr);
        rc = -1;
    }
    if (!rc && c.failed) {
        snprintf(err, errlen, "%s: out of memory after %zu moves", o->gcode_path, p->n);
        rc = -1;
    }
    if (rc)
        return -1;
    read_bed(o->config_path, p);
    viz_plan_finish(p);
    return 0;
}
