/* The printer as its printer.cfg describes it: the sections this engine
 * implements, read and checked with Klipper's option names, defaults,
 * ranges and derived defaults (see Klipper's Config Reference).
 *
 *   [mcu] [mcu NAME]   [printer]   [stepper_x] [stepper_y] [stepper_z]
 *   [extruder]   [heater_bed]   [fan]   [force_move]
 *   [homing_override]   [safe_z_home]
 *
 * An option these sections do not know is an error, as in Klipper. Other
 * sections ([bltouch], [tmc2209 stepper_x], [gcode_macro X], [extruder1],
 * ...) are ignored and listed in one warning, so a real Klipper config
 * loads. Lengths are mm, speeds mm/s, accelerations mm/s^2, times s,
 * temperatures Celsius, resistances ohm, powers and speeds of fans 0..1. */
#ifndef LOCKSTEP_CONFIG_PRINTER_CONFIG_H
#define LOCKSTEP_CONFIG_PRINTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "config_pin.h"

#define PRINTER_MAX_MCUS 8

enum printer_kinematics { KINEMATICS_CARTESIAN, KINEMATICS_COREXY, KINEMATICS_NONE };

enum mcu_restart_method { RESTART_ARDUINO, RESTART_CHEETAH, RESTART_RPI_USB, RESTART_COMMAND };

struct mcu_config {
    char name[CONFIG_NAME_MAX];             /* "mcu" for [mcu], NAME for [mcu NAME] */
    char *serial;                           /* a device path, or lockstep's "sim:avr" etc. */
    int baud;                               /* default 250000 */
    enum mcu_restart_method restart_method; /* default arduino */
};

/* The motor half of a stepper section (also the extruder's motor). */
struct stepper_config {
    char name[CONFIG_NAME_MAX]; /* its section: "stepper_x", "extruder" */
    struct config_pin step_pin, dir_pin;
    bool has_enable_pin; /* without one the driver is always enabled */
    struct config_pin enable_pin;
    int microsteps;
    int full_steps_per_rotation; /* default 200, a multiple of 4 */
    double rotation_distance;    /* per turn of the motor, or of the final gear */
    double gear_ratio;           /* "80:16, 3:1" -> 15; 1 without gear_ratio */
    /* Travel per microstep: rotation_distance / (full_steps_per_rotation *
     * microsteps) / gear_ratio. */
    double step_distance;
    double step_pulse_duration; /* default 2 us */
};

/* An axis: its motor, endstop and homing (stepper_x/y/z). */
struct rail_config {
    struct stepper_config stepper;
    struct config_pin endstop_pin;
    double position_endstop;
    double position_min; /* default 0 */
    double position_max;
    double homing_speed;         /* default 5 */
    double second_homing_speed;  /* default homing_speed / 2 */
    double homing_retract_speed; /* default homing_speed */
    double homing_retract_dist;  /* default 5; 0 disables the second touch */
    /* Default: true when position_endstop lies in the top quarter of
     * position_min..position_max, false in the bottom quarter (else the
     * config is refused). */
    bool homing_positive_dir;
};

enum heater_control { HEATER_CONTROL_WATERMARK, HEATER_CONTROL_PID };

enum sensor_kind {
    SENSOR_THERMISTOR, /* "EPCOS 100K B57560G104F", "Generic 3950", ... */
    SENSOR_PT1000,     /* "PT1000" wired to the ADC with a pull-up */
    SENSOR_AMPLIFIER,  /* "AD595", "PT100 INA826", ...: voltage out */
};

/* A heater with its temperature sensor ([extruder], [heater_bed]). */
struct heater_config {
    struct config_pin heater_pin;
    double max_power; /* default 1 */
    char sensor_type[CONFIG_NAME_MAX];
    enum sensor_kind sensor_kind;
    struct config_pin sensor_pin; /* an analog input */
    double pullup_resistor;       /* thermistor, PT1000: default 4700 */
    double inline_resistor;       /* thermistor: default 0 */
    double adc_voltage;           /* amplifier: default 5 V */
    double voltage_offset;        /* amplifier: default 0 V */
    double smooth_time;           /* default 1 */
    enum heater_control control;
    double pid_kp, pid_ki, pid_kd; /* pid: as written (Klipper divides by 255) */
    double max_delta;              /* watermark: default 2 */
    double pwm_cycle_time;         /* default 0.1 */
    double min_extrude_temp;       /* default 170 */
    double min_temp, max_temp;
};

