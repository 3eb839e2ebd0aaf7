#include "dump.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "msg.h"

struct dumper {
    const char *name;
    const struct link_dict *dict;
    struct link_dump_opts opts;
    FILE *out, *errs;
    struct frame_parser parser;
    struct link_dump_result res;
    /* The damaged stretch being skipped, reported when it ends. */
    int in_damage;
    uint64_t damage_start;
    char damage_why[64];
    int have_seq;
    unsigned next_seq;
};

static void end_damage(struct dumper *d, uint64_t end, const char *until)
{
    if (!d->in_damage)
        return;
    d->in_damage = 0;
    d->res.damaged++;
    fprintf(d->errs, "%s: offset %" PRIu64 ": bad block (%s); skipped %" PRIu64 " bytes %s\n",
            d->name, d->damage_start, d->damage_why, end - d->damage_start, until);
}

static void on_bad(void *ctx, uint64_t offset, const char *why)
{
    struct dumper *d = ctx;
    /* One report per stretch: resynchronising inside damaged bytes
     * usually trips over a few false block starts before a real one. */
    if (d->in_damage)
        return;
    d->in_damage = 1;
    d->damage_start = offset;
    snprintf(d->damage_why, sizeof(d->damage_why), "%s", why);
    /* The blocks on either side of the damage are not consecutive. */
    d->have_seq = 0;
}

static void print_message(struct dumper *d, const struct msg_params *p, uint64_t off, unsigned seq)
{
    char buf[1024];
    char *text = buf;
    int n = msg_format_text(p, buf, sizeof(buf));
    if (n >= (int)sizeof(buf)) {
        text = malloc((size_t)n + 1);
        if (!text)
            abort();
        msg_format_text(p, text, (size_t)n + 1);
    }
    if (d->opts.offsets)
        fprintf(d->out, "%" PRIu64 ":%u ", off, seq);
    fprintf(d->out, "%s\n", text);
    if (text != buf)
        free(text);
}

static void on_block(void *ctx, const uint8_t *block)
{
    struct dumper *d = ctx;
    uint64_t off = frame_parser_block_offset(&d->parser);
    char until[64];
    snprintf(until, sizeof(until), "up to offset %" PRIu64, off);
    end_damage(d, off, until);
    d->res.blocks++;
    unsigned seq = frame_seq(block);
    if (d->have_seq && seq != d->next_seq) {
        d->res.seq_jumps++;
        fprintf(d->errs,
                "%s: offset %" PRIu64 ": sequence number %u, expected %u (a block is missing)\n",
                d->name, off, seq, d->next_seq);
    }
    d->have_seq = 1;
    d->next_seq = (seq + 1) & FRAME_SEQ_MASK;
    const uint8_t *content = frame_content(block);
    size_t len = frame_content_len(block), pos = 0;
    while (pos < len) {
        struct msg_params p;
        char why[200];
        if (msg_decode_command(d->dict, content, len, &pos, &p, why, sizeof(why))) {
            d->res.undecodable++;
            fprintf(d->errs, "%s: offset %" PRIu64 ": %s; rest of the block skipped\n", d->name,
                    off, why);
            return;
        }
        d->res.messages++;
        print_message(d, &p, off, seq);
    }
}

int link_dump_stream(FILE *in, const char *name, const struct link_dict *dict,
                     const struct link_dump_opts *opts, FILE *out, FILE *errs,
                     struct link_dump_result *res)
{
    struct dumper *d = calloc(1, sizeof(*d));
    if (!d)
        abort();
    d->name = name;
    d->dict = dict;
    if (opts)
        d->opts = *opts;
    d->out = out;
    d->errs = errs;
    frame_parser_init(&d->parser, on_block, d);
    frame_parser_set_bad(&d->parser, on_bad, d);
    uint8_t buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        d->res.bytes += n;
        frame_parser_feed(&d->parser, buf, n);
    }
    int rc = 0;
    if (ferror(in)) {
        fprintf(errs, "%s: read error after %" PRIu64 " bytes\n", name, d->res.bytes);
        rc = -1;
    }
    uint64_t partial_off;
    size_t partial = frame_parser_partial(&d->parser, &partial_off);
    if (partial) {
        char until[64];
        snprintf(until, sizeof(until), "up to offset %" PRIu64, partial_off);
        end_damage(d, partial_off, until);
        d->res.truncated = 1;
        fprintf(errs, "%s: offset %" PRIu64 ": truncated final block (%zu of its %u bytes)\n", name,
                partial_off, partial, d->parser.buf[0]);
    }
    end_damage(d, d->res.bytes, "to the end");
    if (!rc && (d->res.damaged || d->res.undecodable || d->res.seq_jumps || d->res.truncated))
        rc = 1;
    if (res)
        *res = d->res;
    free(d);
    return rc;
}
