/* The simavr backend seen through sim_mcu.h: pin edges, the serial line's
 * timing, analog and digital inputs, determinism, crashes and load
 * errors, on small purpose-written programs. */
#include "avr_test_util.h"

#include <unistd.h>

static struct recorder rec, rec2;

/* Pin edges at exactly the cycles pins.S documents. */
static void pins_schedule(void **state)
{
    (void)state;
    struct sim_mcu *m = open_avr(PINS_ELF, &rec);
    run_until_done(m, 100000);
    struct rec_pin expect[32] = {
        {3, 15, 1},  {6, 15, 0},  {7, 15, 1},  {9, 15, 0},  {11, 15, 1},
        {13, 15, 0}, {14, 15, 1}, {18, 88, 1}, {18, 90, 1},
    };
    size_t n = 9;
    for (int k = 0; k < 10; k++)
        expect[n++] = (struct rec_pin){23 + 4 * (uint64_t)k, 3, !(k & 1)};
    assert_int_equal(rec.npins, n);
    for (size_t i = 0; i < n; i++) {
        if (rec.pins[i].cycle != expect[i].cycle || rec.pins[i].pin != expect[i].pin ||
            rec.pins[i].level != expect[i].level)
            fail_msg("edge %zu: pin %u -> %d at %llu, expected pin %u -> %d at %llu", i,
                     rec.pins[i].pin, rec.pins[i].level, (unsigned long long)rec.pins[i].cycle,
                     expect[i].pin, expect[i].level, (unsigned long long)expect[i].cycle);
    }
    sim_mcu_destroy(m);
}

static size_t count_pin(const struct recorder *r, unsigned pin, uint64_t from, uint64_t *out,
                        size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->npins; i++)
        if (r->pins[i].pin == pin && r->pins[i].cycle >= from && n < max)
            out[n++] = r->pins[i].cycle;
    return n;
}

/* MCU -> host: bytes written back to back leave one per 640 cycles. */
static void uart_tx_back_to_back(void **state)
{
    (void)state;
    struct sim_mcu *m = open_avr(ECHO_ELF, &rec);
    assert_int_equal(sim_mcu_baud(m), 250000);
    assert_int_equal(sim_mcu_byte_cycles(m), 640);
    run_to(m, 20000);
    assert_int_equal(sim_mcu_baud(m), 250000);
    assert_int_equal(rec.nuart, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(rec.uart[i].byte, 'A' + i);
        if (i)
            assert_int_equal(rec.uart[i].cycle - rec.uart[i - 1].cycle, 640);
    }
    /* The first byte's stop bit ends 640 cycles after UDR0 is written,
     * early in main() (after the C runtime's start-up). */
    assert_in_range(rec.uart[0].cycle, 640, 640 + 1000);
    sim_mcu_destroy(m);
}

/* Host -> MCU: each byte's RX interrupt comes at its stop bit's end (plus
 * the same fixed interrupt latency for every byte); the echo leaves at
 * the baud rate. */
static void uart_echo_timing(void **state)
{
    (void)state;
    struct sim_mcu *m = open_avr(ECHO_ELF, &rec);
    run_to(m, 21000);
    size_t base = rec.nuart;
    uint64_t t0 = sim_mcu_cycle(m);
    sim_mcu_uart_send(m, (const uint8_t *)"hello", 5);
    run_to(m, t0 + 10000);
    uint64_t edges[8];
    assert_int_equal(count_pin(&rec, 15, t0, edges, 8), 5);
    uint64_t latency = edges[0] - (t0 + 640);
    assert_in_range(latency, 10, 60);
    for (int k = 0; k < 5; k++)
        assert_int_equal(edges[k] - (t0 + 640 * (uint64_t)(k + 1)), latency);
    assert_int_equal(rec.nuart - base, 5);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(rec.uart[base + k].byte, "hello"[k]);
        if (k)
            assert_int_equal(rec.uart[base + k].cycle - rec.uart[base + k - 1].cycle, 640);
    }
    assert_in_range(rec.uart[base].cycle - (t0 + 640), 640, 640 + 200);
    sim_mcu_destroy(m);
}

/* A long burst at full speed: nothing delayed beyond the wire, nothing lost. */
static void uart_burst_not_lost(void **state)
{
    (void)state;
    struct sim_mcu *m = open_avr(ECHO_ELF, &rec);
    run_to(m, 21000);
    size_t base = rec.nuart;
    uint8_t msg[60];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 37 + 1);
    uint64_t t0 = sim_mcu_cycle(m);
    sim_mcu_uart_send(m, msg, sizeof(msg));
    run_to(m, t0 + 640 * (sizeof(msg) + 4));
    assert_int_equal(sim_mcu_uart_pending(m), 0);
    assert_int_equal(rec.nuart - base, sizeof(msg));
    for (size_t i = 0; i < sizeof(msg); i++) {
        assert_int_equal(rec.uart[base + i].byte, msg[i]);
        /* Back to back unless the timer interrupt delays an echo. */
        if (i)
            assert_in_range(rec.uart[base + i].cycle - rec.uart[base + i - 1].cycle, 640, 800);
    }
    /* The last echo leaves right after the last byte came in. */
    assert_in_range(rec.uart[base + sizeof(msg) - 1].cycle - (t0 + 640 * sizeof(msg)), 640, 1000);
    assert_int_equal(sim_avr_rx_overruns(m), 0);
    sim_mcu_destroy(m);
}

