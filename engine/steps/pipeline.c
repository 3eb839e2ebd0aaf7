#include "pipeline.h"

#include <pthread.h>
#include <stdlib.h>

struct pipeline {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a unit may have become runnable */
    pthread_cond_t done; /* a unit has been run */
    pthread_t *threads;
    unsigned nthreads;
    int quit;
    pipeline_fn fn;
    void *ctx;
    /* under lock */
    uint64_t submitted;
    unsigned lanes;
    uint64_t *next; /* per lane: the batch of its next unit */
    unsigned char *busy;
};

/* The runnable unit of the oldest batch before limit (lowest lane first),
 * marked busy; 0 if there is none. Under lock. */
static int claim(struct pipeline *p, uint64_t limit, unsigned *lane, uint64_t *batch)
{
    if (limit > p->submitted)
        limit = p->submitted;
    unsigned best = p->lanes;
    for (unsigned i = 0; i < p->lanes; i++)
        if (!p->busy[i] && p->next[i] < limit && (best == p->lanes || p->next[i] < p->next[best]))
            best = i;
    if (best == p->lanes)
        return 0;
    p->busy[best] = 1;
    *lane = best;
    *batch = p->next[best];
    return 1;
}

/* Run a claimed unit with the lock released. */
static void run(struct pipeline *p, unsigned lane, uint64_t batch)
{
    pthread_mutex_unlock(&p->lock);
    p->fn(p->ctx, batch, lane);
    pthread_mutex_lock(&p->lock);
    p->busy[lane] = 0;
    p->next[lane]++;
    pthread_cond_broadcast(&p->done);
    /* the lane's next unit may be waiting for a thread */
    if (p->nthreads)
        pthread_cond_broadcast(&p->work);
}

static void *worker(void *arg)
{
    struct pipeline *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->quit) {
        unsigned lane;
        uint64_t batch;
        if (claim(p, UINT64_MAX, &lane, &batch))
            run(p, lane, batch);
        else
            pthread_cond_wait(&p->work, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct pipeline *pipeline_create(unsigned threads, pipeline_fn fn, void *ctx)
{
    struct pipeline *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->fn = fn;
    p->ctx = ctx;
    p->threads = calloc(threads ? threads : 1, sizeof(*p->threads));
    if (!p->threads) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            pipeline_destroy(p);
            return NULL;
        }
        p->nthreads++;
    }
    return p;
}

void pipeline_destroy(struct pipeline *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->quit = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p->next);
    free(p->busy);
    free(p);
}

void pipeline_submit(struct pipeline *p)
{
    pthread_mutex_lock(&p->lock);
    p->submitted++;
    if (p->nthreads)
        pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
}

void pipeline_wait(struct pipeline *p, uint64_t batch)
{
    pthread_mutex_lock(&p->lock);
    for (;;) {
        int pending = 0;
        for (unsigned i = 0; i < p->lanes && !pending; i++)
            pending = p->next[i] <= batch && p->next[i] < p->submitted;
        if (!pending)
            break;
        unsigned lane;
        uint64_t b;
        if (claim(p, UINT64_MAX, &lane, &b))
            run(p, lane, b);
        else
            pthread_cond_wait(&p->done, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
}

int pipeline_set_lanes(struct pipeline *p, unsigned lanes)
{
    pthread_mutex_lock(&p->lock);
    int ret = 0;
    if (lanes > p->lanes) {
        uint64_t *next = realloc(p->next, lanes * sizeof(*next));
        if (next)
            p->next = next;
        unsigned char *busy = next ? realloc(p->busy, lanes) : NULL;
        if (busy)
            p->busy = busy;
        if (!next || !busy)
            ret = -1;
        else {
            for (unsigned i = p->lanes; i < lanes; i++) {
                p->next[i] = p->submitted;
                p->busy[i] = 0;
            }
        }
    }
    if (!ret)
        p->lanes = lanes;
    pthread_mutex_unlock(&p->lock);
    return ret;
}
