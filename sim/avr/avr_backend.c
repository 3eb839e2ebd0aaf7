/* The simavr backend of the simulated MCU: an atmega2560 at 16 MHz.
 *
 * simavr supplies the instruction decoder and the peripherals; this file
 * owns the run loop. simavr's loops (avr->run) pace themselves against
 * the wall clock with usleep(); here nothing reads a clock: instructions
 * run until the cycle target, and while the CPU sleeps the cycle counter
 * jumps straight to the next cycle timer, the only thing that can wake it.
 *
 * The loop also corrects two ways in which simavr 1.6 departs from the
 * ATmega2560 datasheet (the third, TIFR writes, is in avr_tifr.c):
 * one_instruction_after_sei() and charge_interrupt_entry(). */
#include "avr_internal.h"

#include <avr_extint.h>
#include <sim_core.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LOCKSTEP_AVR_ELF
#define LOCKSTEP_AVR_ELF "lockstep-atmega2560.elf"
#endif

#define AVR_FREQ 16000000u
#define AVR_MILLIVOLTS 5000u
#define SMCR_ADDR 0x53 /* sleep mode control register */
#define SMCR_SE 0x01   /* SLEEP does nothing unless this is set */
/* Datasheet, "Interrupt Response Time": five cycles to push the 3-byte PC
 * and jump to the vector, five more when the interrupt wakes the CPU. */
#define IRQ_ENTRY_CYCLES 5
#define IRQ_WAKE_CYCLES 5

static struct lsavr *backend_of(avr_t *avr)
{
    struct lsavr *b = avr ? avr->custom.data : NULL;
    return b && b->magic == LSAVR_MAGIC ? b : NULL;
}

/* simavr reports invalid opcodes and out-of-range memory accesses only as
 * log lines (an invalid opcode then runs as a NOP). Keep the first error
 * of each simulated chip as its fault; say nothing on the console. */
static void capture_log(avr_t *avr, const int level, const char *fmt, va_list ap)
{
    struct lsavr *b = backend_of(avr);
    if (!b) {
        if (level <= LOG_ERROR)
            vfprintf(stderr, fmt, ap);
        return;
    }
    /* avr_sadly_crashed() logs its own name after the real cause (or,
     * for a PC beyond the flash, none): cpu_failed() says more. */
    if (level > LOG_ERROR || b->fault[0] || !strcmp(fmt, "%s\n"))
        return;
    char raw[sizeof(b->fault)];
    vsnprintf(raw, sizeof(raw), fmt, ap);
    /* Drop the terminal colour escapes and the line ending. */
    size_t o = 0;
    for (size_t i = 0; raw[i] && o + 1 < sizeof(b->fault); i++) {
        if (raw[i] == '\033') {
            while (raw[i] && raw[i] != 'm')
                i++;
            if (!raw[i])
                break;
            continue;
        }
        if (raw[i] == '\n' || raw[i] == '\r')
            continue;
        b->fault[o++] = raw[i];
    }
    while (o && b->fault[o - 1] == ' ')
        o--;
    b->fault[o] = 0;
    if (!o)
        snprintf(b->fault, sizeof(b->fault), "simavr error");
}

static avr_cycle_count_t stop_here(avr_t *avr, avr_cycle_count_t when, void *param)
{
    (void)avr;
    (void)when;
    (void)param;
    return 0;
}

static inline uint64_t next_timer_due(avr_t *avr, uint64_t dflt)
{
    avr_cycle_timer_slot_p t = avr->cycle_timers.timer;
    return t ? t->when : dflt;
}

/* avr_run_one() keeps executing while run_cycle_count allows, but simavr
 * caps that at run_cycle_limit (1 by default), which would make every
 * instruction a round trip through this loop. The count is set to the
 * distance to the next cycle timer before each call instead. */
