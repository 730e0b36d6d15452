/* gemm.c - the SGEMM driver: kernel choice, the small unpacked path, and the
 * BLIS/Goto loop nest over packed panels, spread over the worker pool.
 *
 * Every path sums K in the same blocks (k_block) with the same per-element
 * operations, so a row of C has the same bits whatever M (a sample alone or
 * in a batch), the path and the thread count.
 *
 * Loop nest of the packed path (for one jc block of NC columns of C):
 *     for pc over K in blocks of kc:             (kc from K alone: fixed sum order)
 *         for is over M in super-blocks of ms:   -- one block
 *             pack op(A)[is, pc] (and op(B)[pc, jc] on the first is)
 *             for every tile (mc rows x nw cols) of the super-block
 *                 for jr: for ir: micro-kernel(kc)   (AVX2, generic)
 *                 for ir: for jr: micro-kernel(kc)   (AVX-512: a_in_l1_max_nw)
 * run as one parallel pass per block that computes its tiles and then packs
 * the next block into the other half of double-buffered panels.
 * A row-major A is not packed but read in place when the kernel says so for
 * this N (a_inplace_max_n: an inference batch through a Dense layer).
 * Packing is shared by all threads (each packs disjoint panels) so that a
 * small M (a training batch) is packed once, not once per thread. Tiles only
 * split C, never K, so each C element is produced by one thread with the same
 * operations whatever the thread count: results are bit-identical for 1..N
 * threads. All buffers live in per-thread scratch that only ever grows, so a
 * call in a training loop does no allocation.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "pn.h"
#include "gemm_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Problems with M*N*K up to this run single-threaded without packing A. */
#ifndef SMALL_MNK
#define SMALL_MNK (64 * 64 * 64)
#endif
/* Below this many multiply-adds a parallel pass costs more than it saves. */
/* Up to this size the unpacked path still wins (packing is ~10% of a 128^3
 * product) as long as A stays in L2 and a K x NR panel of B in L1/L2. */
#ifndef SMALL_MAX_MNK
#define SMALL_MAX_MNK (160 * 160 * 160)
#endif
#define SMALL_MAX_K 512
#define SMALL_MAX_A (64 * 1024)
#ifndef PARALLEL_MIN_MNK
#define PARALLEL_MIN_MNK (96 * 96 * 96)
#endif
/* Tasks per thread in a parallel pass (dynamic load balancing). */
#ifndef TILES_PER_THREAD
#define TILES_PER_THREAD 8
#endif
/* Rows of A packed at once; bounds the A scratch to MS * KC floats. */
#define MS_MAX 2304

/* ------------------------------------------------------------ kernel choice */
static _Atomic(const pn_gemm_impl *) active_impl;

static int cpu_has(const char *isa)
{
#ifdef PN_GEMM_X86
    __builtin_cpu_init();
    if (!strcmp(isa, "avx2"))
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (!strcmp(isa, "avx512"))
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
               __builtin_cpu_supports("fma");
#endif
    (void)isa;
    return 0;
}

static const pn_gemm_impl *select_impl(void)
{
    const pn_gemm_impl *best = &pn_gemm_impl_generic;
#ifdef PN_GEMM_X86
    if (cpu_has("avx2")) best = &pn_gemm_impl_avx2;
    if (cpu_has("avx512")) best = &pn_gemm_impl_avx512;
#endif
    /* PYNN_GEMM_ISA forces a kernel (a seeded run recorded on another machine
     * replays its bits that way); one the CPU (or this build) lacks falls back
     * to the best one. */
    const char *env = getenv("PYNN_GEMM_ISA");
    if (env && !strcmp(env, "generic")) return &pn_gemm_impl_generic;
#ifdef PN_GEMM_X86
    if (env && !strcmp(env, "avx2") && cpu_has("avx2")) return &pn_gemm_impl_avx2;
    if (env && !strcmp(env, "avx512") && cpu_has("avx512")) return &pn_gemm_impl_avx512;
#endif
    return best;
}

