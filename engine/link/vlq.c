#include "vlq.h"

/* Thresholds at which one more leading 7-bit group is needed. The
 * positive limits are lower than a plain 7-bit split suggests because a
 * first byte with 0x60 set would be read back as negative. Right shifts
 * of negative values rely on GCC's arithmetic shift, which keeps the
 * emitted bytes identical to the firmware's encoder. */
size_t vlq_size(int32_t v)
{
    if (v >= 0xc000000 || v < -0x4000000)
        return 5;
    if (v >= 0x180000 || v < -0x80000)
        return 4;
    if (v >= 0x3000 || v < -0x1000)
        return 3;
    if (v >= 0x60 || v < -0x20)
        return 2;
    return 1;
}

size_t vlq_encode(uint8_t *out, int32_t v)
{
    size_t n = vlq_size(v), i = 0;
    for (size_t group = n - 1; group > 0; group--)
        out[i++] = (uint8_t)(((v >> (7 * group)) & 0x7f) | 0x80);
    out[i++] = (uint8_t)(v & 0x7f);
    return i;
}

int vlq_decode(const uint8_t *buf, size_t len, size_t *pos, uint32_t *out)
{
    size_t p = *pos;
    if (p >= len)
        return -1;
    uint8_t c = buf[p++];
    uint32_t v = c & 0x7f;
    if ((c & 0x60) == 0x60)
        v |= 0xffffffe0u;
    for (int n = 1; c & 0x80; n++) {
        if (n >= VLQ_MAX_BYTES || p >= len)
            return -1;
        c = buf[p++];
        v = (v << 7) | (c & 0x7f);
    }
    *pos = p;
    *out = v;
    return 0;
}