struct extruder_config {
    bool present;
    /* False when the section names none of the stepper options (a hotend
     * without a motor of its own). */
    bool has_stepper;
    struct stepper_config stepper;
    double nozzle_diameter;
    double filament_diameter;
    double max_extrude_cross_section;     /* default 4 * nozzle_diameter^2 */
    double instantaneous_corner_velocity; /* default 1 */
    double max_extrude_only_distance;     /* default 50 */
    /* Defaults: the printer's max_velocity / max_accel times the filament
     * ratio of a 4 * nozzle_diameter^2 cross section, i.e.
     * 4 * nozzle_diameter^2 / (pi * (filament_diameter / 2)^2). */
    double max_extrude_only_velocity;
    double max_extrude_only_accel;
    double pressure_advance;             /* default 0 */
    double pressure_advance_smooth_time; /* default 0.040 */
    struct heater_config heater;
};

struct heater_bed_config {
    bool present;
    struct heater_config heater;
};

struct fan_config {
    bool present;
    struct config_pin pin;
    double max_power;       /* default 1 */
    double shutdown_speed;  /* default 0 */
    double cycle_time;      /* default 0.010 */
    bool hardware_pwm;      /* default false */
    double kick_start_time; /* default 0.100 */
    double off_below;       /* default 0 */
    bool has_enable_pin;
    struct config_pin enable_pin;
    bool has_tachometer_pin;
    struct config_pin tachometer_pin;
    int tachometer_ppr;              /* default 2 */
    double tachometer_poll_interval; /* default 0.0015 */
};

struct homing_override_config {
    bool present;
    char *gcode;  /* the script, one command per line */
    bool axes[3]; /* X, Y, Z: which axes' homing runs the script (default all) */
    bool has_set_position[3];
    double set_position[3]; /* assumed position of X, Y, Z before the script */
};

struct safe_z_home_config {
    bool present;
    double home_x, home_y; /* home_xy_position */
    double speed;          /* default 50 */
    double z_hop;          /* default 0: no hop */
    double z_hop_speed;    /* default 15 */
    bool move_to_previous; /* default false */
};

struct printer_config {
    struct mcu_config mcus[PRINTER_MAX_MCUS]; /* [0] is [mcu], then [mcu NAME] in file order */
    size_t nmcus;

    enum printer_kinematics kinematics;
    double max_velocity;
    double max_accel;
    double minimum_cruise_ratio;   /* default 0.5 (or from max_accel_to_decel) */
    double square_corner_velocity; /* default 5 */
    double max_z_velocity;         /* default max_velocity (for none: max_velocity) */
    double max_z_accel;            /* default max_accel (for none: max_accel) */

    /* stepper_x, stepper_y, stepper_z; all three for cartesian and corexy,
     * none for kinematics none. */
    struct rail_config rails[3];
    size_t nrails;

    struct extruder_config extruder;
    struct heater_bed_config heater_bed;
    struct fan_config fan;
    bool enable_force_move; /* [force_move] enable_force_move, default false */
    struct homing_override_config homing_override;
    struct safe_z_home_config safe_z_home;

    /* NULL, or one line: the sections that were ignored, with where each
     * is, and any notes of the reader (an include pattern matching no file). */
    char *warnings;
};

/* Valid pin names of one MCU, e.g. the names of the "pin" enumeration in
 * its data dictionary. MCUs without a list accept any PA4-like name. */
struct printer_config_pins {
    const char *mcu; /* "mcu" or the NAME of an [mcu NAME] section */
    const char *const *names;
    size_t count;
};

struct printer_config_opts {
    const struct printer_config_pins *pins;
    size_t npins;
};

/* Read and check the configuration (opts may be NULL). Returns 0 and fills
 * *out (release it with printer_config_free), or -1 with a message in err
 * ("printer.cfg:14: [stepper_x] option 'rotation_distance': expected a
 * number above 0, got '-40'") leaving *out untouched. */
int printer_config_load(const char *path, const struct printer_config_opts *opts,
                        struct printer_config *out, char *err, size_t errlen);
/* The same from text; name stands for the file in messages and includes. */
int printer_config_load_string(const char *text, const char *name,
                               const struct printer_config_opts *opts, struct printer_config *out,
                               char *err, size_t errlen);
void printer_config_free(struct printer_config *pc);

/* The MCU of that name, or NULL (e.g. for a virtual chip such as "probe"). */
const struct mcu_config *printer_config_mcu(const struct printer_config *pc, const char *name);

#endif
