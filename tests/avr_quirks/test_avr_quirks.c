/* The four corrections of simavr 1.6, each on a purpose-written program,
 * each checked against the datasheet and, with the correction switched
 * off, shown to be needed. */
#include "avr_test_util.h"

#define GPIOR0 0x3E
#define GPIOR1 0x4A
#define GPIOR2 0x4B

static struct recorder rec, rec2;

/* (a) One instruction after SEI and after RETI. */
static void sei_delay_fixed(void **state)
{
    (void)state;
    struct sim_mcu *m = open_avr(SEI_DELAY_ELF, NULL);
    run_until_done(m, 1000000);
    assert_int_equal(sim_avr_peek(m, GPIOR1), 1); /* SEI, then one instruction */
    assert_int_equal(sim_avr_peek(m, GPIOR2), 2); /* RETI, then one instruction */
    assert_int_equal(sim_avr_peek(m, 0x200), 0);  /* "sei; cli" never lets it in */
    assert_int_equal(sim_avr_peek(m, 0x201), 1);  /* "sei; nop; cli" does */
    sim_mcu_destroy(m);
}

static void sei_delay_stock(void **state)
{
    (void)state;
    struct sim_mcu *m = open_avr(SEI_DELAY_ELF, NULL);
    sim_avr_set_fixes(m, SIM_AVR_FIX_ALL & ~SIM_AVR_FIX_SEI_DELAY);
    run_until_done(m, 1000000);
    assert_int_equal(sim_avr_peek(m, GPIOR1), 2);
    assert_int_equal(sim_avr_peek(m, GPIOR2), 4);
    assert_int_equal(sim_avr_peek(m, 0x200), 0);
    assert_int_equal(sim_avr_peek(m, 0x201), 0); /* the idle loop starves */
    sim_mcu_destroy(m);
}

/* (b) Writing TIFRn clears the flags written as one, and only those. */
static const uint8_t tifr_expect[6][4] = {
    {0x07, 0x05, 0x05, 0x00}, /* timer 0 */
    {0x07, 0x05, 0x05, 0x00}, /* timer 2 */
    {0x0F, 0x0D, 0x0D, 0x00}, /* timer 1 */
    {0x0F, 0x0D, 0x0D, 0x00}, /* timer 3 */
    {0x0F, 0x0D, 0x0D, 0x00}, /* timer 4 */
    {0x0F, 0x0D, 0x0D, 0x00}, /* timer 5 */
};

static void tifr_clear_fixed(void **state)
{
    (void)state;
    struct sim_mcu *m = open_avr(TIFR_CLEAR_ELF, NULL);
    run_until_done(m, 2000000);
    for (int t = 0; t < 6; t++)
        for (int i = 0; i < 4; i++) {
            uint8_t got = sim_avr_peek(m, (uint16_t)(0x210 + t * 4 + i));
            if (got != tifr_expect[t][i])
                fail_msg("timer slot %d step %d: TIFR 0x%02x, expected 0x%02x", t, i, got,
                         tifr_expect[t][i]);
        }
    assert_int_equal(sim_avr_peek(m, 0x210 + 24), 0x02); /* COMPB ran, COMPA did not */
    sim_mcu_destroy(m);
}

static void tifr_clear_stock(void **state)
{
    (void)state;
    struct sim_mcu *m = open_avr(TIFR_CLEAR_ELF, NULL);
    sim_avr_set_fixes(m, SIM_AVR_FIX_ALL & ~SIM_AVR_FIX_TIFR_CLEAR);
    run_until_done(m, 2000000);
    for (int t = 0; t < 6; t++) {
        assert_int_equal(sim_avr_peek(m, (uint16_t)(0x210 + t * 4)), tifr_expect[t][0]);
        /* simavr 1.6 drops every flag on the first write */
        assert_int_equal(sim_avr_peek(m, (uint16_t)(0x210 + t * 4 + 1)), 0);
    }
    assert_int_equal(sim_avr_peek(m, 0x210 + 24), 0x00); /* COMPB was lost */
    sim_mcu_destroy(m);
}

