/* Step generation + compression speed on a synthetic print: short moves
 * (0.5-5 mm) planned with junction speeds at 5000 mm/s^2, 100-300 mm/s,
 * extrusion with retractions and layer changes, on a corexy and on a
 * cartesian printer (80 steps/mm on x/y, 400 on z, 415 on e); then, for
 * comparison, a corexy print of longer moves (5-50 mm at 40-150 mm/s,
 * like infill and perimeters). Prints steps/s, queue_step messages and
 * steps per message, and the message count of the per-step greedy
 * oracle on a part of the same print.
 *
 *   bench_steps [MSTEPS [THREADS...]]   (default 30 M steps; threads 0 1) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oracle.h"
#include "ref_steps.h"
#include "stepfit.h"
#include "stepgen.h"
#include "steps_check.h"
#include "synth.h"

#define FREQ 16000000.0

struct counter {
    uint64_t queue_steps, messages, steps;
};

static void count_sink(void *ctx, const struct step_cmd *c)
{
    struct counter *k = ctx;
    k->messages++;
    if (c->kind == STEP_CMD_QUEUE_STEP) {
        k->queue_steps++;
        k->steps += c->count;
    }
}

struct printer {
    const char *name;
    int workload; /* 0: the print described above; 1: long moves; 2: tiny moves */
    enum stepkin kin[4];
    double step_distance[4];
    double start[4]; /* stepper positions at the synthetic start (100, 100, 0.2, 0) */
};