static const pn_gemm_impl *get_impl(void)
{
    const pn_gemm_impl *im = atomic_load_explicit(&active_impl, memory_order_acquire);
    if (!im) {
        im = select_impl(); /* idempotent: racing threads store the same value */
        atomic_store_explicit(&active_impl, im, memory_order_release);
    }
    return im;
}

const char *pn_gemm_isa(void) { return get_impl()->name; }

/* ------------------------------------------------------------ scratch */
typedef struct {
    float *a, *b;
    size_t acap, bcap; /* floats */
} scratch_t;

static _Thread_local scratch_t tls_scratch;
static _Thread_local int tls_registered;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_ok;

static void scratch_free(void *p)
{
    scratch_t *s = p;
    free(s->a);
    free(s->b);
    memset(s, 0, sizeof *s);
}
static void scratch_key_init(void) { scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0; }

/* Returns a 64-byte aligned buffer of at least n floats, or NULL. */
static float *grow(float **buf, size_t *cap, size_t n)
{
    if (*cap >= n) return *buf;
    if (!tls_registered) {
        /* The key's destructor frees this thread's buffers when it exits. */
        pthread_once(&scratch_once, scratch_key_init);
        if (scratch_key_ok) pthread_setspecific(scratch_key, &tls_scratch);
        tls_registered = 1;
    }
    n = (n + 1023) & ~(size_t)1023;
    void *p = NULL;
    if (posix_memalign(&p, 64, n * sizeof(float)) != 0) return NULL;
    free(*buf);
    *buf = p;
    *cap = n;
    return p;
}

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t round_up(int64_t a, int64_t b) { return cdiv(a, b) * b; }
/* Splits len into equal blocks of at most max (a multiple of unit), rounded up to unit. */
static int64_t balanced(int64_t len, int64_t max, int64_t unit)
{
    return round_up(cdiv(len, cdiv(len, max)), unit);
}
/* The depth blocks every path sums K in: a function of K alone, so a row of C
 * gets the same bits whatever M, the path or the thread count. Up to
 * SMALL_MAX_K the whole K is one block (as the unpacked path always summed it:
 * the seeded runs of tests/test_training_bitwise.py keep their bits), past it
 * blocks of at most the kernel's kc. */
static int64_t k_block(const pn_gemm_impl *im, int64_t K)
{
    return K <= SMALL_MAX_K ? K : balanced(K, im->kc, 1);
}

const pn_gemm_impl *pn_gemm_active(void) { return get_impl(); }
int64_t pn_gemm_k_block(const pn_gemm_impl *im, int64_t K) { return k_block(im, K); }

/* ------------------------------------------------------------ simple paths */
/* C = beta * C, never reading C when beta == 0 (it may hold NaN garbage). */
static void scale_c(int64_t M, int64_t N, float beta, float *C, int64_t ldc)
{
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        if (beta == 0.0f) memset(c, 0, sizeof(float) * (size_t)N);
        else if (beta != 1.0f)
            for (int64_t j = 0; j < N; j++) c[j] *= beta;
    }
}

/* Used only when scratch cannot be allocated: slow, but needs no memory. */
static void gemm_unbuffered(int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                            int64_t rsa, int64_t csa, const float *B, int64_t rsb,
                            int64_t csb, float beta, float *C, int64_t ldc)
{
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            float s = 0.0f;
            for (int64_t p = 0; p < K; p++) s += A[i * rsa + p * csa] * B[p * rsb + j * csb];
            float *c = C + i * ldc + j;
            *c = beta == 0.0f ? alpha * s : alpha * s + beta * *c;
        }
}

/* Small problems: A is read in place by the kernel (any strides); B is read in
 * place when its rows are contiguous, else (transposed or ragged edge) the
 * panel is packed into this thread's scratch, which costs kc*NR floats against
 * M*kc*NR multiply-adds. K is summed in the same blocks as the packed path
 * (k_block), and the sizes are bounded so that A and a B panel stay in L2/L1.
 * Tasks are groups of column panels. */
typedef struct {
    const pn_gemm_impl *im;
    const float *A, *B;
    int64_t M, N, K, kc, rsa, csa, rsb, csb, ldc, cols_per_task;
    float *C;
    float alpha, beta;
} small_job_t;

