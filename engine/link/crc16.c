#include "crc16.h"

/* Byte-at-a-time update without a table: the firmware computes the same
 * thing on an 8-bit MCU where a 512-byte table would cost flash. */
uint16_t crc16_ccitt(const uint8_t *buf, size_t len)
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
