/* The typed printer configuration: the example configs, each class of
 * error, derived defaults, and the warning for sections not implemented. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg_test_util.h"
#include "printer_config.h"

#define NEAR(a, b) (fabs((double)(a) - (double)(b)) < 1e-9 * (1 + fabs((double)(b))))

static const char mcu_sec[] = "[mcu]\n"
                              "serial: /dev/ttyACM0\n";
static const char printer_sec[] = "[printer]\n"
                                  "kinematics: cartesian\n"
                                  "max_velocity: 300\n"
                                  "max_accel: 3000\n";
static const char x_sec[] = "[stepper_x]\n"
                            "step_pin: PF0\n"
                            "dir_pin: PF1\n"
                            "enable_pin: !PD7\n"
                            "microsteps: 16\n"
                            "rotation_distance: 40\n"
                            "endstop_pin: ^PE5\n"
                            "position_endstop: 0\n"
                            "position_max: 200\n";
static const char y_sec[] = "[stepper_y]\n"
                            "step_pin: PF6\n"
                            "dir_pin: PF7\n"
                            "enable_pin: !PF2\n"
                            "microsteps: 16\n"
                            "rotation_distance: 40\n"
                            "endstop_pin: ^PJ1\n"
                            "position_endstop: 0\n"
                            "position_max: 200\n";
static const char z_sec[] = "[stepper_z]\n"
                            "step_pin: PL3\n"
                            "dir_pin: PL1\n"
                            "enable_pin: !PK0\n"
                            "microsteps: 16\n"
                            "rotation_distance: 8\n"
                            "endstop_pin: ^PD3\n"
                            "position_endstop: 0.5\n"
                            "position_max: 200\n";
static const char extruder_sec[] = "[extruder]\n"
                                   "step_pin: PA4\n"
                                   "dir_pin: PA6\n"
                                   "enable_pin: !PA2\n"
                                   "microsteps: 16\n"
                                   "rotation_distance: 33.5\n"
                                   "nozzle_diameter: 0.4\n"
                                   "filament_diameter: 1.75\n"
                                   "heater_pin: PB4\n"
                                   "sensor_type: EPCOS 100K B57560G104F\n"
                                   "sensor_pin: PK5\n"
                                   "control: pid\n"
                                   "pid_Kp: 22.2\n"
                                   "pid_Ki: 1.08\n"
                                   "pid_Kd: 114\n"
                                   "min_temp: 0\n"
                                   "max_temp: 250\n";

/* The minimal cartesian printer: 2 + 4 + 9 * 3 = 33 lines and a blank
 * one, so appended text starts at line 35. */
static char *base_with(const char *extra)
{
    size_t n = strlen(mcu_sec) + strlen(printer_sec) + 3 * strlen(x_sec) + strlen(extra) + 16;
    char *text = malloc(n);
    assert_non_null(text);
    snprintf(text, n, "%s%s%s%s%s\n%s", mcu_sec, printer_sec, x_sec, y_sec, z_sec, extra);
    return text;
}

static void load_ok(const char *text, const struct printer_config_opts *opts,
                    struct printer_config *pc)
{
    char err[1024] = "";
    if (printer_config_load_string(text, "printer.cfg", opts, pc, err, sizeof(err)) != 0)
        fail_msg("unexpected error: %s", err);
}

static void fails_with(const char *text, const struct printer_config_opts *opts,
                       const char *expected)
{
    char err[1024] = "";
    struct printer_config pc;
    if (printer_config_load_string(text, "printer.cfg", opts, &pc, err, sizeof(err)) == 0) {
        printer_config_free(&pc);
        fail_msg("expected an error containing \"%s\"", expected);
    }
    if (!contains(err, expected))
        fail_msg("error \"%s\"\n  lacks \"%s\"", err, expected);
}

static void base_fails(const char *extra, const char *expected)
{
    char *text = base_with(extra);
    fails_with(text, NULL, expected);
    free(text);
}

/* The ATmega2560's pins, as its dictionary's "pin" enumeration has them. */
static char avr_names[11 * 8][4];
static const char *avr_pins[11 * 8];
static const struct printer_config_pins avr_list = {"mcu", avr_pins, 11 * 8};
static const struct printer_config_opts avr_opts = {&avr_list, 1};

static int setup_pins(void **state)
{
    (void)state;
    const char ports[] = "ABCDEFGHJKL";
    for (int p = 0; p < 11; p++) {
        for (int b = 0; b < 8; b++) {
            snprintf(avr_names[p * 8 + b], 4, "P%c%d", ports[p], b);
            avr_pins[p * 8 + b] = avr_names[p * 8 + b];
        }
    }
    return 0;
}

