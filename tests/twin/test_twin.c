/* Digital-twin integration tests: the firmware on the simulated
 * atmega2560 (simavr) and on the native build, driven through the host
 * link exactly as a host would, with every pin edge checked against the
 * schedule that was asked for.
 *
 *   test_twin avr|native   every scenario on that backend
 *   test_twin cross        the same step schedule on both, compared
 *
 * On the native build the MCU clock is the cycle counter and every edge
 * must land on its tick exactly. On the AVR the clock is Timer1, which
 * starts a little after reset (twin.h: origin), and an edge lands a few
 * cycles after its tick: interrupt entry and the code before the pin
 * write. Those latencies must stay within the bounds below. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dict.h"
#include "twin.h"

/* Latest an AVR step edge may come after the moment it could first be
 * taken: its tick, or the end of the previous step's pulse if that is
 * later (cycles). Measured with one stepper: 15..412; a constant-rate
 * step taken in the assembly fast path while the interrupt waits for it
 * comes 15 cycles after its tick, one that enters the interrupt from
 * sleep about 75, one through the C path (add != 0, a move's last step)
 * about 140, and the worst is a C-path step due just after the
 * scheduler's sentinel timer, whose 32-bit re-filing is served first. */
#define AVR_STEP_LATENCY_MAX 500
/* Latest an AVR step edge may come after its tick at all. The last step
 * of a move loads the next move inside its pulse (about 400 cycles), so
 * when the next move's first interval is shorter than that its first
 * steps are late by up to about 480 cycles, then catch up; another
 * interrupt served in between (a serial byte, a Timer1 overflow) adds up
 * to about 150: the first step of the schedule's last move (interval 300)
 * came 636 cycles late when those met. */
#define AVR_STEP_BEHIND_MAX 700
/* Time allowed per other stepper's step due shortly before (within
 * this many ticks per other stepper) for its event to run first on the
 * AVR; an event that loads a move takes about 400 cycles. */
#define AVR_STEP_EVENT_MAX 500
/* Longest AVR step pulse: the last step of a move loads the next move
 * before it ends the pulse (measured up to about 410 cycles). */
#define AVR_STEP_PULSE_MAX 600
/* Latest an AVR output may reach its default after the event that shuts
 * the MCU down: the shutdown handlers run at once, in the interrupt that
 * found the fault. Measured: 618 (max_duration), 912 (ADC range check,
 * counted from the tick of the last sample). */
#define AVR_SHUTDOWN_LATENCY_MAX 1200
/* Latest the clock in the "shutdown" report may be after that event: it
 * is read once the handlers ran and the main loop took over. Measured:
 * 1040 and 1370. */
#define AVR_SHUTDOWN_REPORT_MAX 2500
/* Latest a scheduled digital out edge may come after its tick. Measured:
 * 255..268. */
#define AVR_GPIO_LATENCY_MAX 400

#define STEP_PULSE_TICKS 32

static uint32_t latency_bound(const struct twin *t, uint32_t avr_bound)
{
    return t->is_avr ? avr_bound : 0;
}

/* ------------------------------------------------------------------ */
/* 1. identify fetches the dictionary the build wrote                  */

/* Compare two dictionaries; returns 0 if equal, else 1 with why filled. */
static int dict_diff(const struct link_dict *a, const struct link_dict *b, char *why, size_t len)
{
    if (a->nmsgs != b->nmsgs) {
        snprintf(why, len, "%zu messages vs %zu", a->nmsgs, b->nmsgs);
        return 1;
    }
    for (size_t i = 0; i < a->nmsgs; i++) {
        const struct msg_format *fa = &a->msgs[i];
        const struct msg_format *fb = dict_by_format(b, fa->format);
        if (!fb) {
            snprintf(why, len, "'%s' missing", fa->format);
            return 1;
        }
        if (fa->kind != fb->kind || fa->id != fb->id || fa->nparams != fb->nparams) {
            snprintf(why, len, "'%s': kind %d/%d id %d/%d", fa->format, fa->kind, fb->kind,
                     (int)fa->id, (int)fb->id);
            return 1;
        }
        for (size_t k = 0; k < fa->nparams; k++) {
            const struct msg_param *pa = &fa->params[k], *pb = &fb->params[k];
            int names_differ = (pa->name == NULL) != (pb->name == NULL) ||
                               (pa->name && strcmp(pa->name, pb->name));
            int enums_differ =
                (pa->enumeration == NULL) != (pb->enumeration == NULL) ||
                (pa->enumeration && strcmp(pa->enumeration->name, pb->enumeration->name));
            if (pa->type != pb->type || names_differ || enums_differ) {
                snprintf(why, len, "'%s': parameter %zu differs", fa->format, k);
                return 1;
            }
        }
    }
    if (a->nenums != b->nenums) {
        snprintf(why, len, "%zu enumerations vs %zu", a->nenums, b->nenums);
        return 1;
    }
    for (size_t i = 0; i < a->nenums; i++) {
        const struct dict_enum *ea = &a->enums[i], *eb = dict_enum(b, ea->name);
        if (!eb || ea->count != eb->count) {
            snprintf(why, len, "enumeration %s differs in size", ea->name);
            return 1;
        }
        for (size_t k = 0; k < ea->count; k++) {
            if (strcmp(ea->entries[k].name, eb->entries[k].name) ||
                ea->entries[k].value != eb->entries[k].value) {
                snprintf(why, len, "enumeration %s: %s=%d vs %s=%d", ea->name, ea->entries[k].name,
                         (int)ea->entries[k].value, eb->entries[k].name, (int)eb->entries[k].value);
                return 1;
            }
        }
    }
    if (a->nconfig != b->nconfig) {
        snprintf(why, len, "%zu constants vs %zu", a->nconfig, b->nconfig);
        return 1;
    }
    for (size_t i = 0; i < a->nconfig; i++) {
        const struct dict_config *ca = &a->config[i], *cb = dict_config(b, ca->name);
        if (!cb || strcmp(ca->text, cb->text) || ca->is_int != cb->is_int || ca->ival != cb->ival) {
            snprintf(why, len, "constant %s: %s vs %s", ca->name, ca->text, cb ? cb->text : "-");
            return 1;
        }
    }
    if (strcmp(a->version, b->version) || strcmp(a->build_versions, b->build_versions) ||
        strcmp(a->app, b->app)) {
        snprintf(why, len, "version '%s' vs '%s'", a->version, b->version);
        return 1;
    }
    return 0;
}

