#include "workpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct workpool {
    pthread_mutex_t lock;
    pthread_cond_t start, done;
    pthread_t *threads;
    unsigned nthreads;
    unsigned generation; /* bumped per run, under lock */
    unsigned busy;       /* threads still in the current run, under lock */
    int quit;
    workpool_fn fn;
    void *ctx;
    unsigned njobs;
    atomic_uint next;
};

static void take_jobs(struct workpool *wp)
{
    for (;;) {
        unsigned j = atomic_fetch_add(&wp->next, 1);
        if (j >= wp->njobs)
            return;
        wp->fn(wp->ctx, j);
    }
}

static void *worker(void *arg)
{
    struct workpool *wp = arg;
    unsigned seen = 0;
    pthread_mutex_lock(&wp->lock);
    for (;;) {
        while (!wp->quit && wp->generation == seen)
            pthread_cond_wait(&wp->start, &wp->lock);
        if (wp->quit)
            break;
        seen = wp->generation;
        pthread_mutex_unlock(&wp->lock);
        take_jobs(wp);
        pthread_mutex_lock(&wp->lock);
        if (--wp->busy == 0)
            pthread_cond_signal(&wp->done);
    }
    pthread_mutex_unlock(&wp->lock);
    return NULL;
}

struct workpool *workpool_create(unsigned threads)
{
    struct workpool *wp = calloc(1, sizeof(*wp));
    if (!wp)
        return NULL;
    wp->threads = calloc(threads ? threads : 1, sizeof(*wp->threads));
    if (!wp->threads) {
        free(wp);
        return NULL;
    }
    pthread_mutex_init(&wp->lock, NULL);
    pthread_cond_init(&wp->start, NULL);
    pthread_cond_init(&wp->done, NULL);
    atomic_init(&wp->next, 0);
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&wp->threads[i], NULL, worker, wp) != 0) {
            workpool_destroy(wp);
            return NULL;
        }
        wp->nthreads++;
    }
    return wp;
}

void workpool_destroy(struct workpool *wp)
{
    if (!wp)
        return;
    pthread_mutex_lock(&wp->lock);
    wp->quit = 1;
    pthread_cond_broadcast(&wp->start);
    pthread_mutex_unlock(&wp->lock);
    for (unsigned i = 0; i < wp->nthreads; i++)
        pthread_join(wp->threads[i], NULL);
    pthread_cond_destroy(&wp->start);
    pthread_cond_destroy(&wp->done);
    pthread_mutex_destroy(&wp->lock);
    free(wp->threads);
    free(wp);
}

void workpool_run(struct workpool *wp, unsigned njobs, workpool_fn fn, void *ctx)
{
    if (!wp || !wp->nthreads || njobs < 2) {
        for (unsigned j = 0; j < njobs; j++)
            fn(ctx, j);
        return;
    }
    pthread_mutex_lock(&wp->lock);
    wp->fn = fn;
    wp->ctx = ctx;
    wp->njobs = njobs;
    atomic_store(&wp->next, 0);
    wp->busy = wp->nthreads;
    wp->generation++;
    pthread_cond_broadcast(&wp->start);
    pthread_mutex_unlock(&wp->lock);
    take_jobs(wp);
    pthread_mutex_lock(&wp->lock);
    while (wp->busy)
        pthread_cond_wait(&wp->done, &wp->lock);
    pthread_mutex_unlock(&wp->lock);
}
