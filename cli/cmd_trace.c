/* lockstep trace export: a trace (docs/trace-format.md) as VCD, for
 * GTKWave and other waveform viewers. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "trace.h"
#include "trace_vcd.h"

static const char usage_text[] =
    "usage: lockstep trace export --vcd OUT.vcd TRACE [--no-strings] [-q]\n"
    "       lockstep trace export TRACE --vcd OUT.vcd\n"
    "\n"
    "Write TRACE (written by `lockstep run --trace` or in golden/) as a Value\n"
    "Change Dump that GTKWave opens: per stepper its step, dir, enable and\n"
    "endstop wires, per heater its duty, temperature and target as real\n"
    "signals, the fan's duty, and the host's G-code line, answers, errors,\n"
    "shutdowns and faults. OUT.vcd may be '-' for standard output.\n"
    "docs/trace-format.md (VCD export) says what each signal shows.\n"
    "\n"
    "Options\n"
    "  --vcd OUT.vcd   where to write the VCD\n"
    "  --no-strings    leave out the text signals (answers, fault specs):\n"
    "                  they are GTKWave's extension, which strict IEEE 1364\n"
    "                  readers refuse\n"
    "  -q              no summary on standard error\n"
    "  -h, --help      this text\n"
    "\n"
    "Exit status: 0 written, 1 the VCD could not be written, 2 bad usage,\n"
    "3 the trace could not be read or is malformed (the message names the\n"
    "file and line).\n";

struct export_args {
    const char *trace, *vcd;
    struct trace_vcd_options opt;
    bool quiet;
};

static int usage_error(const char *fmt, const char *arg)
{
    fputs("lockstep trace export: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n\n", stderr);
    fputs(usage_text, stderr);
    return 2;
}

/* 0 to go on, else the exit status (-1: --help, exit 0). */
static int parse_args(int argc, char **argv, struct export_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (!strcmp(s, "--vcd")) {
            if (i + 1 >= argc)
                return usage_error("%s needs a file name (or - for standard output)", s);
            if (a->vcd)
                return usage_error("%s is given twice", s);
            a->vcd = argv[++i];
        } else if (!strcmp(s, "--no-strings")) {
            a->opt.no_strings = true;
        } else if (!strcmp(s, "-q")) {
            a->quiet = true;
        } else if (s[0] == '-' && s[1]) {
            return usage_error("unknown option '%s'", s);
        } else if (a->trace) {
            return usage_error("too many arguments ('%s'): one TRACE at a time", s);
        } else {
            a->trace = s;
        }
    }
    if (!a->trace)
        return usage_error("%s", "no TRACE given");
    if (!a->vcd)
        return usage_error("%s", "no --vcd OUT.vcd given (the only export there is)");
    return 0;
}

static int export_vcd(const struct export_args *a)
{
    char err[1024];
    struct trace tr;
    if (trace_load(a->trace, &tr, err, sizeof(err))) {
        fprintf(stderr, "lockstep trace export: %s\n", err);
        return 3;
    }
    bool to_stdout = !strcmp(a->vcd, "-");
    FILE *out = to_stdout ? stdout : fopen(a->vcd, "w");
    if (!out) {
        fprintf(stderr, "lockstep trace export: cannot write '%s': %s\n", a->vcd, strerror(errno));
        trace_free(&tr);
        return 1;
    }
    /* A half-written file is removed, but never a device or a pipe. */
    struct stat sb;
    bool regular = !to_stdout && !fstat(fileno(out), &sb) && S_ISREG(sb.st_mode);
    struct trace_vcd_stats st;
    int rc = trace_vcd_write(&tr, out, &a->opt, &st, err, sizeof(err));
    if (!to_stdout && fclose(out) && !rc) {
        snprintf(err, sizeof(err), "cannot write the VCD: %s", strerror(errno));
        rc = -1;
    }
    if (rc) {
        fprintf(stderr, "lockstep trace export: %s: %s\n", a->vcd, err);
        if (regular)
            remove(a->vcd);
    } else if (!a->quiet) {
        struct trace_vcd_timescale ts = trace_vcd_timescale(tr.freq);
        fprintf(stderr,
                "lockstep trace export: %s: %zu steppers (%llu step pulses), %zu heaters, "
                "%.3f s in %s units, %llu value changes\n",
                to_stdout ? "(standard output)" : a->vcd, tr.nsteppers,
                (unsigned long long)st.edges, tr.nheaters, (double)tr.last_tick / (double)tr.freq,
                trace_vcd_unit(&ts), (unsigned long long)st.changes);
        if (tr.skipped)
            fprintf(stderr,
                    "lockstep trace export: %s: %lu lines of kinds this reader does not know "
                    "were left out\n",
                    a->trace, tr.skipped);
    }
    trace_free(&tr);
    return rc ? 1 : 0;
}

int cmd_trace(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fputs(usage_text, f);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "export")) {
        fprintf(stderr, "lockstep trace: unknown subcommand '%s' (there is: export)\n\n", argv[1]);
        fputs(usage_text, stderr);
        return 2;
    }
    struct export_args a = {0};
    int rc = parse_args(argc - 1, argv + 1, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    return export_vcd(&a);
}
