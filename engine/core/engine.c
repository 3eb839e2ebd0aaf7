/* The engine: the printer's objects built from its configuration, the
 * G-code line loop and its answers, motors and the flow of planned moves
 * into the steppers and on to the MCU. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdqueue.h"
#include "engine_internal.h"
#include "errmsg.h"
#include "gcode_reader.h"
#include "kinematics.h"

/* Where the print timeline starts: the MCU gets its configuration first. */
#define ENGINE_START_PRINT_TIME 0.25
/* Moves between letting queued messages out to the link. */
#define ENGINE_LINK_FLUSH_MOVES 512

void engine_respond(struct engine *e, const char *fmt, ...)
{
    if (!e->respond)
        return;
    char line[GCODE_ERR_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    e->respond(e->respond_ctx, line);
}

/* Let out the messages that nothing later can precede, once the
 * steppers' commands up to print time until were handed to the link. */
static int let_out(struct engine *e, double until, char *err, size_t errlen)
{
    for (int i = 0; i < e->nsteppers; i++)
        if (stepper_out_check(e->steppers[i], err, errlen))
            return -1;
    if (until == INFINITY)
        return mcu_out_flush(e->mcu, CMDQ_NO_LIMIT, err, errlen);
    double margin = e->max_error * mcu_out_freq(e->mcu) + 1.0;
    uint64_t limit = mcu_out_clock(e->mcu, until);
    return mcu_out_flush(e->mcu, limit > margin ? limit - (uint64_t)margin : 0, err, errlen);
}

/* The link's part of a periodic flush left for later (move_sink): done
 * once the steppers have handed on everything up to it, or now if wait.
 * It always comes before any other flush's, so the blocks end where they
 * would have, and the bytes do not depend on when it ran: whatever was
 * handed on since has later clocks than its limit. */
static int catch_up(struct engine *e, bool wait, char *err, size_t errlen)
{
    struct engine_sink *ss = &e->sink;
    if (!ss->link_pending)
        return 0;
    if (!stepgen_handed_on(e->sg, ss->link_mark)) {
        if (!wait)
            return 0;
        if (stepgen_hand_on(e->sg, ss->link_mark, err, errlen))
            return -1;
    }
    ss->link_pending = false;
    return let_out(e, ss->link_until, err, errlen);
}

/* Hand the steppers' commands up to print time until to the link, and
 * let out the messages that nothing later can precede. */
static int flush_until(struct engine *e, double until, char *err, size_t errlen)
{
    if (catch_up(e, true, err, errlen) || stepgen_flush(e->sg, until, err, errlen))
        return -1;
    return let_out(e, until, err, errlen);
}

/* Bounded memory: now and then, everything a second behind the newest
 * move goes out (later moves cannot change it). In batch mode without
 * waiting for the steppers to catch up: the worker keeps computing while
 * this thread plans, and the link lets the messages out a few batches
 * later (catch_up). */
static int flush_behind(struct engine *e, double until, char *err, size_t errlen)
{
    struct engine_sink *ss = &e->sink;
    if (e->live)
        return flush_until(e, until, err, errlen);
    if (catch_up(e, true, err, errlen) ||
        stepgen_flush_later(e->sg, until, &ss->link_mark, err, errlen))
        return -1;
    ss->link_pending = true;
    ss->link_until = until;
    return 0;
}

static void move_sink(void *ctx, const struct move *m)
{
    struct engine *e = ctx;
    struct engine_sink *ss = &e->sink;
    if (ss->failed)
        return;
    if (ss->observer)
        ss->observer(ss->observer_ctx, m);
    if (stepgen_add_move(e->sg, m, ss->err, sizeof(ss->err))) {
        ss->failed = 1;
        return;
    }
    ss->last_move_end = m->print_time + move_duration(m);
    ss->last_move = *m;
    if (catch_up(e, false, ss->err, sizeof(ss->err)) ||
        (++ss->moves % ENGINE_LINK_FLUSH_MOVES == 0 && m->print_time > 1.0 &&
         flush_behind(e, m->print_time - 1.0, ss->err, sizeof(ss->err))))
        ss->failed = 1;
}

void engine_set_move_observer(struct engine *e, engine_move_fn fn, void *ctx)
{
    e->sink.observer = fn;
    e->sink.observer_ctx = ctx;
}

static int sink_check(struct engine *e, char *err, size_t errlen)
{
    if (!e->sink.failed)
        return 0;
    seterr(err, errlen, "%s", e->sink.err);
    return -1;
}

int engine_flush_moves(struct engine *e, char *err, size_t errlen)
{
    toolhead_flush(e->th);
    if (sink_check(e, err, errlen))
        return -1;
    return flush_until(e, INFINITY, err, errlen);
}

int engine_flush_emitted(struct engine *e, char *err, size_t errlen)
{
    if (sink_check(e, err, errlen))
        return -1;
    return flush_until(e, e->sink.last_move_end, err, errlen);
}

static int set_enables(struct engine *e, bool on, double print_time, char *err, size_t errlen)
{
    uint64_t clock = mcu_out_clock(e->mcu, print_time);
    for (int i = 0; i < e->nenables; i++) {
        if (e->enables[i].on == on)
            continue;
        int value = on != e->enables[i].invert;
        if (mcu_out_send_text(e->mcu, e->misc_queue, 0, clock, err, errlen,
                              "queue_digital_out oid=%d clock=%u on_ticks=%d", e->enables[i].oid,
                              (uint32_t)clock, value))
            return -1;
        e->enables[i].on = on;
    }
    return 0;
}

int engine_motors_on(struct engine *e, char *err, size_t errlen)
{
    return set_enables(e, true, e->sink.last_move_end, err, errlen);
}

int engine_motors_off(struct engine *e, char *err, size_t errlen)
{
    double t = toolhead_get_last_move_time(e->th);
    if (engine_flush_moves(e, err, errlen) || set_enables(e, false, t, err, errlen))
        return -1;
    kinematics_clear_homing(toolhead_kinematics(e->th), AXES_XYZ);
    return 0;
}

int engine_set_position(struct engine *e, const double pos[AXIS_COUNT], unsigned homed, char *err,
                        size_t errlen)
{
    /* Moves already planned take their steps from the old position. */
    if (toolhead_set_position(e->th, pos, homed, err, errlen) || sink_check(e, err, errlen) ||
        flush_until(e, INFINITY, err, errlen))
        return -1;
    return stepgen_set_axes_position(e->sg, pos, err, errlen);
}

void engine_sync_gcode_position(struct engine *e)
{
    toolhead_get_position(e->th, e->gs.last_position);
}

static void gcode_state_reset(struct engine *e)
{
    struct gcode_state *gs = &e->gs;
    memset(gs, 0, sizeof(*gs));
    gs->absolute_coord = gs->absolute_extrude = true;
    gs->speed_factor = 1.0 / 60.0;
    gs->speed = 25.0;
    gs->extrude_factor = 1.0;
    engine_sync_gcode_position(e);
}

int engine_reset_state(struct engine *e, char *err, size_t errlen)
{
    if (engine_motors_off(e, err, errlen))
        return -1;
    e->shutdown = false;
    e->shutdown_reason[0] = 0;
    for (int i = 0; i < ENGINE_HEATERS; i++)
        if (e->heaters[i].present)
            heater_set_target(e->heaters[i].h, 0.0, NULL, 0);
    if (engine_fan_set(e, 0.0, err, errlen))
        return -1;
    gcode_state_reset(e);
    return 0;
}

/* ---- building the printer --------------------------------------------- */

static int add_enable(struct engine *e, const struct stepper_config *sc, char *err, size_t errlen)
{
    if (!sc->has_enable_pin)
        return 0;
    for (int i = 0; i < e->nenables; i++) {
        if (!strcmp(e->enables[i].pin.name, sc->enable_pin.name) &&
            !strcmp(e->enables[i].pin.mcu, sc->enable_pin.mcu))
            return 0;
    }
    int n = e->nenables++;
    e->enables[n].oid = mcu_out_alloc_oid(e->mcu);
    e->enables[n].pin = sc->enable_pin;
    e->enables[n].invert = sc->enable_pin.invert;
    e->enables[n].on = false;
    int off = sc->enable_pin.invert ? 1 : 0;
    return mcu_out_add_config(
        e->mcu, err, errlen,
        "config_digital_out oid=%d pin=%s value=%d default_value=%d max_duration=0",
        e->enables[n].oid, sc->enable_pin.name, off, off);
}

static int add_stepper(struct engine *e, const struct stepper_config *sc, const double coeff[4],
                       char *err, size_t errlen)
{
    if (e->nsteppers >= ENGINE_MAX_STEPPERS) {
        seterr(err, errlen, "too many steppers");
        return -1;
    }
    if (strcmp(sc->step_pin.mcu, "mcu") || strcmp(sc->dir_pin.mcu, "mcu")) {
        seterr(err, errlen, "[%s]: only steppers on the main [mcu] are supported", sc->name);
        return -1;
    }
    int oid = mcu_out_alloc_oid(e->mcu);
    uint32_t pulse = (uint32_t)ceil(sc->step_pulse_duration * mcu_out_freq(e->mcu));
    if (mcu_out_add_config(e->mcu, err, errlen,
                           "config_stepper oid=%d step_pin=%s dir_pin=%s invert_step=%d "
                           "step_pulse_ticks=%u",
                           oid, sc->step_pin.name, sc->dir_pin.name, sc->step_pin.invert ? 1 : 0,
                           pulse) ||
        add_enable(e, sc, err, errlen))
        return -1;
    struct stepper_out_config c = {
        .name = sc->name,
        .mcu = e->mcu,
        .oid = oid,
        .step_distance = sc->step_distance,
        .invert_dir = sc->dir_pin.invert,
        .max_error = e->max_error,
    };
    memcpy(c.coeff, coeff, sizeof(c.coeff));
    struct stepper_out *so = stepper_out_new(e->sg, &c, err, errlen);
    if (!so)
        return -1;
    e->steppers[e->nsteppers++] = so;
    return 0;
}

static int build_toolhead(struct engine *e, char *err, size_t errlen)
{
    const struct printer_config *pc = &e->pc;
    struct toolhead_config tc = {0};
    tc.limits.max_velocity = pc->max_velocity;
    tc.limits.max_accel = pc->max_accel;
    tc.limits.minimum_cruise_ratio = pc->minimum_cruise_ratio;
    tc.limits.square_corner_velocity = pc->square_corner_velocity;
    tc.kin.type = pc->kinematics == KINEMATICS_COREXY      ? KIN_COREXY
                  : pc->kinematics == KINEMATICS_CARTESIAN ? KIN_CARTESIAN
                                                           : KIN_NONE;
    for (size_t i = 0; i < pc->nrails && i < 3; i++) {
        tc.kin.position_min[i] = pc->rails[i].position_min;
        tc.kin.position_max[i] = pc->rails[i].position_max;
    }
    tc.kin.max_z_velocity = pc->max_z_velocity;
    tc.kin.max_z_accel = pc->max_z_accel;
    const struct extruder_config *x = &pc->extruder;
    tc.extruder.present = x->present && x->has_stepper;
    if (tc.extruder.present) {
        tc.extruder.filament_area = M_PI * x->filament_diameter * x->filament_diameter / 4.0;
        tc.extruder.nozzle_diameter = x->nozzle_diameter;
        tc.extruder.max_extrude_cross_section = x->max_extrude_cross_section;
        tc.extruder.max_extrude_only_distance = x->max_extrude_only_distance;
        tc.extruder.max_extrude_only_velocity = x->max_extrude_only_velocity;
        tc.extruder.max_extrude_only_accel = x->max_extrude_only_accel;
        tc.extruder.instantaneous_corner_velocity = x->instantaneous_corner_velocity;
    }
    tc.start_print_time = ENGINE_START_PRINT_TIME;
    tc.sink = move_sink;
    tc.sink_ctx = e;
    e->th = toolhead_new(&tc, err, errlen);
    return e->th ? 0 : -1;
}

static int load_config(struct engine *e, const char *path, char *err, size_t errlen)
{
    const struct dict_enum *pins = dict_enum(mcu_out_dict(e->mcu), "pin");
    const char **names = NULL;
    struct printer_config_pins pl = {"mcu", NULL, 0};
    if (pins) {
        names = calloc(pins->count ? pins->count : 1, sizeof(*names));
        if (!names) {
            seterr(err, errlen, "out of memory");
            return -1;
        }
        for (size_t i = 0; i < pins->count; i++)
            names[i] = pins->entries[i].name;
        pl.names = names;
        pl.count = pins->count;
    }
    struct printer_config_opts opts = {&pl, pins ? 1 : 0};
    int rc = printer_config_load(path, &opts, &e->pc, err, errlen);
    free(names);
    e->pc_loaded = rc == 0;
    return rc;
}

/* Everything after the MCU side exists: the configuration against its
 * dictionary, the toolhead, the steppers and the MCU's configuration. */
static int engine_build(struct engine *e, const char *config_path, char *err, size_t errlen)
{
    if (!e->config_path && !(e->config_path = strdup(config_path))) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    if (load_config(e, config_path, err, errlen))
        return -1;
    if (e->pc.warnings)
        engine_respond(e, "// %s", e->pc.warnings);
    struct stepgen_config sgc = {.threads = 1};
    e->sg = stepgen_create(&sgc, err, errlen);
    if (!e->sg || build_toolhead(e, err, errlen))
        return -1;
    const struct kinematics *k = toolhead_kinematics(e->th);
    for (int i = 0; i < k->stepper_count; i++)
        if (add_stepper(e, &e->pc.rails[i].stepper, k->steppers[i].coeff, err, errlen))
            return -1;
    if (e->pc.extruder.present && e->pc.extruder.has_stepper) {
        static const double ecoeff[AXIS_COUNT] = {0, 0, 0, 1};
        e->extruder_stepper = e->nsteppers;
        if (add_stepper(e, &e->pc.extruder.stepper, ecoeff, err, errlen))
            return -1;
    }
    e->misc_queue = mcu_out_alloc_queue(e->mcu);
    if (engine_live_add_objects(e, err, errlen) || engine_heaters_add(e, err, errlen) ||
        mcu_out_finalize(e->mcu, err, errlen))
        return -1;
    gcode_state_reset(e);
    return 0;
}

struct engine *engine_alloc(engine_respond_fn respond, void *respond_ctx, double max_error,
                            char *err, size_t errlen)
{
    struct engine *e = calloc(1, sizeof(*e));
    if (!e) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    e->sink.last_move_end = ENGINE_START_PRINT_TIME;
    e->respond = respond;
    e->respond_ctx = respond_ctx;
    e->max_error = max_error > 0.0 ? max_error : 0.000025;
    e->extruder_stepper = -1;
    return e;
}

struct engine *engine_open_batch(const struct engine_batch_opts *o, char *err, size_t errlen)
{
    struct engine *e = engine_alloc(o->respond, o->respond_ctx, o->max_error, err, errlen);
    if (!e)
        return NULL;
    e->mcu = mcu_out_open_batch(o->dict_path, o->out_path, err, errlen);
    if (!e->mcu || engine_build(e, o->config_path, err, errlen)) {
        engine_close(e, NULL, NULL, 0);
        return NULL;
    }
    return e;
}

int engine_open_mcu_live(struct engine *e, struct link_mcu *link, const char *config_path,
                         char *err, size_t errlen)
{
    e->mcu = mcu_out_open_live(link, err, errlen);
    if (!e->mcu)
        return -1;
    e->live = true;
    return engine_build(e, config_path, err, errlen);
}

/* ---- running G-code ----------------------------------------------------- */

int engine_exec_line(struct engine *e, const char *text, size_t len, char *err, size_t errlen)
{
    struct gcode_command *cmd = malloc(sizeof(*cmd));
    if (!cmd) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    engine_live_prime(e);
    int rc = gcode_parse(cmd, text, len, err, errlen);
    if (rc == 0 && !gcode_is_empty(cmd))
        rc = engine_dispatch(e, cmd, err, errlen);
    free(cmd);
    if (rc == 0)
        rc = sink_check(e, err, errlen);
    return rc < 0 ? -1 : 0;
}

static void respond_error(struct engine *e, const char *msg);

/* A line refused before it reached a command: counted and answered. */
static void refuse_line(struct engine *e, const char *msg)
{
    e->stats.lines++;
    e->stats.errors++;
    respond_error(e, msg);
    engine_respond(e, "ok");
}

/* Klipper's error answer: a message of several lines is shown whole as
 * information, then its first line as the error. */
static void respond_error(struct engine *e, const char *msg)
{
    const char *nl = strchr(msg, '\n');
    if (nl) {
        const char *p = msg;
        while (p) {
            const char *q = strchr(p, '\n');
            int n = q ? (int)(q - p) : (int)strlen(p);
            engine_respond(e, "// %.*s", n, p);
            p = q ? q + 1 : NULL;
        }
        engine_respond(e, "!! %.*s", (int)(nl - msg), msg);
    } else {
        engine_respond(e, "!! %s", msg);
    }
}

static int run_parsed(struct engine *e, struct gcode_command *cmd, char *err, size_t errlen)
{
    char msg[GCODE_ERR_MAX];
    engine_live_prime(e);
    int rc = gcode_is_empty(cmd) ? 0 : engine_dispatch(e, cmd, msg, sizeof(msg));
    if (rc == 0 && sink_check(e, msg, sizeof(msg)))
        goto fatal;
    if (engine_live_pace(e, msg, sizeof(msg)))
        goto fatal;
    e->stats.lines++;
    if (rc < 0) {
        e->stats.errors++;
        respond_error(e, msg);
    }
    if (rc != 1)
        engine_respond(e, "ok");
    return rc < 0 ? 1 : 0;
fatal:
    seterr(err, errlen, "%s", msg);
    return -1;
}

int engine_run_line(struct engine *e, const char *text, size_t len, char *err, size_t errlen)
{
    struct gcode_command *cmd = malloc(sizeof(*cmd));
    if (!cmd) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    char msg[GCODE_ERR_MAX];
    int rc;
    if (gcode_parse(cmd, text, len, msg, sizeof(msg))) {
        refuse_line(e, msg);
        rc = 1;
    } else {
        rc = run_parsed(e, cmd, err, errlen);
    }
    free(cmd);
    return rc;
}

int engine_run_file(struct engine *e, const char *path, char *err, size_t errlen)
{
    struct gcode_reader *r = gcode_reader_open(path, err, errlen);
    if (!r)
        return -1;
    struct gcode_command *cmd = malloc(sizeof(*cmd));
    int rc = cmd ? 0 : -1;
    if (!cmd)
        seterr(err, errlen, "out of memory");
    while (rc == 0 && !(e->live && e->shutdown)) {
        char msg[GCODE_ERR_MAX];
        int n = gcode_reader_next_command(r, cmd, msg, sizeof(msg));
        if (n == 0)
            break;
        if (n < 0) {
            /* A bad line is answered and skipped; a read error ends it. */
            if (!gcode_reader_line_number(r) || strstr(msg, ": read error") ||
                strstr(msg, ": cannot open")) {
                seterr(err, errlen, "%s", msg);
                rc = -1;
                break;
            }
            refuse_line(e, msg);
            continue;
        }
        if (run_parsed(e, cmd, err, errlen) < 0)
            rc = -1;
    }
    free(cmd);
    gcode_reader_close(r);
    if (rc == 0 && e->live && engine_wait_moves(e, err, errlen))
        rc = -1;
    return rc;
}

static int free_printer(struct engine *e, char *err, size_t errlen);

int engine_close(struct engine *e, struct engine_stats *stats, char *err, size_t errlen)
{
    if (!e)
        return 0;
    int rc = 0;
    if (e->th && e->mcu) {
        e->stats.print_time = toolhead_get_last_move_time(e->th);
        if (engine_wait_moves(e, err, errlen))
            rc = -1;
    }
    for (int i = 0; i < e->nsteppers; i++) {
        e->stats.steps += stepper_out_step_count(e->steppers[i]);
        e->stats.queue_step_msgs += stepper_out_queue_step_count(e->steppers[i]);
    }
    if (e->mcu) {
        struct mcu_out_stats ms;
        mcu_out_get_stats(e->mcu, &ms);
        e->stats.messages = ms.messages;
        e->stats.bytes = ms.bytes;
    }
    if (stats)
        *stats = e->stats;
    char cerr[256];
    if (free_printer(e, cerr, sizeof(cerr)) && rc == 0) {
        seterr(err, errlen, "%s", cerr);
        rc = -1;
    }
    engine_live_close(e);
    free(e->config_path);
    free(e);
    return rc;
}

/* Everything built from the configuration; the link stays. */
static int free_printer(struct engine *e, char *err, size_t errlen)
{
    int rc = mcu_out_close(e->mcu, err, errlen);
    e->mcu = NULL;
    for (int i = 0; i < e->nsteppers; i++)
        stepper_out_free(e->steppers[i]);
    toolhead_free(e->th);
    stepgen_destroy(e->sg);
    engine_heaters_free(e);
    if (e->pc_loaded)
        printer_config_free(&e->pc);
    return rc;
}

int engine_restart_live(struct engine *e, bool reset_mcu, char *err, size_t errlen)
{
    if (reset_mcu && link_reset_mcu(e->transport)) {
        seterr(err, errlen, "FIRMWARE_RESTART: %s", e->transport->error);
        return -1;
    }
    /* As Klipper restarts its host process: everything from the config
     * again, over the same transport, from a fresh connection. */
    struct engine keep = *e;
    free_printer(e, NULL, 0);
    link_mcu_close(e->link);
    memset(e, 0, sizeof(*e));
    e->respond = keep.respond;
    e->respond_ctx = keep.respond_ctx;
    e->max_error = keep.max_error;
    e->config_path = keep.config_path;
    e->transport = keep.transport;
    e->own_transport = keep.own_transport;
    e->stats = keep.stats;
    e->extruder_stepper = -1;
    e->sink.last_move_end = ENGINE_START_PRINT_TIME;
    if (engine_open_live_link(e, e->transport, err, errlen) ||
        engine_open_mcu_live(e, e->link, e->config_path, err, errlen)) {
        e->shutdown = true;
        snprintf(e->shutdown_reason, sizeof(e->shutdown_reason), "restart failed: %.100s", err);
        return -1;
    }
    return 0;
}
