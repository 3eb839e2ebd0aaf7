/* Small helpers the subcommands share (cli_util.h). */
#include "cli_util.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

double cli_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cli_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

int cli_largest_gcode(const char *dir, char *out, size_t outlen)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    off_t best = -1;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        if (!cli_ends_with(ent->d_name, ".gcode"))
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
        /* Ties go to the name first in order, so the choice is stable. */
        if (!stat(path, &st) &&
            (st.st_size > best || (st.st_size == best && strcmp(path, out) < 0))) {
            best = st.st_size;
            snprintf(out, outlen, "%s", path);
        }
    }
    closedir(d);
    return best >= 0;
}
