#include "twin_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fx_opts_init(struct fx_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->cfg = PRINTER_CFG;
    o->backend = "avr";
    o->endstop_spread = NAN;
    o->start_x = NAN;
    o->start_z = NAN;
    o->seed = 1;
}

static void collect(void *ctx, const char *line)
{
    struct fx *f = ctx;
    size_t n = strlen(line);
    if (f->len + n + 2 > f->cap) {
        size_t cap = f->cap ? f->cap : 4096;
        while (cap < f->len + n + 2)
            cap *= 2;
        f->ans = realloc(f->ans, cap);
        assert_non_null(f->ans);
        f->cap = cap;
    }
    memcpy(f->ans + f->len, line, n);
    f->len += n;
    f->ans[f->len++] = '\n';
    f->ans[f->len] = 0;
}

void fx_open(struct fx *f, const struct fx_opts *o)
{
    memset(f, 0, sizeof(*f));
    collect(f, "(session)");
    struct twin_run_opts ro;
    memset(&ro, 0, sizeof(ro));
    twin_opts_init(&ro.twin);
    ro.twin.config_path = o->cfg;
    ro.twin.backend = o->backend;
    ro.twin.seed = o->seed;
    ro.twin.start[0] = o->start_x;
    ro.twin.start[2] = isnan(o->start_z) ? 10.0 : o->start_z;
    ro.twin.endstop_spread = o->endstop_spread;
    ro.faults = o->faults;
    ro.nfaults = o->nfaults;
    ro.respond = collect;
    ro.respond_ctx = f;
    char err[512];
    f->r = twin_run_open(&ro, err, sizeof(err));
    if (!f->r)
        fail_msg("twin_run_open: %s", err);
}

int fx_line(struct fx *f, const char *text)
{
    f->mark = f->len;
    char err[512];
    int rc = twin_run_line(f->r, text, err, sizeof(err));
    if (rc < 0)
        fail_msg("%s: %s", text, err);
    return rc;
}

void fx_ok(struct fx *f, const char *text)
{
    if (fx_line(f, text))
        fail_msg("'%s' refused:\n%s", text, fx_last(f));
}

const char *fx_last(const struct fx *f)
{
    return f->ans + f->mark;
}

int64_t fx_mcu_position(struct fx *f, const char *stepper)
{
    fx_ok(f, "GET_POSITION");
    const char *line = strstr(fx_last(f), "// mcu: ");
    if (!line)
        fail_msg("GET_POSITION without an mcu line:\n%s", fx_last(f));
    char key[64];
    snprintf(key, sizeof(key), " %s:", stepper);
    const char *p = strstr(line + 6, key);
    const char *eol = strchr(line, '\n');
    if (!p || (eol && p > eol))
        fail_msg("no %s in:\n%s", stepper, fx_last(f));
    return strtoll(p + strlen(key), NULL, 10);
}

void fx_m114(struct fx *f, double pos[4])
{
    fx_ok(f, "M114");
    const char *p = strstr(fx_last(f), "X:");
    if (!p || sscanf(p, "X:%lf Y:%lf Z:%lf E:%lf", &pos[0], &pos[1], &pos[2], &pos[3]) != 4)
        fail_msg("M114 answered:\n%s", fx_last(f));
}

void fx_report(struct fx *f, struct twin_report *r)
{
    twin_report(twin_run_twin(f->r), r);
}

const struct twin_stepper_report *fx_stepper(const struct twin_report *r, const char *name)
{
    const struct twin_stepper_report *s = twin_report_stepper(r, name);
    if (!s)
        fail_msg("the twin has no stepper %s", name);
    return s;
}

const struct twin_heater_report *fx_heater(const struct twin_report *r, const char *name)
{
    const struct twin_heater_report *h = twin_report_heater(r, name);
    if (!h)
        fail_msg("the twin has no heater %s", name);
    return h;
}

void fx_finish(struct fx *f, struct twin_run_result *res)
{
    char err[512];
    int rc = twin_run_finish(f->r, res, err, sizeof(err));
    f->r = NULL;
    if (rc)
        fail_msg("twin_run_finish: %s\nanswers:\n%s", err, f->ans);
    free(f->ans);
    f->ans = NULL;
}

int fx_run_selected(const struct CMUnitTest *tests, size_t count, int argc, char **argv)
{
    if (argc > 1) {
        size_t i = 0;
        while (i < count && strcmp(tests[i].name, argv[1]) != 0)
            i++;
        if (i == count) {
            fprintf(stderr, "%s: no test named %s\n", argv[0], argv[1]);
            return 1;
        }
        return _cmocka_run_group_tests(argv[1], &tests[i], 1, NULL, NULL);
    }
    return _cmocka_run_group_tests("all", tests, count, NULL, NULL);
}

double fx_time(struct fx *f)
{
    return twin_time(twin_run_twin(f->r));
}

void fx_expect_shutdown(struct fx *f, const char *want)
{
    const char *why = engine_shutdown_reason(twin_run_engine(f->r));
    if (!why || !strstr(why, want))
        fail_msg("want a shutdown with '%s', got %s; answers:\n%s", want, why ? why : "none",
                 f->ans);
    char line[200];
    snprintf(line, sizeof(line), "!! %s", why);
    assert_non_null(strstr(f->ans, line));
}

void fx_expect_heater_off(struct fx *f, const char *heater)
{
    char err[256];
    if (twin_run_until(twin_run_twin(f->r), fx_time(f) + 1.0, err, sizeof(err)))
        fail_msg("%s", err);
    struct twin_report r;
    fx_report(f, &r);
    assert_true(fx_heater(&r, heater)->duty == 0.0);
}