static void test_identify_dictionary(void **state)
{
    (void)state;
    char err[256], why[256];
    struct twin *t = twin_open(twin_backend);
    const struct link_dict *got = link_mcu_dict(t->l);
    assert_non_null(got);
    const char *own = t->is_avr ? LOCKSTEP_AVR_DICT : LOCKSTEP_NATIVE_DICT;
    const char *other = t->is_avr ? LOCKSTEP_NATIVE_DICT : LOCKSTEP_AVR_DICT;
    struct link_dict *want = dict_load_file(own, err, sizeof(err));
    if (!want)
        fail_msg("%s: %s", own, err);
    if (dict_diff(got, want, why, sizeof(why)) || dict_diff(want, got, why, sizeof(why)))
        fail_msg("%s: identify's dictionary differs from %s: %s", t->backend, own, why);

    /* The comparison must be able to tell the two builds apart. */
    struct link_dict *wrong = dict_load_file(other, err, sizeof(err));
    if (!wrong)
        fail_msg("%s: %s", other, err);
    assert_int_equal(dict_diff(got, wrong, why, sizeof(why)), 1);
    dict_free(wrong);

    /* And it is the dictionary of the MCU that answered. */
    int64_t freq;
    assert_int_equal(dict_config_int(got, "CLOCK_FREQ", &freq), 0);
    assert_int_equal(freq, 16000000);
    assert_int_equal(link_mcu_freq(t->l), 16000000);
    const struct dict_config *mcu = dict_config(got, "MCU");
    assert_non_null(mcu);
    assert_string_equal(mcu->text, t->is_avr ? "atmega2560" : "native");
    static const char *const needed[] = {
        "queue_step",           "config_stepper",  "reset_step_clock", "set_next_step_dir",
        "queue_digital_out",    "query_analog_in", "endstop_home",     "trsync_start",
        "stepper_get_position", "emergency_stop",  "clear_shutdown",   "identify",
    };
    for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
        if (!dict_command(got, needed[i]))
            fail_msg("dictionary lacks %s", needed[i]);
    dict_free(want);
    twin_close(t);
}

/* ------------------------------------------------------------------ */
/* 2. A step schedule, tick for tick                                   */

struct move {
    int dir;
    uint32_t interval;
    uint16_t count;
    int16_t add;
};

/* Constant, accelerating (negative add) and decelerating moves, three
 * direction changes, a fast stretch near what an AVR sustains (steps
 * 150 ticks apart: taken back to back inside one timer event there), and
 * slow moves whose intervals do not fit 16 bits. Moves with add == 0 and
 * short intervals take the stepper's fast path, the others its full one. */
static const struct move schedule[] = {
    {1, 4000, 20, 0},     {1, 3000, 30, -50}, {0, 2000, 25, 40}, {0, 800, 60, -5},
    {1, 5000, 10, -100},  {1, 1200, 40, -20}, {1, 400, 50, 0},   {1, 150, 40, 0},
    {0, 20000, 5, -1000}, {0, 100000, 3, 0},  {0, 9000, 4, 0},   {0, 300, 2, 0},
};
#define NMOVES (sizeof(schedule) / sizeof(schedule[0]))

struct stepper_spec {
    const char *step, *dir; /* pin names for config_stepper */
    unsigned step_pin, dir_pin;
    const struct move *moves;
    size_t nmoves;
};

static const struct stepper_spec one_stepper = {
    "PF0", "PF1", PIN_PF0, PIN_PF1, schedule, NMOVES,
};

struct sched_run {
    /* Rising step edges relative to the reset_step_clock tick, in MCU
     * ticks, with the expected ones and the dir level at each. */
    int64_t *rise, *expect;
    int *dir;
    size_t nrise, nexpect;
    int64_t pos;
    uint64_t hash, msg_hash; /* of the whole run */
    uint32_t max_latency;    /* after the tick */
    uint32_t max_ready;      /* after the tick or the previous pulse's end */
    uint32_t max_raw;        /* after the tick, other steppers' events included */
};

static size_t schedule_steps(const struct stepper_spec *sp, int64_t **expect, int **dir)
{
    size_t n = 0;
    for (size_t i = 0; i < sp->nmoves; i++)
        n += sp->moves[i].count;
    *expect = calloc(n, sizeof(**expect));
    *dir = calloc(n, sizeof(**dir));
    assert_non_null(*expect);
    assert_non_null(*dir);
    int64_t t = 0;
    size_t k = 0;
    for (size_t i = 0; i < sp->nmoves; i++) {
        int64_t interval = sp->moves[i].interval;
        for (unsigned c = 0; c < sp->moves[i].count; c++) {
            t += interval;
            (*expect)[k] = t;
            (*dir)[k] = sp->moves[i].dir;
            k++;
            interval += sp->moves[i].add;
        }
    }
    return n;
}

static uint64_t hash_msgs(const struct twin *t)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < t->nmsgs; i++) {
        char line[300];
        snprintf(line, sizeof(line), "%" PRIu64 " %s\n", t->msgs[i].cycle, t->msgs[i].text);
        for (const char *c = line; *c; c++) {
            h ^= (uint8_t)*c;
            h *= 0x100000001b3ull;
        }
    }
    return h;
}

static void no_shutdown(const struct twin *t)
{
    if (twin_find_msg(t, 0, "shutdown") >= 0 || twin_find_msg(t, 0, "is_shutdown") >= 0) {
        twin_dump_msgs(t);
        fail_msg("%s: the MCU shut down", t->backend);
    }
}

/* Check one stepper's pins against its schedule. */
static void check_stepper(const struct twin *t, const struct stepper_spec *sp, uint64_t reset_at,
                          uint32_t bound, uint32_t behind, const uint32_t *allow,
                          struct sched_run *r)
{
    const char *backend = t->backend;
    r->nexpect = schedule_steps(sp, &r->expect, &r->dir);
    uint64_t *rise = calloc(r->nexpect + 16, sizeof(*rise));
    uint64_t *fall = calloc(r->nexpect + 16, sizeof(*fall));
    assert_non_null(rise);
    assert_non_null(fall);
    size_t nrise = twin_pin_edges(t, sp->step_pin, 1, 0, rise, r->nexpect + 16);
    size_t nfall = twin_pin_edges(t, sp->step_pin, 0, 0, fall, r->nexpect + 16);
    if (nrise != r->nexpect)
        fail_msg("%s: %zu steps on %s, the schedule has %zu", backend, nrise, sp->step, r->nexpect);
    assert_int_equal(nfall, nrise);
    r->rise = calloc(nrise, sizeof(*r->rise));
    assert_non_null(r->rise);
    r->nrise = nrise;

