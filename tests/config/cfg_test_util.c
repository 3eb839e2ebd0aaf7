#include "cfg_test_util.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *tmpdir_create(void)
{
    const char *base = getenv("TMPDIR");
    char templ[512];
    snprintf(templ, sizeof(templ), "%s/lockstep-config-XXXXXX", base && *base ? base : "/tmp");
    char *dir = mkdtemp(templ);
    if (!dir)
        abort();
    return strdup(dir);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tmpdir_remove(char *dir)
{
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

char *tmpdir_write(const char *dir, const char *name, const char *text)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    if (!path)
        abort();
    sprintf(path, "%s/%s", dir, name);
    const char *slash = strchr(name, '/');
    if (slash) {
        char sub[1024];
        snprintf(sub, sizeof(sub), "%s/%.*s", dir, (int)(slash - name), name);
        mkdir(sub, 0700);
    }
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        abort();
    return path;
}

int contains(const char *haystack, const char *needle)
{
    return haystack && needle && strstr(haystack, needle) != NULL;
}
