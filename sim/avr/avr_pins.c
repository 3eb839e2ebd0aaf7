/* Digital pins and analog inputs of the simulated atmega2560.
 *
 * A pin's reported level is what the chip drives onto it: the PORT bit
 * when DDR makes it an output, 0 while it is an input (not driven). Every
 * path that changes PORT or DDR in simavr (OUT/SBI/CBI/ST to PORTx, DDRx,
 * a 1 written to PINx, timer compare outputs) raises the port's "8>port"
 * or "8>ddr" IRQ, so watching those two IRQs catches every change without
 * any cost per instruction. */
#include "avr_internal.h"

#include <avr_adc.h>

#include <stdio.h>
#include <string.h>

static void emit_changes(struct lsavr *b, unsigned idx, uint8_t ddr, uint8_t port)
{
    struct lsavr_port *ps = &b->ports[idx];
    uint8_t level = ddr & port;
    uint8_t changed = level ^ ps->out_level;
    if (!changed)
        return;
    ps->out_level = level;
    /* The instruction that wrote the register started at avr->cycle
     * (simavr adds its cycles after it completes). */
    uint64_t cycle = b->avr->cycle;
    for (unsigned bit = 0; bit < 8; bit++)
        if (changed & (1u << bit))
            sim_mcu_emit_pin(b->m, cycle, idx * 8 + bit, (level >> bit) & 1);
}

static struct lsavr *port_backend(struct lsavr_port *ps)
{
    return ps->io->io.avr->custom.data;
}

static void port_reg_changed(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    struct lsavr_port *ps = param;
    struct lsavr *b = port_backend(ps);
    avr_t *avr = b->avr;
    emit_changes(b, (unsigned)(ps - b->ports), avr->data[ps->io->r_ddr], (uint8_t)value);
}

/* simavr raises "8>ddr" before it stores the new DDR value, so take DDR
 * from the IRQ value. */
static void ddr_reg_changed(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    struct lsavr_port *ps = param;
    struct lsavr *b = port_backend(ps);
    avr_t *avr = b->avr;
    emit_changes(b, (unsigned)(ps - b->ports), (uint8_t)value, avr->data[ps->io->r_port]);
}

int lsavr_pins_install(struct lsavr *b, char *err, size_t errlen)
{
    avr_t *avr = b->avr;
    memset(b->ports, 0, sizeof(b->ports));
    for (avr_io_t *io = avr->io_port; io; io = io->next) {
        if (strcmp(io->kind, "port"))
            continue;
        avr_ioport_t *p = (avr_ioport_t *)io;
        int idx = p->name - 'A';
        if (idx < 0 || idx >= LSAVR_NPORTS || idx == 'I' - 'A') {
            snprintf(err, errlen, "simavr core has an unexpected PORT%c", p->name);
            return -1;
        }
        struct lsavr_port *ps = &b->ports[idx];
        ps->io = p;
        ps->reg_port_irq = p->io.irq + IOPORT_IRQ_REG_PORT;
        ps->ddr_irq = p->io.irq + IOPORT_IRQ_DIRECTION_ALL;
        avr_irq_register_notify(ps->reg_port_irq, port_reg_changed, ps);
        avr_irq_register_notify(ps->ddr_irq, ddr_reg_changed, ps);
    }
    for (int i = 0; i < LSAVR_NPORTS; i++) {
        if (i != 'I' - 'A' && !b->ports[i].io) {
            snprintf(err, errlen, "simavr core lacks PORT%c", 'A' + i);
            return -1;
        }
    }
    return 0;
}

/* avr_reset() zeroes every I/O register behind simavr's back: outputs
 * become inputs, and the IRQs that filter repeated values still hold the
 * old values, which would hide the firmware's first writes (and a
 * pull-up's level) after the reset. */
void lsavr_pins_after_reset(struct lsavr *b)
{
    avr_t *avr = b->avr;
    for (unsigned i = 0; i < LSAVR_NPORTS; i++) {
        struct lsavr_port *ps = &b->ports[i];
        if (!ps->io)
            continue;
        ps->reg_port_irq->value = 0;
        ps->ddr_irq->value = 0;
        emit_changes(b, i, 0, 0);
        uint8_t pin = ps->driven_val & ps->driven_mask;
        avr->data[ps->io->r_pin] = pin;
        for (int bit = 0; bit < 8; bit++)
            ps->io->io.irq[bit].value = (pin >> bit) & 1;
    }
}

static struct lsavr_port *pin_port(struct lsavr *b, unsigned pin)
{
    if (pin >= LSAVR_NPORTS * 8)
        return NULL;
    struct lsavr_port *ps = &b->ports[pin / 8];
    return ps->io ? ps : NULL;
}

/* Drive an input from outside (level 0 or 1), or stop driving it (level
 * < 0): then it floats, and reads 1 if its pull-up (PORT bit) is on. The
 * "external" state given to simavr makes its port code keep a driven
 * level when the firmware rewrites PORT, instead of replacing it with the
 * pull-up level. */
