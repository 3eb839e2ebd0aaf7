#include "cfgget.h"
#include "printer_config_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void read_homing_override(struct cfg_section *s, struct homing_override_config *ho)
{
    ho->present = true;
    const char *gcode = cfg_getstr_req(s, "gcode");
    const char *axes = cfg_getstr(s, "axes", "xyz");
    for (const char *p = axes; *p && !cfg_failed(cfg_section_file(s)); p++) {
        const char *at = strchr("xyz", tolower((unsigned char)*p));
        if (!at)
            cfg_fail_option(s, "axes", "expected some of the letters x, y, z, got '%s'", axes);
        else
            ho->axes[at - "xyz"] = true;
    }
    static const char *const set_position[] = {"set_position_x", "set_position_y",
                                               "set_position_z"};
    for (int i = 0; i < 3; i++)
        ho->has_set_position[i] = cfg_getfloat_opt(s, set_position[i], NULL, &ho->set_position[i]);
    if (cfg_failed(cfg_section_file(s)))
        return;
    cfg_check_unused(s);
    ho->gcode = strdup(gcode ? gcode : "");
    if (!ho->gcode)
        abort();
}

void read_safe_z_home(struct cfg_section *s, struct safe_z_home_config *sz)
{
    sz->present = true;
    double xy[2] = {0, 0};
    cfg_getfloatlist_req(s, "home_xy_position", ',', xy, 2, 2);
    sz->home_x = xy[0];
    sz->home_y = xy[1];
    sz->speed = cfg_getfloat(s, "speed", 50.0, CFG_RANGE(CFG_ABOVE(0)));
    /* Klipper takes any z_hop; a negative one would move into the bed. */
    sz->z_hop = cfg_getfloat(s, "z_hop", 0.0, CFG_RANGE(CFG_MIN(0)));
    sz->z_hop_speed = cfg_getfloat(s, "z_hop_speed", 15.0, CFG_RANGE(CFG_ABOVE(0)));
    sz->move_to_previous = cfg_getbool(s, "move_to_previous", false);
    if (!cfg_failed(cfg_section_file(s)))
        cfg_check_unused(s);
}

void read_force_move(struct cfg_section *s, bool *enable_force_move)
{
    *enable_force_move = cfg_getbool(s, "enable_force_move", false);
    if (!cfg_failed(cfg_section_file(s)))
        cfg_check_unused(s);
}
