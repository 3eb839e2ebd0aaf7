#include "fw_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

static void add_line(struct fw_wire *w, const char *text)
{
    if (w->nlines < FW_MAX_LINES)
        w->lines[w->nlines++] = strdup(text);
}

static void on_block(void *ctx, const uint8_t *block)
{
    struct fw_wire *w = ctx;
    size_t len = frame_content_len(block);
    const uint8_t *c = frame_content(block);
    char text[512];
    if (!len) {
        snprintf(text, sizeof(text), "ack %u", frame_seq(block));
        add_line(w, text);
        return;
    }
    size_t pos = 0;
    while (pos < len) {
        struct msg_params p;
        char err[128];
        if (msg_decode(w->dict, c, len, &pos, &p, err, sizeof(err))) {
            snprintf(text, sizeof(text), "undecodable: %s", err);
            add_line(w, text);
            return;
        }
        msg_format_text(&p, text, sizeof(text));
        add_line(w, text);
    }
}

static void on_byte(void *ctx, uint64_t cycle, uint8_t b)
{
    (void)cycle;
    struct fw_wire *w = ctx;
    frame_parser_feed(&w->parser, &b, 1);
}

struct fw_wire *fw_open(void)
{
    struct fw_wire *w = calloc(1, sizeof(*w));
    char err[256];
    w->dict = dict_load_file(LOCKSTEP_NATIVE_DICT, err, sizeof(err));
    if (!w->dict) {
        fprintf(stderr, "fw_open: %s\n", err);
        abort();
    }
    w->mcu = sim_mcu_create("native", err, sizeof(err));
    if (!w->mcu) {
        fprintf(stderr, "fw_open: %s\n", err);
        abort();
    }
    frame_parser_init(&w->parser, on_block, w);
    sim_mcu_set_uart_rx(w->mcu, on_byte, w);
    fw_run_ms(w, 1);
    return w;
}

void fw_clear(struct fw_wire *w)
{
    for (size_t i = 0; i < w->nlines; i++)
        free(w->lines[i]);
    w->nlines = 0;
}

void fw_close(struct fw_wire *w)
{
    fw_clear(w);
    sim_mcu_destroy(w->mcu);
    dict_free(w->dict);
    free(w);
}

void fw_send_raw(struct fw_wire *w, const uint8_t *data, size_t len)
{
    sim_mcu_uart_send(w->mcu, data, len);
}

void fw_send_content(struct fw_wire *w, const uint8_t *content, size_t len)
{
    uint8_t blk[FRAME_MAX];
    size_t n = frame_build(blk, w->seq++, content, len);
    fw_send_raw(w, blk, n);
}

void fw_send(struct fw_wire *w, const char *text)
{
    uint8_t content[FRAME_MAX];
    char err[256];
    int n = msg_encode_text(w->dict, text, content, sizeof(content), err, sizeof(err));
    if (n < 0) {
        fprintf(stderr, "fw_send: %s: %s\n", text, err);
        abort();
    }
    fw_send_content(w, content, n);
}

void fw_run_ms(struct fw_wire *w, unsigned ms)
{
    uint64_t target = sim_mcu_cycle(w->mcu) + (uint64_t)sim_mcu_freq(w->mcu) / 1000 * ms;
    if (sim_mcu_run_until(w->mcu, target)) {
        fprintf(stderr, "fw_run_ms: %s\n", sim_mcu_error(w->mcu));
        abort();
    }
}

int fw_find(const struct fw_wire *w, size_t from, const char *prefix)
{
    for (size_t i = from; i < w->nlines; i++)
        if (!strncmp(w->lines[i], prefix, strlen(prefix)))
            return (int)i;
    return -1;
}

size_t fw_count(const struct fw_wire *w, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < w->nlines; i++)
        n += !strncmp(w->lines[i], prefix, strlen(prefix));
    return n;
}

void fw_dump(const struct fw_wire *w)
{
    for (size_t i = 0; i < w->nlines; i++)
        fprintf(stderr, "  | %s\n", w->lines[i]);
}
