/* How fast the motion models take step edges: one axis (motor, frame,
 * endstop) stepped through back-and-forth moves of the default printer.
 * Prints figures; not run by ctest. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "axis_model.h"
#include "motion_profile.h"

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long moves = argc > 1 ? atol(argv[1]) : 400;
    struct stepper_params sp;
    struct axis_params ap;
    stepper_params_default(&sp);
    axis_params_default(&ap);
    ap.start_position = 50;
    char err[200];
    struct stepper_model *m = stepper_model_create(&sp, err, sizeof(err));
    struct axis_model *a = m ? axis_model_create(&ap, m, err, sizeof(err)) : NULL;
    if (!a) {
        fprintf(stderr, "bench_motion: %s\n", err);
        return 1;
    }
    stepper_model_set_enable(m, 0, true);

    /* Step times first, so that only the models are timed. */
    struct profile p;
    long n = 100 * 80;
    profile_init(&p, n, 300 * 80, 3000 * 80);
    uint64_t *t = malloc(sizeof(*t) * (size_t)n);
    if (!t)
        return 1;
    for (long k = 1; k <= n; k++)
        t[k - 1] = (uint64_t)(profile_step_time(&p, k) * 16e6);
    uint64_t start = 1000, edges = 0;
    double t0 = seconds();
    for (long i = 0; i < moves; i++) {
        stepper_model_set_dir(m, start, i % 2 == 0);
        for (long k = 0; k < n; k++)
            if (axis_model_step(a, start + 160 + t[k]) < 0)
                return 1;
        edges += (uint64_t)n;
        start += 160 + t[n - 1] + 800000;
    }
    double took = seconds() - t0;
    struct stepper_report r;
    stepper_model_report(m, &r);
    printf("%llu step edges in %.3f s: %.1f M edges/s (%.1f ns each), %llu slips\n",
           (unsigned long long)edges, took, edges / took / 1e6, took / edges * 1e9,
           (unsigned long long)r.slips);
    free(t);
    axis_model_destroy(a);
    stepper_model_destroy(m);
    return 0;
}