static void small_task(void *vctx, int64_t begin, int64_t end)
{
    const small_job_t *s = vctx;
    const int mr = s->im->mr, nr = s->im->nr;
    int64_t jend = end * s->cols_per_task < s->N ? end * s->cols_per_task : s->N;
    for (int64_t j0 = begin * s->cols_per_task; j0 < jend; j0 += nr) {
        int n = jend - j0 < nr ? (int)(jend - j0) : nr;
        for (int64_t p0 = 0; p0 < s->K; p0 += s->kc) {
            int64_t k = s->K - p0 < s->kc ? s->K - p0 : s->kc;
            float beta = p0 == 0 ? s->beta : 1.0f; /* later blocks accumulate */
            const float *bp = s->B + p0 * s->rsb + j0 * s->csb;
            const float *ap = s->A + p0 * s->csa;
            int64_t ldb = s->rsb;
            if (s->csb != 1 || n < nr) {
                float *buf = grow(&tls_scratch.b, &tls_scratch.bcap, (size_t)(k * nr));
                if (!buf) {
                    gemm_unbuffered(s->M, n, k, s->alpha, ap, s->rsa, s->csa, bp, s->rsb,
                                    s->csb, beta, s->C + j0, s->ldc);
                    continue;
                }
                s->im->pack_b(nr, k, n, bp, s->rsb, s->csb, buf);
                bp = buf;
                ldb = nr;
            }
            for (int64_t i0 = 0; i0 < s->M; i0 += mr) {
                int m = s->M - i0 < mr ? (int)(s->M - i0) : mr;
                s->im->skernel(k, ap + i0 * s->rsa, s->rsa, s->csa, bp, ldb,
                               s->C + i0 * s->ldc + j0, s->ldc, s->alpha, beta, m, n);
            }
        }
    }
}

static void gemm_small(const pn_gemm_impl *im, int64_t M, int64_t N, int64_t K, float alpha,
                       const float *A, int64_t rsa, int64_t csa, const float *B, int64_t rsb,
                       int64_t csb, float beta, float *C, int64_t ldc)
{
    small_job_t s = {im, A, B, M, N, K, k_block(im, K), rsa, csa, rsb, csb, ldc, N, C, alpha, beta};
    int threads = pn_get_num_threads();
    if (threads > 1 && (double)M * N * K >= PARALLEL_MIN_MNK) {
        int64_t panels = (N + im->nr - 1) / im->nr;
        int64_t per = (panels + TILES_PER_THREAD * threads - 1) / (TILES_PER_THREAD * threads);
        s.cols_per_task = per * im->nr;
        pn_parallel_for((N + s.cols_per_task - 1) / s.cols_per_task, 1, small_task, &s);
    } else {
        small_task(&s, 0, 1);
    }
}

/* ------------------------------------------------------------ packed path */
/* One block of the loop nest: rows [i0, i0+ms), columns [j0, j0+nc), depth
 * [p0, p0+kc) of alpha op(A) op(B) (+ beta C), with its packed panels (ap unused when A is
 * read in place; bp shared by the blocks of one (jc, pc) pair). */
typedef struct {
    int64_t i0, ms, j0, nc, p0, kc;
    float beta; /* the caller's for the first K block, 1 after */
    int new_b;  /* first block of its (jc, pc): B must be packed */
    float *ap, *bp;
} block_t;

typedef struct {
    const pn_gemm_impl *im;
    const float *A, *B;
    int64_t rsa, csa, rsb, csb, ldc;
    float *C;
    float alpha;
    int a_inplace; /* the kernel reads A where it lies (rows contiguous in k) */
    /* One pass computes the tiles of block cur, then packs block nxt (see
     * gemm_packed): tasks [0, n_tiles) are tiles of mc rows x nw columns,
     * tiles_m x tiles_n of them; then n_achunks chunks of A rows and n_bchunks
     * chunks of B columns of nxt. */
    block_t cur, nxt;
    int64_t mc, nw, tiles_m, tiles_n, n_tiles;
    int64_t a_rows_per_chunk, n_achunks, b_cols_per_chunk, n_bchunks;
} job_t;

