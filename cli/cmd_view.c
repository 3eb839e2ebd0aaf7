/* lockstep view: the SDL2 viewer of planned (and executed) moves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "viz_align.h"
#include "viz_app.h"
#include "viz_load.h"
#include "viz_view.h"

struct view_args {
    const char *config, *gcode, *trace, *dict, *screenshot;
    int w, h;
    double time;
    bool have_time, have_view, have_layers, single, no_travel, help_overlay, bench;
    float yaw, pitch;
    unsigned layer_lo, layer_hi; /* from 1 */
    int colour;
    int frames;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lockstep view [PRINTER.CFG] FILE.gcode [TRACE] [OPTIONS]\n"
            "       lockstep view TRACE [OPTIONS]\n"
            "       lockstep view --bench [FILE.gcode] [OPTIONS]\n\n"
            "Shows the toolpath the engine plans for FILE.gcode on the printer in PRINTER.CFG\n"
            "(default %s/printer-ramps.cfg): every move from its lookahead planner, an\n"
            "orbiting 3D view and a top view of the current layer, extrusion solid and travel\n"
            "dashed, coloured by planned speed (or by acceleration phase), on a timeline.\n"
            "With a TRACE written by 'lockstep run --trace FILE', the executed carriage path\n"
            "(from the simulated step edges) is drawn over the planned one, places where it is\n"
            "more than 4 steps off are marked, and heater temperatures are plotted against\n"
            "their targets. A trace alone uses the '# config' and '# gcode' lines it names.\n\n"
            "  --screenshot OUT.png   render one frame to a PNG and exit (no display needed)\n"
            "  --size WxH             frame size (default 1280x800)\n"
            "  --time S               timeline position in seconds (default: the end)\n"
            "  --layers A[-B]         layers shown, from 1 (default: all)\n"
            "  --single               only the current layer in the 3D view too\n"
            "  --view YAW,PITCH       3D camera angles in degrees (default -30,35)\n"
            "  --colour speed|phase   colour by planned speed or by acceleration phase\n"
            "  --no-travel            hide travel moves\n"
            "  --help-overlay         show the controls overlay\n"
            "  --config PRINTER.CFG   the printer (also as a positional argument)\n"
            "  -d DICT.json           the MCU's data dictionary (default: this build's,\n"
            "                         %s)\n"
            "  --bench [FRAMES]       render FRAMES frames (default 120) of a full orbit with\n"
            "                         everything drawn and print frames per second (default\n"
            "                         file: the largest .gcode in %s)\n\n"
            "Controls in the window (also behind '?'):\n%s\n\n"
            "Exit status: 0, 2 for bad arguments, 3 if a file could not be read or planned.\n",
            LOCKSTEP_EXAMPLES, LOCKSTEP_AVR_DICT, LOCKSTEP_SHARED_GCODE, viz_controls_help);
}

static int parse_args(int argc, char **argv, struct view_args *a)
{
    memset(a, 0, sizeof(*a));
    a->dict = LOCKSTEP_AVR_DICT;
    a->w = 1280;
    a->h = 800;
    a->frames = 120;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(s, "--screenshot") && next) {
            a->screenshot = argv[++i];
        } else if (!strcmp(s, "--size") && next) {
            i++;
            if (sscanf(next, "%dx%d", &a->w, &a->h) != 2 || a->w < 320 || a->h < 240 ||
                a->w > 8192 || a->h > 8192) {
                fprintf(stderr, "view: --size takes WxH from 320x240 to 8192x8192, got '%s'\n",
                        next);
                return 2;
            }
        } else if (!strcmp(s, "--time") && next) {
            a->time = strtod(argv[++i], &end);
            if (*end || !*next || a->time < 0) {
                fprintf(stderr, "view: --time takes seconds from 0, got '%s'\n", next);
                return 2;
            }
            a->have_time = true;
        } else if (!strcmp(s, "--layers") && next) {
            i++;
            int n = 0;
            if (sscanf(next, "%u-%u%n", &a->layer_lo, &a->layer_hi, &n) == 2 && !next[n]) {
            } else if (sscanf(next, "%u%n", &a->layer_lo, &n) == 1 && !next[n]) {
                a->layer_hi = a->layer_lo;
            } else {
                n = -1;
            }
            if (n < 0 || a->layer_lo < 1 || a->layer_hi < a->layer_lo) {
                fprintf(stderr, "view: --layers takes A or A-B, layers from 1, got '%s'\n", next);
                return 2;
            }
            a->have_layers = true;
        } else if (!strcmp(s, "--single")) {
            a->single = true;
        } else if (!strcmp(s, "--view") && next) {
            i++;
            int n = 0;
            if (sscanf(next, "%f,%f%n", &a->yaw, &a->pitch, &n) != 2 || next[n] || a->pitch < -10 ||
                a->pitch > 90) {
                fprintf(stderr,
                        "view: --view takes YAW,PITCH in degrees, pitch -10 to 90, got "
                        "'%s'\n",
                        next);
                return 2;
            }
            a->have_view = true;
        } else if (!strcmp(s, "--colour") && next) {
            i++;
            if (!strcmp(next, "speed"))
                a->colour = VIZ_COLOUR_SPEED;
            else if (!strcmp(next, "phase"))
                a->colour = VIZ_COLOUR_PHASE;
            else {
                fprintf(stderr, "view: --colour takes speed or phase, got '%s'\n", next);
                return 2;
            }
        } else if (!strcmp(s, "--no-travel")) {
            a->no_travel = true;
        } else if (!strcmp(s, "--help-overlay")) {
            a->help_overlay = true;
        } else if (!strcmp(s, "--config") && next) {
            a->config = argv[++i];
        } else if (!strcmp(s, "-d") && next) {
            a->dict = argv[++i];
        } else if (!strcmp(s, "--bench")) {
            a->bench = true;
            if (next && next[0] >= '0' && next[0] <= '9') {
                long n = strtol(argv[++i], &end, 10);
                if (*end || n < 1 || n > 100000) {
                    fprintf(stderr, "view: --bench takes a number of frames from 1, got '%s'\n",
                            next);
                    return 2;
                }
                a->frames = (int)n;
            }
        } else if (s[0] != '-') {
            if (cli_ends_with(s, ".cfg") && !a->config) {
                a->config = s;
            } else if (viz_trace_sniff(s) && !a->trace) {
                a->trace = s;
            } else if (!a->gcode && !viz_trace_sniff(s)) {
                a->gcode = s;
            } else {
                fprintf(stderr, "view: unexpected argument '%s'\n", s);
                return 2;
            }
        } else {
            fprintf(stderr, "view: unexpected argument '%s'\n", s);
            usage(stderr);
            return 2;
        }
    }
    return 0;
}

