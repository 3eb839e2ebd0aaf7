/* lockstep bench: benchmarks that print figures.
 *
 * step-rate: Klipper's documented micro-controller step-rate benchmark
 * (klipper3d.org Benchmarks), run cycle-accurately on a simulated MCU. Three
 * steppers are configured with step_pulse_ticks=32 on PA5/PA4, PA3/PA2 and
 * PC7/PC6; one or three of them are given 60000 steps of {ticks} ticks each,
 * then one step back. The result is the lowest ticks that completes without
 * a shutdown, found by bisection; a run only counts as complete if every
 * step shows up on the pins and the MCU's position agrees. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "mcu_link.h"
#include "sim_mcu.h"
#include "transport_sim.h"

#define BENCH_STEPPERS 3
#define BENCH_COUNT 60000

static const struct {
    const char *step, *dir;
    unsigned step_num;
} bench_pins[BENCH_STEPPERS] = {
    {"PA5", "PA4", 5},
    {"PA3", "PA2", 3},
    {"PC7", "PC6", 2 * 8 + 7},
};

struct trial {
    unsigned rising[BENCH_STEPPERS];
    int shutdown;
    char reason[320];
};

static void on_pin(void *ctx, uint64_t cycle, unsigned pin, int level)
{
    (void)cycle;
    struct trial *t = ctx;
    if (!level)
        return;
    for (int i = 0; i < BENCH_STEPPERS; i++)
        if (pin == bench_pins[i].step_num)
            t->rising[i]++;
}

static void on_msg(void *ctx, const struct msg_params *p, uint64_t t_ns)
{
    (void)t_ns;
    struct trial *t = ctx;
    const char *name = p->fmt->name;
    if (strcmp(name, "shutdown") && strcmp(name, "is_shutdown"))
        return;
    if (!t->shutdown) {
        char text[256];
        msg_format_text(p, text, sizeof(text));
        snprintf(t->reason, sizeof(t->reason), "%s", text);
    }
    t->shutdown = 1;
}

static int send(struct link_mcu *l, const char *text)
{
    char err[256];
    if (link_mcu_send_text(l, text, err, sizeof(err))) {
        fprintf(stderr, "bench: %s: %s\n", text, err);
        return -1;
    }
    return 0;
}

/* One run of the benchmark. Returns 1 if it completed, 0 if the MCU could
 * not keep up, -1 if the simulation itself failed. */
static int run_trial(const char *spec, int steppers, unsigned ticks, int verbose)
{
    char err[256], cmd[160];
    struct trial t = {0};
    struct sim_mcu *m = sim_mcu_create(spec, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "bench: %s\n", err);
        return -1;
    }
    sim_mcu_set_pin_watch(m, on_pin, &t);
    struct link_transport *tr = link_sim_wrap(m, 1);
    struct link_mcu_opts opts;
    link_mcu_opts_default(&opts);
    struct link_mcu *l = link_mcu_open(tr, 1, &opts, err, sizeof(err));
    if (!l) {
        fprintf(stderr, "bench: connecting to the simulated MCU: %s\n", err);
        return -1;
    }
    link_mcu_set_handler(l, on_msg, NULL, &t);
    int rc = -1;
    if (send(l, "allocate_oids count=3"))
        goto out;
    for (int i = 0; i < BENCH_STEPPERS; i++) {
        snprintf(cmd, sizeof(cmd),
                 "config_stepper oid=%d step_pin=%s dir_pin=%s invert_step=0 step_pulse_ticks=32",
                 i, bench_pins[i].step, bench_pins[i].dir);
        if (send(l, cmd))
            goto out;
    }
    if (send(l, "finalize_config crc=0"))
        goto out;
    struct msg_params clock;
    if (link_mcu_query(l, "get_clock", "clock", &clock, err, sizeof(err))) {
        fprintf(stderr, "bench: get_clock: %s\n", err);
        goto out;
    }
    uint32_t freq = sim_mcu_freq(m);
    uint32_t start = (uint32_t)msg_param_int(&clock, 0) + freq;
    for (int i = 0; i < steppers; i++) {
        snprintf(cmd, sizeof(cmd), "reset_step_clock oid=%d clock=%" PRIu32, i, start);
        if (send(l, cmd))
            goto out;
        snprintf(cmd, sizeof(cmd), "set_next_step_dir oid=%d dir=0", i);
        if (send(l, cmd))
            goto out;
        snprintf(cmd, sizeof(cmd), "queue_step oid=%d interval=%u count=%d add=0", i, ticks,
                 BENCH_COUNT);
        if (send(l, cmd))
            goto out;
        snprintf(cmd, sizeof(cmd), "set_next_step_dir oid=%d dir=1", i);
        if (send(l, cmd))
            goto out;
        snprintf(cmd, sizeof(cmd), "queue_step oid=%d interval=3000 count=1 add=0", i);
        if (send(l, cmd))
            goto out;
    }
    /* Until every step is due, plus a margin for a late one. */
    uint64_t span = (uint64_t)freq + (uint64_t)ticks * BENCH_COUNT + 3000 + freq / 10;
    if (link_mcu_run_for(l, link_cycles_to_ns(span, freq))) {
        fprintf(stderr, "bench: %s\n", link_mcu_error(l));
        goto out;
    }
    rc = !t.shutdown;
    for (int i = 0; i < steppers && rc == 1; i++) {
        snprintf(cmd, sizeof(cmd), "stepper_get_position oid=%d", i);
        struct msg_params pos;
        if (link_mcu_query(l, cmd, "stepper_position", &pos, err, sizeof(err))) {
            fprintf(stderr, "bench: %s: %s\n", cmd, err);
            rc = -1;
            break;
        }
        int64_t p = msg_param_int(&pos, 1);
        if (t.rising[i] != BENCH_COUNT + 1 || p != -(BENCH_COUNT - 1)) {
            snprintf(t.reason, sizeof(t.reason),
                     "stepper %d: %u steps on the pin, position %" PRId64, i, t.rising[i], p);
            rc = 0;
        }
    }
    if (verbose)
        fprintf(stderr, "  %u ticks, %d stepper%s: %s%s%s\n", ticks, steppers,
                steppers > 1 ? "s" : "", rc == 1 ? "completed" : "failed", rc == 1 ? "" : ": ",
                rc == 1 ? "" : t.reason);
