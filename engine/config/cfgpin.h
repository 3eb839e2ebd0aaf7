/* Pin options: parsing "[^|~][!][chip:]NAME", checking the chip and the
 * name, and refusing a pin that two options claim.
 *
 * Chips: "mcu" always; NAME when an [mcu NAME] section exists; the
 * virtual chips other sections provide: "probe" with a [probe], [bltouch],
 * [smart_effector] or [probe_eddy_current ...] section, "tmcNNNN_STEPPER"
 * with a [tmcNNNN STEPPER] section. Pin names on a real MCU are checked
 * against the list given for it (the MCU dictionary's "pin" enumeration);
 * without a list any name of letters then digits (PA4, gpio12, P1.29,
 * EXP1_3) is accepted. Names on virtual chips are not checked. */
#ifndef LOCKSTEP_CONFIG_CFGPIN_H
#define LOCKSTEP_CONFIG_CFGPIN_H

#include <stdbool.h>
#include <stddef.h>

#include "cfgfile.h"
#include "config_pin.h"

/* Which modifiers an option accepts (Klipper allows '!' on most pins, '^'
 * and '~' only on inputs, neither on analog inputs). */
enum {
    CFG_PIN_CAN_INVERT = 1 << 0,
    CFG_PIN_CAN_PULL = 1 << 1,
};

/* Parse only: no chip or name check, no claim. Returns 0, or -1 with
 * err describing what is wrong with text. */
int cfg_parse_pin(const char *text, unsigned allow, struct config_pin *out, char *err,
                  size_t errlen);

/* The valid pin names of one MCU ("mcu" or an [mcu NAME] name), copied.
 * Returns 0, or -1 if mcu is empty. A later call for the same MCU
 * replaces the list. */
int cfg_set_pin_names(struct cfg_file *cfg, const char *mcu, const char *const *names,
                      size_t count);

/* Read a pin option. share names a kind of use that may share one pin
 * (Klipper lets steppers share an enable pin: "stepper_enable"); two
 * claims of the same chip and pin are refused unless both give the same
 * share and the same modifiers. Returns true with *out when the option is
 * present and valid; false when absent (cfg_getpin) or on error. */
bool cfg_getpin(struct cfg_section *s, const char *option, unsigned allow, const char *share,
                struct config_pin *out);
bool cfg_getpin_req(struct cfg_section *s, const char *option, unsigned allow, const char *share,
                    struct config_pin *out);

#endif