static void test_example_loads(void **state)
{
    (void)state;
    struct printer_config pc;
    char err[1024] = "";
    int rc = printer_config_load(CONFIG_TEST_DATA_DIR "/ramps-cartesian.cfg", &avr_opts, &pc, err,
                                 sizeof(err));
    if (rc != 0)
        fail_msg("%s", err);
    assert_null(pc.warnings);

    assert_int_equal(pc.nmcus, 1);
    assert_string_equal(pc.mcus[0].name, "mcu");
    assert_string_equal(pc.mcus[0].serial, "/dev/serial/by-id/usb-Arduino_Mega_2560-if00");
    assert_int_equal(pc.mcus[0].baud, 250000);
    assert_int_equal(pc.mcus[0].restart_method, RESTART_ARDUINO);
    assert_ptr_equal(printer_config_mcu(&pc, "mcu"), &pc.mcus[0]);
    assert_null(printer_config_mcu(&pc, "probe"));

    assert_int_equal(pc.kinematics, KINEMATICS_CARTESIAN);
    assert_true(pc.max_velocity == 300 && pc.max_accel == 3000);
    assert_true(pc.max_z_velocity == 5 && pc.max_z_accel == 100);
    assert_true(pc.minimum_cruise_ratio == 0.5 && pc.square_corner_velocity == 5);

    assert_int_equal(pc.nrails, 3);
    const struct rail_config *x = &pc.rails[0], *z = &pc.rails[2];
    assert_string_equal(x->stepper.name, "stepper_x");
    assert_string_equal(x->stepper.step_pin.name, "PF0");
    assert_string_equal(x->stepper.step_pin.mcu, "mcu");
    assert_true(x->stepper.has_enable_pin && x->stepper.enable_pin.invert);
    assert_true(x->endstop_pin.pullup && !x->endstop_pin.invert);
    assert_true(pc.rails[1].stepper.dir_pin.invert);
    assert_true(NEAR(x->stepper.step_distance, 0.0125));
    assert_int_equal(x->stepper.full_steps_per_rotation, 200);
    assert_true(x->stepper.gear_ratio == 1);
    assert_true(NEAR(x->stepper.step_pulse_duration, 0.000002));
    assert_true(x->homing_speed == 50 && x->second_homing_speed == 25);
    assert_true(x->homing_retract_speed == 50 && x->homing_retract_dist == 5);
    assert_false(x->homing_positive_dir);
    assert_true(NEAR(z->stepper.step_distance, 0.0025));
    assert_true(z->position_min == -2 && z->position_endstop == 0.5 && z->position_max == 200);
    assert_true(z->second_homing_speed == 1);

    const struct extruder_config *e = &pc.extruder;
    assert_true(e->present && e->has_stepper);
    assert_true(NEAR(e->stepper.gear_ratio, 50.0 / 17));
    assert_true(NEAR(e->stepper.step_distance, 33.5 / 3200 / (50.0 / 17)));
    assert_true(NEAR(e->max_extrude_cross_section, 0.64));
    double ratio = 0.64 / (M_PI * 0.875 * 0.875);
    assert_true(NEAR(e->max_extrude_only_velocity, 300 * ratio));
    assert_true(NEAR(e->max_extrude_only_accel, 3000 * ratio));
    assert_true(e->max_extrude_only_distance == 50 && e->instantaneous_corner_velocity == 1);
    assert_true(e->pressure_advance == 0.05 && NEAR(e->pressure_advance_smooth_time, 0.04));
    assert_string_equal(e->heater.sensor_type, "EPCOS 100K B57560G104F");
    assert_int_equal(e->heater.sensor_kind, SENSOR_THERMISTOR);
    assert_string_equal(e->heater.sensor_pin.name, "PK5");
    assert_int_equal(e->heater.control, HEATER_CONTROL_PID);
    assert_true(e->heater.pid_kp == 22.2 && e->heater.pid_ki == 1.08 && e->heater.pid_kd == 114);
    assert_true(e->heater.pullup_resistor == 4700 && e->heater.inline_resistor == 0);
    assert_true(e->heater.min_extrude_temp == 170 && e->heater.max_power == 1);
    assert_true(e->heater.smooth_time == 1 && NEAR(e->heater.pwm_cycle_time, 0.1));
    assert_true(e->heater.min_temp == 0 && e->heater.max_temp == 250);

    assert_true(pc.heater_bed.present);
    assert_int_equal(pc.heater_bed.heater.control, HEATER_CONTROL_WATERMARK);
    assert_true(pc.heater_bed.heater.max_delta == 2);
    assert_string_equal(pc.heater_bed.heater.heater_pin.name, "PH5");

    assert_true(pc.fan.present);
    assert_string_equal(pc.fan.pin.name, "PH6");
    assert_true(pc.fan.max_power == 1 && pc.fan.shutdown_speed == 0);
    assert_true(NEAR(pc.fan.cycle_time, 0.01) && NEAR(pc.fan.kick_start_time, 0.1));
    assert_true(pc.fan.off_below == 0 && !pc.fan.hardware_pwm && !pc.fan.has_enable_pin);

    assert_true(pc.enable_force_move);
    assert_false(pc.homing_override.present);
    assert_true(pc.safe_z_home.present);
    assert_true(pc.safe_z_home.home_x == 100 && pc.safe_z_home.home_y == 100);
    assert_true(pc.safe_z_home.speed == 80 && pc.safe_z_home.z_hop == 5);
    assert_true(pc.safe_z_home.z_hop_speed == 10 && !pc.safe_z_home.move_to_previous);
    printer_config_free(&pc);
    assert_null(pc.warnings);
}