static const struct printer printers[] = {
    {"corexy",
     0,
     {STEPKIN_COREXY_A, STEPKIN_COREXY_B, STEPKIN_CARTESIAN_Z, STEPKIN_EXTRUDER},
     {0.0125, 0.0125, 0.0025, 1.0 / 415},
     {200, 0, 0.2, 0}},
    {"cartesian",
     0,
     {STEPKIN_CARTESIAN_X, STEPKIN_CARTESIAN_Y, STEPKIN_CARTESIAN_Z, STEPKIN_EXTRUDER},
     {0.0125, 0.0125, 0.0025, 1.0 / 415},
     {100, 100, 0.2, 0}},
    {"corexy, long moves",
     1,
     {STEPKIN_COREXY_A, STEPKIN_COREXY_B, STEPKIN_CARTESIAN_Z, STEPKIN_EXTRUDER},
     {0.0125, 0.0125, 0.0025, 1.0 / 415},
     {200, 0, 0.2, 0}},
    {"corexy, tiny moves",
     2,
     {STEPKIN_COREXY_A, STEPKIN_COREXY_B, STEPKIN_CARTESIAN_Z, STEPKIN_EXTRUDER},
     {0.0125, 0.0125, 0.0025, 1.0 / 415},
     {200, 0, 0.2, 0}},
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static struct stepgen *make(const struct printer *p, unsigned threads, struct counter *k)
{
    char err[256];
    struct stepgen_config c = {threads, 0};
    struct stepgen *sg = stepgen_create(&c, err, sizeof(err));
    if (!sg) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    for (int i = 0; i < 4; i++) {
        struct stepgen_stepper_config s;
        memset(&s, 0, sizeof(s));
        s.name = "bench";
        s.oid = (uint8_t)i;
        stepkin_coefficients(p->kin[i], s.coef);
        s.step_distance = p->step_distance[i];
        s.mcu_freq = FREQ;
        s.sink = count_sink;
        s.sink_ctx = &k[i];
        if (stepgen_add_stepper(sg, &s, err, sizeof(err)) < 0 ||
            stepgen_set_position(sg, i, p->start[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "%s\n", err);
            exit(1);
        }
    }
    return sg;
}

/* Feed the print the way an engine does: flushing now and then up to a
 * little behind the newest move. */
static double run(const struct printer *p, const struct synth_moves *mv, size_t nmoves,
                  unsigned threads, struct counter *k)
{
    memset(k, 0, 4 * sizeof(*k));
    struct stepgen *sg = make(p, threads, k);
    char err[256];
    double t0 = now();
    for (size_t i = 0; i < nmoves; i++) {
        if (stepgen_add_move(sg, &mv->v[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "move %zu: %s\n", i, err);
            exit(1);
        }
        if (i % 2048 == 2047 &&
            stepgen_flush(sg, mv->v[i].print_time - 0.5, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s\n", err);
            exit(1);
        }
    }
    if (stepgen_flush(sg, INFINITY, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    double dt = now() - t0;
    stepgen_destroy(sg);
    return dt;
}

int main(int argc, char **argv)
{
    double msteps = argc > 1 ? atof(argv[1]) : 30;
    unsigned threads[8] = {0, 1};
    int nthreads = 2;
    if (argc > 2) {
        nthreads = 0;
        for (int i = 2; i < argc && nthreads < 8; i++)
            threads[nthreads++] = (unsigned)atoi(argv[i]);
    }
    for (size_t pi = 0; pi < sizeof(printers) / sizeof(printers[0]); pi++) {
        const struct printer *p = &printers[pi];
        struct synth_config c;
        synth_default(&c, 42);
        if (p->workload == 1) {
            c.d_min = 5;
            c.d_max = 50;
            c.v_min = 40;
            c.v_max = 150;
            c.retract_every = 10;
            c.layer_every = 100;
        }
        if (p->workload == 2) {
            /* curves sliced into 0.05-0.3 mm segments, as in vase mode */
            c.d_min = 0.05;
            c.d_max = 0.3;
            c.v_min = 20;
            c.v_max = 60;
            c.retract_every = 0;
            c.layer_every = 2000;
        }
        struct synth_moves mv = {0};
        /* enough moves for the step total */
        struct counter k[4];
        size_t chunk = 20000;
        uint64_t total = 0;
        while (total < msteps * 1e6 && (p->workload != 2 || mv.n < 200000)) {
            synth_generate(&c, chunk, &mv);
            c.seed++;
            run(p, &mv, mv.n, 0, k);
            total = k[0].steps + k[1].steps + k[2].steps + k[3].steps;
        }
        printf("%s: %zu moves, %.1f s of printing, %.2f M steps (a %.2f M, b %.2f M, z %.3f M, e "
               "%.2f M)\n",
               p->name, mv.n, mv.end_time, total / 1e6, k[0].steps / 1e6, k[1].steps / 1e6,
               k[2].steps / 1e6, k[3].steps / 1e6);
        for (int ti = 0; ti < nthreads; ti++) {
            stepfit_stats = (struct stepfit_stats){0, 0};
            double best = 1e30;
            for (int rep = 0; rep < 3; rep++) {
                double dt = run(p, &mv, mv.n, threads[ti], k);
                if (dt < best)
                    best = dt;
            }
            uint64_t q = 0, msgs = 0;
            for (int i = 0; i < 4; i++) {
                q += k[i].queue_steps;
                msgs += k[i].messages;
            }
            printf("  %u extra thread(s): %.3f s, %.1f M steps/s, %.2f M moves/s; %llu queue_step "
                   "(%llu messages), %.1f steps per queue_step\n",
                   threads[ti], best, total / best / 1e6, mv.n / best / 1e6, (unsigned long long)q,
                   (unsigned long long)msgs, (double)total / q);
            if (threads[ti] == 0 && stepfit_stats.fits)
                printf("    per fit: %.2f adds tried\n",
                       (double)stepfit_stats.fitA / stepfit_stats.fits);
        }
        /* The oracle on the first part of the same print. */
        size_t sub = mv.n < 6000 ? mv.n : 6000;
        struct ref_steps rs[4] = {{0}};
        struct ref_stepper ref[4];
        for (int i = 0; i < 4; i++) {
            memset(&ref[i], 0, sizeof(ref[i]));
            stepkin_coefficients(p->kin[i], ref[i].coef);
            ref[i].step_distance = p->step_distance[i];
            ref[i].freq = FREQ;
            ref_set_position(&ref[i], p->start[i]);
        }
        for (size_t m = 0; m < sub; m++)
            for (int i = 0; i < 4; i++)
                ref_move(&ref[i], &mv.v[m], &rs[i]);
        uint64_t oq = 0, sq = 0, ssteps = 0;
        for (int i = 0; i < 4; i++) {
            struct cmd_log ol = {0};
            struct oracle_config oc = {(uint8_t)i, 0, 25e-6 * FREQ};
            oracle_compress(&oc, &rs[i], &ol);
            oq += cmd_log_count(&ol, STEP_CMD_QUEUE_STEP);
            ssteps += rs[i].n;
            cmd_log_free(&ol);
            ref_free(&rs[i]);
        }
        struct counter ks[4];
        memset(ks, 0, sizeof(ks));
        struct stepgen *sg = make(p, 0, ks);
        char err[256];
        for (size_t m = 0; m < sub; m++)
            stepgen_add_move(sg, &mv.v[m], err, sizeof(err));
        stepgen_flush(sg, INFINITY, err, sizeof(err));
        stepgen_destroy(sg);
        for (int i = 0; i < 4; i++)
            sq += ks[i].queue_steps;
        printf("  first %zu moves (%.2f M steps): %llu queue_step, per-step greedy oracle %llu "
               "(%+.2f%%)\n",
               sub, ssteps / 1e6, (unsigned long long)sq, (unsigned long long)oq,
               100.0 * ((double)sq - (double)oq) / (double)oq);
        synth_free(&mv);
    }
    return 0;
}
