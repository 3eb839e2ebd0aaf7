/* One stepper's MCU side. */
#include "stepper_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"

struct stepper_out {
    char name[48];
    int oid;
    bool invert_dir;
    struct stepgen *sg;
    int index;
    struct mcu_out *mcu;
    struct command_queue *cq;
    int32_t id_queue_step, id_dir, id_reset;
    double coeff[AXIS_COUNT];
    uint64_t steps, queue_steps;
    int failed;
    char err[200];
};

/* Called by stepgen for each command, in the order the MCU needs them. */
static void sink(void *ctx, const struct step_cmd *c)
{
    struct stepper_out *so = ctx;
    if (so->failed)
        return;
    uint8_t msg[32];
    size_t len;
    int32_t args[4] = {c->oid};
    switch (c->kind) {
    case STEP_CMD_QUEUE_STEP:
        args[1] = (int32_t)c->interval;
        args[2] = c->count;
        args[3] = c->add;
        len = mcu_out_encode(msg, so->id_queue_step, args, 4);
        so->steps += c->count;
        so->queue_steps++;
        break;
    case STEP_CMD_SET_NEXT_STEP_DIR:
        args[1] = c->dir;
        len = mcu_out_encode(msg, so->id_dir, args, 2);
        break;
    default:
        args[1] = (int32_t)(uint32_t)c->clock;
        len = mcu_out_encode(msg, so->id_reset, args, 2);
        break;
    }
    int rc;
    if (c->kind == STEP_CMD_QUEUE_STEP) {
        /* The last step: req_clock is the first, interval after the one
         * before, and each interval grows by add. */
        uint64_t n = c->count;
        int64_t span =
            (int64_t)(n - 1) * c->interval + (int64_t)c->add * (int64_t)(n * (n - 1) / 2);
        uint64_t done = c->req_clock + (uint64_t)(span > 0 ? span : 0);
        rc = mcu_out_send_move(so->mcu, so->cq, msg, len, c->min_clock, c->req_clock, done, so->err,
                               sizeof(so->err));
    } else {
        rc = mcu_out_send(so->mcu, so->cq, msg, len, c->min_clock, c->req_clock, so->err,
                          sizeof(so->err));
    }
    if (rc)
        so->failed = 1;
}

struct stepper_out *stepper_out_new(struct stepgen *sg, const struct stepper_out_config *c,
                                    char *err, size_t errlen)
{
    struct stepper_out *so = calloc(1, sizeof(*so));
    if (!so) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(so->name, sizeof(so->name), "%s", c->name);
    so->sg = sg;
    so->oid = c->oid;
    so->invert_dir = c->invert_dir;
    so->mcu = c->mcu;
    memcpy(so->coeff, c->coeff, sizeof(so->coeff));
    so->cq = mcu_out_alloc_queue(c->mcu);
    if (!so->cq) {
        seterr(err, errlen, "out of memory");
        goto fail;
    }
    if ((so->id_queue_step = mcu_out_command_id(c->mcu, "queue_step", err, errlen)) < 0 ||
        (so->id_dir = mcu_out_command_id(c->mcu, "set_next_step_dir", err, errlen)) < 0 ||
        (so->id_reset = mcu_out_command_id(c->mcu, "reset_step_clock", err, errlen)) < 0)
        goto fail;
    struct stepgen_stepper_config sc = {
        .name = c->name,
        .oid = (uint8_t)c->oid,
        .step_distance = c->step_distance,
        .invert_dir = c->invert_dir,
        .mcu_freq = mcu_out_freq(c->mcu),
        .clock_offset = 0.0,
        .max_error = c->max_error,
        .sink = sink,
        .sink_ctx = so,
    };
    memcpy(sc.coef, c->coeff, sizeof(sc.coef));
    so->index = stepgen_add_stepper(sg, &sc, err, errlen);
    if (so->index < 0)
        goto fail;
    return so;
fail:
    free(so);
    return NULL;
}

void stepper_out_free(struct stepper_out *so)
{
    free(so);
}

int stepper_out_check(struct stepper_out *so, char *err, size_t errlen)
{
    if (!so->failed)
        return 0;
    seterr(err, errlen, "%s: %s", so->name, so->err);
    return -1;
}

const char *stepper_out_name(const struct stepper_out *so)
{
    return so->name;
}

const double *stepper_out_coeff(const struct stepper_out *so)
{
    return so->coeff;
}

int64_t stepper_out_mcu_position(const struct stepper_out *so)
{
    struct stepgen_position p;
    if (stepgen_get_position(so->sg, so->index, &p))
        return 0;
    return p.mcu_position;
}

double stepper_out_position(const struct stepper_out *so)
{
    struct stepgen_position p;
    if (stepgen_get_position(so->sg, so->index, &p))
        return 0.0;
    return p.commanded;
}

uint64_t stepper_out_step_count(const struct stepper_out *so)
{
    return so->steps;
}

uint64_t stepper_out_queue_step_count(const struct stepper_out *so)
{
    return so->queue_steps;
}

int stepper_out_oid(const struct stepper_out *so)
{
    return so->oid;
}

int64_t stepper_out_from_mcu(const struct stepper_out *so, int64_t mcu_counter)
{
    return so->invert_dir ? -mcu_counter : mcu_counter;
}

int stepper_out_halted(struct stepper_out *so, int64_t mcu_position, char *err, size_t errlen)
{
    mcu_out_clear_queue(so->mcu, so->cq);
    return stepgen_reset_stepper(so->sg, so->index, mcu_position, err, errlen);
}
