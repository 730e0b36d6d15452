/* threads.c - a small persistent worker pool behind pn_parallel_for.
 *
 * Design
 *  - One job at a time. The caller publishes the job by bumping a generation
 *    counter, then works on it too; every worker acknowledges every generation
 *    before the next job may be published, so no worker can ever read a
 *    half-written job (no ABA on the job fields).
 *  - Chunks are handed out by an atomic counter, so which thread runs a chunk
 *    varies, but the chunk boundaries depend only on n and grain: callers that
 *    write disjoint outputs per chunk get identical bytes for any thread count.
 *  - Workers spin briefly after a job (GEMM calls come in bursts during
 *    training, and a futex wake-up costs more than a small GEMM), then sleep on
 *    a condition variable.
 *  - Nested calls (from inside a chunk) and calls while another host thread
 *    owns the pool run serially instead of blocking: no deadlock, same chunks.
 *  - Workers are created lazily on the first parallel job and re-created after
 *    pn_set_num_threads or fork(); pthread_atfork makes a forked child start
 *    with an empty pool (its parent's workers do not exist there).
 *  - Nothing here aborts; if threads cannot be created the work runs serially.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "pn.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

#define MAX_THREADS 256
/* How long an idle worker keeps spinning before it sleeps (ns). */
#define SPIN_NS 200000L

typedef struct {
    pn_range_fn fn;
    void *ctx;
    int64_t n, grain, nchunks;
} job_t;

static struct {
    pthread_mutex_t submit; /* held by the host thread that owns the pool */
    pthread_mutex_t lock;   /* protects the sleep/wake hand-shake */
    pthread_cond_t wake;
    pthread_t *tids;
    int nworkers;           /* live workers (the caller is one more thread) */
    job_t job;
    atomic_uint_fast64_t gen;
    atomic_int_fast64_t next;
    atomic_int finished;
    atomic_int sleepers;
    atomic_int stop;
} P = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static atomic_int want_threads; /* 0: not yet resolved from the environment */
static _Thread_local int in_pool_job;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int default_threads(void)
{
    const char *s = getenv("PYNN_NUM_THREADS");
    if (s && *s) {
        char *end = NULL;
        long v = strtol(s, &end, 10);
        if (end && *end == '\0' && v >= 1) return v > MAX_THREADS ? MAX_THREADS : (int)v;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
#ifdef CPU_COUNT
    /* A container or taskset may allow fewer CPUs than are online. */
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int a = CPU_COUNT(&set);
        if (a >= 1 && (n < 1 || a < n)) n = a;
    }
#endif
    if (n < 1) n = 1;
    return n > MAX_THREADS ? MAX_THREADS : (int)n;
}

int pn_get_num_threads(void)
{
    int w = atomic_load(&want_threads);
    if (w == 0) {
        int d = default_threads();
        int expected = 0;
        atomic_compare_exchange_strong(&want_threads, &expected, d);
        w = atomic_load(&want_threads);
    }
    return w;
}

/* Only records the wish: the pool is resized by the next parallel job, under
 * the submit lock, so this is safe from any thread (even inside a job). */
void pn_set_num_threads(int n)
{
    if (n < 1) return;
    atomic_store(&want_threads, n > MAX_THREADS ? MAX_THREADS : n);
}

static void run_chunks(const job_t *j)
{
    for (;;) {
        int64_t c = atomic_fetch_add(&P.next, 1);
        if (c >= j->nchunks) break;
        int64_t b = c * j->grain;
        int64_t e = b + j->grain < j->n ? b + j->grain : j->n;
        j->fn(j->ctx, b, e);
    }
}

static uint64_t wait_for_job(uint64_t seen)
{
    int64_t t0 = now_ns();
    for (int i = 1;; i++) {
        uint64_t g = atomic_load(&P.gen);
        if (g != seen) return g;
        cpu_relax();
        if ((i & 255) == 0 && now_ns() - t0 > SPIN_NS) break;
    }
    pthread_mutex_lock(&P.lock);
    atomic_fetch_add(&P.sleepers, 1);
    uint64_t g;
    while ((g = atomic_load(&P.gen)) == seen) pthread_cond_wait(&P.wake, &P.lock);
    atomic_fetch_sub(&P.sleepers, 1);
    pthread_mutex_unlock(&P.lock);
    return g;
}

