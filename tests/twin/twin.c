/* The twin harness (see twin.h). */
#include "twin.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transport_sim.h"

const char *twin_backend = "native";

/* Twins open now, so that a failed test's can be closed after it (the
 * native MCU is one per process). */
#define TWIN_MAX_OPEN 4
static struct twin *open_twins[TWIN_MAX_OPEN];

static void track(struct twin *t, int add)
{
    for (int i = 0; i < TWIN_MAX_OPEN; i++) {
        if (add ? !open_twins[i] : open_twins[i] == t) {
            open_twins[i] = add ? t : NULL;
            return;
        }
    }
    if (add)
        fail_msg("more than %d twins open", TWIN_MAX_OPEN);
}

int twin_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < TWIN_MAX_OPEN; i++)
        if (open_twins[i])
            twin_close(open_twins[i]);
    return 0;
}

static void on_pin(void *ctx, uint64_t cycle, unsigned pin, int level)
{
    struct twin *t = ctx;
    level = level ? 1 : 0;
    if (pin < TWIN_NPINS) {
        /* Only changes: a report of the level the pin already had is
         * counted apart (sim_mcu.h promises changes only). */
        if (t->level[pin] == level) {
            t->nonchanges++;
            return;
        }
        t->level[pin] = (uint8_t)level;
    }
    if (t->nedges == t->edgecap) {
        t->edgecap = t->edgecap ? t->edgecap * 2 : 1024;
        t->edges = realloc(t->edges, t->edgecap * sizeof(*t->edges));
        assert_non_null(t->edges);
    }
    t->edges[t->nedges++] = (struct twin_edge){cycle, pin, (uint32_t)level};
}

static void on_msg(void *ctx, const struct msg_params *p, uint64_t t_ns)
{
    struct twin *t = ctx;
    if (t->nmsgs == t->msgcap) {
        t->msgcap = t->msgcap ? t->msgcap * 2 : 64;
        t->msgs = realloc(t->msgs, t->msgcap * sizeof(*t->msgs));
        assert_non_null(t->msgs);
    }
    struct twin_msg *r = &t->msgs[t->nmsgs++];
    r->cycle = link_ns_to_cycles(t_ns, t->freq);
    r->p = *p;
    msg_format_text(p, r->text, sizeof(r->text));
}

static void on_bad(void *ctx, const char *why)
{
    (void)ctx;
    fail_msg("undecodable block from the MCU: %s", why);
}

struct twin *twin_open(const char *backend)
{
    char err[256];
    struct twin *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->backend = backend;
    t->is_avr = !strcmp(backend, "avr");
    t->m = sim_mcu_create(backend, err, sizeof(err));
    if (!t->m) {
        free(t);
        fail_msg("sim_mcu_create(%s): %s", backend, err);
        return NULL;
    }
    t->freq = sim_mcu_freq(t->m);
    assert_int_equal(t->freq, 16000000);
    sim_mcu_set_pin_watch(t->m, on_pin, t);
    struct link_mcu_opts opts;
    link_mcu_opts_default(&opts);
    t->l = link_mcu_open(link_sim_wrap(t->m, 1), 1, &opts, err, sizeof(err));
    if (!t->l) {
        free(t);
        fail_msg("link_mcu_open(%s): %s", backend, err);
        return NULL;
    }
    track(t, 1);
    link_mcu_set_handler(t->l, on_msg, on_bad, t);
    t->origin = sim_mcu_clock_origin(t->m);
    /* The clock the MCU reports must have been read between sending
     * get_clock and receiving the answer. */
    uint64_t before = sim_mcu_cycle(t->m);
    uint32_t clock = twin_get_clock(t);
    uint64_t after = sim_mcu_cycle(t->m);
    uint64_t read_at = t->origin + clock;
    if (read_at < before || read_at > after)
        fail_msg("%s: clock origin %llu: get_clock said %u, i.e. cycle %llu, outside [%llu, %llu]",
                 backend, (unsigned long long)t->origin, clock, (unsigned long long)read_at,
                 (unsigned long long)before, (unsigned long long)after);
    return t;
}

void twin_close(struct twin *t)
{
    if (!t)
        return;
    track(t, 0);
    link_mcu_close(t->l);
    free(t->edges);
    free(t->msgs);
    free(t);
}

