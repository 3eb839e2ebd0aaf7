/* Klipper's M105 answer: "B:60.1 /60.0 T0:200.3 /200.0", one
 * "ID:temperature /target" per sensor with a G-code id (the extruder is
 * T0, the bed B), sorted by id, temperatures with one decimal; "T:0"
 * when there is none (or before the printer is ready). Klipper sends it
 * as the "ok" line: "ok B:60.1 /60.0 T0:200.3 /200.0". */
#ifndef LOCKSTEP_HEATER_TEMP_REPORT_H
#define LOCKSTEP_HEATER_TEMP_REPORT_H

#include <stddef.h>

struct temp_report_entry {
    const char *gcode_id; /* "T0", "B", ... */
    double temp, target;  /* heater_get_temp() */
};

/* Writes the line into buf. Returns its length, or -1 with an empty buf
 * when it does not fit, an id is missing or empty, or two entries share
 * an id. */
int temp_report_m105(const struct temp_report_entry *entries, size_t n, char *buf, size_t len);

#endif
