/* The engine's state, shared by its files (not a public header). */
#ifndef LOCKSTEP_CORE_ENGINE_INTERNAL_H
#define LOCKSTEP_CORE_ENGINE_INTERNAL_H

#include <stdbool.h>

#include "engine.h"
#include "gcode_parse.h"
#include "heater_control.h"
#include "mcu_out.h"
#include "move.h"
#include "printer_config.h"
#include "stepgen.h"
#include "stepper_out.h"
#include "toolhead.h"
#include "verify_heater.h"

#define ENGINE_MAX_STEPPERS 4 /* x, y, z (or a, b, z) and the extruder */
#define ENGINE_HEATERS 2
enum { ENGINE_HEATER_EXTRUDER, ENGINE_HEATER_BED };

/* G-code coordinate state, as Klipper's gcode_move keeps it: toolhead
 * position = G-code position + base_position (G92 offsets). */
struct gcode_state {
    bool absolute_coord, absolute_extrude;
    double base_position[AXIS_COUNT];
    double last_position[AXIS_COUNT]; /* toolhead coordinates of the last move */
    double speed;                     /* mm/s, speed_factor applied */
    double speed_factor;              /* M220 / (60 * 100): feed rate in mm/min to mm/s */
    double extrude_factor;            /* M221 / 100 */
};

struct engine {
    struct printer_config pc;
    bool pc_loaded;
    char *config_path;
    struct mcu_out *mcu;
    struct toolhead *th;
    struct stepgen *sg;
    struct stepper_out *steppers[ENGINE_MAX_STEPPERS];
    int nsteppers;
    int extruder_stepper; /* index into steppers, or -1 */
    /* Enable pins: one digital output each, shared pins once. */
    struct {
        int oid;
        bool on, invert;
        struct config_pin pin;
    } enables[ENGINE_MAX_STEPPERS];
    int nenables;
    struct command_queue *misc_queue;
    int32_t id_queue_digital_out;

    /* Live mode (live.c): the link and its transport. */
    bool live, own_transport;
    struct link_mcu *link;
    struct link_transport *transport;
    uint64_t next_clock_sync_ns;

    struct gcode_state gs;
    /* heaters.c */
    struct engine_heater {
        bool present;
        char name[24], gcode_id[4]; /* "extruder" "T0", "heater_bed" "B" */
        struct heater *h;
        struct verify_heater verify;
        int adc_oid, pwm_oid;
        bool invert;
        uint32_t cycle_ticks;
        double adc_max;
    } heaters[ENGINE_HEATERS];
    struct engine_fan {
        bool present, invert;
        int oid;
        uint32_t cycle_ticks;
        double value;
    } fan;
    uint64_t next_heater_tick_ns;
    bool shutdown;
    char shutdown_reason[128];
    int in_homing_override;

    /* The toolhead's move sink: it cannot return errors, so it keeps the
     * first one for the caller to find. */
    struct engine_sink {
        int failed;
        char err[256];
        unsigned moves;
        /* Batch mode: a periodic flush whose messages wait to be let out
         * until the steppers handed on everything up to link_mark. */
        bool link_pending;
        uint64_t link_mark;
        double link_until;
        double last_move_end;
        struct move last_move; /* the last one handed on (a homing move) */
        engine_move_fn observer;
        void *observer_ctx;
    } sink;

    /* Live homing (homing_live.c): one endstop and trsync per rail, and
     * what the MCU reported of the homing move under way. */
    struct engine_endstop {
        bool present;
        int oid, trsync_oid;
        int pin_value; /* the level that means triggered */
    } endstops[3];
    struct engine_homing_wait {
        bool active, can_trigger;
        int trsync_oid;
        uint32_t clock32;
        unsigned reports;
    } homing_wait;

    engine_respond_fn respond;
    void *respond_ctx;
    struct engine_stats stats;
    double max_error;
};