void twin_send(struct twin *t, const char *fmt, ...)
{
    char text[512], err[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (link_mcu_send_text(t->l, text, err, sizeof(err)))
        fail_msg("%s: sending '%s': %s", t->backend, text, err);
}

void twin_query(struct twin *t, const char *resp, struct msg_params *out, const char *fmt, ...)
{
    char text[512], err[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (link_mcu_query(t->l, text, resp, out, err, sizeof(err)))
        fail_msg("%s: query '%s': %s", t->backend, text, err);
}

int64_t twin_param(const struct msg_params *p, const char *name)
{
    int64_t v;
    if (msg_get_int(p, name, &v))
        fail_msg("message %s has no integer parameter %s", p->fmt->name, name);
    return v;
}

void twin_run_cycles(struct twin *t, uint64_t cycles)
{
    twin_run_to_cycle(t, sim_mcu_cycle(t->m) + cycles);
}

void twin_run_ms(struct twin *t, unsigned ms)
{
    twin_run_cycles(t, (uint64_t)t->freq / 1000 * ms);
}

void twin_run_to_cycle(struct twin *t, uint64_t cycle)
{
    while (sim_mcu_cycle(t->m) < cycle) {
        uint64_t now = sim_mcu_cycle(t->m);
        uint64_t ns = link_cycles_to_ns(cycle - now, t->freq);
        if (!ns)
            ns = 1;
        if (link_mcu_run_for(t->l, ns))
            fail_msg("%s: link failed: %s", t->backend, link_mcu_error(t->l));
    }
}

void twin_wait_acked(struct twin *t)
{
    char err[256];
    if (link_mcu_wait_acked(t->l, 1000000000ull, err, sizeof(err)))
        fail_msg("%s: waiting for acks: %s", t->backend, err);
}

uint32_t twin_get_clock(struct twin *t)
{
    struct msg_params p;
    twin_query(t, "clock", &p, "get_clock");
    return (uint32_t)twin_param(&p, "clock");
}

uint64_t twin_clock_to_cycle(const struct twin *t, uint32_t clock)
{
    /* The clock is 32 bits wide; pick the cycle nearest the present. */
    uint64_t now = sim_mcu_cycle(t->m);
    uint32_t now_clock = (uint32_t)(now - t->origin);
    return now + (int64_t)(int32_t)(clock - now_clock);
}

uint32_t twin_cycle_to_clock(const struct twin *t, uint64_t cycle)
{
    return (uint32_t)(cycle - t->origin);
}

long twin_find_msg(const struct twin *t, size_t from, const char *name)
{
    for (size_t i = from; i < t->nmsgs; i++)
        if (!strcmp(t->msgs[i].p.fmt->name, name))
            return (long)i;
    return -1;
}

size_t twin_count_msgs(const struct twin *t, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nmsgs; i++)
        if (!strcmp(t->msgs[i].p.fmt->name, name))
            n++;
    return n;
}

void twin_dump_msgs(const struct twin *t)
{
    for (size_t i = 0; i < t->nmsgs; i++)
        print_message("  [%s @%llu] %s\n", t->backend, (unsigned long long)t->msgs[i].cycle,
                      t->msgs[i].text);
}

size_t twin_pin_edges(const struct twin *t, unsigned pin, int level, uint64_t from, uint64_t *out,
                      size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nedges; i++) {
        const struct twin_edge *e = &t->edges[i];
        if (e->pin != pin || e->cycle < from || (level >= 0 && e->level != (uint32_t)level))
            continue;
        if (n < cap && out)
            out[n] = e->cycle;
        n++;
    }
    return n;
}

int twin_pin_level_before(const struct twin *t, unsigned pin, uint64_t cycle)
{
    int level = 0;
    for (size_t i = 0; i < t->nedges && t->edges[i].cycle < cycle; i++)
        if (t->edges[i].pin == pin)
            level = (int)t->edges[i].level;
    return level;
}

uint64_t twin_hash_edges(const struct twin *t)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < t->nedges; i++) {
        uint8_t rec[16];
        uint64_t c = t->edges[i].cycle;
        for (int k = 0; k < 8; k++)
            rec[k] = (uint8_t)(c >> (8 * k));
        uint32_t pin = t->edges[i].pin, level = t->edges[i].level;
        for (int k = 0; k < 4; k++) {
            rec[8 + k] = (uint8_t)(pin >> (8 * k));
            rec[12 + k] = (uint8_t)(level >> (8 * k));
        }
        for (int k = 0; k < 16; k++) {
            h ^= rec[k];
            h *= 0x100000001b3ull;
        }
    }
    return h;
}
