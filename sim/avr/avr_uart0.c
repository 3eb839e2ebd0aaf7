/* USART0 of the simulated atmega2560, coupled in-process to sim_mcu.c.
 *
 * simavr 1.6's USART gets the timing wrong in both directions, so this
 * file takes over UDR0 and keeps simavr's handlers for the control and
 * status registers:
 *  - transmit: simavr only sets UDRE again once a whole byte has left, so
 *    firmware can never keep the line busy and every byte is followed by
 *    a gap of interrupt latency. The chip has a one-byte buffer (UDR0) in
 *    front of the shift register: UDRE is set again as soon as a byte
 *    moves into the shift register, and bytes written back to back leave
 *    one per frame time. simavr also counts a parity bit that 8N1 lacks.
 *  - receive: simavr raises RXC one byte time after a byte is handed to
 *    it (the wire has already taken that time here), and may drop RXC
 *    when the firmware reads "too fast". Here RXC is raised at the cycle
 *    the stop bit ends and stays set while unread bytes remain.
 * Bytes are reported to the host with the cycle their stop bit ends, but
 * only when run_until() returns, so anything the host sends in reply is
 * timed from where the simulation actually is. */
#include "avr_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t cycles_per_bit(avr_t *avr, avr_uart_t *p)
{
    uint32_t ubrr = avr->data[p->ubrrl.reg] | (uint32_t)(avr->data[p->ubrrh.reg] & 0x0f) << 8;
    return (ubrr + 1) * (avr_regbit_get(avr, p->u2x) ? 8u : 16u);
}

static uint64_t frame_cycles(avr_t *avr, avr_uart_t *p)
{
    uint8_t c = avr->data[p->r_ucsrc];
    unsigned ucsz = ((c >> 1) & 3u) | (unsigned)avr_regbit_get(avr, p->ucsz2) << 2;
    unsigned data_bits = ucsz < 4 ? 5 + ucsz : ucsz == 7 ? 9 : 8;
    unsigned parity_bits = (c & 0x20) ? 1 : 0; /* UPMn1 */
    unsigned stop_bits = (c & 0x08) ? 2 : 1;   /* USBSn */
    return (uint64_t)cycles_per_bit(avr, p) * (1 + data_bits + parity_bits + stop_bits);
}

static void update_baud(struct lsavr *b)
{
    struct lsavr_uart *u = &b->uart;
    if (!u->ubrr_written)
        return;
    uint32_t per_bit = cycles_per_bit(b->avr, u->io);
    b->m->baud = (b->m->freq + per_bit / 2) / per_bit;
}

static void udre_clear(avr_t *avr, avr_uart_t *p)
{
    /* UDRE is "sticky" in simavr: clearing the interrupt leaves the bit. */
    avr_clear_interrupt(avr, &p->udrc);
    avr_regbit_clear(avr, p->udrc.raised);
}

static void rxc_clear(avr_t *avr, avr_uart_t *p)
{
    avr_clear_interrupt(avr, &p->rxc);
    avr_regbit_clear(avr, p->rxc.raised);
}

static void queue_output(struct lsavr *b, uint64_t cycle, uint8_t byte)
{
    struct lsavr_uart *u = &b->uart;
    if (u->out_len == u->out_cap) {
        unsigned cap = u->out_cap ? u->out_cap * 2 : 64;
        void *q = realloc(u->outq, cap * sizeof(*u->outq));
        if (!q)
            abort();
        u->outq = q;
        u->out_cap = cap;
    }
    u->outq[u->out_len].cycle = cycle;
    u->outq[u->out_len].byte = byte;
    u->out_len++;
}

void lsavr_uart_flush_output(struct lsavr *b)
{
    struct lsavr_uart *u = &b->uart;
    /* Reset first: the host's callback may run the simulation further. */
    unsigned n = u->out_len;
    u->out_len = 0;
    for (unsigned i = 0; i < n; i++)
        sim_mcu_emit_uart(b->m, u->outq[i].cycle, u->outq[i].byte);
}

static avr_cycle_count_t shift_done(avr_t *avr, avr_cycle_count_t when, void *param)
{
    struct lsavr *b = param;
    struct lsavr_uart *u = &b->uart;
    avr_uart_t *p = u->io;
    queue_output(b, when, u->shift_byte);
    if (u->buf_full) {
        u->buf_full = 0;
        u->shift_byte = u->buf_byte;
        u->shift_end = when + frame_cycles(avr, p);
        avr_raise_interrupt(avr, &p->udrc);
        return u->shift_end;
    }
    u->shift_busy = 0;
    avr_raise_interrupt(avr, &p->txc);
    return 0;
}

static void udr_write(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
    (void)addr;
    struct lsavr *b = param;
    struct lsavr_uart *u = &b->uart;
    avr_uart_t *p = u->io;
    if (!avr_regbit_get(avr, p->txen))
        return;
    if (!u->shift_busy) {
        /* Straight into the shift register: the buffer stays empty. */
        u->shift_busy = 1;
        u->shift_byte = v;
        u->shift_end = avr->cycle + frame_cycles(avr, p);
        avr_cycle_timer_register(avr, u->shift_end - avr->cycle, shift_done, b);
        avr_raise_interrupt(avr, &p->udrc);
    } else if (!u->buf_full) {
        u->buf_full = 1;
        u->buf_byte = v;
        udre_clear(avr, p);
    }
    /* A write while UDRE is clear is ignored by the chip. */
}

