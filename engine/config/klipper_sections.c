#include "printer_config_internal.h"

#include <stdlib.h>
#include <string.h>

/* Section names in Klipper's Config Reference, by their first word; used
 * only to tell a Klipper feature this engine lacks from a name nobody
 * knows (a typo, or a third-party module). Sorted for bsearch. */
static const char *const klipper_sections[] = {
    "ad5206",
    "adc_scaled",
    "adc_temperature",
    "adxl345",
    "aht10",
    "angle",
    "axis_twist_compensation",
    "bed_mesh",
    "bed_screws",
    "bed_tilt",
    "bltouch",
    "bme280",
    "board_pins",
    "controller_fan",
    "delayed_gcode",
    "delta_calibrate",
    "display",
    "display_data",
    "display_glyph",
    "display_template",
    "dotstar",
    "dual_carriage",
    "duplicate_pin_override",
    "endstop_phase",
    "exclude_object",
    "extruder_stepper",
    "fan",
    "fan_generic",
    "filament_motion_sensor",
    "filament_switch_sensor",
    "firmware_retraction",
    "force_move",
    "gcode_arcs",
    "gcode_button",
    "gcode_macro",
    "hall_filament_width_sensor",
    "heater_bed",
    "heater_fan",
    "heater_generic",
    "homing_heaters",
    "homing_override",
    "htu21d",
    "icm20948",
    "idle_timeout",
    "input_shaper",
    "led",
    "lis2dw",
    "lis3dh",
    "lm75",
    "load_cell",
    "load_cell_probe",
    "manual_stepper",
    "mcp4018",
    "mcp4451",
    "mcp4728",
    "mcu",
    "menu",
    "motion_report",
    "mpu9250",
    "multi_pin",
    "neopixel",
    "output_pin",
    "palette2",
    "pause_resume",
    "pca9533",
    "pca9632",
    "printer",
    "probe",
    "probe_eddy_current",
    "pwm_cycle_time",
    "pwm_tool",
    "quad_gantry_level",
    "replicape",
    "resonance_tester",
    "respond",
    "safe_z_home",
    "samd_sercom",
    "save_variables",
    "screws_tilt_adjust",
    "sdcard_loop",
    "servo",
    "sht3x",
    "skew_correction",
    "smart_effector",
    "static_digital_output",
    "sx1509",
    "temperature_fan",
    "temperature_probe",
    "temperature_sensor",
    "thermistor",
    "tmc2130",
    "tmc2208",
    "tmc2209",
    "tmc2240",
    "tmc2660",
    "tmc5160",
    "tsl1401cl_filament_width_sensor",
    "verify_heater",
    "virtual_sdcard",
    "z_thermal_adjust",
    "z_tilt",
    "z_tilt_ng",
};

static int compare(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

bool klipper_knows_section(const char *name)
{
    char first[64];
    size_t n = strcspn(name, " \t");
    if (n >= sizeof(first))
        return false;
    memcpy(first, name, n);
    first[n] = '\0';
    /* Numbered and per-axis families: extruder1, stepper_z1, stepper_a. */
    if (strncmp(first, "extruder", 8) == 0 || strncmp(first, "stepper_", 8) == 0)
        return true;
    return bsearch(first, klipper_sections, sizeof(klipper_sections) / sizeof(*klipper_sections),
                   sizeof(*klipper_sections), compare) != NULL;
}
