#include "crc16.h"

#include <string.h>

/* The host sends every byte of a batch through this, so it reads eight
 * bytes per step ("slicing by 8"): slice[k][b] is the checksum change of
 * byte b followed by k zero bytes. Eight tables of 256 entries (4 KiB)
 * cost nothing on the host; the firmware keeps its table-free loop. */
static uint16_t slice[8][256];

/* Built before main() so that no caller, on any thread, sees them half
 * filled and the hot loop needs no "ready yet?" test. */
__attribute__((constructor)) static void build_tables(void)
{
    for (unsigned b = 0; b < 256; b++) {
        uint16_t crc = (uint16_t)b;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
        slice[0][b] = crc;
    }
    for (int k = 1; k < 8; k++)
        for (unsigned b = 0; b < 256; b++) {
            uint16_t prev = slice[k - 1][b];
            slice[k][b] = (uint16_t)((prev >> 8) ^ slice[0][prev & 0xff]);
        }
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

uint16_t crc16_ccitt(const uint8_t *buf, size_t len)
{
    uint32_t crc = 0xffff;
    /* The register is 16 bits wide, so it only meets the first two of
     * each group of eight bytes; the other six enter through their own
     * tables. */
    for (; len >= 8; len -= 8, buf += 8) {
        uint64_t w = load_le64(buf) ^ crc;
        crc = (uint32_t)slice[7][w & 0xff] ^ slice[6][(w >> 8) & 0xff] ^
              slice[5][(w >> 16) & 0xff] ^ slice[4][(w >> 24) & 0xff] ^ slice[3][(w >> 32) & 0xff] ^
              slice[2][(w >> 40) & 0xff] ^ slice[1][(w >> 48) & 0xff] ^ slice[0][w >> 56];
    }
    for (; len; len--)
        crc = (crc >> 8) ^ slice[0][(crc ^ *buf++) & 0xff];
    return (uint16_t)crc;
}

/* Byte-at-a-time update without a table: what the firmware computes on an
 * 8-bit MCU where a 512-byte table would cost flash. */
uint16_t crc16_ccitt_bytewise(const uint8_t *buf, size_t len)
{
    uint16_t crc = 0xffff;
    for (size_t i = 0; i < len; i++) {
        uint8_t d = buf[i];
        d ^= (uint8_t)(crc & 0xff);
        d ^= (uint8_t)(d << 4);
        crc =
            (uint16_t)((((uint16_t)d << 8) | (crc >> 8)) ^ (uint8_t)(d >> 4) ^ ((uint16_t)d << 3));
    }
    return crc;
}