out:
    link_mcu_close(l);
    return rc;
}

/* Lowest ticks that completes, between lo (assumed to fail) and hi. */
static int bisect(const char *spec, int steppers, unsigned lo, unsigned hi, int verbose,
                  unsigned *result)
{
    int r = run_trial(spec, steppers, hi, verbose);
    if (r < 0)
        return -1;
    if (!r) {
        fprintf(stderr, "bench: even %u ticks does not complete with %d steppers\n", hi, steppers);
        return -1;
    }
    while (hi - lo > 1) {
        unsigned mid = lo + (hi - lo) / 2;
        r = run_trial(spec, steppers, mid, verbose);
        if (r < 0)
            return -1;
        if (r)
            hi = mid;
        else
            lo = mid;
    }
    *result = hi;
    return 0;
}

static void bench_usage(FILE *f)
{
    fprintf(f, "usage: lockstep bench step-rate [--backend avr|native] [--firmware FILE.elf] "
               "[--quiet]\n"
               "                            [--trial STEPPERS TICKS]\n\n"
               "Klipper's step-rate benchmark on a simulated MCU: 60000 steps on one and on\n"
               "three steppers (step_pulse_ticks=32), bisecting the lowest step interval in\n"
               "MCU ticks that completes without a shutdown, with every step counted on the\n"
               "pins. Ends with the line:\n"
               "  step-rate avr atmega2560: 1 stepper N ticks, 3 steppers M ticks\n"
               "--trial runs one run at the given interval instead, and exits 0 if it completes.\n"
               "Klipper's published AVR figures are 102 and 486 ticks.\n");
}

static int bench_step_rate(int argc, char **argv)
{
    const char *backend = "avr", *firmware = NULL;
    int verbose = 1, trial_steppers = 0;
    unsigned trial_ticks = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            bench_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--backend") && i + 1 < argc) {
            backend = argv[++i];
        } else if (!strcmp(argv[i], "--firmware") && i + 1 < argc) {
            firmware = argv[++i];
        } else if (!strcmp(argv[i], "--trial") && i + 2 < argc) {
            trial_steppers = atoi(argv[++i]);
            trial_ticks = (unsigned)strtoul(argv[++i], NULL, 10);
            if (trial_steppers < 1 || trial_steppers > BENCH_STEPPERS || !trial_ticks) {
                fprintf(stderr, "bench step-rate: --trial takes STEPPERS (1-%d) and TICKS (> 0)\n",
                        BENCH_STEPPERS);
                return 2;
            }
        } else if (!strcmp(argv[i], "--quiet")) {
            verbose = 0;
        } else {
            fprintf(stderr, "bench step-rate: unexpected argument '%s'\n", argv[i]);
            bench_usage(stderr);
            return 2;
        }
    }
    char spec[1024];
    if (!strcmp(backend, "avr")) {
        if (firmware)
            snprintf(spec, sizeof(spec), "avr=%s", firmware);
        else
            snprintf(spec, sizeof(spec), "avr");
    } else if (!strcmp(backend, "native") && !firmware) {
        snprintf(spec, sizeof(spec), "native");
    } else {
        fprintf(stderr, "bench step-rate: backend must be avr (optionally with --firmware) or "
                        "native\n");
        return 2;
    }
    const char *mcu = !strcmp(backend, "avr") ? "atmega2560" : "native";
    if (trial_steppers) {
        int r = run_trial(spec, trial_steppers, trial_ticks, 1);
        return r == 1 ? 0 : 1;
    }
    unsigned one, three;
    if (verbose)
        fprintf(stderr, "step-rate benchmark on the simulated %s (%s):\n", mcu, backend);
    if (bisect(spec, 1, 1, 2000, verbose, &one) || bisect(spec, 3, 1, 4000, verbose, &three))
        return 1;
    printf("step-rate %s %s: 1 stepper %u ticks, 3 steppers %u ticks\n", backend, mcu, one, three);
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: lockstep bench NAME [OPTIONS]\n\nBenchmarks:\n"
                "  step-rate  Klipper's MCU step-rate benchmark on the simulated MCU\n"
                "  host       batch mode over a sliced print: steps/s, messages, memory\n"
                "  twin       a sliced print on the digital twin: speed against real time\n\n"
                "Run 'lockstep bench NAME --help' for its options.\n");
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "step-rate"))
        return bench_step_rate(argc - 1, argv + 1);
    if (!strcmp(argv[1], "host"))
        return bench_host(argc - 1, argv + 1);
    if (!strcmp(argv[1], "twin"))
        return bench_twin(argc - 1, argv + 1);
    fprintf(stderr, "bench: unknown benchmark '%s'\n", argv[1]);
    return 2;
}
