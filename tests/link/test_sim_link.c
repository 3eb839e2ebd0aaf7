/* The simulated-MCU transport and the MCU session (identify, queries,
 * clock estimate, decoded responses) over the real sim_mcu.c wire
 * timing, with a fake backend whose "firmware" is the fake MCU. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_mcu.h"
#include "mcu_link.h"
#include "sim_backend.h"
#include "transport_sim.h"

#define FREQ 16000000u
#define MS 1000000ull

struct outbyte {
    uint8_t b;
    uint64_t cycle;
};

struct fake_backend {
    struct sim_mcu *m;
    uint64_t cycle;
    struct fake_mcu *fm;
    struct outbyte *out;
    size_t head, len, cap;
    uint64_t tx_free;
    uint64_t crash_at;
    int mute;
    unsigned run_calls;
};

static int fb_run_until(struct sim_mcu *m, uint64_t target)
{
    struct fake_backend *fb = m->backend;
    fb->run_calls++;
    while (fb->len && fb->out[fb->head].cycle <= target) {
        struct outbyte o = fb->out[fb->head++];
        fb->len--;
        fb->cycle = o.cycle;
        sim_mcu_emit_uart(m, o.cycle, o.b);
    }
    if (fb->crash_at && target >= fb->crash_at) {
        fb->cycle = fb->crash_at;
        sim_mcu_fail(m, "fake crash at cycle %llu", (unsigned long long)fb->crash_at);
        return -1;
    }
    if (target > fb->cycle)
        fb->cycle = target;
    return 0;
}

static uint64_t fb_cycle(const struct sim_mcu *m)
{
    return ((struct fake_backend *)m->backend)->cycle;
}

static void fb_tx(void *ctx, const uint8_t *data, size_t len)
{
    struct fake_backend *fb = ctx;
    uint64_t t = fb->cycle + 1600; /* 100 us to answer */
    if (t < fb->tx_free)
        t = fb->tx_free;
    for (size_t i = 0; i < len; i++) {
        if (fb->head + fb->len == fb->cap) {
            fb->cap = fb->cap ? fb->cap * 2 : 1024;
            fb->out = realloc(fb->out, fb->cap * sizeof(*fb->out));
        }
        t += sim_mcu_byte_cycles(fb->m);
        fb->out[fb->head + fb->len++] = (struct outbyte){data[i], t};
    }
    fb->tx_free = t;
}

static void fb_deliver(struct sim_mcu *m, uint8_t byte)
{
    struct fake_backend *fb = m->backend;
    if (fb->mute)
        return;
    fake_mcu_set_clock(fb->fm, fb->cycle);
    fake_mcu_feed(fb->fm, &byte, 1);
}

static void fb_destroy(struct sim_mcu *m)
{
    struct fake_backend *fb = m->backend;
    fake_mcu_destroy(fb->fm);
    free(fb->out);
    free(fb);
}

static void fb_set_input(struct sim_mcu *m, unsigned pin, int level)
{
    (void)m, (void)pin, (void)level;
}
static void fb_set_analog(struct sim_mcu *m, unsigned pin, uint32_t mv)
{
    (void)m, (void)pin, (void)mv;
}

static const struct sim_mcu_ops fb_ops = {
    .name = "fake",
    .destroy = fb_destroy,
    .run_until = fb_run_until,
    .cycle = fb_cycle,
    .set_input = fb_set_input,
    .set_analog_mv = fb_set_analog,
    .uart_deliver = fb_deliver,
};

static struct sim_mcu *fake_sim(struct fake_backend **out)
{
    struct sim_mcu *m = calloc(1, sizeof(*m));
    struct fake_backend *fb = calloc(1, sizeof(*fb));
    fb->m = m;
    fb->fm = fake_mcu_create(fb_tx, fb);
    m->ops = &fb_ops;
    m->backend = fb;
    m->freq = FREQ;
    m->baud = 250000;
    if (out)
        *out = fb;
    return m;
}

struct transcript {
    char text[4096];
    size_t len;
    unsigned bad;
};

static void on_msg(void *ctx, const struct msg_params *p, uint64_t t)
{
    struct transcript *tr = ctx;
    char line[256];
    msg_format_text(p, line, sizeof(line));
    tr->len += (size_t)snprintf(tr->text + tr->len, sizeof(tr->text) - tr->len, "%llu %s\n",
                                (unsigned long long)t, line);
}

static void on_bad(void *ctx, const char *why)
{
    (void)why;
    ((struct transcript *)ctx)->bad++;
}

static void test_time_conversions(void **state)
{
    (void)state;
    assert_int_equal(link_cycles_to_ns(FREQ, FREQ), 1000000000ull);
    assert_int_equal(link_cycles_to_ns(1, FREQ), 62);
    assert_int_equal(link_ns_to_cycles(1, FREQ), 1);
    assert_int_equal(link_ns_to_cycles(1000000000ull, FREQ), FREQ);
    /* Hours of simulated time do not overflow. */
    uint64_t cycles = (uint64_t)FREQ * 3600 * 24 * 30 + 12345;
    uint64_t ns = link_cycles_to_ns(cycles, FREQ);
    assert_true(link_ns_to_cycles(ns, FREQ) >= cycles - 1);
    assert_true(link_ns_to_cycles(ns, FREQ) <= cycles + 1);
}

