/* The longest queue_step that matches a stretch of exact step times.
 *
 * A queue_step (interval I, count n, add A) after a step at clock L puts
 * its k-th step (0 <= k < n) at q(k) = L + (k+1)I + A k(k+1)/2. Step k of
 * the stretch, exactly due at T(k), may run at q(k) only if
 *   |q(k) - T(k)| <= E                                       (the window)
 *   q(k) - q(k-1) >= max(1, (T(k) - T(k-1)) / 2)             (the spacing)
 * where q(-1) = L and T(-1) is the exact time of that previous step. The
 * spacing rule keeps a step from ever coming sooner than half its exact
 * gap after the one before, so a window wider than the gaps (fast steps)
 * cannot bunch steps up; it only binds where the gap is under 4E.
 *
 * For a fixed A every step k bounds I from both sides:
 *   S-(k) <= I <= S+(k),  S+-(k) = (T(k) - L - A k(k+1)/2 +- E) / (k+1)
 * and n steps fit while the running max of the lower bounds stays below
 * the running min of the upper ones (in integers). Commands are cut
 * greedily, each as long as the search below finds; of equally long ones the
 * one whose last step is latest wins, since the next command then starts
 * from the far side of its window (searched for among short commands,
 * where it counts; see stepfit.c).
 *
 * First, every pair of the first steps' windows bounds the add from one
 * side (the upper line of one step must stay above the lower line of
 * the other); once those bounds cross, no add fits that many steps. For
 * most commands, which are short, this gives both the add to try first
 * (near the top of the range, for the tie-break) and the most steps any
 * add can fit, so that one try usually settles the command. Beyond what
 * the pairs bound, the add starts from a prediction, T'' where the
 * command is expected to bend (stepfit.c). From there it is searched
 * towards the add the failing step asks for, with an estimate of how
 * far, and only among the adds that can still fit as many steps as every
 * add tried (the pairs' range, stepfit_add_reach, and the range each
 * failing step leaves). How many steps one add reaches is
 * found in one of two ways: for the first FIT_DIRECT_STEPS steps by
 * computing their times once and shifting precomputed bounds
 * (stepfit_direct.c): near a standstill a command covers a handful of
 * steps and nothing is cheaper; longer commands (and those starting on
 * a long smooth piece) from the closed form of the pieces, locating the
 * few turning points of S+- with Newton steps, so that their cost grows
 * with the log of their length (stepfit_closed.c). */
#ifndef LOCKSTEP_STEPS_STEPFIT_H
#define LOCKSTEP_STEPS_STEPFIT_H

#include <stdint.h>

#include "stepseg.h"

#define FIT_MAX_INTERVAL (1 << 30) /* well inside the MCU's 2^31 clock comparisons */
#define FIT_MAX_COUNT 65535
/* Commands up to this long are found from their steps' times directly;
 * stepfit_best() asks for the rest of the run only beyond it. */
#define FIT_DIRECT_STEPS 128

/* One closed-form piece of the stretch, in the command's own indices:
 * steps ka .. ka+n-1, times relative to L. */
struct fit_piece {
    uint8_t kind; /* SEG_CRUISE: T(k) = off + g*k; SEG_ACCEL: off + tau(u0 + k) */
    uint32_t ka, n;
    double off, g;   /* cruise */
    double u0, v, a; /* accel */
    double ia;       /* accel: 1/a if fast (see stepseg.h), else 0 */
    /* filled by the fit */
    uint8_t prepared, rule_in, rule_cross;
    double Ta, T1a, T2a, Tb, T1b, T2b, Ta1, Tbefore;
};

struct fit_input {
    struct fit_piece *p;
    int np;
    uint32_t total;             /* steps in all pieces, <= FIT_MAX_COUNT */
    double E;                   /* window, ticks */
    double t_prev;              /* exact time of the step at L, relative to L */
    int cut;                    /* more steps follow in the run than the pieces hold */
    uint32_t first_piece_steps; /* in the first piece, counting those beyond the cut */
    /* Called again after want_more: the first steps are known to fit with
     * add resume_add, so only the closed form is left to search. */
    int resume, resume_add;
};

struct fit_result {
    int64_t interval;
    int32_t add;
    uint32_t count; /* 0 if not even the first step fits (never for sane input) */
    int want_more;  /* cut input, all of which fits with add: call again with the whole run */
};

void stepfit_best(struct fit_input *in, struct fit_result *out);

/* How far, in whole adds, an add can be from one that keeps steps
 * 0..n-1 of a stretch within a window of +-E and still keep them all
 * there (with any interval): no add further away fits as many steps, so
 * the search for the add never looks there. -1: no bound (n < 2). */
int stepfit_add_reach(double E, uint32_t n);

/* Counters for benchmarks (per thread; not needed for correctness):
 * fits, and adds tried in them. */
struct stepfit_stats {
    uint64_t fits, fitA;
};
extern _Thread_local struct stepfit_stats stepfit_stats;

#endif
