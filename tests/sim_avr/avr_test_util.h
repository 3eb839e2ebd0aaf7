/* Shared by the simavr backend's tests: open a test program and record
 * what it does on its pins and its serial line. */
#ifndef LOCKSTEP_AVR_TEST_UTIL_H
#define LOCKSTEP_AVR_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "avr_internal.h"
#include "sim_mcu.h"

#define REC_MAX 8192

struct rec_pin {
    uint64_t cycle;
    unsigned pin;
    int level;
};

struct rec_uart {
    uint64_t cycle;
    uint8_t byte;
};

struct recorder {
    struct rec_pin pins[REC_MAX];
    size_t npins;
    struct rec_uart uart[REC_MAX];
    size_t nuart;
};

static inline void rec_pin_cb(void *ctx, uint64_t cycle, unsigned pin, int level)
{
    struct recorder *r = ctx;
    if (r->npins < REC_MAX)
        r->pins[r->npins++] = (struct rec_pin){cycle, pin, level};
}

static inline void rec_uart_cb(void *ctx, uint64_t cycle, uint8_t byte)
{
    struct recorder *r = ctx;
    if (r->nuart < REC_MAX)
        r->uart[r->nuart++] = (struct rec_uart){cycle, byte};
}

/* Opens "avr=elf" and records into r (which may be NULL). */
static inline struct sim_mcu *open_avr(const char *elf, struct recorder *r)
{
    char spec[1024], err[256];
    snprintf(spec, sizeof(spec), "avr=%s", elf);
    struct sim_mcu *m = sim_mcu_create(spec, err, sizeof(err));
    if (!m)
        fail_msg("cannot open %s: %s", elf, err);
    if (r) {
        memset(r, 0, sizeof(*r));
        sim_mcu_set_pin_watch(m, rec_pin_cb, r);
        sim_mcu_set_uart_rx(m, rec_uart_cb, r);
    }
    return m;
}

static inline void run_to(struct sim_mcu *m, uint64_t cycle)
{
    if (sim_mcu_run_until(m, cycle))
        fail_msg("simulation failed: %s", sim_mcu_error(m));
}

/* Runs until the program writes 0xAA at data address 0x20F (its "done"
 * marker) or limit cycles pass. */
static inline void run_until_done(struct sim_mcu *m, uint64_t limit)
{
    while (sim_avr_peek(m, 0x20F) != 0xAA) {
        uint64_t now = sim_mcu_cycle(m);
        if (now >= limit)
            fail_msg("program did not finish within %llu cycles", (unsigned long long)limit);
        run_to(m, now + 10000);
    }
}

#endif
