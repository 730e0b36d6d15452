/* peak.c - the machine's sustained FMA rate, measured: every thread runs a
 * loop of independent FMA chains on registers only (no memory traffic), so the
 * figure is what the FMA units deliver at the clock the CPU actually runs.
 * benchmarks/ reports every GEMM figure as a fraction of it. Zen 4 shows why it
 * is measured, not computed from a data sheet: it runs one 512-bit FMA per
 * cycle where it runs two 256-bit ones, so zmm and ymm peaks are equal there,
 * while Zen 5 and Intel server cores double the rate with zmm. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "pn.h"
#include "gemm_internal.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

/* Twelve chains: more than FMA latency (4) x pipes (2), so the loop is
 * throughput-bound. The values stay finite and normal: a*1.0000001 - 1e-7
 * drifts slowly. */
#define CHAINS 12
#define ITERS_PER_ROUND 4096

typedef struct {
    int width;       /* 16 (zmm), 8 (ymm) or 1 (scalar) */
    int64_t rounds;
    float sink;
} peak_job;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#ifdef PN_GEMM_X86
#include <immintrin.h>
/* Twelve named chains (an array would be kept in memory because of the asm);
 * the empty asm keeps each one in a register and in the loop (no folding). */
#define CHAIN_LOOP(T, set1, fma, C)                                                       \
    T x = set1(1.0000001f), y = set1(-1e-7f);                                             \
    T a0 = set1(0), a1 = set1(1), a2 = set1(2), a3 = set1(3), a4 = set1(4), a5 = set1(5);  \
    T a6 = set1(6), a7 = set1(7), a8 = set1(8), a9 = set1(9), a10 = set1(10), a11 = set1(11); \
    for (int64_t r = 0; r < rounds * ITERS_PER_ROUND; r++) {                              \
        a0 = fma(a0, x, y); a1 = fma(a1, x, y); a2 = fma(a2, x, y); a3 = fma(a3, x, y);     \
        a4 = fma(a4, x, y); a5 = fma(a5, x, y); a6 = fma(a6, x, y); a7 = fma(a7, x, y);     \
        a8 = fma(a8, x, y); a9 = fma(a9, x, y); a10 = fma(a10, x, y); a11 = fma(a11, x, y); \
        __asm__ volatile("" : "+" C(a0), "+" C(a1), "+" C(a2), "+" C(a3), "+" C(a4),     \
                         "+" C(a5), "+" C(a6), "+" C(a7), "+" C(a8), "+" C(a9), "+" C(a10), \
                         "+" C(a11));                                                     \
    }                                                                                     \
    T s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11

__attribute__((target("avx512f"))) static float loop_zmm(int64_t rounds)
{
    CHAIN_LOOP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, "v");
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float loop_ymm(int64_t rounds)
{
    CHAIN_LOOP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, "x");
    return _mm256_cvtss_f32(s);
}
#endif

/* The portable kernel's rate: multiply-adds as the compiler emits them for the
 * shipped (baseline x86-64: SSE2, no FMA) target. */
static float loop_scalar(int64_t rounds)
{
    volatile float seed = 1.0000001f;
    float a[CHAINS], x = seed, y = -1e-7f;
    for (int i = 0; i < CHAINS; i++) a[i] = (float)i;
    for (int64_t r = 0; r < rounds * ITERS_PER_ROUND; r++)
        for (int i = 0; i < CHAINS; i++) a[i] = a[i] * x + y;
    float s = 0.0f;
    for (int i = 0; i < CHAINS; i++) s += a[i];
    return s;
}

static void *peak_thread(void *arg)
{
    peak_job *j = arg;
#ifdef PN_GEMM_X86
    if (j->width == 16) j->sink = loop_zmm(j->rounds);
    else if (j->width == 8) j->sink = loop_ymm(j->rounds);
    else
#endif
        j->sink = loop_scalar(j->rounds);
    return NULL;
}

/* Runs `threads` copies of the loop at once (own threads, not the pool: each
 * must get exactly one copy) and returns GFLOP/s summed over them. */
static double run_once(int width, int threads, int64_t rounds)
{
    enum { MAXT = 64 };
    pthread_t tid[MAXT];
    peak_job jobs[MAXT];
    if (threads > MAXT) threads = MAXT;
    double t0 = now_s();
    int started = 0;
    for (int i = 0; i < threads; i++) {
        jobs[i] = (peak_job){width, rounds, 0.0f};
        if (i == 0 || pthread_create(&tid[i], NULL, peak_thread, &jobs[i]) == 0) started++;
        else break;
    }
    peak_thread(&jobs[0]);
    for (int i = 1; i < started; i++) pthread_join(tid[i], NULL);
    double dt = now_s() - t0;
    double flops = 2.0 * CHAINS * width * (double)ITERS_PER_ROUND * (double)rounds * started;
    return flops / dt * 1e-9;
}

double pn_fma_peak_gflops(const char *isa, int threads, double seconds)
{
    int width;
    if (!strcmp(isa, "avx512")) width = 16;
    else if (!strcmp(isa, "avx2")) width = 8;
    else if (!strcmp(isa, "generic")) width = 1;
    else return -1.0;
#ifdef PN_GEMM_X86
    __builtin_cpu_init();
    if (width == 16 && !__builtin_cpu_supports("avx512f")) return -1.0;
    if (width == 8 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
        return -1.0;
#else
    if (width > 1) return -1.0;
#endif
    if (threads < 1) threads = 1;
    /* Calibrate the round count on one short run, then take the best of three
     * timed runs of about seconds/3 each (the best: a shared machine only
     * ever makes it slower). */
    int64_t rounds = 16;
    double g = run_once(width, 1, rounds);
    double per_round = 2.0 * CHAINS * width * ITERS_PER_ROUND / (g * 1e9);
    rounds = (int64_t)(seconds / 3.0 / per_round);
    if (rounds < 1) rounds = 1;
    double best = 0.0;
    for (int r = 0; r < 3; r++) {
        double x = run_once(width, threads, rounds);
        if (x > best) best = x;
    }
    return best;
}
