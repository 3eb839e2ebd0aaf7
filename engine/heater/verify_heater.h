/* Klipper's [verify_heater]: once a second, compare a heater's
 * temperature with its target and shut the printer down when it does not
 * heat as expected.
 *
 * Near the target (within hysteresis below it) the error counter is
 * cleared. Below that range, every check adds how far below it the
 * temperature is; when the target changes, the heater gets
 * check_gain_time to gain heating_gain degrees, again and again while it
 * approaches, and the counter is cleared at each gain. Once it stops
 * gaining, or while it holds a target it reached, a counter at max_error
 * is a fault: "Heater extruder not heating at expected rate". A heater
 * that stays at ambient after a new target therefore fails after
 * check_gain_time plus one or two checks. */
#ifndef LOCKSTEP_HEATER_VERIFY_HEATER_H
#define LOCKSTEP_HEATER_VERIFY_HEATER_H

#include <stdbool.h>
#include <stddef.h>

/* Seconds between checks (Klipper's timer period). */
#define VERIFY_HEATER_CHECK_PERIOD 1.0

#define VERIFY_HEATER_TEXT "Heater %s not heating at expected rate"
/* Klipper appends this to the shutdown message. */
#define VERIFY_HEATER_HINT                                                                         \
    "\nSee the 'verify_heater' section in docs/Config_Reference.md\n"                              \
    "for the parameters that control this check.\n"

struct verify_heater_params {
    double max_error;       /* default 120 (C*checks), at least 0 */
    double check_gain_time; /* default 20 s, 60 s for heater_bed; at least 1 */
    double hysteresis;      /* default 5 C, at least 0 */
    double heating_gain;    /* default 2 C, above 0 */
};

/* Klipper's defaults for the heater of that name. */
void verify_heater_defaults(const char *heater_name, struct verify_heater_params *p);

/* The check's state; treat the fields as private. */
struct verify_heater {
    char heater_name[48];
    struct verify_heater_params p;
    bool started, fired;
    double next_check;
    bool approaching, starting_approach;
    double last_target, goal_temp, goal_time, error;
};

/* Returns 0, or -1 with a message naming the option (as Klipper's
 * [verify_heater NAME] section would) when a parameter is out of range. */
int verify_heater_init(struct verify_heater *v, const char *heater_name,
                       const struct verify_heater_params *p, char *err, size_t errlen);

/* Run every check due at or before print time `now` (the first at the
 * first call, then every VERIFY_HEATER_CHECK_PERIOD), each with this
 * temperature and target (heater_get_temp() gives both). Call it at each
 * reading or from a timer. Returns 1 when the check fires, with
 * Klipper's shutdown text (VERIFY_HEATER_TEXT then VERIFY_HEATER_HINT)
 * in msg; it then stays fired and returns 1 again without a message.
 * Returns 0 otherwise, and -1 for a non-finite argument. */
int verify_heater_check(struct verify_heater *v, double now, double temp, double target, char *msg,
                        size_t msglen);

#endif
