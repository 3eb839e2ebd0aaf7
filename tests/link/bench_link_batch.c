/* How fast batch mode writes and `lockstep dump` reads: N queue_step
 * messages spread over four stepper queues, written to a file through
 * link_batch (flushed every 1000 messages, as an engine flushing per
 * move would), then decoded back to text. Prints figures; asserts
 * nothing beyond the round trip's message count.
 *
 * usage: bench_link_batch DICT [MESSAGES] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "dump.h"

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_link_batch DICT [MESSAGES]\n");
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    char path[] = "/tmp/bench_link_batch_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    char err[512];
    struct link_batch *b = link_batch_open(argv[1], path, err, sizeof(err));
    if (!b) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const struct msg_format *qs = dict_command(link_batch_dict(b), "queue_step");
    if (!qs) {
        fprintf(stderr, "%s: no queue_step command\n", argv[1]);
        return 1;
    }
    struct command_queue *q[4];
    uint64_t clock[4] = {0};
    for (int i = 0; i < 4; i++)
        q[i] = link_batch_alloc_queue(b);
    uint32_t rng = 1;
    double t0 = seconds();
    for (long i = 0; i < n; i++) {
        rng = rng * 1103515245u + 12345u;
        int s = (int)(rng >> 30);
        struct msg_params p;
        msg_params_init(&p, qs);
        uint32_t interval = 200 + (rng >> 8) % 40000, count = 1 + (rng >> 4) % 200;
        p.v[0] = (uint32_t)s;
        p.v[1] = interval;
        p.v[2] = count;
        p.v[3] = (uint32_t)(int32_t)((int)(rng % 64) - 32);
        if (link_batch_send_params(b, q[s], &p, clock[s], clock[s], err, sizeof(err))) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        clock[s] += (uint64_t)interval * count;
        if (i % 1000 == 999 && link_batch_flush(b, CMDQ_NO_LIMIT, err, sizeof(err))) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
    }
    if (link_batch_close(b, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double t1 = seconds();

    struct link_dict *d = dict_load_file(argv[1], err, sizeof(err));
    FILE *in = fopen(path, "rb"), *out = fopen("/dev/null", "w");
    struct link_dump_result res;
    double t2 = seconds();
    int rc = link_dump_stream(in, path, d, NULL, out, stderr, &res);
    double t3 = seconds();
    fclose(in);
    fclose(out);
    dict_free(d);
    unlink(path);
    if (rc || res.messages != (uint64_t)n) {
        fprintf(stderr, "round trip failed: %llu of %ld messages\n",
                (unsigned long long)res.messages, n);
        return 1;
    }
    printf("batch write: %ld messages, %llu blocks, %llu bytes (%.1f bytes/message) in %.3f s: "
           "%.2f M messages/s\n",
           n, (unsigned long long)res.blocks, (unsigned long long)res.bytes,
           (double)res.bytes / (double)n, t1 - t0, (double)n / (t1 - t0) * 1e-6);
    printf("dump:        %ld messages decoded to text in %.3f s: %.2f M messages/s\n", n, t3 - t2,
           (double)n / (t3 - t2) * 1e-6);
    return 0;
}
