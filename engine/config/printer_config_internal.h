/* The section readers of printer_config.c, one file per group of
 * sections. Each reads its section into pc, records any error in the
 * section's cfg_file (see cfgfile.h) and then refuses unread options. */
#ifndef LOCKSTEP_CONFIG_PRINTER_CONFIG_INTERNAL_H
#define LOCKSTEP_CONFIG_PRINTER_CONFIG_INTERNAL_H

#include <stdbool.h>

#include "cfgfile.h"
#include "printer_config.h"

/* printer_config_stepper.c */
void read_rail(struct cfg_section *s, struct rail_config *rail);
void read_extruder(struct cfg_section *s, const struct printer_config *pc,
                   struct extruder_config *ex);

/* printer_config_heater.c: the heater options, shared by [extruder] and
 * [heater_bed] (the caller checks unused options). */
void read_heater(struct cfg_section *s, struct heater_config *h);
void read_heater_bed(struct cfg_section *s, struct heater_bed_config *bed);
void read_fan(struct cfg_section *s, struct fan_config *fan);

/* printer_config_homing.c */
void read_homing_override(struct cfg_section *s, struct homing_override_config *ho);
void read_safe_z_home(struct cfg_section *s, struct safe_z_home_config *sz);
void read_force_move(struct cfg_section *s, bool *enable_force_move);

/* klipper_sections.c: does Klipper have a section of this name (by its
 * first word, e.g. "tmc2209" of "tmc2209 stepper_x")? */
bool klipper_knows_section(const char *name);

#endif
