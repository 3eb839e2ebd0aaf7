/* A byte-level window on the native firmware for tests: send raw bytes
 * or framed commands, run the clock, and read back every block the MCU
 * sent (acks included) decoded to text. */
#ifndef LOCKSTEP_TEST_FW_WIRE_H
#define LOCKSTEP_TEST_FW_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "dict.h"
#include "frame.h"
#include "sim_mcu.h"

#define FW_MAX_LINES 256

struct fw_wire {
    struct sim_mcu *mcu;
    struct link_dict *dict;
    struct frame_parser parser;
    unsigned seq;
    /* "ack N" for empty blocks, decoded text otherwise. */
    char *lines[FW_MAX_LINES];
    size_t nlines;
};

struct fw_wire *fw_open(void);
void fw_close(struct fw_wire *w);
void fw_send_raw(struct fw_wire *w, const uint8_t *data, size_t len);
/* Frame content with the next sequence number and send it. */
void fw_send_content(struct fw_wire *w, const uint8_t *content, size_t len);
/* Encode text with the dictionary, frame it, send it. */
void fw_send(struct fw_wire *w, const char *text);
/* Run the MCU for that many milliseconds of its clock. */
void fw_run_ms(struct fw_wire *w, unsigned ms);
/* Index of the first line starting with prefix at or after from, or -1. */
int fw_find(const struct fw_wire *w, size_t from, const char *prefix);
size_t fw_count(const struct fw_wire *w, const char *prefix);
void fw_clear(struct fw_wire *w);
void fw_dump(const struct fw_wire *w);

#endif
