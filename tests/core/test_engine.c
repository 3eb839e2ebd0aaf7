/* The engine in batch mode, end to end: G-code in, the command stream
 * out, read back with the dump decoder and replayed the way the firmware
 * counts steps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <inttypes.h>

#include "dict.h"
#include "dump.h"
#include "engine.h"

struct answers {
    char *text; /* every answer, one per line */
    size_t len;
};

static void collect(void *ctx, const char *line)
{
    struct answers *a = ctx;
    size_t n = strlen(line);
    a->text = realloc(a->text, a->len + n + 2);
    memcpy(a->text + a->len, line, n);
    a->len += n;
    a->text[a->len++] = '\n';
    a->text[a->len] = 0;
}

struct run {
    char dir[64], cfg[96], out[96];
    struct engine *e;
    struct answers ans;
    struct engine_stats st;
};

static void run_open(struct run *r, const char *cfg_text)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->dir, sizeof(r->dir), "/tmp/lockstep-core-XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    snprintf(r->out, sizeof(r->out), "%s/out.bin", r->dir);
    const char *cfg = PRINTER_CFG;
    if (cfg_text) {
        snprintf(r->cfg, sizeof(r->cfg), "%s/printer.cfg", r->dir);
        FILE *f = fopen(r->cfg, "w");
        assert_non_null(f);
        fputs(cfg_text, f);
        fclose(f);
        cfg = r->cfg;
    }
    struct engine_batch_opts o = {
        .config_path = cfg,
        .dict_path = LOCKSTEP_AVR_DICT,
        .out_path = r->out,
        .respond = collect,
        .respond_ctx = &r->ans,
    };
    char err[512];
    r->e = engine_open_batch(&o, err, sizeof(err));
    if (!r->e)
        fail_msg("engine_open_batch: %s", err);
}

/* Run lines; returns the answers to them (reset on each call). */
static const char *run_lines(struct run *r, const char *text)
{
    free(r->ans.text);
    r->ans.text = NULL;
    r->ans.len = 0;
    collect(&r->ans, "");
    r->ans.len = 0;
    r->ans.text[0] = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char err[256];
        assert_true(engine_run_line(r->e, p, n, err, sizeof(err)) >= 0);
        p += n + (nl ? 1 : 0);
    }
    return r->ans.text;
}

/* The example printer without [safe_z_home], so that G28 ends at the
 * endstops. */
static char *config_without_safe_z_home(void)
{
    FILE *f = fopen(PRINTER_CFG, "r");
    assert_non_null(f);
    char *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    char line[512];
    int skip = 0;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '[')
            skip = !strncmp(line, "[safe_z_home]", 13);
        if (!skip)
            fputs(line, o);
    }
    fclose(f);
    fclose(o);
    return out;
}

/* The MCU step counters GET_POSITION reports, by stepper order. */
static void mcu_positions(const char *answers, int64_t out[4])
{
    const char *p = strstr(answers, "// mcu: ");
    assert_non_null(p);
    assert_int_equal(sscanf(p,
                            "// mcu: stepper_x:%" SCNd64 " stepper_y:%" SCNd64 " stepper_z:%" SCNd64
                            " extruder:%" SCNd64,
                            &out[0], &out[1], &out[2], &out[3]),
                     4);
}

/* Steps per oid from replaying the stream as the firmware would. */
struct replay {
    int64_t pos[8];
    int dir[8];
    uint64_t steps;
};

static void run_close(struct run *r, struct replay *rp)
{
    char err[256];
    assert_int_equal(engine_close(r->e, &r->st, err, sizeof(err)), 0);
    memset(rp, 0, sizeof(*rp));
    struct link_dict *d = dict_load_file(LOCKSTEP_AVR_DICT, err, sizeof(err));
    assert_non_null(d);
    FILE *in = fopen(r->out, "rb");
    assert_non_null(in);
    char *text = NULL;
    size_t tlen = 0;
    FILE *out = open_memstream(&text, &tlen);
    struct link_dump_opts opts = {0};
    struct link_dump_result res;
    assert_int_equal(link_dump_stream(in, r->out, d, &opts, out, stderr, &res), 0);
    fclose(out);
    fclose(in);
    dict_free(d);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned oid, count, dir;
        unsigned long interval;
        int add;
        if (sscanf(line, "queue_step oid=%u interval=%lu count=%u add=%d", &oid, &interval, &count,
                   &add) == 4) {
            assert_true(oid < 8);
            rp->pos[oid] += rp->dir[oid] ? (int64_t)count : -(int64_t)count;
            rp->steps += count;
        } else if (sscanf(line, "set_next_step_dir oid=%u dir=%u", &oid, &dir) == 2) {
            assert_true(oid < 8);
            rp->dir[oid] = (int)dir;
        }
    }
    free(text);
    free(r->ans.text);
    unlink(r->out);
    if (r->cfg[0])
        unlink(r->cfg);
    rmdir(r->dir);
}

