/* Fault specs of the twin: what goes wrong, where, and when.
 *
 *   SPEC   = WHAT [ "@" WHEN ]
 *   WHAT   = slip:STEPPER:N            the rotor loses N electrical cycles (N x 4
 *                                      full steps) at the stepper's next step
 *          | torque:STEPPER:SCALE      the motor gives SCALE x its torque (0..100)
 *          | endstop-open:RAIL         the switch never reports triggered
 *          | endstop-closed:RAIL       the switch always reports triggered
 *          | endstop-ok:RAIL           the switch works again
 *          | thermistor-open:HEATER    the pin reads the pull-up
 *          | thermistor-short:HEATER   the pin reads 0 V
 *          | thermistor-detached:HEATER  the thermistor drifts to ambient
 *          | heater-open:HEATER        the heater is disconnected
 *          | mosfet-stuck-on:HEATER    full power whatever the pin says
 *          | heater-ok:HEATER          every fault of that heater repaired
 *          | host-stall:SECONDS        the host sends nothing for that long
 *          | wire-jam:SECONDS          the host's bytes are held on the wire for
 *                                      that long, then reach the MCU together
 *   WHEN   = t=SECONDS                 at that simulated time
 *          | line=N                    when the engine starts G-code line N
 *          | HEATER>TEMP | HEATER<TEMP when that thermistor's temperature
 *                                      passes TEMP (C): checked every 10 ms,
 *                                      true after having been false
 *   STEPPER = stepper_x | stepper_y | stepper_z | extruder (or x, y, z, e)
 *   RAIL    = stepper_x | stepper_y | stepper_z (or x, y, z)
 *   HEATER  = extruder | heater_bed (or e, bed)
 *
 * Without "@" the fault acts at once. Each fault acts once. */
#ifndef LOCKSTEP_TWIN_FAULT_H
#define LOCKSTEP_TWIN_FAULT_H

#include <stddef.h>

#include "twin.h"

enum twin_fault_kind {
    TWIN_FAULT_SLIP,
    TWIN_FAULT_TORQUE,
    TWIN_FAULT_ENDSTOP_OPEN,
    TWIN_FAULT_ENDSTOP_CLOSED,
    TWIN_FAULT_ENDSTOP_OK,
    TWIN_FAULT_THERMISTOR_OPEN,
    TWIN_FAULT_THERMISTOR_SHORT,
    TWIN_FAULT_THERMISTOR_DETACHED,
    TWIN_FAULT_HEATER_OPEN,
    TWIN_FAULT_MOSFET_STUCK_ON,
    TWIN_FAULT_HEATER_OK,
    TWIN_FAULT_HOST_STALL,
    TWIN_FAULT_WIRE_JAM,
};

enum twin_fault_when {
    TWIN_WHEN_NOW,
    TWIN_WHEN_TIME,
    TWIN_WHEN_LINE,
    TWIN_WHEN_ABOVE, /* a heater's thermistor above a temperature */
    TWIN_WHEN_BELOW,
};

enum twin_part_kind { TWIN_PART_NONE, TWIN_PART_STEPPER, TWIN_PART_RAIL, TWIN_PART_HEATER };

struct twin_fault {
    char spec[128]; /* as given */
    enum twin_fault_kind kind;
    enum twin_part_kind part_kind;
    char part[TWIN_NAME_MAX]; /* the config section: "stepper_x", "heater_bed" */
    double value;             /* cycles (slip), scale (torque), seconds (host-stall, wire-jam) */
    enum twin_fault_when when;
    double at_time;            /* s */
    unsigned long at_line;     /* 1 = the first line */
    char watch[TWIN_NAME_MAX]; /* heater of a condition */
    double threshold;          /* C */
};

/* Read a spec. Returns 0, or -1 with err quoting the spec and saying what
 * was expected there (f unchanged). Whether the printer has the part is
 * twin_add_fault's business. */
int twin_fault_parse(const char *spec, struct twin_fault *f, char *err, size_t errlen);

/* The grammar above in a few lines, for --help texts. */
const char *twin_fault_help(void);

#endif