/* (c) Interrupt entry: 5 cycles, 10 from sleep. */
static void irq_run(unsigned fixes, struct recorder *r, uint64_t edge[2], uint8_t tifr[2])
{
    struct sim_mcu *m = open_avr(IRQ_CYCLES_ELF, r);
    sim_avr_set_fixes(m, fixes);
    run_until_done(m, 1000000);
    size_t n = 0;
    for (size_t i = 0; i < r->npins; i++)
        if (r->pins[i].pin == 15 && n < 2)
            edge[n++] = r->pins[i].cycle;
    assert_int_equal(n, 2);
    tifr[0] = sim_avr_peek(m, 0x200);
    tifr[1] = sim_avr_peek(m, 0x201);
    sim_mcu_destroy(m);
}

static void irq_cycles(void **state)
{
    (void)state;
    uint64_t fixed[2], stock[2];
    uint8_t tf[2], ts[2];
    irq_run(SIM_AVR_FIX_ALL, &rec, fixed, tf);
    irq_run(SIM_AVR_FIX_ALL & ~SIM_AVR_FIX_IRQ_CYCLES, &rec2, stock, ts);
    /* Awake: the handler's first instruction starts 5 cycles later. */
    assert_int_equal(fixed[0] - stock[0], 5);
    /* Asleep: 10 cycles later (phase 2 starts 5 cycles later already). */
    assert_int_equal((fixed[1] - fixed[0]) - (stock[1] - stock[0]), 10);
    /* Timers due during the entry cycles fire before the vector runs:
     * COMPB (due 2 cycles after COMPA) is seen by the vector's first
     * instruction. */
    assert_true(tf[0] & (1 << 2));
    assert_true(tf[1] & (1 << 2));
    assert_false(ts[0] & (1 << 2));
    assert_false(ts[1] & (1 << 2));
}

/* (d) A compare match due right after an overflow: OCR1A = 0..3 must
 * interrupt once per period, as on the chip. */
static void compare_after_overflow_run(unsigned fixes, uint8_t counts[4])
{
    struct sim_mcu *m = open_avr(COMPARE_AFTER_OVERFLOW_ELF, NULL);
    sim_avr_set_fixes(m, fixes);
    run_until_done(m, 8000000);
    for (int i = 0; i < 4; i++)
        counts[i] = sim_avr_peek(m, (uint16_t)(0x210 + i));
    sim_mcu_destroy(m);
}

/* With the correction, OCR1A = 0 interrupts exactly as often as 1..3
 * (which simavr already got right); without it, 0 loses nearly all. */
static void compare_after_overflow_fixed(void **state)
{
    (void)state;
    uint8_t counts[4];
    compare_after_overflow_run(SIM_AVR_FIX_ALL, counts);
    assert_true(counts[1] >= 6);
    for (int i = 0; i < 4; i++)
        if (counts[i] != counts[1])
            fail_msg("OCR1A=%d: %d compare interrupts, OCR1A=1: %d", i, counts[i], counts[1]);
}

static void compare_after_overflow_stock(void **state)
{
    (void)state;
    uint8_t counts[4], fixed[4];
    compare_after_overflow_run(SIM_AVR_FIX_ALL, fixed);
    compare_after_overflow_run(SIM_AVR_FIX_ALL & ~SIM_AVR_FIX_COMPARE_AFTER_OVERFLOW, counts);
    assert_true(counts[0] < fixed[0]); /* simavr 1.6 loses them */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sei_delay_fixed),
        cmocka_unit_test(sei_delay_stock),
        cmocka_unit_test(tifr_clear_fixed),
        cmocka_unit_test(tifr_clear_stock),
        cmocka_unit_test(irq_cycles),
        cmocka_unit_test(compare_after_overflow_fixed),
        cmocka_unit_test(compare_after_overflow_stock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
