#include "cfgget.h"
#include "cfgpin.h"
#include "printer_config_internal.h"

#include <stdio.h>
#include <string.h>

/* Absolute zero: no sensor reads below it. */
#define KELVIN_TO_CELSIUS -273.15

/* Klipper reports an ADC sensor every 0.3 s; a heater's PWM cycle has to
 * fit in that period. */
#define ADC_REPORT_TIME 0.300

struct sensor_type {
    const char *name;
    enum sensor_kind kind;
};

/* The sensors Klipper documents for heaters read through the MCU's ADC.
 * "NTC 100K beta 3950" is the older name of "Generic 3950". */
static const struct sensor_type sensor_types[] = {
    {"EPCOS 100K B57560G104F", SENSOR_THERMISTOR},
    {"ATC Semitec 104GT-2", SENSOR_THERMISTOR},
    {"ATC Semitec 104NT-4-R025H42G", SENSOR_THERMISTOR},
    {"Generic 3950", SENSOR_THERMISTOR},
    {"NTC 100K beta 3950", SENSOR_THERMISTOR},
    {"Honeywell 100K 135-104LAG-J01", SENSOR_THERMISTOR},
    {"NTC 100K MGB18-104F39050L32", SENSOR_THERMISTOR},
    {"SliceEngineering 450", SENSOR_THERMISTOR},
    {"TDK NTCG104LH104JT1", SENSOR_THERMISTOR},
    {"PT1000", SENSOR_PT1000},
    {"PT100 INA826", SENSOR_AMPLIFIER},
    {"AD595", SENSOR_AMPLIFIER},
    {"AD597", SENSOR_AMPLIFIER},
    {"AD8494", SENSOR_AMPLIFIER},
    {"AD8495", SENSOR_AMPLIFIER},
    {"AD8496", SENSOR_AMPLIFIER},
    {"AD8497", SENSOR_AMPLIFIER},
};
#define NSENSOR_TYPES (sizeof(sensor_types) / sizeof(sensor_types[0]))

static void read_sensor(struct cfg_section *s, struct heater_config *h)
{
    const char *names[NSENSOR_TYPES + 1];
    for (size_t i = 0; i < NSENSOR_TYPES; i++)
        names[i] = sensor_types[i].name;
    names[NSENSOR_TYPES] = NULL;
    int type = cfg_getchoice(s, "sensor_type", names, -1);
    if (type < 0)
        return;
    snprintf(h->sensor_type, sizeof(h->sensor_type), "%s", sensor_types[type].name);
    h->sensor_kind = sensor_types[type].kind;
    cfg_getpin_req(s, "sensor_pin", 0, NULL, &h->sensor_pin);
    switch (h->sensor_kind) {
    case SENSOR_THERMISTOR:
        h->pullup_resistor = cfg_getfloat(s, "pullup_resistor", 4700, CFG_RANGE(CFG_ABOVE(0)));
        h->inline_resistor = cfg_getfloat(s, "inline_resistor", 0, CFG_RANGE(CFG_MIN(0)));
        break;
    case SENSOR_PT1000:
        h->pullup_resistor = cfg_getfloat(s, "pullup_resistor", 4700, CFG_RANGE(CFG_ABOVE(0)));
        break;
    case SENSOR_AMPLIFIER:
        h->adc_voltage = cfg_getfloat(s, "adc_voltage", 5.0, CFG_RANGE(CFG_ABOVE(0)));
        h->voltage_offset = cfg_getfloat(s, "voltage_offset", 0, NULL);
        break;
    }
}

void read_heater(struct cfg_section *s, struct heater_config *h)
{
    read_sensor(s, h);
    h->min_temp = cfg_getfloat_req(s, "min_temp", CFG_RANGE(CFG_MIN(KELVIN_TO_CELSIUS)));
    h->max_temp = cfg_getfloat_req(s, "max_temp", CFG_RANGE(CFG_ABOVE(h->min_temp)));
    h->min_extrude_temp = cfg_getfloat(s, "min_extrude_temp", 170,
                                       CFG_RANGE(CFG_MIN(h->min_temp), CFG_MAX(h->max_temp)));
    h->max_power = cfg_getfloat(s, "max_power", 1.0, CFG_RANGE(CFG_ABOVE(0), CFG_MAX(1)));
    h->smooth_time = cfg_getfloat(s, "smooth_time", 1.0, CFG_RANGE(CFG_ABOVE(0)));
    cfg_getpin_req(s, "heater_pin", CFG_PIN_CAN_INVERT, NULL, &h->heater_pin);
    h->pwm_cycle_time =
        cfg_getfloat(s, "pwm_cycle_time", 0.100, CFG_RANGE(CFG_ABOVE(0), CFG_MAX(ADC_REPORT_TIME)));
    static const char *const controls[] = {"watermark", "pid", NULL};
    int control = cfg_getchoice(s, "control", controls, -1);
    if (control == 1) {
        h->control = HEATER_CONTROL_PID;
        h->pid_kp = cfg_getfloat_req(s, "pid_kp", NULL);
        h->pid_ki = cfg_getfloat_req(s, "pid_ki", NULL);
        h->pid_kd = cfg_getfloat_req(s, "pid_kd", NULL);
    } else if (control == 0) {
        h->control = HEATER_CONTROL_WATERMARK;
        h->max_delta = cfg_getfloat(s, "max_delta", 2.0, CFG_RANGE(CFG_ABOVE(0)));
    }
}

void read_heater_bed(struct cfg_section *s, struct heater_bed_config *bed)
{
    bed->present = true;
    read_heater(s, &bed->heater);
    if (!cfg_failed(cfg_section_file(s)))
        cfg_check_unused(s);
}

void read_fan(struct cfg_section *s, struct fan_config *fan)
{
    fan->present = true;
    cfg_getpin_req(s, "pin", CFG_PIN_CAN_INVERT, NULL, &fan->pin);
    fan->max_power = cfg_getfloat(s, "max_power", 1.0, CFG_RANGE(CFG_ABOVE(0), CFG_MAX(1)));
    fan->shutdown_speed = cfg_getfloat(s, "shutdown_speed", 0.0, CFG_RANGE(CFG_MIN(0), CFG_MAX(1)));
    fan->cycle_time = cfg_getfloat(s, "cycle_time", 0.010, CFG_RANGE(CFG_ABOVE(0)));
    fan->hardware_pwm = cfg_getbool(s, "hardware_pwm", false);
    fan->kick_start_time = cfg_getfloat(s, "kick_start_time", 0.100, CFG_RANGE(CFG_MIN(0)));
    fan->off_below = cfg_getfloat(s, "off_below", 0.0, CFG_RANGE(CFG_MIN(0), CFG_MAX(1)));
    fan->has_enable_pin = cfg_getpin(s, "enable_pin", CFG_PIN_CAN_INVERT, NULL, &fan->enable_pin);
    fan->has_tachometer_pin = cfg_getpin(s, "tachometer_pin", CFG_PIN_CAN_INVERT | CFG_PIN_CAN_PULL,
                                         NULL, &fan->tachometer_pin);
    fan->tachometer_ppr =
        (int)cfg_getint(s, "tachometer_ppr", 2, CFG_RANGE(CFG_MIN(1), CFG_MAX(1000)));
    fan->tachometer_poll_interval =
        cfg_getfloat(s, "tachometer_poll_interval", 0.0015, CFG_RANGE(CFG_ABOVE(0)));
    if (!cfg_failed(cfg_section_file(s)))
        cfg_check_unused(s);
}