static void pack_chunk(const job_t *j, const block_t *k, int64_t t)
{
    if (t < j->n_achunks) {
        int64_t r0 = t * j->a_rows_per_chunk;
        int64_t rows = k->ms - r0 < j->a_rows_per_chunk ? k->ms - r0 : j->a_rows_per_chunk;
        j->im->pack_a(j->im->mr, rows, k->kc, j->A + (k->i0 + r0) * j->rsa + k->p0 * j->csa,
                      j->rsa, j->csa, k->ap + r0 * k->kc);
    } else {
        int64_t c0 = (t - j->n_achunks) * j->b_cols_per_chunk;
        int64_t cols = k->nc - c0 < j->b_cols_per_chunk ? k->nc - c0 : j->b_cols_per_chunk;
        j->im->pack_b(j->im->nr, k->kc, cols, j->B + k->p0 * j->rsb + (k->j0 + c0) * j->csb,
                      j->rsb, j->csb, k->bp + c0 * k->kc);
    }
}

/* One micro-tile: rows [ir, ir+m), columns [jr, jr+n) of block k. */
static inline void micro_tile(const job_t *j, const block_t *k, int64_t ir, int64_t jr, int m,
                              int n)
{
    const int mr = j->im->mr;
    const float *b = k->bp + jr * k->kc;
    float *c = j->C + (k->i0 + ir) * j->ldc + k->j0 + jr;
    if (j->a_inplace)
        j->im->skernel(k->kc, j->A + (k->i0 + ir) * j->rsa + k->p0, j->rsa, 1, b, j->im->nr, c,
                       j->ldc, j->alpha, k->beta, m, n);
    else /* a short tile (the last rows, a small batch) runs only its own rows'
          * FMAs; same sums, so the same bits as a full tile */
        (m == mr ? j->im->kernel : j->im->skernel)(k->kc, k->ap + ir * k->kc, 1, mr, b,
                                                   j->im->nr, c, j->ldc, j->alpha, k->beta, m, n);
}

static void compute_tile(const job_t *j, const block_t *k, int64_t t)
{
    const int mr = j->im->mr, nr = j->im->nr;
    /* Consecutive tiles (the next one a thread takes, and the one the other
     * thread takes at the same time) share the block that the kernel order
     * keeps in L2: the A rows (jr outside ir: column index fastest) or the B
     * columns (ir outside jr: row index fastest), so that block is loaded
     * into a core's L2 once per run of tiles, not once per tile. */
    int64_t tr, tc;
    if (j->im->a_in_l1_max_nw) tr = t % j->tiles_m, tc = t / j->tiles_m;
    else tr = t / j->tiles_n, tc = t % j->tiles_n;
    int64_t r0 = tr * j->mc, c0 = tc * j->nw;
    int64_t r1 = r0 + j->mc < k->ms ? r0 + j->mc : k->ms;
    int64_t c1 = c0 + j->nw < k->nc ? c0 + j->nw : k->nc;
    if (j->im->a_in_l1_max_nw) { /* see gemm_internal.h */
        for (int64_t ir = r0; ir < r1; ir += mr) {
            int m = r1 - ir < mr ? (int)(r1 - ir) : mr;
            for (int64_t jr = c0; jr < c1; jr += nr)
                micro_tile(j, k, ir, jr, m, c1 - jr < nr ? (int)(c1 - jr) : nr);
        }
        return;
    }
    /* jr outside ir: one B micro-panel stays in L1 while A streams from L2. */
    for (int64_t jr = c0; jr < c1; jr += nr) {
        int n = c1 - jr < nr ? (int)(c1 - jr) : nr;
        for (int64_t ir = r0; ir < r1; ir += mr)
            micro_tile(j, k, ir, jr, r1 - ir < mr ? (int)(r1 - ir) : mr, n);
    }
}

static void pass_task(void *vctx, int64_t begin, int64_t end)
{
    const job_t *j = vctx;
    for (int64_t t = begin; t < end; t++) {
        if (t < j->n_tiles) compute_tile(j, &j->cur, t);
        else pack_chunk(j, &j->nxt, t - j->n_tiles);
    }
}

