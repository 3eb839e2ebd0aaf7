/* Reading a stream of message blocks back as text: a batch output file,
 * or a capture of what a host sent, one command per line in Klipper's
 * human-readable form ("queue_step oid=2 interval=1234 count=10 add=-3").
 *
 * Damage does not stop it: the frame parser resynchronises at the next
 * sync byte, and each damaged stretch is reported once, with the byte
 * offset where it starts and how many bytes were skipped; a block whose
 * content does not decode is reported with its offset and the rest of it
 * skipped; a block cut off by the end of the stream is reported as a
 * truncated final block. A jump in sequence numbers between two good
 * blocks (a block missing without a trace) is reported too. */
#ifndef LOCKSTEP_LINK_DUMP_H
#define LOCKSTEP_LINK_DUMP_H

#include <stdint.h>
#include <stdio.h>

#include "dict.h"

struct link_dump_opts {
    int offsets; /* prefix each line with "OFFSET:SEQ " of its block */
};

struct link_dump_result {
    uint64_t bytes, blocks, messages;
    uint64_t damaged;     /* stretches of bad data skipped */
    uint64_t undecodable; /* good blocks whose content did not decode */
    uint64_t seq_jumps;
    int truncated; /* the stream ended inside a block */
};

/* Decode in (named name in reports) against d: commands to out, reports
 * to errs as "NAME: offset N: ...". Returns 0 for a clean stream, 1 if it
 * had any damage (everything decodable was still printed), -1 if reading
 * failed. res may be NULL. */
int link_dump_stream(FILE *in, const char *name, const struct link_dict *d,
                     const struct link_dump_opts *opts, FILE *out, FILE *errs,
                     struct link_dump_result *res);

#endif