/* The baud rate follows the firmware's UBRR0. */
static void uart_baud_from_ubrr(void **state)
{
    (void)state;
    struct sim_mcu *m = open_avr(ECHO500K_ELF, &rec);
    run_to(m, 20000);
    assert_int_equal(sim_mcu_baud(m), 500000);
    assert_int_equal(sim_mcu_byte_cycles(m), 320);
    assert_int_equal(rec.nuart, 8);
    for (size_t i = 1; i < 8; i++)
        assert_int_equal(rec.uart[i].cycle - rec.uart[i - 1].cycle, 320);
    size_t base = rec.nuart;
    uint64_t t0 = sim_mcu_cycle(m);
    sim_mcu_uart_send(m, (const uint8_t *)"xyz", 3);
    run_to(m, t0 + 5000);
    assert_int_equal(rec.nuart - base, 3);
    for (int k = 0; k < 3; k++)
        assert_int_equal(rec.uart[base + k].byte, "xyz"[k]);
    sim_mcu_destroy(m);
}

static unsigned adc_result(struct sim_mcu *m, uint16_t addr)
{
    return sim_avr_peek(m, addr) | (unsigned)sim_avr_peek(m, addr + 1) << 8;
}

static void wait_rounds(struct sim_mcu *m, int rounds)
{
    for (int i = 0; i < rounds; i++) {
        uint8_t r = sim_avr_peek(m, 0x215);
        uint64_t limit = sim_mcu_cycle(m) + 200000;
        while (sim_avr_peek(m, 0x215) == r) {
            assert_true(sim_mcu_cycle(m) < limit);
            run_to(m, sim_mcu_cycle(m) + 1000);
        }
    }
}

/* ADC = Vin * 1024 / Vref (datasheet), PF2 = ADC2 and PK3 = ADC11. */
static void adc_reads_driven_voltage(void **state)
{
    (void)state;
    struct sim_mcu *m = open_avr(ADC_INPUT_ELF, NULL);
    sim_mcu_set_analog_mv(m, 42, 2500);
    sim_mcu_set_analog_mv(m, 83, 1000);
    run_until_done(m, 1000000);
    wait_rounds(m, 2);
    assert_int_equal(adc_result(m, 0x210), 512);
    assert_int_equal(adc_result(m, 0x212), 204);
    sim_mcu_set_analog_mv(m, 42, 5000);
    sim_mcu_set_analog_mv(m, 83, 0);
    wait_rounds(m, 2);
    assert_int_equal(adc_result(m, 0x210), 1023);
    assert_int_equal(adc_result(m, 0x212), 0);
    sim_mcu_set_analog_mv(m, 42, 3300);
    sim_mcu_set_analog_mv(m, 83, 4999);
    wait_rounds(m, 2);
    assert_int_equal(adc_result(m, 0x210), 3300 * 1024 / 5000);
    assert_int_equal(adc_result(m, 0x212), 4999 * 1024 / 5000);
    sim_mcu_destroy(m);
}

/* A pulled-up input reads 1 until driven; a driven level survives the
 * firmware rewriting PORTA; releasing it lets the pull-up win again. */
static void digital_inputs(void **state)
{
    (void)state;
    struct sim_mcu *m = open_avr(ADC_INPUT_ELF, NULL);
    run_until_done(m, 1000000);
    wait_rounds(m, 1);
    assert_int_equal(sim_avr_peek(m, 0x214) & 3, 1); /* PA0 pulled up, PA1 floating */
    sim_mcu_set_input(m, 0, 0);
    wait_rounds(m, 2);
    assert_int_equal(sim_avr_peek(m, 0x214) & 3, 0);
    sim_mcu_set_input(m, 1, 1);
    wait_rounds(m, 2);
    assert_int_equal(sim_avr_peek(m, 0x214) & 3, 2);
    sim_mcu_set_input(m, 0, -1);
    wait_rounds(m, 2);
    assert_int_equal(sim_avr_peek(m, 0x214) & 3, 3);
    sim_mcu_set_input(m, 1, 0);
    wait_rounds(m, 2);
    assert_int_equal(sim_avr_peek(m, 0x214) & 3, 1);
    sim_mcu_destroy(m);
}

static void echo_session(struct recorder *r)
{
    struct sim_mcu *m = open_avr(ECHO_ELF, r);
    uint64_t t = 0;
    for (int i = 0; i < 40; i++) {
        t += 7919 * (uint64_t)(i % 7 + 1);
        run_to(m, t);
        uint8_t msg[3] = {(uint8_t)i, (uint8_t)(i * 3), (uint8_t)(i * 7)};
        sim_mcu_uart_send(m, msg, (size_t)(i % 3 + 1));
    }
    run_to(m, 2000000);
    sim_mcu_destroy(m);
}

