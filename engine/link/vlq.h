/* Klipper's variable-length quantity: a 32-bit value in 1..5 bytes,
 * seven bits per byte, most significant group first. Small negative
 * numbers stay short because the first byte's bits 5-6 both set means
 * "sign-extend". */
#ifndef LOCKSTEP_LINK_VLQ_H
#define LOCKSTEP_LINK_VLQ_H

#include <stddef.h>
#include <stdint.h>

#define VLQ_MAX_BYTES 5

/* Bytes vlq_encode() writes for v (1..5). */
size_t vlq_size(int32_t v);
/* Write v to out (room for VLQ_MAX_BYTES); returns the byte count. An
 * unsigned value above INT32_MAX is passed as its int32_t bit pattern. */
size_t vlq_encode(uint8_t *out, int32_t v);
/* Read one value from buf[*pos..len), advancing *pos. The result is the
 * 32-bit pattern; the caller interprets it per parameter type. Returns
 * 0, or -1 if the input ends mid-value or runs past five bytes. */
int vlq_decode(const uint8_t *buf, size_t len, size_t *pos, uint32_t *out);

#endif
