/* Corrections of simavr 1.6's 16-bit timers.
 *
 * (b) Timer interrupt flag registers.
 *
 * The datasheet: a TIFRn flag "can be cleared by writing a logic one to its
 * bit location"; writing zero leaves it alone. simavr 1.6's handler
 * (avr_timer_write_pending) ignores the value written and clears every
 * flag that is set, so code that acknowledges OCF1A by writing 1<<OCF1A
 * also loses a pending OCF1B or TOV1 - a missed timer event. */
#include "avr_internal.h"

#include <stdio.h>
#include <string.h>

static void clear_flag_if_written(avr_t *avr, avr_int_vector_t *vec, avr_io_addr_t addr, uint8_t v)
{
    if (!vec->raised.reg || vec->raised.reg != addr)
        return;
    if (!(v & (vec->raised.mask << vec->raised.bit)))
        return;
    avr_clear_interrupt(avr, vec);
    avr_regbit_clear(avr, vec->raised);
}

/* Replaces simavr's write handler of each TIFRn: clear exactly the flags
 * written as one (overflow, input capture, compare A/B/C). */
static void tifr_write_clear_written_ones(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
    struct lsavr_tifr *h = param;
    struct lsavr *b = avr->custom.data;
    if (!(b->fixes & SIM_AVR_FIX_TIFR_CLEAR)) {
        h->stock_write(avr, addr, v, h->stock_param);
        return;
    }
    avr_timer_t *t = h->timer;
    clear_flag_if_written(avr, &t->overflow, addr, v);
    clear_flag_if_written(avr, &t->icr, addr, v);
    for (int i = 0; i < AVR_TIMER_COMP_COUNT; i++)
        clear_flag_if_written(avr, &t->comp[i].interrupt, addr, v);
}

/* Writes to TCNTn or the control registers move simavr's overflow base
 * too; those are not overflows, so correction (d) takes the new base as
 * seen. */
static void timer_write_resync(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
    struct lsavr_write_hook *k = param;
    k->stock(avr, addr, v, k->stock_param);
    k->timer->last_tov = k->timer->timer->tov_base;
}

static int hook_timer_write(avr_t *avr, struct lsavr_tifr *h, avr_io_addr_t reg)
{
    if (!reg)
        return 0;
    unsigned a = AVR_DATA_TO_IO(reg);
    if (!avr->io[a].w.c)
        return 0;
    for (int i = 0; i < h->nhooks; i++)
        if (avr->io[a].w.param == &h->hooks[i])
            return 0; /* the same register named twice (TCCRnB holds WGM and CS bits) */
    if (h->nhooks == LSAVR_TIMER_HOOKS)
        return -1;
    struct lsavr_write_hook *k = &h->hooks[h->nhooks++];
    k->stock = avr->io[a].w.c;
    k->stock_param = avr->io[a].w.param;
    k->timer = h;
    avr->io[a].w.c = timer_write_resync;
    avr->io[a].w.param = k;
    return 0;
}

int lsavr_tifr_install(struct lsavr *b, char *err, size_t errlen)
{
    avr_t *avr = b->avr;
    b->ntifr = 0;
    for (avr_io_t *io = avr->io_port; io; io = io->next) {
        if (strcmp(io->kind, "timer"))
            continue;
        avr_timer_t *t = (avr_timer_t *)io;
        avr_io_addr_t reg = t->overflow.raised.reg;
        if (!reg)
            continue;
        if (b->ntifr == LSAVR_NTIMERS) {
            snprintf(err, errlen, "simavr core has more timers than the atmega2560");
            return -1;
        }
        unsigned a = AVR_DATA_TO_IO(reg);
        if (avr->io[a].w.param != t) {
            snprintf(err, errlen, "simavr's TIFR%c handler is not where expected", t->name);
            return -1;
        }
        struct lsavr_tifr *h = &b->tifr[b->ntifr++];
        h->timer = t;
        h->stock_write = avr->io[a].w.c;
        h->stock_param = avr->io[a].w.param;
        avr->io[a].w.c = tifr_write_clear_written_ones;
        avr->io[a].w.param = h;
        h->last_tov = t->tov_base;
        h->nhooks = 0;
        int rc = hook_timer_write(avr, h, t->r_tcnt);
        for (int i = 0; i < 4 && !rc; i++)
            rc = hook_timer_write(avr, h, t->wgm[i].reg);
        for (int i = 0; i < 4 && !rc; i++)
            rc = hook_timer_write(avr, h, t->cs[i].reg);
        if (rc) {
            snprintf(err, errlen, "too many control registers on simavr's timer %c", t->name);
            return -1;
        }
    }
    if (b->ntifr != LSAVR_NTIMERS) {
        snprintf(err, errlen, "simavr core has %d timers, the atmega2560 has %d", b->ntifr,
                 LSAVR_NTIMERS);
        return -1;
    }
    return 0;
}

/* Correction (d): a compare match just after an overflow.
 *
 * On the chip, OCFnx is set one timer clock after TCNTn equals OCRnx,
 * whatever the value, 0 included. simavr 1.6 schedules each compare from
 * its overflow handler as "comp_cycles after the overflow", and drops it
 * when the handler runs later than that: the handler runs at the end of
 * the instruction in flight (up to 5 cycles) or of an interrupt entry, so
 * OCRnx = 0..4 is lost for a whole 65536-tick period. A scheduler that
 * sets OCR1A to the low half of a 32-bit waketime hits this about once in
 * every 16384 wakeups. Called after simavr ran its due cycle timers: a
 * new overflow whose compare fell due before the handler ran gets its
 * flag (and interrupt) now. */
void lsavr_timers_after_process(struct lsavr *b)
{
    avr_t *avr = b->avr;
    for (int k = 0; k < b->ntifr; k++) {
        struct lsavr_tifr *h = &b->tifr[k];
        avr_timer_t *t = h->timer;
        if (t->tov_base == h->last_tov)
            continue;
        h->last_tov = t->tov_base;
        if (!(b->fixes & SIM_AVR_FIX_COMPARE_AFTER_OVERFLOW) ||
            t->wgm_op_mode_kind != avr_timer_wgm_normal)
            continue;
        avr_cycle_count_t late = avr->cycle - t->tov_base;
        for (int i = 0; i < AVR_TIMER_COMP_COUNT; i++) {
            uint32_t c = t->comp[i].comp_cycles;
            if (c && c < t->tov_cycles && c < late)
                avr_raise_interrupt(avr, &t->comp[i].interrupt);
        }
    }
}
