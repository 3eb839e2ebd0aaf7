#include "vlq.h"

/* The thresholds of vlq_put(), as signed ranges. */
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
    return vlq_put(out, v);
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