void lsavr_set_input(struct sim_mcu *m, unsigned pin, int level)
{
    struct lsavr *b = m->backend;
    struct lsavr_port *ps = pin_port(b, pin);
    if (!ps)
        return;
    avr_t *avr = b->avr;
    unsigned bit = pin % 8;
    uint8_t mask = (uint8_t)(1u << bit);
    int value;
    if (level < 0) {
        ps->driven_mask &= (uint8_t)~mask;
        ps->driven_val &= (uint8_t)~mask;
        value = (avr->data[ps->io->r_port] >> bit) & 1;
    } else {
        value = level ? 1 : 0;
        ps->driven_mask |= mask;
        if (value)
            ps->driven_val |= mask;
        else
            ps->driven_val &= (uint8_t)~mask;
    }
    avr_ioport_external_t ext = {
        .name = (unsigned long)ps->io->name & 0x7f,
        .mask = ps->driven_mask,
        .value = ps->driven_val,
    };
    avr_ioctl(avr, AVR_IOCTL_IOPORT_SET_EXTERNAL(ps->io->name), &ext);
    /* Through the pin IRQ so that pin-change and external interrupts see
     * the edge too. */
    avr_raise_irq(ps->io->io.irq + bit, (uint32_t)value);
}

/* The ADC. simavr 1.6 keeps voltages for ADC0..7 only (its input IRQs for
 * ADC8..15 are ignored and reading those channels reads past its array),
 * and converts with Vin * 1023 / Vref where the datasheet has
 * Vin * 1024 / Vref (2500 mV of 5000 reads 511, not 512). So the result
 * registers are recomputed here for every single-ended channel, from the
 * voltages set through set_analog_mv(); differential, band-gap and GND
 * channels keep simavr's result. */
#define AVCC_MV 5000u

static uint32_t vref_mv(avr_t *avr, avr_adc_t *p)
{
    switch (avr_regbit_get_array(avr, p->ref, 3)) {
    case 2:
        return 1100; /* REFS = 10: internal 1.1 V */
    case 3:
        return 2560; /* REFS = 11: internal 2.56 V */
    default:
        return AVCC_MV; /* AVcc, and AREF assumed tied to it */
    }
}

static void datasheet_conversion(struct lsavr *b)
{
    avr_t *avr = b->avr;
    avr_adc_t *p = b->adc.io;
    uint8_t muxi = avr_regbit_get_array(avr, p->mux, 6);
    avr_adc_mux_t mux = p->muxmode[muxi];
    if (mux.kind != ADC_MUX_SINGLE || mux.src >= 16)
        return;
    uint32_t code = (uint32_t)((uint64_t)b->adc.mv[mux.src] * 1024 / vref_mv(avr, p));
    if (code > 1023)
        code = 1023;
    if (avr_regbit_get(avr, p->adlar))
        code <<= 6;
    avr->data[p->r_adcl] = (uint8_t)code;
    avr->data[p->r_adch] = (uint8_t)(code >> 8);
}

/* simavr converts when the result is first read (ADCL, or ADCH which
 * reads ADCL itself); correct it right after. */
static uint8_t adcl_read(avr_t *avr, avr_io_addr_t addr, void *param)
{
    struct lsavr *b = param;
    int fresh = b->adc.io->read_status == 0;
    b->adc.stock_l(avr, addr, b->adc.stock_lp);
    if (fresh)
        datasheet_conversion(b);
    return avr->data[addr];
}

static uint8_t adch_read(avr_t *avr, avr_io_addr_t addr, void *param)
{
    struct lsavr *b = param;
    int fresh = b->adc.io->read_status == 0;
    b->adc.stock_h(avr, addr, b->adc.stock_hp);
    if (fresh)
        datasheet_conversion(b);
    return avr->data[addr];
}

int lsavr_adc_install(struct lsavr *b, char *err, size_t errlen)
{
    avr_t *avr = b->avr;
    for (avr_io_t *io = avr->io_port; io; io = io->next)
        if (!strcmp(io->kind, "adc"))
            b->adc.io = (avr_adc_t *)io;
    avr_adc_t *p = b->adc.io;
    if (!p) {
        snprintf(err, errlen, "simavr core has no ADC");
        return -1;
    }
    unsigned l = AVR_DATA_TO_IO(p->r_adcl), h = AVR_DATA_TO_IO(p->r_adch);
    if (!avr->io[l].r.c || !avr->io[h].r.c) {
        snprintf(err, errlen, "simavr's ADC lacks its result register handlers");
        return -1;
    }
    b->adc.stock_l = avr->io[l].r.c;
    b->adc.stock_lp = avr->io[l].r.param;
    b->adc.stock_h = avr->io[h].r.c;
    b->adc.stock_hp = avr->io[h].r.param;
    avr->io[l].r.c = adcl_read;
    avr->io[l].r.param = b;
    avr->io[h].r.c = adch_read;
    avr->io[h].r.param = b;
    return 0;
}

void lsavr_set_analog_mv(struct sim_mcu *m, unsigned pin, uint32_t mv)
{
    struct lsavr *b = m->backend;
    unsigned ch;
    if (pin / 8 == (unsigned)('F' - 'A'))
        ch = pin % 8; /* PF0..PF7 = ADC0..7 */
    else if (pin / 8 == (unsigned)('K' - 'A'))
        ch = 8 + pin % 8; /* PK0..PK7 = ADC8..15 */
    else
        return;
    if (mv > AVCC_MV)
        mv = AVCC_MV;
    b->adc.mv[ch] = mv;
    /* simavr's differential channels still read its own copy. */
    if (ch < 8) {
        avr_irq_t *irq = avr_io_getirq(b->avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0 + (int)ch);
        if (irq)
            avr_raise_irq(irq, mv);
    }
}
