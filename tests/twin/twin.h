/* Harness for the digital-twin integration tests: one simulated MCU
 * (avr or native) behind the host link, with every output pin edge and
 * every decoded message recorded with the cycle it happened at. */
#ifndef LOCKSTEP_TEST_TWIN_H
#define LOCKSTEP_TEST_TWIN_H

#include <stddef.h>
#include <stdint.h>

#include "mcu_link.h"
#include "msg.h"
#include "sim_mcu.h"

/* Pin numbers: (port letter - 'A') * 8 + bit. */
#define TWIN_PIN(port, bit) (((port) - 'A') * 8 + (bit))
#define PIN_PF0 TWIN_PIN('F', 0)
#define PIN_PF1 TWIN_PIN('F', 1)
#define PIN_PB4 TWIN_PIN('B', 4)
#define PIN_PE5 TWIN_PIN('E', 5)
#define PIN_PK5 TWIN_PIN('K', 5)
#define TWIN_NPINS (12 * 8)

struct twin_edge {
    uint64_t cycle;
    uint32_t pin;
    uint32_t level;
};

struct twin_msg {
    uint64_t cycle; /* when the block carrying it had arrived */
    struct msg_params p;
    char text[256];
};

struct twin {
    const char *backend;
    int is_avr;
    struct sim_mcu *m;
    struct link_mcu *l;
    uint32_t freq;
    /* Cycle at which the MCU's clock read 0: 0 on the native build, the
     * start of Timer1 on the AVR. MCU clock = cycle - origin. */
    uint64_t origin;
    struct twin_edge *edges; /* changes of level, in order */
    size_t nedges, edgecap;
    uint8_t level[TWIN_NPINS]; /* as last reported; all low at reset */
    /* Reports of a pin's level that did not change it (not recorded). */
    size_t nonchanges;
    struct twin_msg *msgs;
    size_t nmsgs, msgcap;
};

/* Create the MCU, connect (identify), find the clock origin and check it
 * against a get_clock answer. Fails the test on any error. */
struct twin *twin_open(const char *backend);
void twin_close(struct twin *t);
/* cmocka teardown: close whatever a (failed) test left open. */
int twin_teardown(void **state);

/* Send a command built like printf; fails the test if it does not encode. */
void twin_send(struct twin *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Send a command and wait for the named response. */
void twin_query(struct twin *t, const char *resp, struct msg_params *out, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Integer parameter of a message by name (fails the test if absent). */
int64_t twin_param(const struct msg_params *p, const char *name);

/* Let the link (and the MCU) run. */
void twin_run_cycles(struct twin *t, uint64_t cycles);
void twin_run_ms(struct twin *t, unsigned ms);
/* Run until the MCU's cycle counter reaches at least cycle. */
void twin_run_to_cycle(struct twin *t, uint64_t cycle);
/* Wait until everything sent is acknowledged. */
void twin_wait_acked(struct twin *t);

/* The MCU clock from get_clock (32 bits, tests stay far from a wrap). */
uint32_t twin_get_clock(struct twin *t);
/* Cycle of an MCU clock value near now, and back. */
uint64_t twin_clock_to_cycle(const struct twin *t, uint32_t clock);
uint32_t twin_cycle_to_clock(const struct twin *t, uint64_t cycle);

/* Index of the first recorded message named name at or after from, or -1. */
long twin_find_msg(const struct twin *t, size_t from, const char *name);
size_t twin_count_msgs(const struct twin *t, const char *name);
/* Print recorded messages (for diagnosing a failure). */
void twin_dump_msgs(const struct twin *t);

/* Edges of one pin to one level (level < 0: both), at or after cycle from. */
size_t twin_pin_edges(const struct twin *t, unsigned pin, int level, uint64_t from, uint64_t *out,
                      size_t cap);
/* The pin's level just before cycle (low before its first change). */
int twin_pin_level_before(const struct twin *t, unsigned pin, uint64_t cycle);

/* FNV-1a over the edge records (cycle, pin, level). */
uint64_t twin_hash_edges(const struct twin *t);

/* Backends the tests run on, from the command line ("avr", "native"). */
extern const char *twin_backend;

#endif