static void run_pass(int parallel, int64_t n, pn_range_fn fn, job_t *j)
{
    if (n <= 0) return;
    if (parallel) pn_parallel_for(n, 1, fn, j);
    else fn(j, 0, n);
}

/* Splits block k into tiles for the pass that computes it. Several tiles per
 * thread, so that a thread slowed down by another process (or by OpenBLAS's
 * spinning idle threads) just takes fewer of them; columns are split when M
 * alone gives too few. Narrow tiles cost little: the A block is read from L2
 * by every kernel call anyway. Tiles only decide which thread writes which C
 * elements, never the arithmetic. */
static void plan_tiles(job_t *j, const block_t *k, int parallel, int threads)
{
    const pn_gemm_impl *im = j->im;
    int64_t want = parallel ? TILES_PER_THREAD * (int64_t)threads : 1;
    int64_t l1n = im->a_in_l1_max_nw ? cdiv(k->nc, im->a_in_l1_max_nw) : 0;
    if (l1n && cdiv(k->ms, im->mr) * l1n >= want) {
        /* ir outside jr with rows enough: a tile reads each A micro-panel once
         * and sweeps its B block (kc x nw, in L2) once per micro-panel, so the
         * rows are the cheap split: tiles as wide as the L2 block allows, rows
         * split (down to one micro-panel) until there are enough of them. The
         * columns-first split below made 64-wide tiles of 1024 x 784 @ 784 x 256
         * on 2 threads, each A micro-panel fetched again for every two B
         * micro-panels (one thread, CPU time, that tiling: 143 -> 151 GFLOP/s). */
        int64_t tm = cdiv(k->ms, im->mc);
        if (tm * l1n < want) tm = cdiv(want, l1n);
        j->mc = round_up(cdiv(k->ms, tm), im->mr);
        j->nw = round_up(cdiv(k->nc, l1n), im->nr);
    } else {
        j->mc = balanced(k->ms, im->mc, im->mr);
        int64_t tm = cdiv(k->ms, j->mc), tn = tm >= want ? 1 : cdiv(want, tm);
        if (tn < l1n) tn = l1n;
        j->nw = round_up(cdiv(k->nc, tn), im->nr);
    }
    j->tiles_m = cdiv(k->ms, j->mc);
    j->tiles_n = cdiv(k->nc, j->nw);
    j->n_tiles = j->tiles_m * j->tiles_n;
}

/* Chunks of a few panels for packing block k: enough chunks to share, few
 * enough that the atomic hand-out is noise. */
static void plan_packing(job_t *j, const block_t *k)
{
    j->a_rows_per_chunk = 4 * j->im->mr;
    j->n_achunks = j->a_inplace ? 0 : cdiv(k->ms, j->a_rows_per_chunk);
    j->b_cols_per_chunk = 4 * j->im->nr;
    j->n_bchunks = k->new_b ? cdiv(k->nc, j->b_cols_per_chunk) : 0;
}

/* Moves k to the next block in the loop order jc, pc, is; 0 when k was the
 * last. beta0 is the caller's beta. */
static int next_block(block_t *k, int64_t M, int64_t N, int64_t K, int64_t msb, int64_t kcb,
                      int64_t ncb, float beta0)
{
    k->new_b = 0;
    if ((k->i0 += msb) >= M) {
        k->i0 = 0;
        k->new_b = 1;
        k->beta = 1.0f; /* later K blocks accumulate onto the first */
        if ((k->p0 += kcb) >= K) {
            k->p0 = 0;
            k->beta = beta0; /* a new column block starts from C again */
            return (k->j0 += ncb) < N;
        }
    }
    return 1;
}

