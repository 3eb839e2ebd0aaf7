/* lockstep dump: print a file of message blocks (batch output, or bytes
 * captured from the host's side of a serial line) as the commands in
 * it, one per line, the way Klipper's parsedump.py reads batch output. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "dict.h"
#include "dump.h"

static const char usage_text[] =
    "usage: lockstep dump FILE -d DICT [--offsets]\n"
    "\n"
    "Read FILE as the byte stream a host sends an MCU (message blocks with\n"
    "sequence numbers and CRC, as the engine's batch mode writes them) and\n"
    "print each command in it on its own line, decoded with the MCU's data\n"
    "dictionary, e.g.\n"
    "  queue_step oid=2 interval=1234 count=10 add=-3\n"
    "FILE may be '-' for standard input.\n"
    "\n"
    "Options\n"
    "  -d, --dict DICT  the data dictionary: the JSON file the firmware build\n"
    "                   writes next to the image (lockstep-atmega2560.dict.json),\n"
    "                   a Klipper build's klipper.dict, or the zlib-compressed\n"
    "                   form identify sends\n"
    "  --offsets        start each line with OFFSET:SEQ, the byte offset of the\n"
    "                   command's block in FILE and its sequence number (0-15)\n"
    "  -h, --help       this text\n"
    "\n"
    "Damage does not stop the dump. Each damaged stretch is reported on\n"
    "standard error once, with its byte offset and the number of bytes\n"
    "skipped; decoding resumes at the next good block. A block that does not\n"
    "decode, a jump in sequence numbers and a truncated final block are\n"
    "reported too.\n"
    "\n"
    "Exit status: 0 for a clean file, 1 if anything was reported or a file\n"
    "could not be read, 2 for bad usage.\n";

int cmd_dump(int argc, char **argv)
{
    const char *file = NULL, *dict_path = NULL;
    struct link_dump_opts opts = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (!strcmp(a, "-d") || !strcmp(a, "--dict")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "lockstep dump: %s needs a dictionary file\n", a);
                return 2;
            }
            dict_path = argv[++i];
            continue;
        }
        if (!strcmp(a, "--offsets")) {
            opts.offsets = 1;
            continue;
        }
        if (a[0] == '-' && a[1]) {
            fprintf(stderr, "lockstep dump: unknown option '%s'\n", a);
            return 2;
        }
        if (file) {
            fprintf(stderr, "lockstep dump: too many arguments ('%s')\n", a);
            return 2;
        }
        file = a;
    }
    if (!file || !dict_path) {
        fprintf(stderr, "lockstep dump: %s\n\n", !file ? "no FILE given" : "no -d DICT given");
        fputs(usage_text, stderr);
        return 2;
    }

    char err[768];
    struct link_dict *dict = dict_load_file(dict_path, err, sizeof(err));
    if (!dict) {
        fprintf(stderr, "lockstep dump: %s\n", err);
        return 1;
    }
    int use_stdin = !strcmp(file, "-");
    FILE *in = use_stdin ? stdin : fopen(file, "rb");
    if (!in) {
        fprintf(stderr, "lockstep dump: %s: %s\n", file, strerror(errno));
        dict_free(dict);
        return 1;
    }
    int rc = link_dump_stream(in, use_stdin ? "(stdin)" : file, dict, &opts, stdout, stderr, NULL);
    if (!use_stdin)
        fclose(in);
    dict_free(dict);
    if (fflush(stdout)) {
        fprintf(stderr, "lockstep dump: writing the output: %s\n", strerror(errno));
        return 1;
    }
    return rc ? 1 : 0;
}