static void test_example_with_unimplemented_sections(void **state)
{
    (void)state;
    struct printer_config pc;
    char err[1024] = "";
    int rc = printer_config_load(CONFIG_TEST_DATA_DIR "/ramps-with-extras.cfg", &avr_opts, &pc, err,
                                 sizeof(err));
    if (rc != 0)
        fail_msg("%s", err);
    assert_non_null(pc.warnings);
    assert_true(contains(pc.warnings, "ignored sections not implemented: [tmc2209 stepper_x] ("));
    assert_true(contains(pc.warnings, "ramps-with-extras.cfg:7), [bltouch] ("));
    assert_true(contains(pc.warnings, "[virtual_sdcard] ("));
    assert_true(contains(pc.warnings, "[display] ("));
    assert_true(contains(pc.warnings, "[gcode_macro PRINT_START] ("));
    assert_true(contains(pc.warnings, "[my_plugin] ("));
    assert_true(contains(pc.warnings, "ramps-with-extras.cfg:33, not a Klipper section)"));
    assert_false(contains(pc.warnings, "\n"));
    assert_false(
        contains(pc.warnings, "[bltouch] (" CONFIG_TEST_DATA_DIR "/ramps-with-extras.cfg:11, not"));
    /* The SAVE_CONFIG block overrides the included file's PID values. */
    assert_true(pc.extruder.heater.pid_kp == 25.1 && pc.extruder.heater.pid_kd == 121);
    printer_config_free(&pc);
}

static void test_unknown_option(void **state)
{
    (void)state;
    base_fails("[stepper_x]\nfoo: 1\n",
               "printer.cfg:36: Option 'foo' is not valid in section 'stepper_x'");
    base_fails("[printer]\nmax_z_velocty: 5\n",
               "printer.cfg:36: Option 'max_z_velocty' is not valid in section 'printer'");
    base_fails("[mcu]\ncanbus_uuid: 1234\n",
               "printer.cfg:36: Option 'canbus_uuid' is not valid in section 'mcu'");
    base_fails("[fan]\npin: PH6\nspeed: 1\n",
               "printer.cfg:37: Option 'speed' is not valid in section 'fan'");
}

static void test_missing_required(void **state)
{
    (void)state;
    char text[2048];
    /* stepper_z without rotation_distance: named at its header, line 26. */
    snprintf(text, sizeof(text),
             "%s%s%s%s[stepper_z]\nstep_pin: PL3\ndir_pin: PL1\n"
             "microsteps: 16\nendstop_pin: PD3\nposition_endstop: 0\nposition_max: 200\n",
             mcu_sec, printer_sec, x_sec, y_sec);
    fails_with(text, NULL,
               "printer.cfg:25: [stepper_z] option 'rotation_distance' must be "
               "specified");
    base_fails("[extruder]\nnozzle_diameter: 0.4\nfilament_diameter: 1.75\n",
               "printer.cfg:35: [extruder] option 'sensor_type' must be specified");
    base_fails("[extruder]\nnozzle_diameter: 0.4\n",
               "printer.cfg:35: [extruder] option 'filament_diameter' must be specified");
    snprintf(text, sizeof(text), "%s%s%s", printer_sec, x_sec, y_sec);
    fails_with(text, NULL, "printer.cfg: missing [mcu] section");
    snprintf(text, sizeof(text), "%s%s%s%s", mcu_sec, printer_sec, x_sec, y_sec);
    fails_with(text, NULL,
               "printer.cfg: missing [stepper_z] section (required for kinematics: "
               "cartesian)");
    snprintf(text, sizeof(text), "%s%s%s%s", mcu_sec, x_sec, y_sec, z_sec);
    fails_with(text, NULL, "printer.cfg: missing [printer] section");
    base_fails("[mcu]\nserial:\n", "printer.cfg:36: [mcu] option 'serial': expected a serial port");
}