    int64_t pins_pos = 0;
    for (size_t k = 0; k < nrise; k++) {
        int64_t rel = (int64_t)(rise[k] - reset_at);
        r->rise[k] = rel;
        int64_t late = rel - r->expect[k];
        /* When the step could first be taken. */
        uint64_t ready = reset_at + (uint64_t)r->expect[k];
        if (k > 0 && fall[k - 1] > ready)
            ready = fall[k - 1];
        int64_t late_ready = (int64_t)(rise[k] - ready);
        /* Time other steppers' events due just before may take first. */
        int64_t extra = allow ? allow[k] : 0;
        if (getenv("TWIN_VERBOSE"))
            print_message("%s: %s step %zu late %" PRId64 " (from ready %" PRId64 ") width %" PRIu64
                          "\n",
                          backend, sp->step, k, late, late_ready, fall[k] - rise[k]);
        if (late < 0 || late > (int64_t)behind + extra || late_ready > (int64_t)bound + extra)
            fail_msg("%s: %s step %zu at tick %" PRId64 ", expected %" PRId64
                     " (+0..%u, and at most %u after the previous pulse; %" PRId64
                     " more for other steppers)",
                     backend, sp->step, k, rel, r->expect[k], behind, bound, extra);
        if ((uint32_t)late > r->max_raw)
            r->max_raw = (uint32_t)late;
        late -= extra;
        late_ready -= extra;
        if (late < 0)
            late = 0;
        if (late_ready < 0)
            late_ready = 0;
        if ((uint32_t)late > r->max_latency)
            r->max_latency = (uint32_t)late;
        if ((uint32_t)late_ready > r->max_ready)
            r->max_ready = (uint32_t)late_ready;
        /* The pulse is held at least step_pulse_ticks (on the AVR the fast
         * path relies on its own work taking that long), and ends before
         * the next step. */
        uint64_t width = fall[k] - rise[k];
        uint64_t max_width = t->is_avr ? AVR_STEP_PULSE_MAX : STEP_PULSE_TICKS;
        if (fall[k] < rise[k] || width < STEP_PULSE_TICKS || width > max_width)
            fail_msg("%s: %s step %zu pulse width %" PRIu64, backend, sp->step, k, width);
        if (k + 1 < nrise)
            assert_true(fall[k] < rise[k + 1]);
        /* The direction in force at the step. */
        int level = twin_pin_level_before(t, sp->dir_pin, rise[k]);
        if (level != r->dir[k])
            fail_msg("%s: %s step %zu taken with dir %d, its move has dir %d", backend, sp->step, k,
                     level, r->dir[k]);
        pins_pos += level ? 1 : -1;
    }
    /* Each change of direction comes between the last step of one move
     * and the first of the next (the first move's before any step). */
    uint64_t dir_edges[16];
    size_t ndir = twin_pin_edges(t, sp->dir_pin, -1, 0, dir_edges, 16);
    size_t changes = 0, k = 0;
    int level = 0;
    for (size_t i = 0; i < sp->nmoves; k += sp->moves[i].count, i++) {
        if (sp->moves[i].dir == level)
            continue;
        level = sp->moves[i].dir;
        assert_true(changes < ndir);
        uint64_t at = dir_edges[changes++];
        assert_true(at < rise[k]);
        /* (On the native build the change can share the cycle of the
         * previous move's last step: it follows that step's edge.) */
        if (k > 0)
            assert_true(at >= rise[k - 1]);
    }
    assert_int_equal(ndir, changes);

    int64_t want_pos = 0;
    for (size_t i = 0; i < sp->nmoves; i++)
        want_pos += sp->moves[i].dir ? sp->moves[i].count : -(int64_t)sp->moves[i].count;
    assert_int_equal(pins_pos, want_pos);
    assert_int_equal(r->pos, want_pos);
    free(rise);
    free(fall);
}

/* Run steppers' schedules at once on a fresh MCU and check everything
 * that holds on either backend; r[i] is stepper i's result. */
/* Steps of other steppers due at most window ticks before tick (and not
 * after it). */
static unsigned collisions(const struct stepper_spec *sp, size_t n, size_t self, int64_t tick,
                           int64_t window)
{
    unsigned c = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == self)
            continue;
        int64_t *e;
        int *d;
        size_t ns = schedule_steps(&sp[i], &e, &d);
        for (size_t k = 0; k < ns; k++)
            if (e[k] <= tick && e[k] >= tick - window)
                c++;
        free(e);
        free(d);
    }
    return c;
}

/* How much later than a lone stepper's each step of stepper self may come
 * because other steppers' events run first: on the native build a pulse
 * takes its step_pulse_ticks of virtual time, on the AVR an event takes
 * up to AVR_STEP_EVENT_MAX. */
static uint32_t *collision_allowance(const struct twin *t, const struct stepper_spec *sp, size_t n,
                                     size_t self)
{
    int64_t *e;
    int *d;
    size_t ns = schedule_steps(&sp[self], &e, &d);
    uint32_t *allow = calloc(ns, sizeof(*allow));
    assert_non_null(allow);
    uint32_t per = t->is_avr ? AVR_STEP_EVENT_MAX : STEP_PULSE_TICKS;
    for (size_t k = 0; k < ns; k++)
        allow[k] = per * collisions(sp, n, self, e[k], (int64_t)per * (int64_t)(n - 1));
    free(e);
    free(d);
    return allow;
}

