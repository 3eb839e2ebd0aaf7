#include "rig.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define FREQ 16000000.0

void rig_init(struct rig *r, unsigned threads, unsigned batch)
{
    memset(r, 0, sizeof(*r));
    struct stepgen_config c = {threads, batch};
    char err[256];
    r->sg = stepgen_create(&c, err, sizeof(err));
    if (!r->sg)
        fail_msg("stepgen_create: %s", err);
}

void rig_free(struct rig *r)
{
    stepgen_destroy(r->sg);
    for (int i = 0; i < r->n; i++) {
        cmd_log_free(&r->log[i]);
        ref_free(&r->rs[i]);
    }
}

int rig_stepper(struct rig *r, enum stepkin kind, double step_distance, bool invert,
                double max_error)
{
    int i = r->n;
    assert_true(i < RIG_MAX);
    struct stepgen_stepper_config *c = &r->cfg[i];
    memset(c, 0, sizeof(*c));
    static const char *const names[] = {"s0", "s1", "s2", "s3", "s4", "s5"};
    c->name = names[i];
    c->oid = (uint8_t)(10 + i);
    stepkin_coefficients(kind, c->coef);
    c->step_distance = step_distance;
    c->invert_dir = invert;
    c->mcu_freq = FREQ;
    c->clock_offset = 0;
    c->max_error = max_error;
    c->sink = cmd_log_sink;
    c->sink_ctx = &r->log[i];
    char err[256];
    int idx = stepgen_add_stepper(r->sg, c, err, sizeof(err));
    if (idx < 0)
        fail_msg("add_stepper: %s", err);
    assert_int_equal(idx, i);
    memcpy(r->ref[i].coef, c->coef, sizeof(c->coef));
    r->ref[i].step_distance = step_distance;
    r->ref[i].freq = FREQ;
    r->ref[i].offset = 0;
    r->n++;
    return i;
}

void rig_move(struct rig *r, const struct move *m)
{
    char err[256];
    if (stepgen_add_move(r->sg, m, err, sizeof(err)) < 0)
        fail_msg("add_move: %s", err);
    for (int i = 0; i < r->n; i++)
        ref_move(&r->ref[i], m, &r->rs[i]);
}

bool rig_try_move(struct rig *r, const struct move *m)
{
    char err[256];
    if (stepgen_add_move(r->sg, m, err, sizeof(err)) < 0)
        return false;
    for (int i = 0; i < r->n; i++)
        ref_move(&r->ref[i], m, &r->rs[i]);
    return true;
}

void rig_set_position(struct rig *r, int i, double pos_mm)
{
    char err[256];
    if (stepgen_set_position(r->sg, i, pos_mm, err, sizeof(err)) < 0)
        fail_msg("set_position: %s", err);
    ref_set_position(&r->ref[i], pos_mm);
}

void rig_flush(struct rig *r, double until)
{
    char err[256];
    if (stepgen_flush(r->sg, until, err, sizeof(err)) < 0)
        fail_msg("flush: %s", err);
}

double rig_max_error_ticks(const struct rig *r, int i)
{
    double me = r->cfg[i].max_error ? r->cfg[i].max_error : 25e-6;
    return me * r->cfg[i].mcu_freq;
}

void rig_check(struct rig *r)
{
    for (int i = 0; i < r->n; i++) {
        char err[256];
        struct exec_steps ex = {0};
        if (fw_expand(r->log[i].v, r->log[i].n, FW_EXACT, &ex, err, sizeof(err)) < 0)
            fail_msg("stepper %d: %s", i, err);
        if (check_steps(&ex, &r->rs[i], r->cfg[i].invert_dir, rig_max_error_ticks(r, i), err,
                        sizeof(err)) < 0)
            fail_msg("stepper %d: %s", i, err);
        /* The MCU's counter: net steps taken. */
        int64_t net = 0;
        int up = r->cfg[i].invert_dir ? 0 : 1;
        for (size_t k = 0; k < ex.n; k++)
            net += ex.v[k].dir == up ? 1 : -1;
        struct stepgen_position pos;
        assert_int_equal(stepgen_get_position(r->sg, i, &pos), 0);
        assert_int_equal(pos.steps, r->ref[i].count);
        assert_int_equal(pos.steps, (int64_t)floor(pos.commanded / r->cfg[i].step_distance + 0.5));
        assert_int_equal(pos.mcu_position, net);
        struct stepgen_stats st;
        assert_int_equal(stepgen_get_stats(r->sg, i, &st), 0);
        assert_int_equal(st.steps, ex.n);
        assert_int_equal(st.queue_steps, rig_queue_steps(r, i));
        assert_int_equal(st.fallbacks, 0);
        exec_free(&ex);
    }
}

size_t rig_queue_steps(const struct rig *r, int i)
{
    return cmd_log_count(&r->log[i], STEP_CMD_QUEUE_STEP);
}
