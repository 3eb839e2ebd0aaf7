/* The block checksum of Klipper's wire protocol: CRC-16/CCITT in its
 * reflected form (polynomial 0x8408), initial value 0xffff, no final xor
 * (also known as CRC-16/MCRF4XX). Sent high byte first. */
#ifndef LOCKSTEP_LINK_CRC16_H
#define LOCKSTEP_LINK_CRC16_H

#include <stddef.h>
#include <stdint.h>

uint16_t crc16_ccitt(const uint8_t *buf, size_t len);

/* The firmware's table-free byte-at-a-time form, kept as the reference the
 * table-driven crc16_ccitt() is tested against. */
uint16_t crc16_ccitt_bytewise(const uint8_t *buf, size_t len);

#endif
