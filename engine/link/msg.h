/* Messages: a VLQ id followed by VLQ parameters, several to a block.
 *
 * Text form, as the console reads and prints it:
 *   queue_step oid=0 interval=1000 count=100 add=-3
 *   config_stepper oid=0 step_pin=PA5 dir_pin=PA6 invert_step=0 step_pulse_ticks=32
 * Parameters come in any order and all must be given. Integers are
 * decimal or 0x-hex; enumerated parameters take names only (quoted if a
 * name has blanks); buffers take a double-quoted string with C escapes
 * (\n \t \r \0 \\ \" \xNN) or a bare word. */
#ifndef LOCKSTEP_LINK_MSG_H
#define LOCKSTEP_LINK_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "dict.h"
#include "frame.h"

/* One message's parameters, self-contained (buffers are copied in), so
 * it can outlive the block it came from. */
struct msg_params {
    const struct msg_format *fmt;
    uint32_t v[MSG_MAX_PARAMS];  /* integer bit patterns; buffer lengths */
    uint8_t off[MSG_MAX_PARAMS]; /* buffer start in data */
    uint8_t data[FRAME_MAX];
    size_t datalen;
};

/* A parameter as a number of its declared type (sign-extended for %hi
 * and %i, truncated to its width for %c and %hu). */
int64_t msg_param_int(const struct msg_params *p, size_t i);
const uint8_t *msg_param_buf(const struct msg_params *p, size_t i, size_t *len);
/* Index of the parameter with this name, or -1. */
int msg_param_index(const struct msg_params *p, const char *name);
/* Returns 0 and the value, or -1 if absent or a buffer. */
int msg_get_int(const struct msg_params *p, const char *name, int64_t *value);

/* Start filling p for fmt (all zero). */
void msg_params_init(struct msg_params *p, const struct msg_format *fmt);
/* Set buffer parameter i; returns -1 if p has no room left. */
int msg_params_set_buf(struct msg_params *p, size_t i, const void *data, size_t len);

/* Encode id and parameters into out; returns the length, or -1 if it
 * exceeds cap (a message must fit in FRAME_MAX_CONTENT to be sent). */
int msg_encode(const struct msg_params *p, uint8_t *out, size_t cap);

/* Parse a text command against the dictionary's commands and encode it.
 * Returns the length, or -1 with a message in err. */
int msg_encode_text(const struct link_dict *d, const char *text, uint8_t *out, size_t cap,
                    char *err, size_t errlen);
/* The same, stopping after the parse: fills p. */
int msg_parse_text(const struct link_dict *d, const char *text, struct msg_params *p, char *err,
                   size_t errlen);

/* Decode the message at data[*pos] (a response or output message) and
 * advance *pos. Returns 0, or -1 with a message in err (unknown id,
 * truncated parameter); the rest of that block cannot be trusted then. */
int msg_decode(const struct link_dict *d, const uint8_t *data, size_t len, size_t *pos,
               struct msg_params *p, char *err, size_t errlen);
/* The same for a command (what the host sends), as in a batch output
 * file or a capture of the host's side of the wire. */
int msg_decode_command(const struct link_dict *d, const uint8_t *data, size_t len, size_t *pos,
                       struct msg_params *p, char *err, size_t errlen);
/* Decode a message known to be fmt (id already consumed). */
int msg_decode_params(const struct msg_format *fmt, const uint8_t *data, size_t len, size_t *pos,
                      struct msg_params *p, char *err, size_t errlen);

/* Render as text: "name a=1 pin=PA3 data=\"..\"" for responses and
 * commands, the filled-in printf format for output messages. Returns the
 * length it needed, like snprintf. */
int msg_format_text(const struct msg_params *p, char *out, size_t cap);

#endif
