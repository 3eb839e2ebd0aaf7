#include "fake_mcu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "frame.h"
#include "msg.h"
#include "vlq.h"

const char fake_mcu_dict_json[] =
    "{\"commands\": {"
    "\"identify offset=%u count=%c\": 1,"
    "\"get_clock\": 2,"
    "\"get_uptime\": 3,"
    "\"queue_step oid=%c interval=%u count=%hu add=%hi\": 4,"
    "\"config_stepper oid=%c step_pin=%c dir_pin=%c invert_step=%c step_pulse_ticks=%u\": 5,"
    "\"emergency_stop\": 6,"
    "\"spi_send oid=%c data=%*s\": 7,"
    "\"set_next_step_dir oid=%c dir=%c\": 8,"
    "\"reset_step_clock oid=%c clock=%u\": 9,"
    "\"debug_write order=%c addr=%u val=%u\": 200"
    "},"
    "\"responses\": {"
    "\"identify_response offset=%u data=%.*s\": 0,"
    "\"clock clock=%u\": 10,"
    "\"uptime high=%u clock=%u\": 11,"
    "\"shutdown clock=%u static_string_id=%hu\": 12,"
    "\"stats count=%u sum=%u sumsq=%u\": 13"
    "},"
    "\"output\": {\"Hello %u from %s\": 14},"
    "\"config\": {\"CLOCK_FREQ\": 16000000, \"MCU\": \"fakemcu\", \"RECEIVE_WINDOW\": 192,"
    " \"SERIAL_BAUD\": 250000, \"BUILD_NOTE\": \"two words\"},"
    "\"enumerations\": {\"pin\": {\"PA0\": [0, 8], \"PB0\": [8, 8], \"LED\": 13},"
    " \"static_string_id\": {\"Timer too close\": 3, \"Move queue overflow\": 4}},"
    "\"version\": \"fake-1.0\", \"build_versions\": \"gcc\", \"app\": \"fake\"}";

struct fake_mcu {
    fake_tx_fn tx;
    void *ctx;
    struct frame_parser parser;
    struct link_dict *dict;
    uint8_t *zdict;
    size_t zlen;
    unsigned expected;
    uint64_t clock;
    char **log;
    size_t nlog;
    unsigned naks, duplicates;
    /* Replies to the block being processed, packed like the firmware does. */
    uint8_t out[FRAME_MAX_CONTENT];
    size_t outlen;
};

static void send_block(struct fake_mcu *f, const uint8_t *content, size_t len)
{
    uint8_t block[FRAME_MAX];
    size_t n = frame_build(block, f->expected, content, len);
    f->tx(f->ctx, block, n);
}

static void flush_out(struct fake_mcu *f)
{
    if (f->outlen)
        send_block(f, f->out, f->outlen);
    f->outlen = 0;
}

static void reply(struct fake_mcu *f, const char *text)
{
    const struct msg_format *fmt = NULL;
    char name[64];
    sscanf(text, "%63s", name);
    fmt = dict_response(f->dict, name);
    if (!fmt)
        abort();
    /* Parse through a copy of the format with the command kind so that
     * msg_parse_text finds it. */
    struct msg_format tmp = *fmt;
    tmp.kind = MSG_COMMAND;
    struct link_dict one = {.msgs = &tmp, .nmsgs = 1};
    struct msg_params p;
    char err[200];
    if (msg_parse_text(&one, text, &p, err, sizeof(err))) {
        fprintf(stderr, "fake_mcu: %s\n", err);
        abort();
    }
    p.fmt = fmt;
    uint8_t buf[FRAME_MAX_CONTENT];
    int n = msg_encode(&p, buf, sizeof(buf));
    if (n < 0)
        abort();
    if (f->outlen + (size_t)n > sizeof(f->out))
        flush_out(f);
    memcpy(f->out + f->outlen, buf, (size_t)n);
    f->outlen += (size_t)n;
}

static void reply_identify(struct fake_mcu *f, uint32_t offset, uint32_t count)
{
    size_t n = offset < f->zlen ? f->zlen - offset : 0;
    if (n > count)
        n = count;
    const struct msg_format *fmt = dict_response(f->dict, "identify_response");
    struct msg_params p;
    msg_params_init(&p, fmt);
    p.v[0] = offset;
    msg_params_set_buf(&p, 1, f->zdict + (n ? offset : 0), n);
    uint8_t buf[FRAME_MAX_CONTENT];
    int len = msg_encode(&p, buf, sizeof(buf));
    if (len < 0)
        abort();
    flush_out(f);
    memcpy(f->out, buf, (size_t)len);
    f->outlen = (size_t)len;
    flush_out(f);
}

static const struct msg_format *command_by_id(const struct link_dict *d, uint32_t id)
{
    for (size_t i = 0; i < d->nmsgs; i++)
        if (d->msgs[i].kind == MSG_COMMAND && d->msgs[i].id == (int32_t)id)
            return &d->msgs[i];
    return NULL;
}

