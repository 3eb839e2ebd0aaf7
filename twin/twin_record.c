/* The record: the trace's text lines and the hash over them and over the
 * binary events (pin edges, serial bytes) too numerous to print. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "twin_internal.h"

/* FNV-1a, 64 bits: simple, and good enough to tell runs apart. */
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

int twin_record_open(struct twin_record *r, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    r->hash = FNV_OFFSET;
    if (!path)
        return 0;
    r->f = fopen(path, "w");
    if (!r->f) {
        snprintf(err, errlen, "cannot write the trace '%s': %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

void twin_record_close(struct twin_record *r)
{
    if (r->f) {
        fprintf(r->f, "# hash %016llx\n", (unsigned long long)r->hash);
        fclose(r->f);
    }
    r->f = NULL;
}

void twin_record_comment(struct twin_record *r, const char *fmt, ...)
{
    if (!r->f)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("# ", r->f);
    vfprintf(r->f, fmt, ap);
    fputc('\n', r->f);
    va_end(ap);
}

/* The line in r->line: into the hash, and the file if there is one. */
static void emit_line(struct twin_record *r)
{
    size_t len = strlen(r->line);
    r->hash = fnv(r->hash, r->line, len);
    r->hash = fnv(r->hash, "\n", 1);
    if (r->f) {
        fwrite(r->line, 1, len, r->f);
        fputc('\n', r->f);
    }
}

void twin_record_header(struct twin_record *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->line, sizeof(r->line), fmt, ap);
    va_end(ap);
    emit_line(r);
}

void twin_record(struct twin *tw, uint64_t cycle, const char *fmt, ...)
{
    struct twin_record *r = &tw->rec;
    /* Whole MCU cycles: exact, and never dependent on floating point. */
    int n = snprintf(r->line, sizeof(r->line), "%llu ", (unsigned long long)cycle);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(r->line))
        vsnprintf(r->line + n, sizeof(r->line) - (size_t)n, fmt, ap);
    va_end(ap);
    emit_line(r);
}

void twin_record_event(struct twin_record *r, uint64_t cycle, uint32_t what, uint32_t value)
{
    unsigned char b[16];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(cycle >> (8 * i));
    for (int i = 0; i < 4; i++) {
        b[8 + i] = (unsigned char)(what >> (8 * i));
        b[12 + i] = (unsigned char)(value >> (8 * i));
    }
    r->hash = fnv(r->hash, b, sizeof(b));
}

uint64_t twin_record_hash(const struct twin *tw)
{
    return tw->rec.hash;
}
