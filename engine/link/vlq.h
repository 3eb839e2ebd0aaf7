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

/* vlq_encode() in the header, for encoders that run once per step
 * command. Each length's range is tested with one unsigned compare: v
 * is in [lo, hi) exactly when v - lo, wrapped, is below hi - lo. The
 * positive limits are lower than a plain 7-bit split suggests because a
 * first byte with 0x60 set would be read back as negative. Right shifts
 * of negative values rely on GCC's arithmetic shift, which sign-fills
 * the top group of a five-byte value as the firmware's encoder does. */
static inline size_t vlq_put(uint8_t *out, int32_t v)
{
    uint32_t u = (uint32_t)v;
    if (u + 0x20u < 0x80u) {
        out[0] = (uint8_t)(u & 0x7f);
        return 1;
    }
    if (u + 0x1000u < 0x4000u) {
        out[0] = (uint8_t)(((u >> 7) & 0x7f) | 0x80);
        out[1] = (uint8_t)(u & 0x7f);
        return 2;
    }
    if (u + 0x80000u < 0x200000u) {
        out[0] = (uint8_t)(((u >> 14) & 0x7f) | 0x80);
        out[1] = (uint8_t)(((u >> 7) & 0x7f) | 0x80);
        out[2] = (uint8_t)(u & 0x7f);
        return 3;
    }
    if (u + 0x4000000u < 0x10000000u) {
        out[0] = (uint8_t)(((u >> 21) & 0x7f) | 0x80);
        out[1] = (uint8_t)(((u >> 14) & 0x7f) | 0x80);
        out[2] = (uint8_t)(((u >> 7) & 0x7f) | 0x80);
        out[3] = (uint8_t)(u & 0x7f);
        return 4;
    }
    out[0] = (uint8_t)(((v >> 28) & 0x7f) | 0x80);
    out[1] = (uint8_t)(((u >> 21) & 0x7f) | 0x80);
    out[2] = (uint8_t)(((u >> 14) & 0x7f) | 0x80);
    out[3] = (uint8_t)(((u >> 7) & 0x7f) | 0x80);
    out[4] = (uint8_t)(u & 0x7f);
    return 5;
}

#endif