static void test_bad_values(void **state)
{
    (void)state;
    base_fails("[stepper_x]\nrotation_distance: -40\n",
               "printer.cfg:36: [stepper_x] option 'rotation_distance': expected a number above "
               "0, got '-40'");
    base_fails("[stepper_y]\nmicrosteps: sixteen\n",
               "printer.cfg:36: [stepper_y] option 'microsteps': expected an integer at least 1 "
               "and at most 65536, got 'sixteen'");
    base_fails("[stepper_x]\nfull_steps_per_rotation: 201\n",
               "printer.cfg:36: [stepper_x] option 'full_steps_per_rotation': expected a "
               "multiple of 4, got '201'");
    base_fails("[fan]\npin: PH6\nmax_power: 1.5\n",
               "printer.cfg:37: [fan] option 'max_power': expected a number above 0 and at most "
               "1, got '1.5'");
    base_fails("[printer]\nkinematics: delta\n",
               "printer.cfg:36: [printer] option 'kinematics': expected one of 'cartesian', "
               "'corexy', 'none', got 'delta' (a Klipper kinematics this engine does not "
               "implement)");
    base_fails("[printer]\nkinematics: cartesain\n", "got 'cartesain'");
    base_fails("[printer]\nmax_z_velocity: 400\n",
               "printer.cfg:36: [printer] option 'max_z_velocity': expected a number above 0 and "
               "at most 300, got '400'");
    base_fails("[printer]\nminimum_cruise_ratio: 1\n",
               "[printer] option 'minimum_cruise_ratio': expected a number at least 0 and below "
               "1, got '1'");
    base_fails("[mcu]\nrestart_method: reboot\n",
               "[mcu] option 'restart_method': expected one of 'arduino', 'cheetah', 'rpi_usb', "
               "'command', got 'reboot'");
    base_fails("[force_move]\nenable_force_move: sure\n",
               "printer.cfg:36: [force_move] option 'enable_force_move': expected a boolean");
    base_fails("[stepper_x]\nstep_pin: ^PF0\n",
               "printer.cfg:36: [stepper_x] option 'step_pin': '^' (pull-up) is only allowed on "
               "input pins, got '^PF0'");
}

static void test_step_distance_refused(void **state)
{
    (void)state;
    base_fails("[stepper_x]\nstep_distance: .0125\n",
               "printer.cfg:36: [stepper_x] option 'step_distance': step_distance is no longer "
               "supported: use rotation_distance: 40.000 (full_steps_per_rotation 200 x "
               "microsteps 16 x step_distance .0125)");
    base_fails("[stepper_z]\nfull_steps_per_rotation: 400\nmicrosteps: 8\nstep_distance: .01\n",
               "use rotation_distance: 32.000");
    /* An old config without microsteps: say what to add. */
    char text[2048];
    snprintf(text, sizeof(text),
             "%s%s[stepper_x]\nstep_pin: PF0\ndir_pin: PF1\n"
             "step_distance: .0125\nendstop_pin: ^PE5\nposition_endstop: 0\nposition_max: 200\n",
             mcu_sec, printer_sec);
    fails_with(text, NULL,
               "printer.cfg:10: [stepper_x] option 'step_distance': step_distance "
               "is no longer supported: set microsteps to the driver's setting and "
               "use rotation_distance = full_steps_per_rotation x microsteps x "
               "step_distance (with microsteps: 16 that is rotation_distance: "
               "40.000)");
    char *ext = malloc(strlen(extruder_sec) + 64);
    sprintf(ext, "%sstep_distance: 0.002\n", extruder_sec);
    base_fails(ext, "[extruder] option 'step_distance': step_distance is no longer supported: "
                    "use rotation_distance: 6.400");
    free(ext);
}

