#include "temp_report.h"

#include <stdio.h>
#include <string.h>

int temp_report_m105(const struct temp_report_entry *entries, size_t n, char *buf, size_t len)
{
    if (!buf || !len)
        return -1;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!entries[i].gcode_id || !entries[i].gcode_id[0])
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(entries[i].gcode_id, entries[j].gcode_id) == 0)
                return -1;
    }
    if (n == 0) {
        int w = snprintf(buf, len, "T:0");
        if (w < 0 || (size_t)w >= len) {
            buf[0] = '\0';
            return -1;
        }
        return w;
    }
    /* Selection by id each round keeps the caller's array untouched; a
     * printer has a handful of sensors. */
    size_t used = 0;
    const char *prev = NULL;
    for (size_t k = 0; k < n; k++) {
        const struct temp_report_entry *next = NULL;
        for (size_t i = 0; i < n; i++) {
            const char *id = entries[i].gcode_id;
            if (prev && strcmp(id, prev) <= 0)
                continue;
            if (!next || strcmp(id, next->gcode_id) < 0)
                next = &entries[i];
        }
        int w = snprintf(buf + used, len - used, "%s%s:%.1f /%.1f", k ? " " : "", next->gcode_id,
                         next->temp, next->target);
        if (w < 0 || (size_t)w >= len - used) {
            buf[0] = '\0';
            return -1;
        }
        used += (size_t)w;
        prev = next->gcode_id;
    }
    return (int)used;
}
