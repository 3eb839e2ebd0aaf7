#include "twin_run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

struct twin_run {
    struct twin *tw;
    struct engine *e;
    engine_respond_fn respond;
    void *respond_ctx;
    void (*progress)(void *ctx, const struct twin_progress *p);
    void *progress_ctx;
    unsigned long line, stopped_at;
    /* Of the file being run: for the progress share. */
    double done, total;
};

static void on_answer(void *ctx, const char *text)
{
    struct twin_run *r = ctx;
    twin_note_answer(r->tw, text);
    if (r->respond)
        r->respond(r->respond_ctx, text);
}

static void on_tick(void *ctx, double sim_time)
{
    struct twin_run *r = ctx;
    struct twin_progress p = {
        .sim_time = sim_time,
        .share = r->total > 0 ? r->done / r->total : 0,
        .line = r->line,
    };
    r->progress(r->progress_ctx, &p);
}

/* The engine's targets for the trace's temperature lines. */
static double heater_target(void *ctx, const char *heater)
{
    const struct twin_run *r = ctx;
    return r->e ? engine_heater_target(r->e, heater) : NAN;
}

struct twin_run *twin_run_open(const struct twin_run_opts *o, char *err, size_t errlen)
{
    struct twin_run *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->respond = o->respond;
    r->respond_ctx = o->respond_ctx;
    r->progress = o->progress;
    r->progress_ctx = o->progress_ctx;
    r->tw = twin_open(&o->twin, err, errlen);
    if (!r->tw)
        goto fail;
    for (size_t i = 0; i < o->nfaults; i++)
        if (twin_add_fault(r->tw, o->faults[i], err, errlen))
            goto fail;
    if (r->progress)
        twin_set_tick(r->tw, on_tick, r);
    struct link_transport *t = twin_transport(r->tw, err, errlen);
    if (!t)
        goto fail;
    struct engine_live_opts lo = {
        .config_path = o->twin.config_path,
        .transport = t,
        .respond = on_answer,
        .respond_ctx = r,
    };
    r->e = engine_open_live(&lo, err, errlen);
    if (!r->e)
        goto fail;
    twin_set_target_source(r->tw, heater_target, r);
    return r;
fail:
    twin_close(r->tw);
    free(r);
    return NULL;
}

int twin_run_line(struct twin_run *r, const char *text, char *err, size_t errlen)
{
    r->line++;
    if (twin_begin_line(r->tw, r->line, err, errlen))
        return -1;
    return engine_run_line(r->e, text, strlen(text), err, errlen);
}

/* One line of a file or text; 1 when the run must stop (a shutdown). */
static int run_one(struct twin_run *r, char *text, size_t len, char *err, size_t errlen)
{
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = 0;
    if (twin_run_line(r, text, err, errlen) < 0)
        return -1;
    if (engine_shutdown_reason(r->e)) {
        r->stopped_at = r->line;
        return 1;
    }
    return 0;
}

static int finish_stream(struct twin_run *r, char *err, size_t errlen)
{
    if (engine_shutdown_reason(r->e))
        return 0;
    return engine_wait_moves(r->e, err, errlen);
}

int twin_run_file(struct twin_run *r, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    r->done = 0;
    r->total = 0;
    if (!fseek(f, 0, SEEK_END)) {
        long size = ftell(f);
        r->total = size > 0 ? (double)size : 0;
        rewind(f);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        r->done += (double)n;
        rc = run_one(r, line, (size_t)n, err, errlen);
        if (rc)
            break;
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "reading '%s': %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    if (rc < 0)
        return -1;
    return finish_stream(r, err, errlen);
}

int twin_run_text(struct twin_run *r, const char *text, char *err, size_t errlen)
{
    size_t total = strlen(text);
    r->done = 0;
    r->total = (double)total;
    const char *p = text;
    char *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    while (*p && rc == 0) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (len + 1 > cap) {
            cap = len + 1;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            buf = b;
        }
        memcpy(buf, p, len);
        buf[len] = 0;
        p += len;
        r->done += (double)len;
        rc = run_one(r, buf, len, err, errlen);
    }
    free(buf);
    if (rc < 0)
        return -1;
    return finish_stream(r, err, errlen);
}

unsigned long twin_run_current_line(const struct twin_run *r)
{
    return r->line;
}

struct twin *twin_run_twin(struct twin_run *r)
{
    return r->tw;
}

struct engine *twin_run_engine(struct twin_run *r)
{
    return r->e;
}

int twin_run_finish(struct twin_run *r, struct twin_run_result *res, char *err, size_t errlen)
{
    struct twin_run_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof(*res));
    res->lines = r->line;
    res->stopped_at = r->stopped_at;
    int rc = 0;
    if (r->e) {
        /* Finish the moves first: a shutdown may come with the last ones,
         * and the engine cannot be asked once it is closed. */
        if (!engine_shutdown_reason(r->e) && engine_wait_moves(r->e, err, errlen))
            rc = -1;
        const char *why = engine_shutdown_reason(r->e);
        if (why) {
            res->shutdown = true;
            snprintf(res->shutdown_reason, sizeof(res->shutdown_reason), "%s", why);
        }
        if (engine_close(r->e, &res->stats, rc ? NULL : err, rc ? 0 : errlen))
            rc = -1;
    }
    r->e = NULL;
    twin_report(r->tw, &res->report);
    twin_close(r->tw);
    free(r);
    return rc;
}