static uint8_t udr_read(avr_t *avr, avr_io_addr_t addr, void *param)
{
    (void)addr;
    struct lsavr *b = param;
    struct lsavr_uart *u = &b->uart;
    avr_uart_t *p = u->io;
    if (u->rx_len) {
        u->last_udr = u->rxq[u->rx_head];
        u->rx_head = (u->rx_head + 1) % LSAVR_RXQ_SIZE;
        u->rx_len--;
    }
    if (u->rx_len)
        /* RXC stays set, and its interrupt is a level: it comes again. */
        avr_raise_interrupt(avr, &p->rxc);
    else
        rxc_clear(avr, p);
    return u->last_udr;
}

static void ucsra_write(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
    struct lsavr *b = param;
    struct lsavr_uart *u = &b->uart;
    u->stock_ucsra_w(avr, addr, v, u->stock_ucsra_p);
    update_baud(b);
}

static void ucsrb_write(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
    struct lsavr *b = param;
    struct lsavr_uart *u = &b->uart;
    avr_uart_t *p = u->io;
    u->stock_ucsrb_w(avr, addr, v, u->stock_ucsrb_p);
    /* simavr raises UDRE whenever UDRIE is turned on while its own
     * transmitter is idle - which it always is here. */
    if (u->buf_full)
        udre_clear(avr, p);
    if (!avr_regbit_get(avr, p->rxen)) {
        u->rx_len = 0;
        rxc_clear(avr, p);
    }
}

static void ubrrl_write(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
    struct lsavr *b = param;
    struct lsavr_uart *u = &b->uart;
    u->stock_ubrrl_w(avr, addr, v, u->stock_ubrrl_p);
    u->ubrr_written = 1;
    update_baud(b);
}

void lsavr_uart_deliver(struct sim_mcu *m, uint8_t byte)
{
    struct lsavr *b = m->backend;
    struct lsavr_uart *u = &b->uart;
    avr_t *avr = b->avr;
    avr_uart_t *p = u->io;
    if (!avr_regbit_get(avr, p->rxen))
        return; /* a disabled receiver does not see the line */
    if (u->rx_len >= 3)
        u->rx_overruns++;
    if (u->rx_len == LSAVR_RXQ_SIZE)
        return;
    u->rxq[(u->rx_head + u->rx_len) % LSAVR_RXQ_SIZE] = byte;
    u->rx_len++;
    avr_raise_interrupt(avr, &p->rxc);
}

static void hook_write(avr_t *avr, avr_io_addr_t reg, avr_io_write_t fn, void *param,
                       avr_io_write_t *stock, void **stock_param)
{
    unsigned a = AVR_DATA_TO_IO(reg);
    if (stock) {
        *stock = avr->io[a].w.c;
        *stock_param = avr->io[a].w.param;
    }
    avr->io[a].w.c = fn;
    avr->io[a].w.param = param;
}

/* The datasheet's reset value of UCSRnB is 0; simavr turns the
 * transmitters on so that unconfigured programs can printf. */
static void uarts_reset_state(struct lsavr *b)
{
    avr_t *avr = b->avr;
    for (avr_io_t *io = avr->io_port; io; io = io->next)
        if (!strcmp(io->kind, "uart"))
            avr_regbit_clear(avr, ((avr_uart_t *)io)->txen);
    struct lsavr_uart *u = &b->uart;
    avr_cycle_timer_cancel(avr, shift_done, b);
    u->shift_busy = u->buf_full = 0;
    u->rx_head = u->rx_len = 0;
    u->ubrr_written = 0;
    /* Bytes whose stop bit ended before the reset still reach the host. */
}

int lsavr_uart_install(struct lsavr *b, char *err, size_t errlen)
{
    avr_t *avr = b->avr;
    struct lsavr_uart *u = &b->uart;
    for (avr_io_t *io = avr->io_port; io; io = io->next) {
        if (strcmp(io->kind, "uart"))
            continue;
        avr_uart_t *p = (avr_uart_t *)io;
        /* No usleep() while the firmware polls UCSRnA, no console echo. */
        uint32_t flags = 0;
        avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS(p->name), &flags);
        if (p->name == '0')
            u->io = p;
    }
    if (!u->io) {
        snprintf(err, errlen, "simavr core has no USART0");
        return -1;
    }
    avr_uart_t *p = u->io;
    if (p->rxen.reg != p->r_ucsrb || p->udrc.enable.reg != p->r_ucsrb) {
        snprintf(err, errlen, "simavr's USART0 register layout is not the atmega2560's");
        return -1;
    }
    hook_write(avr, p->r_udr, udr_write, b, NULL, NULL);
    avr->io[AVR_DATA_TO_IO(p->r_udr)].r.c = udr_read;
    avr->io[AVR_DATA_TO_IO(p->r_udr)].r.param = b;
    hook_write(avr, p->r_ucsra, ucsra_write, b, &u->stock_ucsra_w, &u->stock_ucsra_p);
    hook_write(avr, p->r_ucsrb, ucsrb_write, b, &u->stock_ucsrb_w, &u->stock_ucsrb_p);
    hook_write(avr, p->ubrrl.reg, ubrrl_write, b, &u->stock_ubrrl_w, &u->stock_ubrrl_p);
    if (!u->stock_ucsra_w || !u->stock_ucsrb_w || !u->stock_ubrrl_w) {
        snprintf(err, errlen, "simavr's USART0 lacks a register handler");
        return -1;
    }
    uarts_reset_state(b);
    return 0;
}

void lsavr_uart_after_reset(struct lsavr *b)
{
    uarts_reset_state(b);
}