static void run_command(struct fake_mcu *f, const struct msg_params *p)
{
    char text[512];
    msg_format_text(p, text, sizeof(text));
    f->log = realloc(f->log, (f->nlog + 1) * sizeof(*f->log));
    f->log[f->nlog++] = strdup(text);
    const char *name = p->fmt->name;
    char buf[128];
    if (!strcmp(name, "identify")) {
        reply_identify(f, p->v[0], p->v[1]);
    } else if (!strcmp(name, "get_clock")) {
        snprintf(buf, sizeof(buf), "clock clock=%u", (unsigned)(uint32_t)f->clock);
        reply(f, buf);
    } else if (!strcmp(name, "get_uptime")) {
        snprintf(buf, sizeof(buf), "uptime high=%u clock=%u", (unsigned)(f->clock >> 32),
                 (unsigned)(uint32_t)f->clock);
        reply(f, buf);
    } else if (!strcmp(name, "emergency_stop")) {
        snprintf(buf, sizeof(buf), "shutdown clock=%u static_string_id=\"Timer too close\"",
                 (unsigned)(uint32_t)f->clock);
        reply(f, buf);
    } else if (!strcmp(name, "debug_write")) {
        /* Sends an output message, to exercise printf-style decoding. */
        const struct msg_format *fmt = dict_by_format(f->dict, "Hello %u from %s");
        struct msg_params o;
        msg_params_init(&o, fmt);
        o.v[0] = p->v[2];
        msg_params_set_buf(&o, 1, "fake", 4);
        uint8_t enc[FRAME_MAX_CONTENT];
        int n = msg_encode(&o, enc, sizeof(enc));
        flush_out(f);
        memcpy(f->out, enc, (size_t)n);
        f->outlen = (size_t)n;
    }
}

static void on_block(void *ctx, const uint8_t *block)
{
    struct fake_mcu *f = ctx;
    unsigned seq = frame_seq(block);
    if (seq != f->expected) {
        /* Out of order (or a duplicate): tell the host what we expect. */
        if (((seq + 1) & FRAME_SEQ_MASK) == f->expected)
            f->duplicates++;
        f->naks++;
        send_block(f, NULL, 0);
        return;
    }
    f->expected = (f->expected + 1) & FRAME_SEQ_MASK;
    send_block(f, NULL, 0);
    const uint8_t *c = frame_content(block);
    size_t len = frame_content_len(block), pos = 0;
    while (pos < len) {
        uint32_t id;
        if (vlq_decode(c, len, &pos, &id))
            abort();
        const struct msg_format *fmt = command_by_id(f->dict, id);
        if (!fmt)
            abort();
        struct msg_params p;
        char err[200];
        if (msg_decode_params(fmt, c, len, &pos, &p, err, sizeof(err)))
            abort();
        run_command(f, &p);
    }
    flush_out(f);
}

struct fake_mcu *fake_mcu_create(fake_tx_fn tx, void *ctx)
{
    struct fake_mcu *f = calloc(1, sizeof(*f));
    f->tx = tx;
    f->ctx = ctx;
    char err[256];
    f->dict = dict_parse_json(fake_mcu_dict_json, strlen(fake_mcu_dict_json), err, sizeof(err));
    if (!f->dict) {
        fprintf(stderr, "fake_mcu: %s\n", err);
        abort();
    }
    uLongf zlen = compressBound(strlen(fake_mcu_dict_json));
    f->zdict = malloc(zlen);
    if (compress(f->zdict, &zlen, (const Bytef *)fake_mcu_dict_json, strlen(fake_mcu_dict_json)) !=
        Z_OK)
        abort();
    f->zlen = zlen;
    frame_parser_init(&f->parser, on_block, f);
    return f;
}

void fake_mcu_destroy(struct fake_mcu *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nlog; i++)
        free(f->log[i]);
    free(f->log);
    free(f->zdict);
    dict_free(f->dict);
    free(f);
}

void fake_mcu_set_expected_seq(struct fake_mcu *f, unsigned seq)
{
    f->expected = seq & FRAME_SEQ_MASK;
}
void fake_mcu_set_clock(struct fake_mcu *f, uint64_t clock)
{
    f->clock = clock;
}
void fake_mcu_feed(struct fake_mcu *f, const uint8_t *data, size_t len)
{
    frame_parser_feed(&f->parser, data, len);
}
size_t fake_mcu_log_count(const struct fake_mcu *f)
{
    return f->nlog;
}
const char *fake_mcu_log(const struct fake_mcu *f, size_t i)
{
    return f->log[i];
}
unsigned fake_mcu_naks_sent(const struct fake_mcu *f)
{
    return f->naks;
}
unsigned fake_mcu_bad_blocks(const struct fake_mcu *f)
{
    return (unsigned)frame_parser_errors(&f->parser);
}
unsigned fake_mcu_duplicates(const struct fake_mcu *f)
{
    return f->duplicates;
}
const struct link_dict *fake_mcu_dict(const struct fake_mcu *f)
{
    return f->dict;
}
