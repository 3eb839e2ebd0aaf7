/* RAMPS 1.4 on an Arduino Mega 2560, wired as Klipper's generic RAMPS
 * config expects (Arduino pin numbers in the comments). */
#include "board.h"

#define PIN(port, bit) ((unsigned)(((port) - 'A') * 8 + (bit)))

/* The endstop headers carry signal, GND and 5 V; a normally-closed switch
 * between signal and GND holds the input low until pressed, when the
 * MCU's pull-up takes it high: hence '^' without '!' in the config. The
 * extruder socket has no endstop. */
static const struct board_stepper ramps14_steppers[] = {
    {.name = "stepper_x",
     .step_pin = PIN('F', 0),   /* D54 */
     .dir_pin = PIN('F', 1),    /* D55 */
     .enable_pin = PIN('D', 7), /* D38 */
     .enable_active_low = true,
     .has_endstop = true,
     .endstop_pin = PIN('E', 5), /* D3, X-min */
     .endstop_pullup = true,
     .endstop_triggered_level = 1},
    {.name = "stepper_y",
     .step_pin = PIN('F', 6),   /* D60 */
     .dir_pin = PIN('F', 7),    /* D61 */
     .enable_pin = PIN('F', 2), /* D56 */
     .enable_active_low = true,
     .has_endstop = true,
     .endstop_pin = PIN('J', 1), /* D14, Y-min */
     .endstop_pullup = true,
     .endstop_triggered_level = 1},
    {.name = "stepper_z",
     .step_pin = PIN('L', 3),   /* D46 */
     .dir_pin = PIN('L', 1),    /* D48 */
     .enable_pin = PIN('K', 0), /* D62 */
     .enable_active_low = true,
     .has_endstop = true,
     .endstop_pin = PIN('D', 3), /* D18, Z-min */
     .endstop_pullup = true,
     .endstop_triggered_level = 1},
    {.name = "extruder",
     .step_pin = PIN('A', 4),   /* D26 */
     .dir_pin = PIN('A', 6),    /* D28 */
     .enable_pin = PIN('A', 2), /* D24 */
     .enable_active_low = true},
};

/* Thermistors sit below a 4.7 kOhm pull-up to the 5 V ADC reference. */
static const struct board_heater ramps14_heaters[] = {
    {.name = "extruder",
     .heater_pin = PIN('B', 4), /* D10 */
     .sensor_pin = PIN('K', 5), /* A13 */
     .sensor_pullup_ohms = 4700},
    {.name = "heater_bed",
     .heater_pin = PIN('H', 5), /* D8 */
     .sensor_pin = PIN('K', 6), /* A14 */
     .sensor_pullup_ohms = 4700},
};

const struct board board_ramps14 = {
    .name = "ramps14",
    .description = "RAMPS 1.4 on an Arduino Mega 2560 (A4988 drivers)",
    .mcu = "atmega2560",
    .clock_hz = 16e6,
    .steppers = ramps14_steppers,
    .stepper_count = sizeof(ramps14_steppers) / sizeof(ramps14_steppers[0]),
    .heaters = ramps14_heaters,
    .heater_count = sizeof(ramps14_heaters) / sizeof(ramps14_heaters[0]),
    .has_fan = true,
    .fan_pin = PIN('H', 6), /* D9 */
};