/* One scripted session; returns the transcript and final cycle. */
static uint64_t session(struct transcript *tr)
{
    struct fake_backend *fb;
    struct sim_mcu *m = fake_sim(&fb);
    struct link_transport *t = link_sim_wrap(m, 1);
    assert_ptr_equal(link_sim_mcu(t), m);
    assert_true(t->simulated);
    char err[256] = "";
    struct link_mcu *mcu = link_mcu_open(t, 1, NULL, err, sizeof(err));
    if (!mcu)
        fail_msg("open: %s", err);
    const struct link_dict *d = link_mcu_dict(mcu);
    assert_non_null(dict_command(d, "queue_step"));
    assert_string_equal(d->version, "fake-1.0");
    assert_int_equal(link_mcu_freq(mcu), FREQ);
    /* The compressed dictionary is longer than one identify chunk. */
    assert_true(fake_mcu_log_count(fb->fm) > 3);
    assert_string_equal(fake_mcu_log(fb->fm, 0), "identify offset=0 count=40");
    assert_string_equal(fake_mcu_log(fb->fm, 1), "identify offset=40 count=40");

    /* The clock estimate follows the simulated cycle counter closely. */
    assert_int_equal(link_mcu_run_for(mcu, 250 * MS), 0);
    int64_t diff = (int64_t)(link_mcu_clock_now(mcu) - sim_mcu_cycle(m));
    if (diff < -8000 || diff > 8000)
        fail_msg("clock estimate off by %lld ticks", (long long)diff);

    link_mcu_set_handler(mcu, on_msg, on_bad, tr);
    assert_int_equal(link_mcu_send_text(mcu, "get_clock", err, sizeof(err)), 0);
    assert_int_equal(
        link_mcu_send_text(mcu,
                           "config_stepper oid=0 step_pin=PA5 dir_pin=LED invert_step=0 "
                           "step_pulse_ticks=32",
                           err, sizeof(err)),
        0);
    assert_int_equal(link_mcu_send_text(mcu, "debug_write order=0 addr=0 val=3", err, sizeof(err)),
                     0);
    assert_int_equal(link_mcu_send_text(mcu, "emergency_stop", err, sizeof(err)), 0);
    assert_int_equal(link_mcu_send_text(mcu, "bogus", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown command 'bogus'"));
    assert_int_equal(link_mcu_wait_acked(mcu, 1000 * MS, err, sizeof(err)), 0);
    assert_int_equal(link_mcu_run_for(mcu, 10 * MS), 0);
    assert_non_null(strstr(tr->text, " clock clock="));
    assert_non_null(strstr(tr->text, " Hello 3 from fake\n"));
    assert_non_null(strstr(tr->text, " shutdown clock="));
    assert_non_null(strstr(tr->text, " static_string_id=Timer too close\n"));
    size_t n = fake_mcu_log_count(fb->fm);
    assert_string_equal(fake_mcu_log(fb->fm, n - 3),
                        "config_stepper oid=0 step_pin=PA5 dir_pin=LED invert_step=0 "
                        "step_pulse_ticks=32");
    assert_int_equal(tr->bad, 0);

    /* A query's answer goes to the caller, not the handler. */
    size_t before = tr->len;
    struct msg_params p;
    assert_int_equal(link_mcu_query(mcu, "get_clock", "clock", &p, err, sizeof(err)), 0);
    assert_int_equal(tr->len, before);
    int64_t clock;
    assert_int_equal(msg_get_int(&p, "clock", &clock), 0);
    assert_true(clock > 0);
    uint64_t end = sim_mcu_cycle(m);
    link_mcu_close(mcu);
    return end;
}

static void test_session_is_deterministic(void **state)
{
    (void)state;
    struct transcript a = {0}, b = {0};
    uint64_t ea = session(&a), eb = session(&b);
    assert_int_equal(ea, eb);
    assert_string_equal(a.text, b.text);
}

static void test_simulated_crash(void **state)
{
    (void)state;
    struct fake_backend *fb;
    struct sim_mcu *m = fake_sim(&fb);
    struct link_transport *t = link_sim_wrap(m, 1);
    char err[256] = "";
    struct link_mcu *mcu = link_mcu_open(t, 1, NULL, err, sizeof(err));
    assert_non_null(mcu);
    fb->crash_at = sim_mcu_cycle(m) + FREQ / 100;
    assert_int_equal(link_mcu_run_for(mcu, 1000 * MS), -1);
    assert_non_null(strstr(link_mcu_error(mcu), "fake crash"));
    /* Stopped at the crash, not at the end of the second. */
    assert_true(sim_mcu_cycle(m) < fb->crash_at + FREQ / 1000);
    link_mcu_close(mcu);
}

static void test_silent_mcu(void **state)
{
    (void)state;
    struct fake_backend *fb;
    struct sim_mcu *m = fake_sim(&fb);
    fb->mute = 1;
    struct link_transport *t = link_sim_wrap(m, 1);
    struct link_mcu_opts o;
    link_mcu_opts_default(&o);
    o.query_tries = 2;
    char err[256] = "";
    /* Connecting to a firmware that never answers fails, after the
     * query attempts' worth of simulated time, and closes t. */
    assert_null(link_mcu_open(t, 1, &o, err, sizeof(err)));
    assert_non_null(strstr(err, "no 'identify_response' response"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_conversions),
        cmocka_unit_test(test_session_is_deterministic),
        cmocka_unit_test(test_simulated_crash),
        cmocka_unit_test(test_silent_mcu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
