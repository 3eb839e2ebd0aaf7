/* Board descriptions: which MCU pin is wired to which part, for the
 * digital twin. A board is wiring only: which pin steps which driver,
 * what level enables the driver, whether an input has a pull-up and what
 * level a pressed switch gives. Choices a printer.cfg makes (dir
 * inversions, which end an endstop sits at, heater control) are not here.
 *
 * Pins are numbered as the firmware and the simulated MCU number them:
 * (port letter - 'A') * 8 + bit, so PA0 = 0, PF0 = 40, PK5 = 85. */
#ifndef LOCKSTEP_SIM_MODELS_BOARD_H
#define LOCKSTEP_SIM_MODELS_BOARD_H

#include <stdbool.h>
#include <stddef.h>

struct board_stepper {
    const char *name; /* as the printer.cfg section: "stepper_x", "extruder" */
    unsigned step_pin;
    unsigned dir_pin;
    unsigned enable_pin;
    bool enable_active_low; /* the A4988's ENABLE input is active low */
    bool has_endstop;
    unsigned endstop_pin;
    bool endstop_pullup;         /* the input needs the MCU's pull-up */
    int endstop_triggered_level; /* pin level while the switch is pressed */
};

struct board_heater {
    const char *name; /* "extruder" or "heater_bed" */
    unsigned heater_pin;
    unsigned sensor_pin;       /* an ADC input */
    double sensor_pullup_ohms; /* the thermistor's pull-up resistor to the ADC reference */
};

struct board {
    const char *name;
    const char *description;
    const char *mcu; /* "atmega2560" */
    double clock_hz;
    const struct board_stepper *steppers;
    size_t stepper_count;
    const struct board_heater *heaters;
    size_t heater_count;
    bool has_fan;
    unsigned fan_pin;
};

/* The board with that name ("ramps14"), or NULL. */
const struct board *board_find(const char *name);
/* The known board names, "a, b", for an error message. */
const char *board_names(void);
/* All boards, for listings: board_at(i) for i < board_count(). */
size_t board_count(void);
const struct board *board_at(size_t i);

/* A part of b by name, or NULL. */
const struct board_stepper *board_stepper(const struct board *b, const char *name);
const struct board_heater *board_heater(const struct board *b, const char *name);

/* Pin names of the atmega2560 (ports A-H and J-L, PG0-PG5 only): "PF0"
 * -> 40. Returns 0, or -1 with err saying what was expected. */
int board_pin_number(const char *name, unsigned *pin, char *err, size_t errlen);
/* 40 -> "PF0". Returns 0, or -1 if pin is not a pin of the chip (buf then
 * holds "?"). buf needs 4 bytes. */
int board_pin_name(unsigned pin, char *buf, size_t len);

#endif