static void gemm_packed(const pn_gemm_impl *im, int64_t M, int64_t N, int64_t K, float alpha,
                        const float *A, int64_t rsa, int64_t csa, const float *B, int64_t rsb,
                        int64_t csb, float beta, float *C, int64_t ldc)
{
    const int mr = im->mr, nr = im->nr;
    const int64_t kcb = k_block(im, K);
    const int64_t ncb = balanced(N, im->nc, nr);
    const int64_t msb = balanced(M, round_up(MS_MAX, mr), mr);
    int threads = pn_get_num_threads();
    int parallel = threads > 1 && (double)M * N * K >= PARALLEL_MIN_MNK;
    /* In parallel, a pass packs the next block while the current one is
     * computed, so the panels are double-buffered (offsets kept 64-byte
     * aligned); serially the packing follows the computing and one set does. */
    const int64_t asz = round_up(msb * kcb, 16), bsz = round_up(ncb * kcb, 16);
    const int nbuf = parallel ? 2 : 1;
    float *ap = grow(&tls_scratch.a, &tls_scratch.acap, (size_t)(nbuf * asz));
    float *bp = grow(&tls_scratch.b, &tls_scratch.bcap, (size_t)(nbuf * bsz));
    if (!ap || !bp) {
        gemm_unbuffered(M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, ldc);
        return;
    }
    job_t j = {im, A, B, rsa, csa, rsb, csb, ldc, C, alpha};
    /* A read in place: for a medium N (an inference batch through a Dense
     * layer, 1024 x 784 @ 784 x 256) packing A took ~14% of the time, and
     * the kernel reads rows of A from L2 as fast as a packed panel -- unless
     * the row stride is a multiple of 4 KB, when every row of a tile maps to
     * the same L1 sets (1024 x 512 @ 1024 ran at 65 GFLOP/s in place, 85
     * packed). Same sums, so the same bits as the packed path. */
    j.a_inplace = csa == 1 && N <= im->a_inplace_max_n && rsa % 1024 != 0;

    /* Pass b computes block b and packs block b+1: one fork/join per block
     * instead of two, and the packing fills the end of the pass, when the
     * threads would otherwise wait for the last tiles. */
    block_t k = {0, 0, 0, 0, 0, 0, beta, 1, ap, bp};
    int more = 1, ab = 0, bb = 0;
    j.n_tiles = 0;
    while (more) {
        k.ms = M - k.i0 < msb ? M - k.i0 : msb;
        k.nc = N - k.j0 < ncb ? N - k.j0 : ncb;
        k.kc = K - k.p0 < kcb ? K - k.p0 : kcb;
        if (k.new_b) bb ^= nbuf - 1;  /* a fresh B panel: the buffer not in use */
        ab ^= nbuf - 1;
        k.ap = ap + ab * asz;
        k.bp = bp + bb * bsz;
        j.nxt = k;
        plan_packing(&j, &j.nxt);
        run_pass(parallel, j.n_tiles + j.n_achunks + j.n_bchunks, pass_task, &j);
        j.cur = j.nxt;
        plan_tiles(&j, &j.cur, parallel, threads);
        more = next_block(&k, M, N, K, msb, kcb, ncb, beta);
    }
    j.n_achunks = j.n_bchunks = 0;
    run_pass(parallel, j.n_tiles, pass_task, &j);
}

/* ------------------------------------------------------------ one-row paths */
/* A batch-1 forward (M == 1) and a one-row batch's weight gradient (K == 1)
 * through the tiled path would pack all of B (or all of C's columns) for one
 * row's worth of work; the kernels of onerow_avx2.c (and the AVX-512 GEMV of
 * onerow_avx512.c) read operands in place and keep the tiled path's bits. Threads split columns (GEMV) or
 * rows (rank 1): each C element is still one thread's. */
#ifndef ONEROW_PARALLEL_MIN
#define ONEROW_PARALLEL_MIN (128 * 1024) /* multiply-adds */
#endif
#define GEMV_COLS_PER_TASK 128 /* a multiple of both strips' widths (64, 32) */

typedef struct {
    const pn_gemm_impl *im;
    const float *A, *B;
    int64_t M, N, K, kc, rsa, csa, rsb, csb, ldc, per_task;
    float *C;
    float alpha, beta;
    pn_gemv_fn gemv;
} onerow_job_t;

