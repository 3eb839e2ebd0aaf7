/* The MCU's clock as seen from the host: frequency and offset estimated
 * from clock queries (get_uptime / get_clock round trips).
 *
 * Each sample says: the MCU read its clock at some moment between
 * sent_ns (the request had reached it) and recv_ns (the reply was on its
 * way back), on the transport's clock. The estimate is a weighted least
 * squares line through the most recent samples, each placed at the middle
 * of its interval and weighted by 1/width^2, so that quick round trips
 * dominate and one that was held up somewhere barely counts. A sample
 * whose clock cannot lie on the current line anywhere within its
 * interval is refused; several refusals in a row mean the line itself is
 * wrong (the MCU restarted, say), and it starts over from the new sample.
 *
 * Until the samples span enough time to measure it, the frequency is the
 * dictionary's CLOCK_FREQ. With no samples at all (batch mode, where no
 * MCU answers) the clock is time x CLOCK_FREQ: the MCU clock started at
 * transport time 0, so print time and transport time are the same.
 *
 * Print time is the MCU clock in seconds at the nominal frequency, as in
 * Klipper: the engine plans in print time and converts to clocks with
 * the dictionary's CLOCK_FREQ; the estimate only ties print time to the
 * host's clock. */
#ifndef LOCKSTEP_LINK_CLOCKSYNC_H
#define LOCKSTEP_LINK_CLOCKSYNC_H

#include <stddef.h>
#include <stdint.h>

#define CLOCKSYNC_WINDOW 32     /* samples in the regression */
#define CLOCKSYNC_MAX_REFUSED 3 /* refusals in a row before starting over */

struct clocksync_stats {
    uint64_t accepted, refused, restarts;
};

struct clocksync;

/* nominal_freq: CLOCK_FREQ from the dictionary (must be > 0). */
struct clocksync *clocksync_create(uint32_t nominal_freq);
void clocksync_destroy(struct clocksync *cs);
/* Forget every sample (back to time x CLOCK_FREQ). */
void clocksync_reset(struct clocksync *cs);

/* Add one round trip. Returns 0 if taken, 1 if refused as an outlier,
 * -1 if recv_ns is before sent_ns. */
int clocksync_add(struct clocksync *cs, uint64_t sent_ns, uint64_t recv_ns, uint64_t clock);
size_t clocksync_samples(const struct clocksync *cs); /* in the window */
const struct clocksync_stats *clocksync_get_stats(const struct clocksync *cs);

uint32_t clocksync_nominal_freq(const struct clocksync *cs);
/* Estimated ticks per second of transport time. */
double clocksync_freq(const struct clocksync *cs);

/* The MCU clock at transport time t_ns (0 if that is before it started). */
uint64_t clocksync_est_clock(const struct clocksync *cs, uint64_t t_ns);
/* The first transport time at which the estimate reaches clock. */
uint64_t clocksync_clock_to_time(const struct clocksync *cs, uint64_t clock);

/* The most recent clock the MCU reported (0 before any sample). */
uint64_t clocksync_last_clock(const struct clocksync *cs);
/* Widen a 32-bit clock from the MCU to the 64-bit value nearest ref. */
uint64_t clocksync_clock32_to_64(uint64_t ref, uint32_t clock32);

double clocksync_clock_to_print_time(const struct clocksync *cs, uint64_t clock);
/* Rounded to the nearest tick; 0 for negative print times. */
uint64_t clocksync_print_time_to_clock(const struct clocksync *cs, double print_time);
/* Print time at transport time t_ns. */
double clocksync_est_print_time(const struct clocksync *cs, uint64_t t_ns);

#endif
