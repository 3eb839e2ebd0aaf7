#include "fuzz_file.h"

#include <stdio.h>
#include <stdlib.h>

const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
    static char dir[] = "/tmp/lockstep_fuzz.XXXXXX";
    static char path[sizeof(dir) + 64];
    static int made;
    if (!made) {
        if (!mkdtemp(dir))
            abort();
        made = 1;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f))
        abort();
    return path;
}
