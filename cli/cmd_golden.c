/* lockstep golden check|update: the scenarios' traces against golden/,
 * and lockstep run SCENARIO.scn. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "golden.h"
#include "scenario_check.h"
#include "scenario_file.h"

#define DEFAULT_PRINTER LOCKSTEP_EXAMPLES "/printer-ramps.cfg"

enum { GOLDEN_SAME = 0, GOLDEN_DIFFERS = 1, GOLDEN_USAGE = 2, GOLDEN_CANNOT = 3 };

/* The scenario at path, or NULL after saying why (who: "run", "golden"). */
static struct scenario *load(const char *who, const char *path)
{
    struct scenario *s = malloc(sizeof(*s));
    char err[1024];
    if (!s || scenario_load(path, DEFAULT_PRINTER, s, err, sizeof(err))) {
        fprintf(stderr, "%s: %s\n", who, s ? err : "out of memory");
        free(s);
        return NULL;
    }
    return s;
}

int run_scenario(const char *path, const char *trace_path)
{
    struct scenario *s = load("run", path);
    char err[1024];
    if (!s)
        return 3;
    printf("scenario %s: %s\n", s->name, s->purpose);
    int rc = scenario_check(s, trace_path, stdout, err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "run: %s: %s\n", path, err);
    else if (rc == 0)
        printf("scenario %s: all %zu expectations hold\n", s->name, s->nexpect);
    else
        printf("scenario %s: FAILED\n", s->name);
    scenario_free(s);
    free(s);
    return rc < 0 ? 3 : rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .scn file in dir, sorted. */
static char **all_scenarios(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    *n = 0;
    if (!d)
        return NULL;
    char **list = NULL;
    size_t cap = 0;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        if (!cli_ends_with(ent->d_name, ".scn"))
            continue;
        size_t len = strlen(ent->d_name);
        if (*n + 1 >= cap) {
            cap = cap ? 2 * cap : 32;
            char **l = realloc(list, cap * sizeof(*l));
            if (!l)
                break;
            list = l;
        }
        size_t plen = strlen(dir) + len + 2;
        list[*n] = malloc(plen);
        if (!list[*n])
            break;
        snprintf(list[*n], plen, "%s/%s", dir, ent->d_name);
        (*n)++;
    }
    closedir(d);
    if (list)
        qsort(list, *n, sizeof(*list), by_name);
    return list;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: lockstep golden check|update [SCENARIO.scn...] [--golden DIR]\n"
               "                                    [--firmware FILE.elf]\n\n"
               "Runs each scenario (default: every scenarios/*.scn of the source tree) on the\n"
               "twin, checks its expectations and compares its trace with DIR/NAME.trace\n"
               "(default DIR: the source tree's golden/). check reports the first difference\n"
               "in words; update rewrites the golden traces. --firmware runs every scenario\n"
               "on that atmega2560 ELF instead of its own backend.\n"
               "Exit status: 0 all agree; 1 a trace differs or an expectation failed;\n"
               "2 bad arguments; 3 a scenario could not be run or has no golden trace.\n");
}

static int one(const char *path, const char *golden_dir, const char *firmware, int update)
{
    struct scenario *s = load("golden", path);
    char err[1024];
    if (!s)
        return GOLDEN_CANNOT;
    if (firmware)
        snprintf(s->backend, sizeof(s->backend), "avr=%s", firmware);
    char golden[2048], actual[2100];
    snprintf(golden, sizeof(golden), "%s/%s.trace", golden_dir, s->name);
    snprintf(actual, sizeof(actual), "%s.new", golden);
    if (!update && access(golden, R_OK)) {
        fprintf(stderr, "golden: %s: no golden trace %s (lockstep golden update %s makes it)\n",
                s->name, golden, path);
        scenario_free(s);
        free(s);
        return GOLDEN_CANNOT;
    }
    int rc = scenario_check(s, actual, stdout, err, sizeof(err));
    int status;
    if (rc < 0) {
        fprintf(stderr, "golden: %s: %s\n", path, err);
        unlink(actual);
        status = GOLDEN_CANNOT;
    } else if (update) {
        if (rename(actual, golden)) {
            fprintf(stderr, "golden: cannot write %s: %s\n", golden, strerror(errno));
            status = GOLDEN_CANNOT;
        } else {
            printf("golden %s: written%s\n", s->name,
                   rc ? " (but its expectations failed, see above)" : "");
            status = rc ? GOLDEN_DIFFERS : GOLDEN_SAME;
        }
    } else {
        char desc[1536];
        int c = golden_compare(golden, actual, desc, sizeof(desc));
        unlink(actual);
        if (c < 0) {
            fprintf(stderr, "golden: %s: %s\n", s->name, desc);
            status = GOLDEN_CANNOT;
        } else if (c) {
            printf("golden %s: DIFFERS: %s\n", s->name, desc);
            status = GOLDEN_DIFFERS;
        } else {
            printf("golden %s: same%s\n", s->name, rc ? ", but its expectations failed" : "");
            status = rc ? GOLDEN_DIFFERS : GOLDEN_SAME;
        }
    }
    scenario_free(s);
    free(s);
    return status;
}

int cmd_golden(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? GOLDEN_USAGE : 0;
    }
    int update = !strcmp(argv[1], "update");
    if (!update && strcmp(argv[1], "check")) {
        fprintf(stderr, "golden: expected check or update, got '%s'\n", argv[1]);
        usage(stderr);
        return GOLDEN_USAGE;
    }
    const char *golden_dir = LOCKSTEP_SOURCE_DIR "/golden", *firmware = NULL;
    const char **paths = calloc((size_t)argc, sizeof(*paths));
    size_t n = 0;
    if (!paths)
        return GOLDEN_CANNOT;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--golden") && i + 1 < argc) {
            golden_dir = argv[++i];
        } else if (!strcmp(argv[i], "--firmware") && i + 1 < argc) {
            firmware = argv[++i];
        } else if (argv[i][0] != '-') {
            paths[n++] = argv[i];
        } else {
            fprintf(stderr, "golden: unexpected argument '%s'\n", argv[i]);
            free(paths);
            return GOLDEN_USAGE;
        }
    }
    char **all = NULL;
    size_t nall = 0;
    if (!n) {
        all = all_scenarios(LOCKSTEP_SOURCE_DIR "/scenarios", &nall);
        if (!nall) {
            fprintf(stderr, "golden: no scenarios in %s\n", LOCKSTEP_SOURCE_DIR "/scenarios");
            free(paths);
            return GOLDEN_CANNOT;
        }
    }
    int worst = GOLDEN_SAME;
    size_t count = n ? n : nall, differ = 0, cannot = 0;
    for (size_t i = 0; i < count; i++) {
        int st = one(n ? paths[i] : all[i], golden_dir, firmware, update);
        differ += st == GOLDEN_DIFFERS;
        cannot += st == GOLDEN_CANNOT;
        if (st == GOLDEN_CANNOT || (st == GOLDEN_DIFFERS && worst == GOLDEN_SAME))
            worst = st;
        fflush(stdout);
    }
    if (count > 1)
        printf("golden %s: %zu scenarios, %zu %s, %zu could not be run\n",
               update ? "update" : "check", count, differ, update ? "failed" : "differ", cannot);
    for (size_t i = 0; i < nall; i++)
        free(all[i]);
    free(all);
    free(paths);
    return worst;
}