/* The same program and inputs give the same records, edge for edge. */
static void deterministic(void **state)
{
    (void)state;
    echo_session(&rec);
    echo_session(&rec2);
    assert_true(rec.npins > 100);
    assert_true(rec.nuart > 40);
    assert_int_equal(rec.npins, rec2.npins);
    assert_int_equal(rec.nuart, rec2.nuart);
    assert_memory_equal(rec.pins, rec2.pins, rec.npins * sizeof(rec.pins[0]));
    assert_memory_equal(rec.uart, rec2.uart, rec.nuart * sizeof(rec.uart[0]));
}

static void crash_invalid_opcode(void **state)
{
    (void)state;
    struct sim_mcu *m = open_avr(CRASH_OPCODE_ELF, NULL);
    assert_int_equal(sim_mcu_run_until(m, 1000), -1);
    assert_non_null(sim_mcu_error(m));
    assert_non_null(strstr(sim_mcu_error(m), "Invalid Opcode"));
    assert_int_equal(sim_mcu_run_until(m, 2000), -1);
    sim_mcu_destroy(m);
}

static void crash_outside_flash(void **state)
{
    (void)state;
    struct sim_mcu *m = open_avr(CRASH_JUMP_ELF, NULL);
    assert_int_equal(sim_mcu_run_until(m, 1000), -1);
    assert_non_null(strstr(sim_mcu_error(m), "outside the flash"));
    sim_mcu_destroy(m);
}

static void expect_load_error(const char *spec, const char *part1, const char *part2)
{
    char err[256] = "";
    struct sim_mcu *m = sim_mcu_create(spec, err, sizeof(err));
    assert_null(m);
    if (!strstr(err, part1) || (part2 && !strstr(err, part2)))
        fail_msg("error '%s' should mention '%s' and '%s'", err, part1, part2 ? part2 : "");
}

static void load_errors(void **state)
{
    (void)state;
    expect_load_error("avr=/nonexistent/fw.elf", "/nonexistent/fw.elf", "No such file");
    expect_load_error("avr=" TEST_SRC_DIR "/pins.S", "pins.S", "not an ELF");
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 5);
    assert_true(n > 0);
    self[n] = 0;
    char spec[1100];
    snprintf(spec, sizeof(spec), "avr=%s", self);
    expect_load_error(spec, "not an AVR program", self);
    expect_load_error("avr=" TINY328_ELF, "avr5", "atmega2560");
}

/* A watchdog reset restarts the program: outputs drop at the reset. */
static void watchdog_resets(void **state)
{
    (void)state;
    struct sim_mcu *m = open_avr(WATCHDOG_ELF, &rec);
    run_to(m, 16000000 / 10);
    uint64_t e[8];
    size_t n = count_pin(&rec, 15, 0, e, 8);
    assert_true(n >= 3);
    assert_int_equal(rec.pins[0].level, 1);
    assert_int_equal(rec.pins[1].level, 0);
    assert_int_equal(rec.pins[2].level, 1);
    /* WDTO_15MS: 2048 cycles of the 128 kHz watchdog oscillator = 16 ms */
    assert_in_range(e[1] - e[0], 250000, 270000);
    assert_int_equal(e[2] - e[1], e[0]);            /* restarts from cycle 0 of the program */
    assert_true(sim_avr_peek(m, 0x210) & (1 << 3)); /* WDRF */
    sim_mcu_destroy(m);
}

/* The project's own firmware (the default "avr") boots and runs. */
static void project_firmware_runs(void **state)
{
    (void)state;
    char err[256];
    struct sim_mcu *m = sim_mcu_create("avr", err, sizeof(err));
    if (!m)
        fail_msg("%s", err);
    assert_string_equal(sim_mcu_backend(m), "avr");
    assert_int_equal(sim_mcu_freq(m), 16000000);
    run_to(m, 16000000);
    sim_mcu_destroy(m);
}

/* Destroying the MCU while an external-interrupt pin (PE5 = INT5) is
 * held low frees everything simavr allocated for it (LeakSanitizer in the
 * sanitizer build checks). */
static void destroy_with_pin_held_low(void **state)
{
    (void)state;
    char err[256];
    struct sim_mcu *m = sim_mcu_create("avr", err, sizeof(err));
    if (!m)
        fail_msg("%s", err);
    run_to(m, 100000);
    sim_mcu_set_input(m, 4 * 8 + 5, 0);
    run_to(m, 200000);
    sim_mcu_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pins_schedule),         cmocka_unit_test(uart_tx_back_to_back),
        cmocka_unit_test(uart_echo_timing),      cmocka_unit_test(uart_burst_not_lost),
        cmocka_unit_test(uart_baud_from_ubrr),   cmocka_unit_test(adc_reads_driven_voltage),
        cmocka_unit_test(digital_inputs),        cmocka_unit_test(deterministic),
        cmocka_unit_test(crash_invalid_opcode),  cmocka_unit_test(crash_outside_flash),
        cmocka_unit_test(load_errors),           cmocka_unit_test(watchdog_resets),
        cmocka_unit_test(project_firmware_runs), cmocka_unit_test(destroy_with_pin_held_low),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
