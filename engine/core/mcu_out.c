/* The engine's side of one MCU. */
#include "mcu_out.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "errmsg.h"
#include "vlq.h"

struct mcu_out {
    struct link_batch *batch;
    int oid_count;
    char **config; /* text commands, in the order objects added them */
    size_t nconfig, config_cap;
    uint32_t crc;
    int finalized;
};

struct mcu_out *mcu_out_open_batch(const char *dict_path, const char *out_path, char *err,
                                   size_t errlen)
{
    struct mcu_out *m = calloc(1, sizeof(*m));
    if (!m) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    m->batch = link_batch_open(dict_path, out_path, err, errlen);
    if (!m->batch) {
        free(m);
        return NULL;
    }
    return m;
}

int mcu_out_close(struct mcu_out *m, char *err, size_t errlen)
{
    if (!m)
        return 0;
    int rc = link_batch_close(m->batch, err, errlen);
    for (size_t i = 0; i < m->nconfig; i++)
        free(m->config[i]);
    free(m->config);
    free(m);
    return rc;
}

const struct link_dict *mcu_out_dict(const struct mcu_out *m)
{
    return link_batch_dict(m->batch);
}

uint32_t mcu_out_freq(const struct mcu_out *m)
{
    return link_batch_freq(m->batch);
}

uint64_t mcu_out_clock(const struct mcu_out *m, double print_time)
{
    return clocksync_print_time_to_clock(link_batch_clocksync(m->batch), print_time);
}

int32_t mcu_out_command_id(const struct mcu_out *m, const char *name, char *err, size_t errlen)
{
    const struct msg_format *f = dict_command(mcu_out_dict(m), name);
    if (!f) {
        seterr(err, errlen, "the MCU's dictionary has no command '%s'", name);
        return -1;
    }
    return f->id;
}

/* A command's text from fmt; -1 with err if it does not fit. */
static int format_command(char *text, size_t cap, char *err, size_t errlen, const char *fmt,
                          va_list ap)
{
    int n = vsnprintf(text, cap, fmt, ap);
    if (n < 0 || (size_t)n >= cap) {
        seterr(err, errlen, "command too long: %.60s...", text);
        return -1;
    }
    return 0;
}

int mcu_out_alloc_oid(struct mcu_out *m)
{
    return m->oid_count++;
}

int mcu_out_add_config(struct mcu_out *m, char *err, size_t errlen, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    int rc = format_command(text, sizeof(text), err, errlen, fmt, ap);
    va_end(ap);
    if (rc)
        return -1;
    if (m->finalized) {
        seterr(err, errlen, "config command after finalize: %s", text);
        return -1;
    }
    if (m->nconfig == m->config_cap) {
        size_t cap = m->config_cap ? 2 * m->config_cap : 16;
        char **c = realloc(m->config, cap * sizeof(*c));
        if (!c) {
            seterr(err, errlen, "out of memory");
            return -1;
        }
        m->config = c;
        m->config_cap = cap;
    }
    m->config[m->nconfig] = strdup(text);
    if (!m->config[m->nconfig]) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    m->nconfig++;
    return 0;
}

int mcu_out_finalize(struct mcu_out *m, char *err, size_t errlen)
{
    char first[64];
    snprintf(first, sizeof(first), "allocate_oids count=%d", m->oid_count);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, (const Bytef *)first, (uInt)strlen(first));
    for (size_t i = 0; i < m->nconfig; i++) {
        crc = crc32(crc, (const Bytef *)"\n", 1);
        crc = crc32(crc, (const Bytef *)m->config[i], (uInt)strlen(m->config[i]));
    }
    m->crc = (uint32_t)crc;
    if (link_batch_send_text(m->batch, NULL, first, 0, 0, err, errlen))
        return -1;
    for (size_t i = 0; i < m->nconfig; i++) {
        char e[200];
        if (link_batch_send_text(m->batch, NULL, m->config[i], 0, 0, e, sizeof(e))) {
            seterr(err, errlen, "config command '%s': %s", m->config[i], e);
            return -1;
        }
    }
    char fin[64];
    snprintf(fin, sizeof(fin), "finalize_config crc=%u", m->crc);
    if (link_batch_send_text(m->batch, NULL, fin, 0, 0, err, errlen))
        return -1;
    m->finalized = 1;
    return 0;
}

uint32_t mcu_out_config_crc(const struct mcu_out *m)
{
    return m->crc;
}

struct command_queue *mcu_out_alloc_queue(struct mcu_out *m)
{
    return link_batch_alloc_queue(m->batch);
}

int mcu_out_send(struct mcu_out *m, struct command_queue *cq, const uint8_t *msg, size_t len,
                 uint64_t min_clock, uint64_t req_clock, char *err, size_t errlen)
{
    return link_batch_send(m->batch, cq, msg, len, min_clock, req_clock, err, errlen);
}

int mcu_out_send_text(struct mcu_out *m, struct command_queue *cq, uint64_t min_clock,
                      uint64_t req_clock, char *err, size_t errlen, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    int rc = format_command(text, sizeof(text), err, errlen, fmt, ap);
    va_end(ap);
    if (rc)
        return -1;
    return link_batch_send_text(m->batch, cq, text, min_clock, req_clock, err, errlen);
}

int mcu_out_flush(struct mcu_out *m, uint64_t req_limit, char *err, size_t errlen)
{
    return link_batch_flush(m->batch, req_limit, err, errlen);
}

const struct link_batch_stats *mcu_out_stats(const struct mcu_out *m)
{
    return link_batch_get_stats(m->batch);
}

size_t mcu_out_encode(uint8_t *out, int32_t id, const int32_t *args, size_t nargs)
{
    size_t n = vlq_encode(out, id);
    for (size_t i = 0; i < nargs; i++)
        n += vlq_encode(out + n, args[i]);
    return n;
}
