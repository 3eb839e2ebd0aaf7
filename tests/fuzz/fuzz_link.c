/* libFuzzer harness for what the host reads from an MCU or a file: the
 * first input byte picks a mode, the rest is the input.
 *   0: a data dictionary (JSON), as a board's identify answer carries it
 *   1: the same, zlib-compressed
 *   2: bytes from the serial line: blocks are parsed and every message
 *      in a good block decoded against the firmware's dictionary as a
 *      response, and rendered as text
 *   3: the same, decoded as commands (what the host sends)
 *   4: a console line, parsed and encoded against the dictionary
 *   5: a batch output file, as `lockstep dump` reads it
 * Malformed input must be refused with a message, never crash, leak or
 * touch memory it does not own. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "dump.h"
#include "frame.h"
#include "msg.h"

static struct link_dict *dict;

static void need_message(const char *what, const char *err)
{
    if (!err[0]) {
        fprintf(stderr, "fuzz_link: %s refused without a message\n", what);
        abort();
    }
}

static void decode_block(void *ctx, const uint8_t *block)
{
    int as_commands = *(const int *)ctx;
    const uint8_t *content = frame_content(block);
    size_t len = frame_content_len(block), pos = 0;
    while (pos < len) {
        struct msg_params p;
        char err[256] = "", text[1024];
        int rc = as_commands ? msg_decode_command(dict, content, len, &pos, &p, err, sizeof(err))
                             : msg_decode(dict, content, len, &pos, &p, err, sizeof(err));
        if (rc) {
            need_message("a message", err);
            return;
        }
        int n = msg_format_text(&p, text, sizeof(text));
        if (n < 0 || strlen(text) >= sizeof(text))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    if (!dict && !(dict = dict_load_file(FUZZ_DICT, err, sizeof(err)))) {
        fprintf(stderr, "fuzz_link: %s\n", err);
        abort();
    }
    if (!size)
        return 0;
    int mode = data[0] % 6, as_commands = mode == 3;
    data++, size--;
    if (mode == 0 || mode == 1) {
        struct link_dict *d = mode ? dict_parse_zlib(data, size, err, sizeof(err))
                                   : dict_parse_json((const char *)data, size, err, sizeof(err));
        if (!d)
            need_message("a dictionary", err);
        dict_free(d);
    } else if (mode == 2 || mode == 3) {
        struct frame_parser fp;
        frame_parser_init(&fp, decode_block, &as_commands);
        frame_parser_feed(&fp, data, size);
    } else if (mode == 4) {
        char line[1024];
        size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
        memcpy(line, data, n);
        line[n] = 0;
        uint8_t out[FRAME_MAX];
        if (msg_encode_text(dict, line, out, sizeof(out), err, sizeof(err)) < 0)
            need_message("a console line", err);
    } else {
        FILE *in = fmemopen((void *)data, size ? size : 1, "rb");
        FILE *sink = fopen("/dev/null", "w");
        if (!in || !sink)
            abort();
        struct link_dump_opts opts = {.offsets = 1};
        struct link_dump_result res;
        if (size && link_dump_stream(in, "fuzz.bin", dict, &opts, sink, sink, &res) < 0)
            abort(); /* a read from memory cannot fail */
        fclose(in);
        fclose(sink);
    }
    return 0;
}