static void test_gear_ratio(void **state)
{
    (void)state;
    struct printer_config pc;
    char *text = base_with("[stepper_z]\ngear_ratio: 80:16, 3:1\n");
    load_ok(text, NULL, &pc);
    assert_true(NEAR(pc.rails[2].stepper.gear_ratio, 15));
    assert_true(NEAR(pc.rails[2].stepper.step_distance, 8.0 / 3200 / 15));
    assert_true(pc.rails[0].stepper.gear_ratio == 1);
    printer_config_free(&pc);
    free(text);

    base_fails("[stepper_z]\ngear_ratio: 80:0\n",
               "printer.cfg:36: [stepper_z] option 'gear_ratio': expected gear ratios like '5:1' "
               "or '57:11, 2:1' (positive numbers), got '80:0'");
    base_fails("[stepper_z]\ngear_ratio: 5\n", "got '5'");
    base_fails("[stepper_z]\ngear_ratio: 5:1 3:1\n", "expected ',' between gear ratios");
    base_fails("[stepper_z]\ngear_ratio: 5:1,\n", "got '5:1,'");
}

static void test_homing_direction(void **state)
{
    (void)state;
    struct printer_config pc;
    /* Endstop at the top quarter: home towards max. */
    char *text = base_with("[stepper_y]\nposition_endstop: 200\n"
                           "[stepper_z]\nposition_endstop: 160\n"
                           "[stepper_x]\nposition_min: -10\nposition_endstop: 40\n");
    load_ok(text, NULL, &pc);
    assert_true(pc.rails[1].homing_positive_dir);
    assert_true(pc.rails[2].homing_positive_dir);
    assert_false(pc.rails[0].homing_positive_dir);
    printer_config_free(&pc);
    free(text);

    text = base_with("[stepper_y]\nposition_endstop: 200\nhoming_positive_dir: false\n"
                     "position_min: 10\n");
    fails_with(text, NULL,
               "printer.cfg:37: [stepper_y] option 'homing_positive_dir': homing "
               "towards position_min contradicts position_endstop 200 at the "
               "maximum end of the axis");
    free(text);
    base_fails("[stepper_x]\nposition_endstop: 100\n",
               "printer.cfg:36: [stepper_x] option 'position_endstop': cannot infer "
               "homing_positive_dir: position_endstop 100 is not near position_min (0) or "
               "position_max (200); set homing_positive_dir");
    base_fails("[stepper_x]\nposition_endstop: 201\n",
               "printer.cfg:36: [stepper_x] option 'position_endstop': expected a position "
               "between position_min (0) and position_max (200), got '201'");
    base_fails("[stepper_x]\nposition_min: 300\n",
               "[stepper_x] option 'position_max': expected a number above 300, got '200'");

    /* Set explicitly in the middle of the axis: accepted. */
    text = base_with("[stepper_x]\nposition_endstop: 100\nhoming_positive_dir: true\n"
                     "homing_speed: 20\nsecond_homing_speed: 3\nhoming_retract_dist: 0\n"
                     "homing_retract_speed: 7\n");
    load_ok(text, NULL, &pc);
    assert_true(pc.rails[0].homing_positive_dir);
    assert_true(pc.rails[0].homing_speed == 20 && pc.rails[0].second_homing_speed == 3);
    assert_true(pc.rails[0].homing_retract_dist == 0 && pc.rails[0].homing_retract_speed == 7);
    printer_config_free(&pc);
    free(text);
}

static void test_printer_defaults(void **state)
{
    (void)state;
    struct printer_config pc;
    char *text = base_with("");
    load_ok(text, NULL, &pc);
    assert_true(pc.max_z_velocity == 300 && pc.max_z_accel == 3000);
    assert_true(pc.minimum_cruise_ratio == 0.5 && pc.square_corner_velocity == 5);
    assert_false(pc.extruder.present || pc.heater_bed.present || pc.fan.present);
    assert_false(pc.enable_force_move || pc.safe_z_home.present || pc.homing_override.present);
    assert_null(pc.warnings);
    printer_config_free(&pc);
    free(text);

    /* The deprecated max_accel_to_decel still sets the cruise ratio. */
    text = base_with("[printer]\nmax_accel_to_decel: 750\nkinematics: corexy\n");
    load_ok(text, NULL, &pc);
    assert_true(NEAR(pc.minimum_cruise_ratio, 0.75));
    assert_int_equal(pc.kinematics, KINEMATICS_COREXY);
    printer_config_free(&pc);
    free(text);
    base_fails("[printer]\nmax_accel_to_decel: 750\nminimum_cruise_ratio: 0.2\n",
               "printer.cfg:36: Option 'max_accel_to_decel' is not valid in section 'printer'");
}

