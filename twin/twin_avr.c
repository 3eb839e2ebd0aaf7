/* A workaround for simavr 1.6 that belongs in sim/avr (see the report of
 * the twin's issue): while a pin with an external interrupt (INT0..7) is
 * held low, simavr's "strict level trigger" mode polls it on every single
 * cycle through a cycle timer and avr_ioctl(), whether or not the
 * interrupt is enabled. RAMPS endstops are normally-closed switches to
 * GND: an open switch holds PE5 (INT5, X-min) and PD3 (INT3, Z-min) low
 * all the time, and the simulation runs about 140 times slower.
 *
 * Neither this project's firmware nor stock Klipper enables INTn (they
 * sample endstops from timers), so raising a level interrupt once per
 * falling edge (simavr's original behaviour) instead of every cycle
 * changes nothing they can see. */
#include <string.h>

#include <avr_extint.h>

#include "avr_internal.h"
#include "twin_internal.h"

void twin_avr_relax_level_interrupts(struct sim_mcu *m)
{
    if (strcmp(sim_mcu_backend(m), "avr"))
        return;
    struct lsavr *b = m->backend;
    if (!b || b->magic != LSAVR_MAGIC)
        return;
    for (uint8_t i = 0; i < 8; i++)
        avr_extint_set_strict_lvl_trig(b->avr, i, 0);
}
