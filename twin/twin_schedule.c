/* The schedule watch (twin_schedule.h). The host side of the wire is
 * decoded as the MCU would take it: a block only if its sequence number is
 * the one expected, then its commands in order. Each queue_step is kept as
 * it came (interval, count, add) and stepped through edge by edge with the
 * firmware's arithmetic: the first step at the last step's clock plus
 * interval, the interval growing by add after each step. */
#include "twin_schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "msg.h"

static void sched_fail(struct twin_schedule *s, const char *why)
{
    if (!s->failed)
        snprintf(s->stats.why_not, sizeof(s->stats.why_not), "%s", why);
    s->failed = true;
    s->stats.watching = false;
}

static void queue_clear(struct twin_sched_queue *q)
{
    q->head = q->len = 0;
    q->left = 0;
}

static void on_config_stepper(struct twin_schedule *s, const struct msg_params *p)
{
    int64_t oid, pin;
    if (msg_get_int(p, "oid", &oid) || msg_get_int(p, "step_pin", &pin) || oid < 0 || oid > 255)
        return;
    s->oid_stepper[oid] = -1;
    for (size_t i = 0; i < s->nsteppers; i++)
        if (s->step_pin[i] == (unsigned)pin)
            s->oid_stepper[oid] = (int)i;
}

static struct twin_sched_queue *queue_of(struct twin_schedule *s, const struct msg_params *p)
{
    int64_t oid;
    if (msg_get_int(p, "oid", &oid) || oid < 0 || oid > 255 || s->oid_stepper[oid] < 0)
        return NULL;
    return &s->q[s->oid_stepper[oid]];
}

static void on_queue_step(struct twin_schedule *s, const struct msg_params *p)
{
    struct twin_sched_queue *q = queue_of(s, p);
    int64_t interval, count, add;
    if (!q || msg_get_int(p, "interval", &interval) || msg_get_int(p, "count", &count) ||
        msg_get_int(p, "add", &add) || count <= 0)
        return;
    if (q->head + q->len == q->cap) {
        if (q->head) {
            memmove(q->moves, q->moves + q->head, q->len * sizeof(*q->moves));
            q->head = 0;
        } else {
            size_t cap = q->cap ? q->cap * 2 : 64;
            struct twin_sched_move *m = realloc(q->moves, cap * sizeof(*m));
            if (!m) {
                sched_fail(s, "out of memory for the step schedule");
                return;
            }
            q->moves = m;
            q->cap = cap;
        }
    }
    q->moves[q->head + q->len++] = (struct twin_sched_move){
        .interval = (uint32_t)interval, .count = (uint16_t)count, .add = (int16_t)add};
}

/* The MCU takes reset_step_clock only with an empty queue; anything still
 * queued here was cut short by a trsync (homing) and is void. */
static void on_reset_step_clock(struct twin_schedule *s, const struct msg_params *p)
{
    struct twin_sched_queue *q = queue_of(s, p);
    int64_t clock;
    if (!q || msg_get_int(p, "clock", &clock))
        return;
    queue_clear(q);
    q->last_clock = (uint32_t)clock;
}

static void on_block(void *ctx, const uint8_t *block)
{
    struct twin_schedule *s = ctx;
    if (s->failed || frame_seq(block) != s->next_seq)
        return; /* the MCU drops it too, and the host sends it again */
    s->next_seq = (s->next_seq + 1) & FRAME_SEQ_MASK;
    const uint8_t *data = frame_content(block);
    size_t len = frame_content_len(block), pos = 0;
    while (pos < len) {
        struct msg_params p;
        char err[128];
        if (msg_decode_command(s->dict, data, len, &pos, &p, err, sizeof(err))) {
            char why[sizeof(s->stats.why_not)];
            snprintf(why, sizeof(why), "a block from the host did not decode: %.120s", err);
            sched_fail(s, why);
            return;
        }
        if (p.fmt->id == s->id_queue_step)
            on_queue_step(s, &p);
        else if (p.fmt->id == s->id_reset_step_clock)
            on_reset_step_clock(s, &p);
        else if (p.fmt->id == s->id_config_stepper)
            on_config_stepper(s, &p);
    }
}