static void test_moves_and_positions(void **state)
{
    (void)state;
    struct run r;
    char *cfg = config_without_safe_z_home();
    run_open(&r, cfg);
    free(cfg);
    int64_t home[4], end[4];
    mcu_positions(run_lines(&r, "G28\nGET_POSITION\n"), home);
    const char *a = run_lines(&r, "G1 X10 Y20 Z5 F6000\nG1 X110.5 Y7.25 E3 F3000\n"
                                  "G91\nG1 X-0.5 E-1\nM114\nGET_POSITION\n");
    assert_non_null(strstr(a, "X:110.000 Y:7.250 Z:5.000 E:2.000"));
    assert_null(strstr(a, "!!"));
    mcu_positions(a, end);
    struct replay rp;
    run_close(&r, &rp);
    /* The stream holds exactly the steps the engine counted... */
    for (int i = 0; i < 4; i++)
        assert_int_equal(rp.pos[2 * i] * (i == 1 ? -1 : 1), end[i]);
    /* ...and after homing they are the moves: 80 steps/mm on X and Y
     * (40 mm belt turn, 200 x 16 steps), 400 on Z; Z homes at 0.5. */
    assert_int_equal(end[0] - home[0], 110 * 80);
    assert_int_equal(end[1] - home[1], (int64_t)(7.25 * 80));
    assert_int_equal(end[2] - home[2], (int64_t)(4.5 * 400));
    assert_int_equal(r.st.steps, rp.steps);
    assert_true(r.st.queue_step_msgs > 0);
}

static void test_refusals_leave_state(void **state)
{
    (void)state;
    struct run r;
    run_open(&r, NULL);
    const char *a = run_lines(&r, "G1 X10\n");
    assert_non_null(strstr(a, "!! Must home axis first: 10.000 0.000 0.000 [0.000]\nok\n"));
    /* [safe_z_home] homes Z at 100, 100 and hops 5 mm. */
    a = run_lines(&r, "G28\nG1 X50\nG1 X250\nM114\n");
    assert_non_null(strstr(a, "!! Move out of range: 250.000 100.000 5.000 [0.000]"));
    assert_non_null(strstr(a, "X:50.000 Y:100.000 Z:5.000 E:0.000"));
    a = run_lines(&r, "G1 X1.2.3\nG1 X20 F-5\nM114\n");
    assert_non_null(strstr(a, "!! Unable to parse move 'G1 X1.2.3'"));
    assert_non_null(strstr(a, "!! Invalid speed in 'G1 X20 F-5'"));
    assert_non_null(strstr(a, "X:50.000"));
    a = run_lines(&r, "G99\nN5 G1 X60*99\n");
    assert_non_null(strstr(a, "// Unknown command:\"G99\""));
    assert_non_null(strstr(a, "!! "));
    a = run_lines(&r, "M112\nG1 X70\nFIRMWARE_RESTART\nG1 X70\n");
    assert_non_null(strstr(a, "!! Shutdown due to M112 command"));
    assert_non_null(strstr(a, "!! Must home axis first"));
    struct replay rp;
    run_close(&r, &rp);
}

static void test_g92_m220_m221(void **state)
{
    (void)state;
    struct run r;
    run_open(&r, NULL);
    const char *a = run_lines(&r, "G28\nG1 X10 E5\nG92 X0 E0\nG1 X5 E1\nM114\nM221 S50\n"
                                  "G1 E3\nM114\nGET_POSITION\n");
    assert_non_null(strstr(a, "X:5.000 Y:100.000 Z:5.000 E:1.000"));
    assert_non_null(strstr(a, "X:5.000 Y:100.000 Z:5.000 E:3.000"));
    assert_non_null(strstr(a, "// toolhead: X:15.000000 Y:100.000000 Z:5.000000 E:7.000000"));
    struct replay rp;
    run_close(&r, &rp);
}

static void test_config_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/lockstep-core-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cfg[96], out[96];
    snprintf(cfg, sizeof(cfg), "%s/printer.cfg", dir);
    snprintf(out, sizeof(out), "%s/out.bin", dir);
    FILE *f = fopen(cfg, "w");
    fputs("[mcu]\nserial: /dev/null\n[printer]\nkinematics: cartesian\nmax_velocity: 300\n"
          "max_accel: 3000\n[stepper_x]\nstep_pin: PZ9\n",
          f);
    fclose(f);
    struct engine_batch_opts o = {
        .config_path = cfg, .dict_path = LOCKSTEP_AVR_DICT, .out_path = out};
    char err[512];
    assert_null(engine_open_batch(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "printer.cfg"));
    assert_non_null(strstr(err, "PZ9"));
    unlink(cfg);
    unlink(out);
    rmdir(dir);
}

/* A real sliced print, if the shared corpus is beside the repository. */
static void test_sliced_file(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/tiny.gcode", SHARED_GCODE_DIR);
    if (access(path, R_OK)) {
        print_message("skipped: %s not found (the shared G-code corpus is absent)\n", path);
        skip();
    }
    struct run r;
    run_open(&r, NULL);
    char err[512];
    assert_int_equal(engine_run_file(r.e, path, err, sizeof(err)), 0);
    int64_t end[4];
    const char *a = run_lines(&r, "GET_POSITION\n");
    mcu_positions(a, end);
    struct replay rp;
    run_close(&r, &rp);
    assert_int_equal(r.st.errors, 0);
    /* The commanded position equals the sum of the emitted steps. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(rp.pos[2 * i] * (i == 1 ? -1 : 1), end[i]);
    assert_int_equal(r.st.steps, rp.steps);
    print_message("tiny.gcode: %llu steps, %llu queue_step messages\n",
                  (unsigned long long)r.st.steps, (unsigned long long)r.st.queue_step_msgs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moves_and_positions), cmocka_unit_test(test_refusals_leave_state),
        cmocka_unit_test(test_g92_m220_m221),       cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_sliced_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