static void allow_batches(avr_t *avr)
{
    avr->run_cycle_limit = ~(avr_cycle_count_t)0 >> 1;
    /* While a pin with an external interrupt (INT0..7) is held low,
     * simavr's strict level trigger polls it every cycle through a cycle
     * timer, enabled or not. RAMPS endstops (normally closed to GND) hold
     * PE5 and PD3 low all the time: about 140 times slower. Neither this
     * firmware nor Klipper enables INTn (they sample endstops from
     * timers), so one interrupt per falling edge changes nothing they see. */
    for (uint8_t i = 0; i < 8; i++)
        avr_extint_set_strict_lvl_trig(avr, i, 0);
}

static inline void process_due_timers(avr_t *avr)
{
    avr_cycle_timer_slot_p t = avr->cycle_timers.timer;
    if (t && t->when <= avr->cycle) {
        avr_cycle_timer_process(avr);
        lsavr_timers_after_process(avr->custom.data);
    }
}

/* Correction (a). Datasheet: "the instruction following SEI will be
 * executed before any pending interrupts", and after RETI "one more
 * instruction" of the main program runs first. simavr 1.6's avr_sreg_set()
 * sets interrupt_state to -2 whenever I goes from 0 to 1, which makes
 * avr_service_interrupts() wait for two instructions: an idle loop
 * "sei; nop; cli" (stock Klipper's) never takes an interrupt. Called right
 * after the instruction that enabled interrupts: one instruction to go. */
static inline void one_instruction_after_sei(struct lsavr *b)
{
    if (b->fixes & SIM_AVR_FIX_SEI_DELAY)
        b->avr->interrupt_state = -1;
}

/* Correction (c). Datasheet, "Interrupt Response Time": the response is
 * five clock cycles minimum (the 3-byte PC is pushed and the vector
 * jumped to), five more if the CPU was asleep. simavr 1.6 jumps to the
 * vector in zero cycles. Cycle timers that fall due in those cycles
 * (a compare match, a UART byte) fire before the vector's first
 * instruction runs. */
static void charge_interrupt_entry(struct lsavr *b)
{
    avr_t *avr = b->avr;
    if (!(b->fixes & SIM_AVR_FIX_IRQ_CYCLES))
        return;
    avr->cycle += IRQ_ENTRY_CYCLES + (b->asleep ? IRQ_WAKE_CYCLES : 0);
    process_due_timers(avr);
}

static inline void service_interrupts(struct lsavr *b)
{
    avr_t *avr = b->avr;
    uint8_t was_enabled = avr->sreg[S_I];
    avr_service_interrupts(avr);
    /* Taking an interrupt is the only way servicing clears I. */
    if (was_enabled && !avr->sreg[S_I]) {
        charge_interrupt_entry(b);
        b->asleep = 0;
    }
}

/* simavr's watchdog asks for a reset by swapping avr->run for a function
 * that calls avr_reset(). Let it, then redo what a reset undoes. */
static void watchdog_reset(struct lsavr *b, uint64_t target)
{
    avr_t *avr = b->avr;
    avr->run(avr);
    avr->run = b->stock_run;
    b->reset_cycle = avr->cycle;
    allow_batches(avr);
    b->asleep = 0;
    lsavr_pins_after_reset(b);
    lsavr_uart_after_reset(b);
    if (target > avr->cycle)
        avr_cycle_timer_register(avr, target - avr->cycle, stop_here, b);
}

static int cpu_failed(struct lsavr *b, avr_flashaddr_t pc)
{
    avr_t *avr = b->avr;
    if (b->fault[0])
        sim_mcu_fail(b->m, "atmega2560 stopped at cycle %llu: %s", (unsigned long long)avr->cycle,
                     b->fault);
    else if (pc > avr->flashend)
        sim_mcu_fail(b->m, "atmega2560 crashed at cycle %llu: PC 0x%05x is outside the flash",
                     (unsigned long long)avr->cycle, (unsigned)pc);
    else if (avr->state == cpu_Done)
        sim_mcu_fail(b->m, "atmega2560 stopped at cycle %llu (PC 0x%05x)",
                     (unsigned long long)avr->cycle, (unsigned)pc);
    else
        sim_mcu_fail(b->m, "atmega2560 crashed at cycle %llu (PC 0x%05x, CPU state %d)",
                     (unsigned long long)avr->cycle, (unsigned)pc, avr->state);
    return -1;
}

