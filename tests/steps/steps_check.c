#include "steps_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void cmd_log_sink(void *ctx, const struct step_cmd *c)
{
    struct cmd_log *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        if (!l->v)
            abort();
    }
    l->v[l->n++] = *c;
}

void cmd_log_free(struct cmd_log *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

size_t cmd_log_count(const struct cmd_log *l, enum step_cmd_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += l->v[i].kind == kind;
    return n;
}

static void push(struct exec_steps *e, int64_t clock, int dir)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 1024;
        e->v = realloc(e->v, e->cap * sizeof(*e->v));
        if (!e->v)
            abort();
    }
    e->v[e->n].clock = clock;
    e->v[e->n].dir = dir;
    e->n++;
}

void exec_free(struct exec_steps *e)
{
    free(e->v);
    e->v = NULL;
    e->n = e->cap = 0;
}

int fw_expand(const struct step_cmd *c, size_t n, enum fw_mode mode, struct exec_steps *out,
              char *err, size_t errlen)
{
    int have_clock = 0, dir = -1;
    int64_t last = 0;
    uint64_t last_req = 0;
    for (size_t i = 0; i < n; i++) {
        const struct step_cmd *m = &c[i];
        if (m->req_clock < last_req) {
            snprintf(err, errlen, "command %zu: req_clock %llu goes back from %llu", i,
                     (unsigned long long)m->req_clock, (unsigned long long)last_req);
            return -1;
        }
        last_req = m->req_clock;
        switch (m->kind) {
        case STEP_CMD_RESET_STEP_CLOCK:
            last = (int64_t)m->clock;
            have_clock = 1;
            break;
        case STEP_CMD_SET_NEXT_STEP_DIR:
            if (m->dir > 1) {
                snprintf(err, errlen, "command %zu: dir %u", i, m->dir);
                return -1;
            }
            dir = m->dir;
            break;
        case STEP_CMD_QUEUE_STEP: {
            if (!have_clock || dir < 0) {
                snprintf(err, errlen, "command %zu: queue_step before reset_step_clock/dir", i);
                return -1;
            }
            if (!m->count) {
                snprintf(err, errlen, "command %zu: count 0", i);
                return -1;
            }
            uint32_t iv = m->interval;
            if (mode == FW_WRONG_ADD)
                iv += (uint32_t)(int32_t)m->add;
            for (unsigned k = 0; k < m->count; k++) {
                last += iv;
                if (k == 0 && mode == FW_EXACT && (uint64_t)last != m->req_clock) {
                    snprintf(err, errlen, "command %zu: req_clock %llu, first step at %lld", i,
                             (unsigned long long)m->req_clock, (long long)last);
                    return -1;
                }
                push(out, last, dir);
                iv += (uint32_t)(int32_t)m->add;
            }
            break;
        }
        }
    }
    return 0;
}

int check_steps(const struct exec_steps *ex, const struct ref_steps *ref, int invert_dir,
                double max_error_ticks, char *err, size_t errlen)
{
    if (ex->n != ref->n) {
        snprintf(err, errlen, "%zu steps executed, %zu exact", ex->n, ref->n);
        return -1;
    }
    for (size_t i = 0; i < ex->n; i++) {
        long double t = ref->v[i].t;
        int want = (ref->v[i].dir > 0) ^ (invert_dir ? 1 : 0);
        if (ex->v[i].dir != want) {
            snprintf(err, errlen, "step %zu: dir %d, want %d", i, ex->v[i].dir, want);
            return -1;
        }
        long double e = (long double)ex->v[i].clock - t;
        if (fabsl(e) > max_error_ticks + ref->v[i].tol) {
            snprintf(err, errlen, "step %zu: at %lld, exact %.3Lf: off by %.3Lf ticks (max %.3f)",
                     i, (long long)ex->v[i].clock, t, e, max_error_ticks);
            return -1;
        }
        if (i) {
            int64_t gap = ex->v[i].clock - ex->v[i - 1].clock;
            long double want_gap = (t - ref->v[i - 1].t) / 2;
            if (gap < 1 || gap < want_gap - ref->v[i].tol - ref->v[i - 1].tol) {
                snprintf(err, errlen, "step %zu: %lld ticks after the one before; exact gap %.3Lf",
                         i, (long long)gap, 2 * want_gap);
                return -1;
            }
        }
    }
    return 0;
}
