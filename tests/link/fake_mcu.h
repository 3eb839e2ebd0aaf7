/* The MCU side of the wire protocol, just enough to exercise the host:
 * acks and naks like Klipper's firmware, answers identify from a test
 * dictionary, get_clock / get_uptime from a clock the test sets, and
 * emergency_stop with a shutdown message. Every command it accepts is
 * logged as text, so tests can check exactly-once, in-order delivery. */
#ifndef LOCKSTEP_TESTS_FAKE_MCU_H
#define LOCKSTEP_TESTS_FAKE_MCU_H

#include <stddef.h>
#include <stdint.h>

#include "dict.h"

/* The dictionary the fake MCU serves, as JSON. */
extern const char fake_mcu_dict_json[];

typedef void (*fake_tx_fn)(void *ctx, const uint8_t *data, size_t len);

struct fake_mcu;

struct fake_mcu *fake_mcu_create(fake_tx_fn tx, void *ctx);
void fake_mcu_destroy(struct fake_mcu *f);
/* The sequence number the MCU expects next (Klipper's firmware starts at 0). */
void fake_mcu_set_expected_seq(struct fake_mcu *f, unsigned seq);
/* Clock value for replies sent by the following feed() calls. */
void fake_mcu_set_clock(struct fake_mcu *f, uint64_t clock);
void fake_mcu_feed(struct fake_mcu *f, const uint8_t *data, size_t len);

size_t fake_mcu_log_count(const struct fake_mcu *f);
const char *fake_mcu_log(const struct fake_mcu *f, size_t i);
unsigned fake_mcu_naks_sent(const struct fake_mcu *f);
unsigned fake_mcu_bad_blocks(const struct fake_mcu *f);
unsigned fake_mcu_duplicates(const struct fake_mcu *f);
const struct link_dict *fake_mcu_dict(const struct fake_mcu *f);

#endif