static int lsavr_run_until(struct sim_mcu *m, uint64_t target)
{
    struct lsavr *b = m->backend;
    avr_t *avr = b->avr;
    int rc = 0;
    if (avr->cycle >= target)
        return 0;
    /* A timer at the target bounds every batch of instructions and every
     * jump over sleep, so neither goes past it. */
    avr_cycle_timer_register(avr, target - avr->cycle, stop_here, b);
    while (avr->cycle < target) {
        if (unlikely(avr->run != b->stock_run))
            watchdog_reset(b, target);
        if (avr->interrupt_state) {
            service_interrupts(b);
            if (avr->cycle >= target)
                break;
        }
        if (likely(avr->state == cpu_Running)) {
            b->asleep = 0;
            uint64_t next = next_timer_due(avr, target);
            if (next > target)
                next = target;
            avr->run_cycle_count = next > avr->cycle ? next - avr->cycle : 1;
            avr_flashaddr_t pc = avr_run_one(avr);
            if (avr->interrupt_state == -2)
                one_instruction_after_sei(b);
            if (unlikely(avr->state != cpu_Running || b->fault[0])) {
                if (avr->state != cpu_Sleeping || b->fault[0]) {
                    rc = cpu_failed(b, avr->pc);
                    break;
                }
                if (avr->data[SMCR_ADDR] & SMCR_SE)
                    b->asleep = 1;
                else
                    avr->state = cpu_Running;
            }
            avr->pc = pc;
        } else if (avr->state == cpu_Sleeping) {
            uint64_t next = next_timer_due(avr, target);
            if (next > target)
                next = target;
            if (next > avr->cycle)
                avr->cycle = next;
        } else {
            rc = cpu_failed(b, avr->pc);
            break;
        }
        process_due_timers(avr);
    }
    avr_cycle_timer_cancel(avr, stop_here, b);
    lsavr_uart_flush_output(b);
    return rc;
}

static uint64_t lsavr_cycle(const struct sim_mcu *m)
{
    const struct lsavr *b = m->backend;
    return b->avr->cycle;
}

/* avr_terminate() frees the peripherals' IRQs but not those embedded in
 * interrupt vectors (their names and hooks), nor the pool listing them. */
static void free_core(avr_t *avr)
{
    avr_terminate(avr);
    avr_irq_pool_t *pool = &avr->irq_pool;
    for (int i = 0; i < pool->count; i++) {
        avr_irq_t *irq = pool->irq[i];
        if (!irq)
            continue;
        /* Embedded: free its name and hooks, not the IRQ itself. */
        irq->flags &= ~IRQ_FLAG_ALLOC;
        avr_free_irq(irq, 1);
    }
    free(pool->irq);
    pool->irq = NULL;
    pool->count = 0;
    free(avr);
}

static void lsavr_destroy(struct sim_mcu *m)
{
    struct lsavr *b = m->backend;
    if (!b)
        return;
    /* While an INTn pin is held low, simavr polls it every cycle with a
     * context it allocated, and frees that only when a poll finds the pin
     * high: drive every externally driven pin high and let the polls run
     * once before freeing the core. */
    int driven = 0;
    for (unsigned pin = 0; pin < LSAVR_NPORTS * 8; pin++)
        if (b->ports[pin / 8].io && (b->ports[pin / 8].driven_mask & (1u << (pin % 8)))) {
            lsavr_set_input(m, pin, 1);
            driven = 1;
        }
    if (driven && !m->failed)
        lsavr_run_until(m, b->avr->cycle + 4);
    free_core(b->avr);
    free(b->uart.outq);
    free(b);
    m->backend = NULL;
}

static void lsavr_reset(struct sim_mcu *m)
{
    struct lsavr *b = m->backend;
    b->reset_cycle = b->avr->cycle;
    avr_reset(b->avr);
    allow_batches(b->avr);
    b->asleep = 0;
    lsavr_pins_after_reset(b);
    lsavr_uart_after_reset(b);
}