/* One response line ("// ...", "!! ...", "ok"). */
void engine_respond(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* commands.c: run one parsed command. 0, or -1 with the reason in err
 * (which the caller answers with "!!"). */
int engine_dispatch(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen);

/* engine.c: parse and run one line without answering "ok" (scripts such
 * as homing_override); 0, or -1 with the reason. */
int engine_exec_line(struct engine *e, const char *text, size_t len, char *err, size_t errlen);

/* homing.c */
int engine_home(struct engine *e, unsigned axes, char *err, size_t errlen);
/* A move of the toolhead to pos with the axis' range opened up: homing
 * moves start outside it on purpose. */
int engine_homing_toolhead_move(struct engine *e, int axis, const double pos[AXIS_COUNT],
                                double speed, char *err, size_t errlen);
/* homing_live.c: one approach to the endstop of axis on the MCU. */
int engine_homing_move_live(struct engine *e, int axis, const double start[AXIS_COUNT],
                            const double target[AXIS_COUNT], double speed, bool retried,
                            double final[AXIS_COUNT], char *err, size_t errlen);

/* engine.c */
int engine_motors_on(struct engine *e, char *err, size_t errlen);
int engine_motors_off(struct engine *e, char *err, size_t errlen);
/* Flush the toolhead and everything it emitted up to its last move. */
int engine_flush_moves(struct engine *e, char *err, size_t errlen);
/* Declare the toolhead at pos without moving (axes in homed become
 * homed); the steppers follow. */
int engine_set_position(struct engine *e, const double pos[AXIS_COUNT], unsigned homed, char *err,
                        size_t errlen);
/* The toolhead moved without G-code (homing): take its position. */
void engine_sync_gcode_position(struct engine *e);
/* Reset to the state after startup (RESTART, FIRMWARE_RESTART). */
int engine_reset_state(struct engine *e, char *err, size_t errlen);
/* Steps of every move the toolhead has handed on, to the link. */
int engine_flush_emitted(struct engine *e, char *err, size_t errlen);
struct engine *engine_alloc(engine_respond_fn respond, void *respond_ctx, double max_error,
                            char *err, size_t errlen);
/* RESTART (reset_mcu false) and FIRMWARE_RESTART of a live engine: the
 * printer built again from its config over a new connection. On failure
 * the engine stays shut down with the reason. */
int engine_restart_live(struct engine *e, bool reset_mcu, char *err, size_t errlen);
/* Build the printer on an open live link. */
int engine_open_mcu_live(struct engine *e, struct link_mcu *link, const char *config_path,
                         char *err, size_t errlen);

/* heaters.c */
int engine_heaters_add(struct engine *e, char *err, size_t errlen);
void engine_heaters_free(struct engine *e);
/* An analog_in_state report. */
void engine_heaters_message(struct engine *e, const struct msg_params *p);
/* Once a second in live mode: the heaters' keepalive and verify_heater. */
void engine_heaters_tick(struct engine *e);
/* The extruder's or the bed's heater, or NULL if there is none. */
struct engine_heater *engine_heater_by_gcode(struct engine *e, bool bed);
/* M109/M190: wait until the heater settles (live mode), reporting the
 * temperatures once a second as Klipper does. */
int engine_heater_wait(struct engine *e, struct engine_heater *eh, char *err, size_t errlen);
/* "B:60.0 /60.0 T0:200.0 /200.0" */
int engine_temperature_report(struct engine *e, char *buf, size_t len);
/* M106/M107: the part fan at speed (0..1) from the end of the queued moves. */
int engine_fan_set(struct engine *e, double speed, char *err, size_t errlen);

/* live.c */
int engine_open_live_link(struct engine *e, struct link_transport *t, char *err, size_t errlen);
void engine_live_close(struct engine *e);
/* Before a command: an idle toolhead starts its next move a little after
 * the MCU's clock. */
void engine_live_prime(struct engine *e);
/* After a command: send what is final and hold back while far ahead. */
int engine_live_pace(struct engine *e, char *err, size_t errlen);
int engine_pump_until(struct engine *e, uint64_t until_ns, char *err, size_t errlen);
int engine_pump_print_time(struct engine *e, double print_time, char *err, size_t errlen);
/* An MCU's shutdown message: stop, say why. */
void engine_mcu_shutdown(struct engine *e, const char *reason);
/* Objects the live MCU needs beyond the steppers (endstops, trsync). */
int engine_live_add_objects(struct engine *e, char *err, size_t errlen);
/* A message from the MCU for homing (trsync_state, stepper_position). */
void engine_homing_message(struct engine *e, const struct msg_params *p, uint64_t t_ns);

#endif
