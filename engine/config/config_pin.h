/* A micro-controller pin as a config option names it: "PA4", "!PA4",
 * "^PA4", "~PA4", "^!PA4", "extra:PA4". Shared by the reader and the
 * typed printer configuration. */
#ifndef LOCKSTEP_CONFIG_PIN_H
#define LOCKSTEP_CONFIG_PIN_H

#include <stdbool.h>

/* Longest MCU or pin name, with its terminating NUL. */
#define CONFIG_NAME_MAX 48

struct config_pin {
    /* "mcu" for the primary MCU, NAME for an [mcu NAME] section, or a
     * virtual chip another section provides ("probe" for
     * probe:z_virtual_endstop, "tmc2209_stepper_x" for
     * tmc2209_stepper_x:virtual_endstop). */
    char mcu[CONFIG_NAME_MAX];
    char name[CONFIG_NAME_MAX]; /* the hardware name, e.g. "PA4" */
    bool invert;                /* '!': active low */
    bool pullup;                /* '^': enable the pull-up resistor */
    bool pulldown;              /* '~': enable the pull-down resistor */
};

#endif