static bool readable(const char *path)
{
    return path && *path && access(path, R_OK) == 0;
}

struct loaded {
    struct viz_plan plan;
    struct viz_trace trace;
    struct viz_exec exec;
    float *dev;
    struct viz_align_stats align;
    bool have_trace;
};

static void unload(struct loaded *l)
{
    viz_plan_free(&l->plan);
    if (l->have_trace) {
        viz_trace_free(&l->trace);
        viz_exec_free(&l->exec);
    }
    free(l->dev);
}

static int load(struct view_args *a, struct loaded *l, struct viz_scene *s)
{
    char err[1024], cfg_default[4096];
    snprintf(cfg_default, sizeof(cfg_default), "%s/printer-ramps.cfg", LOCKSTEP_EXAMPLES);
    memset(l, 0, sizeof(*l));
    memset(s, 0, sizeof(*s));
    viz_plan_init(&l->plan);
    if (a->trace) {
        if (viz_trace_load(a->trace, &l->trace, err, sizeof(err))) {
            fprintf(stderr, "view: %s\n", err);
            return 3;
        }
        l->have_trace = true;
        if (l->trace.skipped)
            fprintf(stderr,
                    "view: %s: %lu lines of kinds this viewer does not know were "
                    "skipped\n",
                    a->trace, l->trace.skipped);
        /* A trace alone: the files it says it ran, if they are here. */
        if (!a->gcode && readable(l->trace.gcode)) {
            a->gcode = l->trace.gcode;
            if (!a->config && readable(l->trace.config))
                a->config = l->trace.config;
        }
        if (viz_exec_build(&l->trace, &l->exec, err, sizeof(err))) {
            fprintf(stderr, "view: %s\n", err);
            return 3;
        }
    }
    if (a->gcode) {
        if (!a->config)
            a->config = cfg_default;
        struct viz_load_opts o = {
            .config_path = a->config, .gcode_path = a->gcode, .dict_path = a->dict};
        if (viz_plan_load(&o, &l->plan, err, sizeof(err))) {
            fprintf(stderr, "view: %s\n", err);
            return 3;
        }
    } else {
        viz_plan_finish(&l->plan);
    }
    if (l->have_trace && l->plan.n) {
        l->dev = malloc(l->plan.n * sizeof(*l->dev));
        if (!l->dev) {
            fprintf(stderr, "view: out of memory\n");
            return 3;
        }
        if (viz_align(&l->plan, &l->trace, &l->exec, l->dev, &l->align, err, sizeof(err))) {
            fprintf(stderr, "view: %s: %s\n", a->trace, err);
            return 3;
        }
        s->dev = l->dev;
        s->align = &l->align;
    }
    s->plan = &l->plan;
    if (l->have_trace) {
        s->trace = &l->trace;
        s->exec = &l->exec;
    }
    const char *base_g = a->gcode ? strrchr(a->gcode, '/') : NULL;
    const char *base_c = a->config ? strrchr(a->config, '/') : NULL;
    const char *base_t = a->trace ? strrchr(a->trace, '/') : NULL;
    snprintf(s->title, sizeof(s->title), "%s%s%s%s%s",
             a->gcode ? (base_g ? base_g + 1 : a->gcode) : "", a->config ? " on " : "",
             a->config ? (base_c ? base_c + 1 : a->config) : "",
             a->trace ? (a->gcode ? "  trace " : "trace ") : "",
             a->trace ? (base_t ? base_t + 1 : a->trace) : "");
    viz_scene_setup(s);
    return 0;
}