static void test_extruder_defaults_and_heater(void **state)
{
    (void)state;
    struct printer_config pc;
    char *text = base_with("[extruder]\n"
                           "nozzle_diameter: 0.6\n"
                           "filament_diameter: 2.85\n"
                           "heater_pin: PB4\n"
                           "sensor_type: NTC 100K beta 3950\n"
                           "sensor_pin: PK5\n"
                           "inline_resistor: 10\n"
                           "control: watermark\n"
                           "max_delta: 3\n"
                           "min_temp: -10\n"
                           "max_temp: 300\n"
                           "max_extrude_only_velocity: 60\n"
                           "[heater_bed]\n"
                           "heater_pin: PH5\n"
                           "sensor_type: AD595\n"
                           "sensor_pin: PK6\n"
                           "adc_voltage: 3.3\n"
                           "voltage_offset: 0.1\n"
                           "control: pid\n"
                           "pid_kp: 1\n"
                           "pid_ki: 2\n"
                           "pid_kd: 3\n"
                           "min_temp: 0\n"
                           "max_temp: 130\n"
                           "max_power: 0.6\n");
    load_ok(text, NULL, &pc);
    const struct extruder_config *e = &pc.extruder;
    assert_true(e->present && !e->has_stepper);
    assert_string_equal(e->stepper.name, "extruder");
    assert_true(NEAR(e->max_extrude_cross_section, 4 * 0.36));
    assert_true(e->max_extrude_only_velocity == 60);
    assert_true(NEAR(e->max_extrude_only_accel, 3000 * 1.44 / (M_PI * 1.425 * 1.425)));
    assert_int_equal(e->heater.control, HEATER_CONTROL_WATERMARK);
    assert_true(e->heater.max_delta == 3 && e->heater.inline_resistor == 10);
    assert_string_equal(e->heater.sensor_type, "NTC 100K beta 3950");
    const struct heater_config *bed = &pc.heater_bed.heater;
    assert_int_equal(bed->sensor_kind, SENSOR_AMPLIFIER);
    assert_true(bed->adc_voltage == 3.3 && bed->voltage_offset == 0.1 && bed->max_power == 0.6);
    assert_true(bed->pid_kp == 1 && bed->pid_ki == 2 && bed->pid_kd == 3);
    printer_config_free(&pc);
    free(text);

    char more[2048];
    snprintf(more, sizeof(more), "%scontrol: watermark\n", extruder_sec);
    base_fails(more, "printer.cfg:47: Option 'pid_kp' is not valid in section 'extruder'");
    snprintf(more, sizeof(more), "%sadc_voltage: 5\n", extruder_sec);
    base_fails(more, "printer.cfg:52: Option 'adc_voltage' is not valid in section 'extruder'");
    snprintf(more, sizeof(more), "%ssensor_type: Generic 3951\n", extruder_sec);
    base_fails(more, "printer.cfg:52: [extruder] option 'sensor_type': expected one of 'EPCOS "
                     "100K B57560G104F', 'ATC Semitec 104GT-2'");
    snprintf(more, sizeof(more), "%smax_temp: -5\n", extruder_sec);
    base_fails(more, "[extruder] option 'max_temp': expected a number above 0, got '-5'");
    snprintf(more, sizeof(more), "%smin_temp: -300\n", extruder_sec);
    base_fails(more, "[extruder] option 'min_temp': expected a number at least -273.15");
    snprintf(more, sizeof(more), "%smin_extrude_temp: 260\n", extruder_sec);
    base_fails(more, "[extruder] option 'min_extrude_temp': expected a number at least 0 and at "
                     "most 250, got '260'");
    snprintf(more, sizeof(more), "%spwm_cycle_time: 0.5\n", extruder_sec);
    base_fails(more, "[extruder] option 'pwm_cycle_time': expected a number above 0 and at most "
                     "0.3, got '0.5'");
    snprintf(more, sizeof(more), "%scontrol: bang\n", extruder_sec);
    base_fails(more, "[extruder] option 'control': expected one of 'watermark', 'pid', got "
                     "'bang'");
    snprintf(more, sizeof(more), "%sfilament_diameter: 0.3\n", extruder_sec);
    base_fails(more, "[extruder] option 'filament_diameter': expected a number at least 0.4");
    snprintf(more, sizeof(more), "%spressure_advance_smooth_time: 0.3\n", extruder_sec);
    base_fails(more, "expected a number above 0 and at most 0.2, got '0.3'");
    snprintf(more, sizeof(more), "%ssensor_pin: ^PK5\n", extruder_sec);
    base_fails(more, "[extruder] option 'sensor_pin': '^' (pull-up) is only allowed on input "
                     "pins");
    /* A stepper option without step_pin: the motor is incomplete. */
    base_fails("[extruder]\nrotation_distance: 22\nnozzle_diameter: 0.4\n",
               "printer.cfg:35: [extruder] option 'step_pin' must be specified");
}

