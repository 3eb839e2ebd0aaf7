/* One stepper's MCU side. */
#include "stepper_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdqueue.h"
#include "errmsg.h"
#include "vlq.h"

struct stepper_out {
    char name[48];
    int oid;
    bool invert_dir;
    struct stepgen *sg;
    int index;
    struct mcu_out *mcu;
    struct command_queue *cq;
    int32_t id_queue_step, id_dir, id_reset;
    uint8_t queue_step_prefix[2 * VLQ_MAX_BYTES]; /* id_queue_step and oid, encoded */
    size_t queue_step_prefix_len;
    double coeff[AXIS_COUNT];
    uint64_t steps, queue_steps;
    bool direct; /* cq takes messages in place (mcu_out_queues_direct) */
    int failed;
    char err[200];
};

/* The last step of a queue_step: req_clock is the first, interval after
 * the one before, and each interval grows by add. */
static uint64_t queue_step_done(const struct step_cmd *c)
{
    uint64_t n = c->count;
    int64_t span = (int64_t)(n - 1) * c->interval + (int64_t)c->add * (int64_t)(n * (n - 1) / 2);
    return c->req_clock + (uint64_t)(span > 0 ? span : 0);
}

/* p has room for a whole message (a queue's or a local buffer). */
static size_t encode_queue_step(uint8_t *p, const struct stepper_out *so, const struct step_cmd *c)
{
    uint8_t *start = p;
    if (c->oid == so->oid) {
        /* The command id and oid never change: their bytes are ready. */
        memcpy(p, so->queue_step_prefix, sizeof(so->queue_step_prefix));
        p += so->queue_step_prefix_len;
    } else {
        p += vlq_put(p, so->id_queue_step);
        p += vlq_put(p, c->oid);
    }
    p += vlq_put(p, (int32_t)c->interval);
    p += vlq_put(p, c->count);
    p += vlq_put(p, c->add);
    return (size_t)(p - start);
}

/* queue_step is most of what a print sends. In batch mode it is encoded
 * straight into its command queue; live, it waits for room in the MCU's
 * move queue (mcu_out_send_move). */
static void send_queue_step(struct stepper_out *so, const struct step_cmd *c)
{
    so->steps += c->count;
    so->queue_steps++;
    if (so->direct) {
        uint8_t *msg = cmdq_reserve(so->cq);
        cmdq_push_reserved(so->cq, encode_queue_step(msg, so, c), c->min_clock, c->req_clock);
        return;
    }
    uint8_t msg[32];
    size_t len = encode_queue_step(msg, so, c);
    if (mcu_out_send_move(so->mcu, so->cq, msg, len, c->min_clock, c->req_clock, queue_step_done(c),
                          so->err, sizeof(so->err)))
        so->failed = 1;
}

/* Called by stepgen for each command, in the order the MCU needs them. */
static void sink(void *ctx, const struct step_cmd *c)
{
    struct stepper_out *so = ctx;
    if (so->failed)
        return;
    if (c->kind == STEP_CMD_QUEUE_STEP) {
        send_queue_step(so, c);
        return;
    }
    uint8_t msg[32];
    size_t len;
    int32_t args[2] = {c->oid};
    if (c->kind == STEP_CMD_SET_NEXT_STEP_DIR) {
        args[1] = c->dir;
        len = mcu_out_encode(msg, so->id_dir, args, 2);
    } else {
        args[1] = (int32_t)(uint32_t)c->clock;
        len = mcu_out_encode(msg, so->id_reset, args, 2);
    }
    if (mcu_out_send(so->mcu, so->cq, msg, len, c->min_clock, c->req_clock, so->err,
                     sizeof(so->err)))
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
    so->direct = mcu_out_queues_direct(c->mcu);
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
    so->queue_step_prefix_len = vlq_put(so->queue_step_prefix, so->id_queue_step);
    so->queue_step_prefix_len +=
        vlq_put(so->queue_step_prefix + so->queue_step_prefix_len, so->oid);
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