static int32_t command_id(const struct link_dict *d, const char *name)
{
    const struct msg_format *f = dict_command(d, name);
    return f ? f->id : -1;
}

int twin_schedule_init(struct twin_schedule *s, const char *dict_path, const unsigned *step_pins,
                       size_t nsteppers, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->stats.min_late = INT64_MAX;
    s->stats.max_late = INT64_MIN;
    s->nsteppers = nsteppers < TWIN_MAX_STEPPERS ? nsteppers : TWIN_MAX_STEPPERS;
    for (size_t i = 0; i < s->nsteppers; i++)
        s->step_pin[i] = step_pins[i];
    twin_schedule_reset(s); /* as the MCU starts: no oids, sequence 0 */
    if (!dict_path)
        return 0;
    s->dict = dict_load_file(dict_path, err, errlen);
    if (!s->dict)
        return -1;
    s->id_config_stepper = command_id(s->dict, "config_stepper");
    s->id_reset_step_clock = command_id(s->dict, "reset_step_clock");
    s->id_queue_step = command_id(s->dict, "queue_step");
    if (s->id_config_stepper < 0 || s->id_reset_step_clock < 0 || s->id_queue_step < 0) {
        snprintf(err, errlen, "%s: the firmware's dictionary lacks the stepper commands",
                 dict_path);
        dict_free(s->dict);
        s->dict = NULL;
        return -1;
    }
    s->stats.watching = true;
    return 0;
}

void twin_schedule_free(struct twin_schedule *s)
{
    for (size_t i = 0; i < TWIN_MAX_STEPPERS; i++)
        free(s->q[i].moves);
    if (s->dict)
        dict_free(s->dict);
    memset(s, 0, sizeof(*s));
}

void twin_schedule_host_bytes(struct twin_schedule *s, const uint8_t *data, size_t len)
{
    if (s->stats.watching)
        frame_parser_feed(&s->parser, data, len);
}

void twin_schedule_reset(struct twin_schedule *s)
{
    s->next_seq = 0;
    frame_parser_init(&s->parser, on_block, s);
    for (int i = 0; i < 256; i++)
        s->oid_stepper[i] = -1;
    for (size_t i = 0; i < s->nsteppers; i++)
        queue_clear(&s->q[i]);
}

/* The clock of stepper q's next scheduled step; false if none is. */
static bool next_due(struct twin_sched_queue *q, uint32_t *clock)
{
    if (!q->left) {
        if (!q->len)
            return false;
        const struct twin_sched_move *m = &q->moves[q->head++];
        q->len--;
        q->interval = m->interval;
        q->add = m->add;
        q->left = m->count;
        q->next_clock = q->last_clock + q->interval;
    }
    *clock = q->next_clock;
    return true;
}

void twin_schedule_step(struct twin_schedule *s, size_t i, uint32_t clock, uint64_t cycle)
{
    if (!s->stats.watching || i >= s->nsteppers)
        return;
    struct twin_sched_queue *q = &s->q[i];
    uint32_t due;
    if (!next_due(q, &due)) {
        s->stats.unexpected++;
        return;
    }
    int64_t late = (int32_t)(clock - due);
    s->stats.checked++;
    if (late < s->stats.min_late)
        s->stats.min_late = late;
    if (late > s->stats.max_late) {
        s->stats.max_late = late;
        s->worst_stepper = i;
        s->worst_cycle = cycle;
    }
    q->last_clock = due;
    q->left--;
    if (q->left) {
        q->interval += (uint32_t)(int32_t)q->add;
        q->next_clock = due + q->interval;
    }
}