static void test_pins_checked(void **state)
{
    (void)state;
    /* With the MCU's pin list. */
    char *text = base_with("[heater_bed]\nheater_pin: PZ1\nsensor_type: Generic 3950\n"
                           "sensor_pin: PK6\ncontrol: watermark\nmin_temp: 0\nmax_temp: 100\n");
    fails_with(text, &avr_opts,
               "printer.cfg:36: [heater_bed] option 'heater_pin': MCU 'mcu' has "
               "no pin named 'PZ1', got 'PZ1'");
    free(text);
    /* One pin, two uses, both places named. */
    base_fails("[fan]\npin: PF6\n",
               "printer.cfg:36: [fan] option 'pin': pin PF6 is already used by [stepper_y] "
               "option 'step_pin' (printer.cfg:17)");
    base_fails("[stepper_z]\nendstop_pin: !PE5\n",
               "printer.cfg:36: [stepper_z] option 'endstop_pin': pin PE5 is already used by "
               "[stepper_x] option 'endstop_pin' (printer.cfg:13)");
    base_fails("[fan]\npin: board:PA1\n",
               "printer.cfg:36: [fan] option 'pin': unknown MCU 'board' in pin 'board:PA1' (there "
               "is no [mcu board] section)");

    /* Steppers may share an enable pin; a second MCU has pins of its own. */
    struct printer_config pc;
    text = base_with("[stepper_y]\nenable_pin: !PD7\n[stepper_z]\nenable_pin: !PD7\n"
                     "[mcu board]\nserial: /dev/ttyUSB1\nbaud: 115200\nrestart_method: command\n"
                     "[fan]\npin: board:PF0\n");
    static const char *const board_pins[] = {"PF0"};
    const struct printer_config_pins lists[] = {avr_list, {"board", board_pins, 1}};
    const struct printer_config_opts opts = {lists, 2};
    load_ok(text, &opts, &pc);
    assert_string_equal(pc.rails[2].stepper.enable_pin.name, "PD7");
    assert_int_equal(pc.nmcus, 2);
    const struct mcu_config *board = printer_config_mcu(&pc, "board");
    assert_non_null(board);
    assert_string_equal(board->serial, "/dev/ttyUSB1");
    assert_int_equal(board->baud, 115200);
    assert_int_equal(board->restart_method, RESTART_COMMAND);
    assert_string_equal(pc.fan.pin.mcu, "board");
    printer_config_free(&pc);
    free(text);
    base_fails("[mcu a:b]\nserial: x\n", "printer.cfg:35: [mcu a:b]: expected [mcu NAME] with a "
                                         "NAME of up to 47 letters");
}

static void test_kinematics_none(void **state)
{
    (void)state;
    struct printer_config pc;
    char text[1024];
    snprintf(text, sizeof(text), "%s[printer]\nkinematics: none\nmax_velocity: 1\nmax_accel: 1\n%s",
             mcu_sec, extruder_sec);
    load_ok(text, NULL, &pc);
    assert_int_equal(pc.kinematics, KINEMATICS_NONE);
    assert_int_equal(pc.nrails, 0);
    assert_true(pc.max_z_velocity == 1 && pc.max_z_accel == 1);
    assert_true(pc.extruder.present && pc.extruder.has_stepper);
    printer_config_free(&pc);

    snprintf(text, sizeof(text),
             "%s[printer]\nkinematics: none\nmax_velocity: 1\nmax_accel: 1\nmax_z_accel: 1\n",
             mcu_sec);
    fails_with(text, NULL, "printer.cfg:7: Option 'max_z_accel' is not valid in section 'printer'");
    snprintf(text, sizeof(text), "%s[printer]\nkinematics: none\nmax_velocity: 1\nmax_accel: 1\n%s",
             mcu_sec, x_sec);
    fails_with(text, NULL,
               "printer.cfg:7: [stepper_x]: there are no axis steppers with "
               "kinematics: none");
}