static void *worker_main(void *arg)
{
    uint64_t seen = (uint64_t)(uintptr_t)arg;
    in_pool_job = 1; /* anything a worker runs is nested by definition */
    for (;;) {
        seen = wait_for_job(seen);
        if (atomic_load(&P.stop)) break;
        run_chunks(&P.job);
        atomic_fetch_add(&P.finished, 1);
    }
    return NULL;
}

/* Publishes a new generation and wakes sleepers. The seq_cst increment of gen
 * and load of sleepers pair with the worker's increment of sleepers and load of
 * gen, so a worker either sees the new generation or is woken. */
static void publish(void)
{
    atomic_fetch_add(&P.gen, 1);
    if (atomic_load(&P.sleepers) > 0) {
        pthread_mutex_lock(&P.lock);
        pthread_cond_broadcast(&P.wake);
        pthread_mutex_unlock(&P.lock);
    }
}

static void stop_workers(void)
{
    if (P.nworkers == 0) return;
    atomic_store(&P.stop, 1);
    publish();
    for (int i = 0; i < P.nworkers; i++) pthread_join(P.tids[i], NULL);
    atomic_store(&P.stop, 0);
    P.nworkers = 0;
}

static void start_workers(int count)
{
    if (count < 1) return;
    if (!P.tids) {
        P.tids = calloc(MAX_THREADS, sizeof *P.tids);
        if (!P.tids) return;
    }
    /* Workers block all signals so that SIGINT & co. reach the host thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    uint64_t g = atomic_load(&P.gen);
    for (int i = 0; i < count; i++) {
        if (pthread_create(&P.tids[P.nworkers], NULL, worker_main, (void *)(uintptr_t)g) != 0)
            break;
        P.nworkers++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void atfork_prepare(void) { pthread_mutex_lock(&P.submit); }
static void atfork_parent(void) { pthread_mutex_unlock(&P.submit); }
static void atfork_child(void)
{
    /* Only the forking thread exists in the child: forget the workers (their
     * pthread_t are meaningless here) and start from fresh sync objects. */
    pthread_mutex_init(&P.submit, NULL);
    pthread_mutex_init(&P.lock, NULL);
    pthread_cond_init(&P.wake, NULL);
    P.nworkers = 0;
    atomic_store(&P.sleepers, 0);
    atomic_store(&P.stop, 0);
    atomic_store(&P.finished, 0);
}
static void register_atfork(void) { pthread_atfork(atfork_prepare, atfork_parent, atfork_child); }

static void run_serial(int64_t n, int64_t grain, pn_range_fn fn, void *ctx)
{
    for (int64_t b = 0; b < n; b += grain) fn(ctx, b, b + grain < n ? b + grain : n);
}

void pn_parallel_for(int64_t n, int64_t grain, pn_range_fn fn, void *ctx)
{
    if (n <= 0 || !fn) return;
    if (grain < 1) grain = 1;
    int64_t nchunks = (n - 1) / grain + 1;
    int want = pn_get_num_threads();
    if (nchunks == 1 || want <= 1 || in_pool_job || pthread_mutex_trylock(&P.submit) != 0) {
        run_serial(n, grain, fn, ctx);
        return;
    }
    pthread_once(&atfork_once, register_atfork);
    if (P.nworkers != want - 1) {
        stop_workers();
        start_workers(want - 1);
    }
    if (P.nworkers == 0) {
        pthread_mutex_unlock(&P.submit);
        run_serial(n, grain, fn, ctx);
        return;
    }
    P.job = (job_t){fn, ctx, n, grain, nchunks};
    atomic_store(&P.next, 0);
    atomic_store(&P.finished, 0);
    publish();

    in_pool_job = 1;
    run_chunks(&P.job);
    in_pool_job = 0;

    /* Every worker must acknowledge this generation before the job fields may
     * be rewritten (see the header comment). */
    for (int i = 1; atomic_load(&P.finished) < P.nworkers; i++) {
        if (i < 4096) cpu_relax();
        else sched_yield();
    }
    pthread_mutex_unlock(&P.submit);
}