static void summary(const struct loaded *l, const struct viz_scene *s)
{
    const struct viz_plan *p = &l->plan;
    if (p->n)
        printf("planned: %zu moves (%zu extruding, %zu travel, %zu homing, %zu filament only), "
               "%zu layers, %.3f s, x %.2f..%.2f y %.2f..%.2f z %.2f..%.2f mm, fastest %.1f "
               "mm/s\n",
               p->n, p->counts[VIZ_EXTRUDE], p->counts[VIZ_TRAVEL], p->counts[VIZ_HOMING],
               p->counts[VIZ_E_ONLY], p->nlayers, p->t_end, p->lo[0], p->hi[0], p->lo[1], p->hi[1],
               p->lo[2], p->hi[2], p->vmax);
    if (p->refused)
        printf("refused: %lu G-code lines, the first: %s\n", p->refused, p->first_refusal);
    if (l->have_trace) {
        const struct viz_trace *tr = &l->trace;
        printf("trace: %zu steppers, %zu heaters, %zu events, %.3f s, %zu executed path "
               "samples\n",
               tr->nsteppers, tr->nheaters, tr->nevents, (double)tr->last_tick / tr->freq,
               l->exec.n);
    }
    if (s->align) {
        const struct viz_align_stats *a = s->align;
        printf("executed: %zu of %zu motion bursts found in the trace; %zu moves compared, %zu "
               "off by more than %.4f mm (max %.4f mm at %.3f s), %zu never ran\n",
               a->aligned, a->bursts, a->checked, a->deviating, a->threshold, a->max_dev,
               a->max_dev_t, a->not_run);
        if (a->deviating)
            printf("first deviation: at %.3f s\n", a->first_dev_t);
    }
}

static int bench(struct view_args *a)
{
    char file[4096] = "";
    if (!a->gcode) {
        if (!cli_largest_gcode(LOCKSTEP_SHARED_GCODE, file, sizeof(file))) {
            fprintf(stderr, "view: --bench: no FILE given and no .gcode in %s\n",
                    LOCKSTEP_SHARED_GCODE);
            return 0;
        }
        a->gcode = file;
    }
    struct loaded l;
    struct viz_scene s;
    double t0 = cli_wall_seconds();
    int rc = load(a, &l, &s);
    double load_s = cli_wall_seconds() - t0;
    if (rc) {
        unload(&l);
        return rc;
    }
    summary(&l, &s);
    struct viz_view v;
    viz_view_init(&v, &s, a->w, a->h);
    struct viz_bench_result r;
    char err[256];
    if (viz_bench(&s, &v, a->frames, &r, err, sizeof(err))) {
        fprintf(stderr, "view: %s\n", err);
        unload(&l);
        return 3;
    }
    printf("view bench: %s: %zu moves planned and loaded in %.2f s, %zu bytes; %d frames "
           "%dx%d (orbiting 3D view, all %zu layers, top view) in %.3f s = %.1f frames/s, "
           "slowest %.1f ms\n",
           a->gcode, l.plan.n, load_s, l.plan.n * sizeof(struct viz_move), r.frames, a->w, a->h,
           l.plan.nlayers, r.seconds, r.fps, r.worst_ms);
    unload(&l);
    return 0;
}

int cmd_view(int argc, char **argv)
{
    struct view_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (a.bench)
        return bench(&a);
    if (!a.gcode && !a.trace) {
        fprintf(stderr, "view: FILE.gcode or a TRACE is required\n");
        usage(stderr);
        return 2;
    }
    struct loaded l;
    struct viz_scene s;
    rc = load(&a, &l, &s);
    if (rc) {
        unload(&l);
        return rc;
    }
    summary(&l, &s);
    struct viz_view v;
    viz_view_init(&v, &s, a.w, a.h);
    if (a.have_time)
        v.time = a.time < s.t1 ? a.time : s.t1;
    if (a.have_view) {
        v.yaw = a.yaw;
        v.pitch = a.pitch;
    }
    if (a.have_layers && l.plan.nlayers) {
        unsigned top = (unsigned)l.plan.nlayers;
        v.layer_lo = (a.layer_lo < top ? a.layer_lo : top) - 1;
        v.layer_hi = (a.layer_hi < top ? a.layer_hi : top) - 1;
    }
    if (a.single) {
        v.single_layer = true;
        v.layer_lo = v.layer_hi;
    }
    v.colour_mode = a.colour;
    v.show_travel = !a.no_travel;
    v.help = a.help_overlay;
    char err[1024];
    if (a.screenshot)
        rc = viz_screenshot(&s, &v, a.screenshot, err, sizeof(err));
    else
        rc = viz_window(&s, &v, err, sizeof(err));
    if (rc)
        fprintf(stderr, "view: %s\n", err);
    unload(&l);
    return rc ? 3 : 0;
}
