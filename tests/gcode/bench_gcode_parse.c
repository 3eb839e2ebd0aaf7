/* Throughput of the G-code reader and parser on every .gcode file of a
 * directory (default: the sliced corpus beside the repository):
 *
 *   bench_gcode_parse [DIR] [--repeat N]
 *
 * For each file, the best of N runs of: reading lines only; reading and
 * parsing; reading, parsing and converting every parameter of G0/G1/G92
 * to a number (what the engine does with a print). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gcode_params.h"
#include "gcode_reader.h"

enum stage { READ, PARSE, NUMBERS, STAGES };
static const char *const stage_names[STAGES] = {"read", "read+parse", "read+parse+numbers"};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One pass over the file; returns its seconds, or a negative value on error. */
static double run(const char *path, enum stage stage, unsigned long *lines, unsigned long *bytes)
{
    static struct gcode_command cmd;
    char err[GCODE_ERR_MAX + 256];
    double sink = 0;
    double start = now();
    struct gcode_reader *r = gcode_reader_open(path, err, sizeof err);
    if (!r) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *bytes = 0;
    int rc;
    const char *line;
    size_t len;
    while ((rc = gcode_reader_next(r, &line, &len, err, sizeof err)) == 1) {
        *bytes += len + 1;
        if (stage == READ)
            continue;
        if (gcode_parse(&cmd, line, len, err, sizeof err) < 0) {
            fprintf(stderr, "%s:%lu: %s\n", path, gcode_reader_line_number(r), err);
            rc = -1;
            break;
        }
        if (stage != NUMBERS || gcode_is_empty(&cmd) || cmd.name[0] != 'G')
            continue;
        if (strcmp(cmd.name, "G1") && strcmp(cmd.name, "G0") && strcmp(cmd.name, "G92"))
            continue;
        for (size_t i = 0; i < cmd.nparams; i++) {
            double v;
            if (gcode_get_float(&cmd, cmd.params[i].name, NULL, &v, err, sizeof err) == 0)
                sink += v;
        }
    }
    *lines = gcode_reader_line_number(r);
    gcode_reader_close(r);
    if (rc < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    double elapsed = now() - start;
    /* Keeps the conversions from being optimised away. */
    if (sink == 123456789.0)
        fprintf(stderr, "!");
    return elapsed;
}

int main(int argc, char **argv)
{
    const char *dir = GCODE_CORPUS_DIR;
    int repeat = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--help") || argv[i][0] == '-') {
            printf("usage: %s [DIR] [--repeat N]\n", argv[0]);
            return argv[i][1] == '-' && !strcmp(argv[i], "--help") ? 0 : 2;
        } else
            dir = argv[i];
    }
    if (repeat < 1)
        repeat = 1;
    DIR *d = opendir(dir);
    if (!d) {
        printf("skipped: no G-code directory at %s\n", dir);
        return 0;
    }
    char *names[256];
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < sizeof names / sizeof names[0]) {
        size_t n = strlen(e->d_name);
        if (n > 6 && !strcmp(e->d_name + n - 6, ".gcode"))
            names[count++] = strdup(e->d_name);
    }
    closedir(d);
    if (!count) {
        printf("skipped: no .gcode files in %s\n", dir);
        return 0;
    }
    qsort(names, count, sizeof names[0], compare_names);

    printf("%-24s %-20s %9s %7s %9s %12s %8s\n", "file", "stage", "lines", "MB", "ms", "lines/s",
           "MB/s");
    double total_s[STAGES] = {0};
    unsigned long total_lines = 0, total_bytes = 0;
    int status = 0;
    for (size_t f = 0; f < count; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        for (int s = 0; s < STAGES; s++) {
            double best = -1;
            unsigned long lines = 0, bytes = 0;
            for (int k = 0; k < repeat; k++) {
                double t = run(path, (enum stage)s, &lines, &bytes);
                if (t < 0) {
                    status = 1;
                    break;
                }
                if (best < 0 || t < best)
                    best = t;
            }
            if (best < 0)
                break;
            double mb = (double)bytes / 1e6;
            printf("%-24s %-20s %9lu %7.2f %9.3f %12.0f %8.0f\n", names[f], stage_names[s], lines,
                   mb, best * 1e3, (double)lines / best, mb / best);
            total_s[s] += best;
            if (s == 0) {
                total_lines += lines;
                total_bytes += bytes;
            }
        }
        free(names[f]);
    }
    for (int s = 0; s < STAGES; s++)
        if (total_s[s] > 0)
            printf("%-24s %-20s %9lu %7.2f %9.3f %12.0f %8.0f\n", "total", stage_names[s],
                   total_lines, (double)total_bytes / 1e6, total_s[s] * 1e3,
                   (double)total_lines / total_s[s], (double)total_bytes / 1e6 / total_s[s]);
    return status;
}