static void run_steppers(const char *backend, const struct stepper_spec *sp, size_t n,
                         uint32_t avr_bound, struct sched_run *r)
{
    memset(r, 0, n * sizeof(*r));
    struct twin *t = twin_open(backend);
    twin_send(t, "allocate_oids count=%zu", n);
    for (size_t i = 0; i < n; i++)
        twin_send(t,
                  "config_stepper oid=%zu step_pin=%s dir_pin=%s invert_step=0 "
                  "step_pulse_ticks=%d",
                  i, sp[i].step, sp[i].dir, STEP_PULSE_TICKS);
    twin_send(t, "finalize_config crc=0");
    uint32_t now = twin_get_clock(t);
    uint32_t reset = now + t->freq / 10;
    uint64_t end = 0;
    for (size_t i = 0; i < n; i++)
        twin_send(t, "reset_step_clock oid=%zu clock=%" PRIu32, i, reset);
    /* Interleaved, as a host would send them. */
    int dir[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
    assert_true(n <= 8);
    for (size_t m = 0;; m++) {
        int any = 0;
        for (size_t i = 0; i < n; i++) {
            if (m >= sp[i].nmoves)
                continue;
            any = 1;
            const struct move *mv = &sp[i].moves[m];
            if (mv->dir != dir[i]) {
                dir[i] = mv->dir;
                twin_send(t, "set_next_step_dir oid=%zu dir=%d", i, dir[i]);
            }
            twin_send(t, "queue_step oid=%zu interval=%" PRIu32 " count=%u add=%d", i, mv->interval,
                      mv->count, mv->add);
        }
        if (!any)
            break;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t *e;
        int *d;
        size_t ns = schedule_steps(&sp[i], &e, &d);
        if ((uint64_t)e[ns - 1] > end)
            end = (uint64_t)e[ns - 1];
        free(e);
        free(d);
    }
    uint64_t reset_cycle = twin_clock_to_cycle(t, reset); /* the clock reads reset here */
    twin_run_to_cycle(t, reset_cycle + end + t->freq / 50);
    no_shutdown(t);
    for (size_t i = 0; i < n; i++) {
        struct msg_params p;
        twin_query(t, "stepper_position", &p, "stepper_get_position oid=%zu", i);
        r[i].pos = twin_param(&p, "pos");
        uint32_t *allow = n > 1 ? collision_allowance(t, sp, n, i) : NULL;
        check_stepper(t, &sp[i], reset_cycle, latency_bound(t, avr_bound),
                      latency_bound(t, AVR_STEP_BEHIND_MAX), allow, &r[i]);
        free(allow);
        r[i].hash = twin_hash_edges(t);
        r[i].msg_hash = hash_msgs(t);
    }
    twin_close(t);
}

static void run_schedule(const char *backend, struct sched_run *r)
{
    run_steppers(backend, &one_stepper, 1, AVR_STEP_LATENCY_MAX, r);
}

static void free_run(struct sched_run *r)
{
    free(r->rise);
    free(r->expect);
    free(r->dir);
}

static void test_step_schedule(void **state)
{
    (void)state;
    struct sched_run r;
    run_schedule(twin_backend, &r);
    if (!strcmp(twin_backend, "native"))
        assert_int_equal(r.max_latency, 0);
    print_message("%s: %zu steps, position %" PRId64 ", steps late by at most %u cycles after "
                  "their tick, %u after they could first be taken\n",
                  twin_backend, r.nrise, r.pos, r.max_latency, r.max_ready);
    free_run(&r);
}

/* Three steppers at once, their steps often due at the same tick, at a
 * combined rate well within what the AVR sustains: each keeps its own
 * schedule. A step due with another one may wait for that one's event.
 * (Near the AVR's limit, events that load a move cost about 400 cycles
 * and delays cascade from one event to the next: a schedule with 1000,
 * 1500 and 700 tick intervals had steps up to 1086 cycles late.) */
static const struct move sched_a[] = {{1, 2000, 100, 0}, {0, 2000, 100, 0}};
static const struct move sched_b[] = {{1, 3000, 40, 0}, {1, 3000, 40, -20}, {0, 6000, 20, 0}};
static const struct move sched_c[] = {{0, 1400, 80, 0}, {1, 4000, 30, 50}, {1, 24000, 5, 0}};
static const struct stepper_spec three_steppers[] = {
    {"PF0", "PF1", PIN_PF0, PIN_PF1, sched_a, 2},
    {"PA5", "PA4", TWIN_PIN('A', 5), TWIN_PIN('A', 4), sched_b, 3},
    {"PC7", "PC6", TWIN_PIN('C', 7), TWIN_PIN('C', 6), sched_c, 3},
};

static void test_three_steppers(void **state)
{
    (void)state;
    struct sched_run r[3];
    run_steppers(twin_backend, three_steppers, 3, AVR_STEP_LATENCY_MAX, r);
    for (int i = 0; i < 3; i++) {
        if (!strcmp(twin_backend, "native"))
            assert_int_equal(r[i].max_latency, 0);
        print_message("%s: %s: %zu steps, position %" PRId64 ", late by at most %u cycles "
                      "after the tick; beyond the time allowed for other steppers' events, "
                      "%u after the tick, %u after it could first be taken\n",
                      twin_backend, three_steppers[i].step, r[i].nrise, r[i].pos, r[i].max_raw,
                      r[i].max_latency, r[i].max_ready);
        free_run(&r[i]);
    }
}

/* ------------------------------------------------------------------ */
/* The pin watch reports changes only                                 */

/* sim_mcu.h: the watch is "called for each change of a watched pin's
 * output level". Configuring outputs at the level they already have
 * (low) is no change. */
static void test_pin_watch_changes_only(void **state)
{
    (void)state;
    struct twin *t = twin_open(twin_backend);
    twin_send(t, "allocate_oids count=2");
    twin_send(t, "config_stepper oid=0 step_pin=PF0 dir_pin=PF1 invert_step=0 "
                 "step_pulse_ticks=32");
    twin_send(t, "config_digital_out oid=1 pin=PB4 value=0 default_value=0 max_duration=0");
    twin_send(t, "finalize_config crc=0");
    twin_wait_acked(t);
    twin_run_ms(t, 5);
    no_shutdown(t);
    if (t->nonchanges)
        fail_msg("%s: %zu pin reports repeated the level the pin already had", t->backend,
                 t->nonchanges);
    assert_int_equal(t->nedges, 0);
    twin_close(t);
}

/* ------------------------------------------------------------------ */
/* 3. max_duration: a host that stops refreshing a heater              */

#define MAX_DURATION_TICKS (16000000 / 100) /* 10 ms */
#define REFRESH_TICKS (16000000 / 200)      /* 5 ms */
#define FULL_ON_TICKS 16000000

static struct twin *open_heater(void)
{
    struct twin *t = twin_open(twin_backend);
    twin_send(t, "allocate_oids count=1");
    twin_send(t, "config_digital_out oid=0 pin=PB4 value=0 default_value=0 max_duration=%u",
              MAX_DURATION_TICKS);
    twin_send(t, "finalize_config crc=0");
    return t;
}

/* Each edge of pin to level, as latency after the ticks in want[]. */
static void check_edges(const struct twin *t, unsigned pin, int level, const uint32_t *want,
                        size_t n, uint32_t bound, const char *what)
{
    uint64_t got[16];
    size_t ngot = twin_pin_edges(t, pin, level, 0, got, 16);
    if (ngot != n) {
        twin_dump_msgs(t);
        fail_msg("%s: %s: %zu %s edges, expected %zu", t->backend, what, ngot,
                 level ? "rising" : "falling", n);
    }
    for (size_t i = 0; i < n; i++) {
        int64_t late = (int64_t)got[i] - (int64_t)twin_clock_to_cycle(t, want[i]);
        print_message("%s: %s: %s edge %zu cycles after its tick\n", t->backend, what,
                      level ? "rising" : "falling", (size_t)late);
        if (late < 0 || late > (int64_t)bound)
            fail_msg("%s: %s: %s edge %" PRId64 " cycles after tick %" PRIu32 " (allowed 0..%u)",
                     t->backend, what, level ? "rising" : "falling", late, want[i], bound);
    }
}

static const struct twin_msg *expect_shutdown(const struct twin *t, const char *reason)
{
    long i = twin_find_msg(t, 0, "shutdown");
    if (i < 0) {
        twin_dump_msgs(t);
        fail_msg("%s: no shutdown (expected '%s')", t->backend, reason);
    }
    char want[160];
    snprintf(want, sizeof(want), "static_string_id=%s", reason);
    if (!strstr(t->msgs[i].text, want)) {
        twin_dump_msgs(t);
        fail_msg("%s: '%s', expected the reason '%s'", t->backend, t->msgs[i].text, reason);
    }
    assert_int_equal(twin_count_msgs(t, "shutdown"), 1);
    return &t->msgs[i];
}

static int64_t get_config_is_shutdown(struct twin *t)
{
    struct msg_params p;
    twin_query(t, "config", &p, "get_config");
    assert_int_equal(twin_param(&p, "is_config"), 1);
    return twin_param(&p, "is_shutdown");
}

static void test_max_duration_shutdown(void **state)
{
    (void)state;
    struct twin *t = open_heater();
    uint32_t on = twin_get_clock(t) + t->freq / 50;
    uint32_t deadline = on + MAX_DURATION_TICKS;
    twin_send(t, "queue_digital_out oid=0 clock=%" PRIu32 " on_ticks=%u", on, FULL_ON_TICKS);
    /* Then nothing more from the host. */
    twin_run_to_cycle(t, twin_clock_to_cycle(t, deadline) + t->freq / 100);

    const struct twin_msg *sd = expect_shutdown(t, "Missed scheduling of next digital out event");
    uint32_t sd_clock = (uint32_t)twin_param(&sd->p, "clock");
    int32_t sd_late = (int32_t)(sd_clock - deadline);
    print_message("%s: shutdown reported at deadline + %d ticks\n", t->backend, (int)sd_late);
    assert_true(sd_late >= 0 && sd_late <= (int32_t)latency_bound(t, AVR_SHUTDOWN_REPORT_MAX));
    check_edges(t, PIN_PB4, 1, &on, 1, latency_bound(t, AVR_GPIO_LATENCY_MAX), "max_duration on");
    check_edges(t, PIN_PB4, 0, &deadline, 1, latency_bound(t, AVR_SHUTDOWN_LATENCY_MAX),
                "max_duration expiry");
    assert_int_equal(get_config_is_shutdown(t), 1);
    /* A further shutdown while shut down keeps the first reason (until
     * clear_shutdown), as Klipper's MCU does. */
    twin_send(t, "emergency_stop");
    twin_run_ms(t, 10);
    assert_int_equal(twin_count_msgs(t, "shutdown"), 2);
    long again = twin_find_msg(t, (size_t)twin_find_msg(t, 0, "shutdown") + 1, "shutdown");
    assert_non_null(strstr(t->msgs[again].text,
                           "static_string_id=Missed scheduling of next digital out event"));
    twin_close(t);
}

static void test_max_duration_refreshed(void **state)
{
    (void)state;
    struct twin *t = open_heater();
    uint32_t on = twin_get_clock(t) + t->freq / 100;
    twin_send(t, "queue_digital_out oid=0 clock=%" PRIu32 " on_ticks=%u", on, FULL_ON_TICKS);
    twin_run_to_cycle(t, twin_clock_to_cycle(t, on));
    /* A host refreshing every 5 ms, about 5 ms ahead: ten times the
     * max_duration in all. */
    const unsigned refreshes = 2 * 10 * MAX_DURATION_TICKS / REFRESH_TICKS;
    for (unsigned k = 1; k <= refreshes; k++) {
        twin_send(t, "queue_digital_out oid=0 clock=%" PRIu32 " on_ticks=%u",
                  on + k * REFRESH_TICKS, FULL_ON_TICKS);
        twin_run_cycles(t, REFRESH_TICKS);
    }
    uint32_t off = on + (refreshes + 1) * REFRESH_TICKS;
    twin_send(t, "queue_digital_out oid=0 clock=%" PRIu32 " on_ticks=0", off);
    /* Off is the default: no deadline any more. */
    twin_run_to_cycle(t, twin_clock_to_cycle(t, off) + 3 * MAX_DURATION_TICKS);
    no_shutdown(t);
    uint32_t bound = latency_bound(t, AVR_GPIO_LATENCY_MAX);
    check_edges(t, PIN_PB4, 1, &on, 1, bound, "refreshed on");
    check_edges(t, PIN_PB4, 0, &off, 1, bound, "refreshed off");
    assert_int_equal(get_config_is_shutdown(t), 0);
    twin_close(t);
}

/* ------------------------------------------------------------------ */
/* 4. Analog input: reports, and the range check                       */

#define ADC_SAMPLE_TICKS 1600
#define ADC_SAMPLE_COUNT 4
#define ADC_REST_TICKS 160000 /* 10 ms */
/* The AVR port starts a conversion, comes back this much later for the
 * result (firmware/arch/avr/adc.c), then waits sample_ticks. */
#define AVR_ADC_CONVERSION_WAIT (13 * 128 + 200)

static uint32_t adc_code(uint32_t mv)
{
    uint32_t v = mv * 1024 / 5000;
    return v > 1023 ? 1023 : v;
}

/* When group g of samples (from clock) is complete: its last reading. */
static uint32_t adc_group_done(const struct twin *t, uint32_t clock, unsigned g)
{
    uint32_t conv = t->is_avr ? AVR_ADC_CONVERSION_WAIT : 0;
    return clock + g * ADC_REST_TICKS + (ADC_SAMPLE_COUNT - 1) * ADC_SAMPLE_TICKS +
           ADC_SAMPLE_COUNT * conv;
}

static void test_adc_reports(void **state)
{
    (void)state;
    assert_int_equal(adc_code(2000), 409);
    assert_int_equal(adc_code(5000), 1023);
    struct twin *t = twin_open(twin_backend);
    twin_send(t, "allocate_oids count=1");
    twin_send(t, "config_analog_in oid=0 pin=PK5");
    twin_send(t, "finalize_config crc=0");
    sim_mcu_set_analog_mv(t->m, PIN_PK5, 2000);
    uint32_t start = twin_get_clock(t) + t->freq / 100;
    twin_send(t,
              "query_analog_in oid=0 clock=%" PRIu32 " sample_ticks=%u sample_count=%u "
              "rest_ticks=%u min_value=100 max_value=4000 range_check_count=1",
              start, ADC_SAMPLE_TICKS, ADC_SAMPLE_COUNT, ADC_REST_TICKS);
    /* Three groups at 2 V, then three at 3 V. */
    twin_run_to_cycle(t, twin_clock_to_cycle(t, start + 2 * ADC_REST_TICKS) + ADC_REST_TICKS / 2);
    sim_mcu_set_analog_mv(t->m, PIN_PK5, 3000);
    twin_run_to_cycle(t, twin_clock_to_cycle(t, start + 5 * ADC_REST_TICKS) + ADC_REST_TICKS / 2);
    no_shutdown(t);
    unsigned g = 0;
    for (size_t i = 0; i < t->nmsgs; i++) {
        const struct twin_msg *r = &t->msgs[i];
        if (strcmp(r->p.fmt->name, "analog_in_state"))
            continue;
        uint32_t want = ADC_SAMPLE_COUNT * adc_code(g < 3 ? 2000 : 3000);
        assert_int_equal(twin_param(&r->p, "oid"), 0);
        if (twin_param(&r->p, "value") != want)
            fail_msg("%s: report %u: '%s', expected value=%u", t->backend, g, r->text, want);
        assert_int_equal((uint32_t)twin_param(&r->p, "next_clock"),
                         start + (g + 1) * ADC_REST_TICKS);
        /* Sent once the group was complete, and promptly. */
        uint64_t done = twin_clock_to_cycle(t, adc_group_done(t, start, g));
        assert_true(r->cycle > done);
        assert_true(r->cycle < done + t->freq / 500);
        g++;
    }
    assert_int_equal(g, 6);
    twin_close(t);
}

static void test_adc_out_of_range(void **state)
{
    (void)state;
    struct twin *t = twin_open(twin_backend);
    twin_send(t, "allocate_oids count=2");
    twin_send(t, "config_analog_in oid=0 pin=PK5");
    twin_send(t, "config_digital_out oid=1 pin=PB4 value=0 default_value=0 max_duration=0");
    twin_send(t, "finalize_config crc=0");
    /* A thermistor reading far below min_value (a shorted sensor). */
    const uint32_t mv = 100;
    sim_mcu_set_analog_mv(t->m, PIN_PK5, mv);
    uint32_t now = twin_get_clock(t);
    uint32_t heater_on = now + t->freq / 200, start = now + t->freq / 50;
    twin_send(t, "queue_digital_out oid=1 clock=%" PRIu32 " on_ticks=1", heater_on);
    const unsigned range_check_count = 3;
    twin_send(t,
              "query_analog_in oid=0 clock=%" PRIu32 " sample_ticks=%u sample_count=%u "
              "rest_ticks=%u min_value=400 max_value=4000 range_check_count=%u",
              start, ADC_SAMPLE_TICKS, ADC_SAMPLE_COUNT, ADC_REST_TICKS, range_check_count);
    twin_run_to_cycle(t, twin_clock_to_cycle(t, start + range_check_count * ADC_REST_TICKS) +
                             ADC_REST_TICKS);

    /* The first groups out of range are reported; the third shuts down. */
    const struct twin_msg *sd = expect_shutdown(t, "ADC out of range");
    uint32_t check = adc_group_done(t, start, range_check_count - 1);
    uint32_t sd_clock = (uint32_t)twin_param(&sd->p, "clock");
    int32_t late = (int32_t)(sd_clock - check);
    print_message("%s: ADC shutdown reported %d ticks after the third group's last sample\n",
                  t->backend, (int)late);
    assert_true(late >= 0 && late <= (int32_t)latency_bound(t, AVR_SHUTDOWN_REPORT_MAX));
    size_t reports = 0;
    for (size_t i = 0; i < t->nmsgs; i++) {
        const struct twin_msg *r = &t->msgs[i];
        if (strcmp(r->p.fmt->name, "analog_in_state"))
            continue;
        assert_true(r < sd);
        assert_int_equal(twin_param(&r->p, "value"), ADC_SAMPLE_COUNT * adc_code(mv));
        reports++;
    }
    assert_int_equal(reports, range_check_count - 1);
    /* The heater was on, and went off with the shutdown. */
    check_edges(t, PIN_PB4, 1, &heater_on, 1, latency_bound(t, AVR_GPIO_LATENCY_MAX), "heater on");
    check_edges(t, PIN_PB4, 0, &check, 1, latency_bound(t, AVR_SHUTDOWN_LATENCY_MAX),
                "heater off at ADC shutdown");
    assert_int_equal(get_config_is_shutdown(t), 1);
    twin_close(t);
}

/* ------------------------------------------------------------------ */
/* 5. emergency_stop and clear_shutdown                                */

static void test_emergency_stop(void **state)
{
    (void)state;
    struct twin *t = twin_open(twin_backend);
    twin_send(t, "allocate_oids count=2");
    twin_send(t, "config_stepper oid=0 step_pin=PF0 dir_pin=PF1 invert_step=0 "
                 "step_pulse_ticks=32");
    twin_send(t, "config_digital_out oid=1 pin=PB4 value=0 default_value=0 max_duration=0");
    twin_send(t, "finalize_config crc=0");
    assert_int_equal(get_config_is_shutdown(t), 0);
    /* A heater on, and a stepper in the middle of a long move. */
    uint32_t on = twin_get_clock(t) + t->freq / 200;
    twin_send(t, "queue_digital_out oid=1 clock=%" PRIu32 " on_ticks=1", on);
    twin_send(t, "reset_step_clock oid=0 clock=%" PRIu32, on);
    twin_send(t, "set_next_step_dir oid=0 dir=1");
    twin_send(t, "queue_step oid=0 interval=4000 count=4000 add=0");
    twin_run_to_cycle(t, twin_clock_to_cycle(t, on) + t->freq / 50 + 1000);
    assert_int_equal(twin_pin_edges(t, PIN_PB4, 1, 0, NULL, 0), 1);
    assert_int_equal(t->level[PIN_PB4], 1);
    size_t moving = twin_pin_edges(t, PIN_PF0, 1, 0, NULL, 0);
    assert_true(moving >= 79 && moving <= 81);

    uint64_t sent = sim_mcu_cycle(t->m);
    twin_send(t, "emergency_stop");
    twin_run_ms(t, 10);
    const struct twin_msg *sd = expect_shutdown(t, "Command request");
    /* The heater is off at once: after the command's block arrived (it
     * takes a few byte times on the wire), before the report went out. */
    uint64_t off;
    assert_int_equal(twin_pin_edges(t, PIN_PB4, 0, 0, &off, 1), 1);
    uint64_t sd_cycle = twin_clock_to_cycle(t, (uint32_t)twin_param(&sd->p, "clock"));
    print_message("%s: heater off %" PRIu64 " cycles after emergency_stop was sent, %" PRIu64
                  " before the shutdown report's clock\n",
                  t->backend, off - sent, sd_cycle - off);
    assert_true(off > sent);
    assert_true(off <= sd_cycle);
    assert_true(off - sent < t->freq / 1000);
    /* The stepper stopped there too, with its step pin low. */
    uint64_t steps[4096];
    size_t nsteps = twin_pin_edges(t, PIN_PF0, 1, 0, steps, 4096);
    assert_true(nsteps < 4000);
    assert_true(steps[nsteps - 1] < sd_cycle);
    assert_true(steps[nsteps - 1] + 4000 + latency_bound(t, AVR_STEP_LATENCY_MAX) > off);
    assert_int_equal(t->level[PIN_PF0], 0);
    assert_int_equal(get_config_is_shutdown(t), 1);

    /* Other commands are refused with the reason; outputs stay off. */
    size_t before = twin_count_msgs(t, "is_shutdown");
    twin_send(t, "stepper_get_position oid=0");
    twin_send(t, "queue_digital_out oid=1 clock=%" PRIu32 " on_ticks=1",
              twin_get_clock(t) + t->freq / 200);
    twin_run_ms(t, 20);
    assert_int_equal(twin_count_msgs(t, "is_shutdown"), before + 2);
    long i = twin_find_msg(t, 0, "is_shutdown");
    assert_non_null(strstr(t->msgs[i].text, "static_string_id=Command request"));
    assert_int_equal(twin_count_msgs(t, "stepper_position"), 0);
    assert_int_equal(t->level[PIN_PB4], 0);

    /* clear_shutdown: back to work. */
    twin_send(t, "clear_shutdown");
    assert_int_equal(get_config_is_shutdown(t), 0);
    struct msg_params p;
    twin_query(t, "stepper_position", &p, "stepper_get_position oid=0");
    assert_int_equal(twin_param(&p, "pos"), (int64_t)nsteps);
    uint32_t again = twin_get_clock(t) + t->freq / 200;
    twin_send(t, "queue_digital_out oid=1 clock=%" PRIu32 " on_ticks=1", again);
    twin_run_to_cycle(t, twin_clock_to_cycle(t, again) + t->freq / 1000);
    assert_int_equal(t->level[PIN_PB4], 1);
    uint32_t on_ticks[2] = {on, again};
    check_edges(t, PIN_PB4, 1, on_ticks, 2, latency_bound(t, AVR_GPIO_LATENCY_MAX),
                "heater on after clear_shutdown");
    assert_int_equal(twin_count_msgs(t, "shutdown"), 1);
    assert_int_equal(twin_pin_edges(t, PIN_PF0, 1, 0, NULL, 0), nsteps);
    twin_close(t);
}

/* ------------------------------------------------------------------ */
/* 6. Homing: an endstop stops a moving stepper through a trsync       */

#define HOME_INTERVAL 1700
#define HOME_COUNT 5000
#define HOME_SAMPLE_TICKS 150
#define HOME_SAMPLE_COUNT 4
#define HOME_REST_TICKS 1000
#define HOME_REASON 1

struct home_run {
    size_t steps;
    int64_t pos;
    uint64_t trip, trigger, last_step;
    uint64_t hash, msg_hash;
};

static void run_homing(const char *backend, struct home_run *r)
{
    memset(r, 0, sizeof(*r));
    struct twin *t = twin_open(backend);
    twin_send(t, "allocate_oids count=3");
    twin_send(t, "config_stepper oid=0 step_pin=PF0 dir_pin=PF1 invert_step=0 "
                 "step_pulse_ticks=32");
    twin_send(t, "config_endstop oid=1 pin=PE5 pull_up=1");
    twin_send(t, "config_trsync oid=2");
    twin_send(t, "finalize_config crc=0");
    uint32_t start = twin_get_clock(t) + t->freq / 20;
    twin_send(t, "trsync_start oid=2 report_clock=%" PRIu32 " report_ticks=%u expire_reason=4",
              start, t->freq / 10);
    twin_send(t, "stepper_stop_on_trigger oid=0 trsync_oid=2");
    /* The switch closes to ground: home until the pin reads 0. */
    twin_send(t,
              "endstop_home oid=1 clock=%" PRIu32 " sample_ticks=%u sample_count=%u "
              "rest_ticks=%u pin_value=0 trsync_oid=2 trigger_reason=%u",
              start, HOME_SAMPLE_TICKS, HOME_SAMPLE_COUNT, HOME_REST_TICKS, HOME_REASON);
    twin_send(t, "reset_step_clock oid=0 clock=%" PRIu32, start);
    twin_send(t, "set_next_step_dir oid=0 dir=0");
    twin_send(t, "queue_step oid=0 interval=%u count=%u add=0", HOME_INTERVAL, HOME_COUNT);
    uint64_t start_cycle = twin_clock_to_cycle(t, start);
    /* The carriage reaches the switch between two steps. */
    twin_run_to_cycle(t, start_cycle + 1234ull * HOME_INTERVAL + 777);
    r->trip = sim_mcu_cycle(t->m);
    sim_mcu_set_input(t->m, PIN_PE5, 0);
    twin_run_ms(t, 50);
    no_shutdown(t);

    /* trsync reported: first can_trigger=1 (periodic), then the trigger. */
    long first = twin_find_msg(t, 0, "trsync_state");
    assert_true(first >= 0);
    assert_int_equal(twin_param(&t->msgs[first].p, "can_trigger"), 1);
    assert_true(t->msgs[first].cycle < r->trip);
    long trig = -1;
    for (long i = first; i >= 0; i = twin_find_msg(t, (size_t)i + 1, "trsync_state")) {
        if (!twin_param(&t->msgs[i].p, "can_trigger")) {
            trig = i;
            break;
        }
    }
    if (trig < 0) {
        twin_dump_msgs(t);
        fail_msg("%s: no trsync_state with can_trigger=0", backend);
    }
    const struct msg_params *ts = &t->msgs[trig].p;
    assert_int_equal(twin_param(ts, "oid"), 2);
    assert_int_equal(twin_param(ts, "trigger_reason"), HOME_REASON);
    r->trigger = twin_clock_to_cycle(t, (uint32_t)twin_param(ts, "clock"));
    /* Seen within a rest period and the confirming samples. */
    uint64_t window = HOME_REST_TICKS + (HOME_SAMPLE_COUNT - 1) * HOME_SAMPLE_TICKS;
    uint32_t slack = latency_bound(t, AVR_STEP_LATENCY_MAX);
    print_message("%s: trsync triggered %" PRIu64 " ticks after the switch closed (window %" PRIu64
                  ")\n",
                  backend, r->trigger - r->trip, window);
    assert_true(r->trigger >= r->trip);
    assert_true(r->trigger <= r->trip + window + slack);
    /* Exactly: the first sample at or after the trip (samples every
     * rest_ticks from the homing clock), then sample_count - 1 more. */
    uint64_t first_low = start_cycle + (r->trip - start_cycle + HOME_REST_TICKS - 1) /
                                           HOME_REST_TICKS * HOME_REST_TICKS;
    uint64_t want_trigger = first_low + (HOME_SAMPLE_COUNT - 1) * HOME_SAMPLE_TICKS;
    if (r->trigger < want_trigger || r->trigger > want_trigger + slack)
        fail_msg("%s: triggered at cycle %" PRIu64 ", expected %" PRIu64 " (+0..%u)", backend,
                 r->trigger, want_trigger, slack);

    uint64_t rise[HOME_COUNT];
    r->steps = twin_pin_edges(t, PIN_PF0, 1, 0, rise, HOME_COUNT);
    assert_true(r->steps > 0 && r->steps < HOME_COUNT);
    r->last_step = rise[r->steps - 1];
    print_message("%s: %zu steps, the last %" PRId64 " cycles after the switch closed\n", backend,
                  r->steps, (int64_t)(r->last_step - r->trip));
    /* No step after the trigger; none missing before it. */
    assert_true(r->last_step <= r->trigger);
    assert_true(r->last_step <=
                r->trip + HOME_REST_TICKS + HOME_SAMPLE_COUNT * HOME_SAMPLE_TICKS + slack);
    uint64_t due = (r->trigger - start_cycle) / HOME_INTERVAL; /* steps due by the trigger */
    if (r->steps != due && !(t->is_avr && r->steps + 1 == due))
        fail_msg("%s: %zu steps by the trigger, %" PRIu64 " were due", backend, r->steps, due);
    assert_int_equal(twin_pin_edges(t, PIN_PF1, -1, 0, NULL, 0), 0);

    struct msg_params p;
    twin_query(t, "stepper_position", &p, "stepper_get_position oid=0");
    r->pos = twin_param(&p, "pos");
    assert_int_equal(r->pos, -(int64_t)r->steps);
    twin_query(t, "endstop_state", &p, "endstop_query_state oid=1");
    assert_int_equal(twin_param(&p, "homing"), 0);
    assert_int_equal(twin_param(&p, "pin_value"), 0);
    /* A stopped stepper takes no more steps until reset_step_clock. */
    twin_run_ms(t, 20);
    assert_int_equal(twin_pin_edges(t, PIN_PF0, 1, 0, NULL, 0), r->steps);
    /* Backing off: the switch opens and the pull-up reads high again.
     * (Releasing it also matters to the AVR backend: simavr polls a low
     * INT5 pin with an allocation it only frees once the pin is high.) */
    sim_mcu_set_input(t->m, PIN_PE5, -1);
    twin_run_ms(t, 1);
    twin_query(t, "endstop_state", &p, "endstop_query_state oid=1");
    assert_int_equal(twin_param(&p, "pin_value"), 1);
    no_shutdown(t);
    r->hash = twin_hash_edges(t);
    r->msg_hash = hash_msgs(t);
    twin_close(t);
}

static void test_endstop_homing(void **state)
{
    (void)state;
    struct home_run r;
    run_homing(twin_backend, &r);
}

/* ------------------------------------------------------------------ */
/* The clock stays true while steps keep the MCU busy                  */

/* A stepper stepping as fast as the AVR's fast path allows keeps the
 * timer interrupt running for 0.6 s without a break, far longer
 * than Timer1's 4.1 ms overflow period. The clock the MCU reports must
 * not lose those overflows: get_clock afterwards still reads the cycle it
 * was read at (a lost overflow is 65536 ticks off). */
static void test_clock_through_saturation(void **state)
{
    (void)state;
    struct twin *t = twin_open(twin_backend);
    twin_send(t, "allocate_oids count=1");
    twin_send(t,
              "config_stepper oid=0 step_pin=PF0 dir_pin=PF1 invert_step=0 "
              "step_pulse_ticks=%d",
              STEP_PULSE_TICKS);
    twin_send(t, "finalize_config crc=0");
    uint32_t start = twin_get_clock(t) + t->freq / 100;
    twin_send(t, "reset_step_clock oid=0 clock=%" PRIu32, start);
    twin_send(t, "set_next_step_dir oid=0 dir=1");
    for (int i = 0; i < 2; i++)
        twin_send(t, "queue_step oid=0 interval=160 count=60000 add=0");
    twin_run_to_cycle(t, twin_clock_to_cycle(t, start) + 2ull * 60000 * 160 + t->freq / 100);
    no_shutdown(t);
    struct msg_params p;
    twin_query(t, "stepper_position", &p, "stepper_get_position oid=0");
    assert_int_equal(twin_param(&p, "pos"), 2 * 60000);
    uint64_t before = sim_mcu_cycle(t->m);
    uint32_t clock = twin_get_clock(t);
    uint64_t after = sim_mcu_cycle(t->m);
    uint32_t lo = twin_cycle_to_clock(t, before), hi = twin_cycle_to_clock(t, after);
    if ((int32_t)(clock - lo) < 0 || (int32_t)(hi - clock) < 0)
        fail_msg("%s: get_clock said %" PRIu32 ", read between %" PRIu32 " and %" PRIu32
                 " (%.3f ms off)",
                 twin_backend, clock, lo, hi, (int32_t)(clock - lo) * 1000.0 / t->freq);
    twin_close(t);
}

/* ------------------------------------------------------------------ */
/* 7. Determinism: the same scenario twice, the same records           */

static void test_determinism(void **state)
{
    (void)state;
    struct sched_run a, b;
    run_schedule(twin_backend, &a);
    run_schedule(twin_backend, &b);
    print_message("%s: schedule edges hash %016" PRIx64 ", messages %016" PRIx64 "\n", twin_backend,
                  a.hash, a.msg_hash);
    assert_int_equal(a.hash, b.hash);
    assert_int_equal(a.msg_hash, b.msg_hash);
    free_run(&a);
    free_run(&b);
    struct home_run h1, h2;
    run_homing(twin_backend, &h1);
    run_homing(twin_backend, &h2);
    print_message("%s: homing edges hash %016" PRIx64 ", messages %016" PRIx64 "\n", twin_backend,
                  h1.hash, h1.msg_hash);
    assert_int_equal(h1.hash, h2.hash);
    assert_int_equal(h1.msg_hash, h2.msg_hash);
    assert_int_equal(h1.trigger, h2.trigger);
}

/* ------------------------------------------------------------------ */
/* 8. Native and AVR run the same schedule                             */

static void test_cross_backend(void **state)
{
    (void)state;
    struct sched_run n, a;
    run_schedule("native", &n);
    run_schedule("avr", &a);
    assert_int_equal(n.nrise, a.nrise);
    assert_int_equal(n.pos, a.pos);
    uint32_t max = 0, min = UINT32_MAX;
    for (size_t k = 0; k < n.nrise; k++) {
        assert_int_equal(n.rise[k], n.expect[k]);
        int64_t d = a.rise[k] - n.rise[k];
        if (d < 0 || d > AVR_STEP_BEHIND_MAX)
            fail_msg("step %zu: avr tick %" PRId64 ", native %" PRId64, k, a.rise[k], n.rise[k]);
        if ((uint32_t)d > max)
            max = (uint32_t)d;
        if ((uint32_t)d < min)
            min = (uint32_t)d;
    }
    assert_int_equal(max, a.max_latency);
    print_message("cross: %zu steps, position %" PRId64 "; avr later than native by %u..%u "
                  "cycles (bound %u), by at most %u after the previous pulse (bound %u)\n",
                  n.nrise, n.pos, min, max, AVR_STEP_BEHIND_MAX, a.max_ready, AVR_STEP_LATENCY_MAX);
    free_run(&n);
    free_run(&a);

    struct home_run hn, ha;
    run_homing("native", &hn);
    run_homing("avr", &ha);
    print_message("cross: homing stopped after %zu (native) and %zu (avr) steps\n", hn.steps,
                  ha.steps);
    assert_true(ha.steps == hn.steps || ha.steps + 1 == hn.steps || ha.steps == hn.steps + 1);
}

/* ------------------------------------------------------------------ */

static int run_group(const char *name, const struct CMUnitTest *tests, size_t n)
{
    return _cmocka_run_group_tests(name, tests, n, NULL, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_twin avr|native|cross [FILTER]\n");
        return 2;
    }
    if (argc > 2)
        cmocka_set_test_filter(argv[2]);
    const struct CMUnitTest backend_tests[] = {
        cmocka_unit_test_teardown(test_identify_dictionary, twin_teardown),
        cmocka_unit_test_teardown(test_step_schedule, twin_teardown),
        cmocka_unit_test_teardown(test_three_steppers, twin_teardown),
        cmocka_unit_test_teardown(test_max_duration_shutdown, twin_teardown),
        cmocka_unit_test_teardown(test_max_duration_refreshed, twin_teardown),
        cmocka_unit_test_teardown(test_adc_reports, twin_teardown),
        cmocka_unit_test_teardown(test_adc_out_of_range, twin_teardown),
        cmocka_unit_test_teardown(test_emergency_stop, twin_teardown),
        cmocka_unit_test_teardown(test_endstop_homing, twin_teardown),
        cmocka_unit_test_teardown(test_determinism, twin_teardown),
        cmocka_unit_test_teardown(test_pin_watch_changes_only, twin_teardown),
        cmocka_unit_test_teardown(test_clock_through_saturation, twin_teardown),
    };
    const struct CMUnitTest cross_tests[] = {
        cmocka_unit_test_teardown(test_cross_backend, twin_teardown),
    };
    if (!strcmp(argv[1], "avr") || !strcmp(argv[1], "native")) {
        twin_backend = argv[1];
        char name[64];
        snprintf(name, sizeof(name), "twin.%s", argv[1]);
        return run_group(name, backend_tests, sizeof(backend_tests) / sizeof(backend_tests[0]));
    }
    if (!strcmp(argv[1], "cross"))
        return run_group("twin.cross", cross_tests, sizeof(cross_tests) / sizeof(cross_tests[0]));
    fprintf(stderr, "test_twin: unknown mode '%s'\n", argv[1]);
    return 2;
}
