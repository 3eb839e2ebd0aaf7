/* libFuzzer harness for the firmware's receive path: the native build of
 * the firmware, fed arbitrary bytes as if from the serial line.
 *
 * The first input byte picks a mode. Raw mode sends the rest as is, which
 * exercises framing and resynchronisation. Framed mode cuts the rest into
 * length-prefixed chunks and wraps each in a valid block (right sequence,
 * right CRC), so the fuzzer reaches command dispatch and the handlers.
 * Whatever arrives, the firmware must neither crash nor touch memory it
 * does not own (ASan/UBSan watch that). */
#include <stddef.h>
#include <stdint.h>

#include "native_mcu.h"

uint16_t command_crc16(const uint8_t *buf, uint_fast8_t len);

static uint64_t step_cycles = 640; /* one byte on the wire at 250000 baud */

static void send_byte(uint8_t b)
{
    native_mcu_uart_rx(b);
    native_mcu_run_until(native_mcu_cycle() + step_cycles);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct native_mcu_hooks hooks = {0};
    if (native_mcu_open(&hooks))
        return 0;
    native_mcu_run_until(16000);
    if (size && (data[0] & 1)) {
        size_t pos = 1;
        uint8_t seq = 0;
        while (pos < size) {
            size_t n = data[pos++] % 60;
            if (n > size - pos)
                n = size - pos;
            uint8_t blk[64];
            blk[0] = n + 5;
            blk[1] = 0x10 | (seq++ & 0x0f);
            for (size_t i = 0; i < n; i++)
                blk[2 + i] = data[pos + i];
            pos += n;
            uint16_t crc = command_crc16(blk, n + 2);
            blk[n + 2] = crc >> 8;
            blk[n + 3] = crc;
            blk[n + 4] = 0x7e;
            for (size_t i = 0; i < n + 5; i++)
                send_byte(blk[i]);
        }
    } else {
        for (size_t i = 1; i < size; i++)
            send_byte(data[i]);
    }
    /* Let timers that commands set up run for a simulated tenth of a second. */
    native_mcu_run_until(native_mcu_cycle() + 1600000);
    native_mcu_close();
    return 0;
}