static void test_homing_sections(void **state)
{
    (void)state;
    struct printer_config pc;
    char *text = base_with("[homing_override]\n"
                           "axes: Z\n"
                           "set_position_z: 0\n"
                           "gcode:\n"
                           "    G1 Z5\n"
                           "    G28 X0 Y0   ; home X and Y\n"
                           "    G28 Z0\n");
    load_ok(text, NULL, &pc);
    const struct homing_override_config *ho = &pc.homing_override;
    assert_true(ho->present);
    assert_string_equal(ho->gcode, "\nG1 Z5\nG28 X0 Y0\nG28 Z0");
    assert_true(!ho->axes[0] && !ho->axes[1] && ho->axes[2]);
    assert_true(!ho->has_set_position[0] && ho->has_set_position[2] && ho->set_position[2] == 0);
    printer_config_free(&pc);
    assert_null(pc.homing_override.gcode);
    free(text);

    text = base_with("[homing_override]\ngcode: G28\n");
    load_ok(text, NULL, &pc);
    assert_true(pc.homing_override.axes[0] && pc.homing_override.axes[1] &&
                pc.homing_override.axes[2]);
    printer_config_free(&pc);
    free(text);

    base_fails("[homing_override]\naxes: xq\ngcode: G28\n",
               "printer.cfg:36: [homing_override] option 'axes': expected some of the letters x, "
               "y, z, got 'xq'");
    base_fails("[homing_override]\naxes: x\n",
               "printer.cfg:35: [homing_override] option 'gcode' must be specified");
    base_fails("[homing_override]\ngcode: G28\n[safe_z_home]\nhome_xy_position: 1, 2\n",
               "printer.cfg:37: [safe_z_home]: homing_override and safe_z_home cannot be used "
               "together");
    base_fails("[safe_z_home]\nhome_xy_position: 100\n",
               "printer.cfg:36: [safe_z_home] option 'home_xy_position': expected 2 numbers "
               "separated by ',', got '100'");
    base_fails("[safe_z_home]\nhome_xy_position: 1,1\nz_hop: -2\n",
               "[safe_z_home] option 'z_hop': expected a number at least 0, got '-2'");
    text = base_with("[safe_z_home]\nhome_xy_position: 1,2\nmove_to_previous: yes\n");
    load_ok(text, NULL, &pc);
    assert_true(pc.safe_z_home.move_to_previous && pc.safe_z_home.z_hop == 0);
    assert_true(pc.safe_z_home.speed == 50 && pc.safe_z_home.z_hop_speed == 15);
    printer_config_free(&pc);
    free(text);
}

static void test_refused_config_leaves_out_untouched(void **state)
{
    (void)state;
    struct printer_config pc, before;
    memset(&pc, 0xa5, sizeof(pc));
    memcpy(&before, &pc, sizeof(pc));
    char *text = base_with("[fan]\npin: PH6\nmax_power: 2\n");
    char err[512];
    assert_int_equal(printer_config_load_string(text, "printer.cfg", NULL, &pc, err, sizeof(err)),
                     -1);
    assert_memory_equal(&pc, &before, sizeof(pc));
    free(text);
    assert_int_equal(printer_config_load("/nonexistent/printer.cfg", NULL, &pc, err, sizeof(err)),
                     -1);
    assert_true(contains(err, "cannot open config file '/nonexistent/printer.cfg'"));
    assert_memory_equal(&pc, &before, sizeof(pc));
}

static void test_warnings_from_files(void **state)
{
    (void)state;
    char *dir = tmpdir_create();
    char *text = base_with("[include macros/*.cfg]\n[include extras.cfg]\n");
    char *main = tmpdir_write(dir, "printer.cfg", text);
    free(tmpdir_write(dir, "extras.cfg", "[bed_mesh]\nmesh_min: 10, 10\n[extruder1]\n"));
    struct printer_config pc;
    char err[1024];
    if (printer_config_load(main, NULL, &pc, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_true(contains(pc.warnings, "ignored sections not implemented: [bed_mesh] ("));
    assert_true(contains(pc.warnings, "extras.cfg:1), [extruder1] ("));
    assert_true(contains(pc.warnings, "extras.cfg:3); "));
    assert_true(contains(pc.warnings, "printer.cfg:35: [include macros/*.cfg]: no file matches"));
    printer_config_free(&pc);
    free(main);
    free(text);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_loads),
        cmocka_unit_test(test_example_with_unimplemented_sections),
        cmocka_unit_test(test_unknown_option),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_step_distance_refused),
        cmocka_unit_test(test_gear_ratio),
        cmocka_unit_test(test_homing_direction),
        cmocka_unit_test(test_printer_defaults),
        cmocka_unit_test(test_extruder_defaults_and_heater),
        cmocka_unit_test(test_pins_checked),
        cmocka_unit_test(test_kinematics_none),
        cmocka_unit_test(test_homing_sections),
        cmocka_unit_test(test_refused_config_leaves_out_untouched),
        cmocka_unit_test(test_warnings_from_files),
    };
    return cmocka_run_group_tests(tests, setup_pins, NULL);
}