static void gemv_task(void *vctx, int64_t begin, int64_t end)
{
    const onerow_job_t *j = vctx;
    int64_t j0 = begin * j->per_task, j1 = end * j->per_task < j->N ? end * j->per_task : j->N;
    j->gemv(j1 - j0, j->K, j->kc, j->A, j->csa, j->B + j0 * j->csb, j->rsb, j->csb, j->alpha,
                j->beta, j->C + j0);
}

static void rank1_task(void *vctx, int64_t begin, int64_t end)
{
    const onerow_job_t *j = vctx;
    int64_t i0 = begin * j->per_task, i1 = end * j->per_task < j->M ? end * j->per_task : j->M;
    j->im->rank1(i1 - i0, j->N, j->A + i0 * j->rsa, j->rsa, j->B, j->alpha, j->beta,
                 j->C + i0 * j->ldc, j->ldc);
}

/* Returns 1 when it did the product. */
static int gemm_onerow(const pn_gemm_impl *im, int64_t M, int64_t N, int64_t K, float alpha,
                       const float *A, int64_t rsa, int64_t csa, const float *B, int64_t rsb,
                       int64_t csb, float beta, float *C, int64_t ldc)
{
    onerow_job_t j = {im, A, B, M, N, K, k_block(im, K), rsa, csa, rsb, csb, ldc, 0, C, alpha,
                      beta, im->gemv};
#ifdef PN_GEMM_X86
    /* The AVX-512 impl's table (kernel_avx512.c) still names the AVX2 GEMV;
     * the wider one gives the same bits (onerow_avx512.c). */
    if (im == &pn_gemm_impl_avx512) j.gemv = pn_gemm_gemv_avx512;
#endif
    int threads = pn_get_num_threads();
    int parallel = threads > 1 && (double)M * N * K >= ONEROW_PARALLEL_MIN;
    if (M == 1 && j.gemv && (csb == 1 || rsb == 1)) {
        j.per_task = GEMV_COLS_PER_TASK;
        int64_t tasks = cdiv(N, j.per_task);
        if (parallel && tasks > 1) pn_parallel_for(tasks, 1, gemv_task, &j);
        else gemv_task(&j, 0, tasks);
        return 1;
    }
    if (K == 1 && im->rank1 && csb == 1) {
        /* Rows per task: about 64 KB of C, at least one row. */
        j.per_task = 16384 / N > 0 ? 16384 / N : 1;
        int64_t tasks = cdiv(M, j.per_task);
        if (parallel && tasks > 1) pn_parallel_for(tasks, 1, rank1_task, &j);
        else rank1_task(&j, 0, tasks);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ entry point */
void pn_sgemm(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
              const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
              int64_t ldc)
{
    if (M <= 0 || N <= 0 || !C) return;
    if (K <= 0 || alpha == 0.0f || !A || !B) {
        scale_c(M, N, beta, C, ldc);
        return;
    }
    /* op(A)(i,p) = A[i*rsa + p*csa], op(B)(p,j) = B[p*rsb + j*csb]. */
    int64_t rsa = trans_a ? 1 : lda, csa = trans_a ? lda : 1;
    int64_t rsb = trans_b ? 1 : ldb, csb = trans_b ? ldb : 1;
    const pn_gemm_impl *im = get_impl();
    if ((M == 1 || K == 1) &&
        gemm_onerow(im, M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, ldc))
        return;
    /* One output column (a Dense(1) head, its weight gradient): C^T = op(B)^T op(A)^T
     * is one row, which the GEMV computes with the same FMA chain per element as
     * the tiles (bits unchanged) instead of a 16-wide tile with one live lane. */
    if (N == 1 && M > 1 && ldc == 1 &&
        gemm_onerow(im, 1, M, K, alpha, B, 0, rsb, A, csa, rsa, beta, C, 1))
        return;
    if ((double)M * N * K <= SMALL_MNK ||
        ((double)M * N * K <= SMALL_MAX_MNK && K <= SMALL_MAX_K && M * K <= SMALL_MAX_A))
        gemm_small(im, M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, ldc);
    else
        gemm_packed(im, M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, ldc);
}
