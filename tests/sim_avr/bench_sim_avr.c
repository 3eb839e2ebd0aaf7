/* Simulation speed of the simavr backend: simulated cycles per wall-clock
 * second on a program that never sleeps, one that mostly sleeps, and the
 * project's idle firmware. Usage: bench_sim_avr [CYCLES] (default 4M; the
 * figures quoted in reports use 40M). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim_mcu.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int bench(const char *label, const char *spec, uint64_t cycles)
{
    char err[256];
    struct sim_mcu *m = sim_mcu_create(spec, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "%s: %s\n", label, err);
        return 1;
    }
    double t0 = now_s();
    /* Chunks of 1 ms simulated, as a host driving the MCU would. */
    for (uint64_t c = 16000; c <= cycles; c += 16000)
        if (sim_mcu_run_until(m, c)) {
            fprintf(stderr, "%s: %s\n", label, sim_mcu_error(m));
            sim_mcu_destroy(m);
            return 1;
        }
    double dt = now_s() - t0;
    printf("%-34s %llu cycles in %.3f s: %.1f M cycles/s (%.1fx real time)\n", label,
           (unsigned long long)sim_mcu_cycle(m), dt, sim_mcu_cycle(m) / dt / 1e6,
           sim_mcu_cycle(m) / dt / 16e6);
    sim_mcu_destroy(m);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t cycles = argc > 1 ? strtoull(argv[1], NULL, 0) : 4000000;
    int rc = 0;
    rc |= bench("busy loop (never sleeps)", "avr=" BUSY_ELF, cycles);
    rc |= bench("1 kHz timer interrupt, else asleep", "avr=" SLEEPY_ELF, cycles);
    rc |= bench("project firmware, idle", "avr", cycles);
    return rc;
}