/* The firmware's clock is Timer1 (no prescaler) extended by the
 * overflows it counts, both from zero when timer_setup() starts the timer,
 * which it does within 65536 cycles of a reset (tests/twin checks the
 * result against get_clock). simavr keeps the cycle of Timer1's last
 * overflow, which is that start plus whole periods. */
static uint64_t lsavr_clock_origin(const struct sim_mcu *m)
{
    const struct lsavr *b = m->backend;
    for (int i = 0; i < b->ntifr; i++) {
        const avr_timer_t *tm = b->tifr[i].timer;
        if (tm->name == '1' && tm->tov_cycles == 65536 && tm->tov_base >= b->reset_cycle)
            return b->reset_cycle + (tm->tov_base - b->reset_cycle) % 65536;
    }
    return b->reset_cycle;
}

static const struct sim_mcu_ops lsavr_ops = {
    .name = "avr",
    .destroy = lsavr_destroy,
    .run_until = lsavr_run_until,
    .cycle = lsavr_cycle,
    .set_input = lsavr_set_input,
    .set_analog_mv = lsavr_set_analog_mv,
    .uart_deliver = lsavr_uart_deliver,
    .reset = lsavr_reset,
    .clock_origin = lsavr_clock_origin,
};

const char *sim_avr_default_elf(void)
{
    return LOCKSTEP_AVR_ELF;
}

int sim_avr_open(struct sim_mcu *m, const char *elf_path, char *err, size_t errlen)
{
    const char *path = elf_path ? elf_path : LOCKSTEP_AVR_ELF;
    avr_global_logger_set(capture_log);
    struct lsavr *b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    b->magic = LSAVR_MAGIC;
    b->m = m;
    b->fixes = SIM_AVR_FIX_ALL;
    avr_t *avr = avr_make_mcu_by_name("atmega2560");
    if (!avr) {
        snprintf(err, errlen, "this simavr has no atmega2560 core");
        free(b);
        return -1;
    }
    b->avr = avr;
    avr->custom.data = b;
    avr_init(avr);
    avr->frequency = AVR_FREQ;
    avr->vcc = avr->avcc = avr->aref = AVR_MILLIVOLTS;
    if (lsavr_load_elf(avr, path, err, errlen) || lsavr_tifr_install(b, err, errlen) ||
        lsavr_pins_install(b, err, errlen) || lsavr_adc_install(b, err, errlen) ||
        lsavr_uart_install(b, err, errlen)) {
        free_core(avr);
        free(b);
        return -1;
    }
    if (b->fault[0]) {
        snprintf(err, errlen, "loading '%s' into simavr failed: %s", path, b->fault);
        free_core(avr);
        free(b);
        return -1;
    }
    allow_batches(avr);
    b->stock_run = avr->run;
    m->ops = &lsavr_ops;
    m->backend = b;
    m->freq = AVR_FREQ;
    return 0;
}

void sim_avr_set_fixes(struct sim_mcu *m, unsigned fixes)
{
    if (m->ops != &lsavr_ops)
        return;
    struct lsavr *b = m->backend;
    b->fixes = fixes & SIM_AVR_FIX_ALL;
}

unsigned sim_avr_fixes(const struct sim_mcu *m)
{
    if (m->ops != &lsavr_ops)
        return 0;
    const struct lsavr *b = m->backend;
    return b->fixes;
}

uint8_t sim_avr_peek(const struct sim_mcu *m, uint16_t addr)
{
    if (m->ops != &lsavr_ops)
        return 0;
    const struct lsavr *b = m->backend;
    return addr <= b->avr->ramend ? b->avr->data[addr] : 0;
}

unsigned long sim_avr_rx_overruns(const struct sim_mcu *m)
{
    if (m->ops != &lsavr_ops)
        return 0;
    const struct lsavr *b = m->backend;
    return b->uart.rx_overruns;
}
