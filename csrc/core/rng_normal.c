/* rng_normal.c - the versioned standard-normal streams of the counter-based
 * generator (rng.c): draw `counter` of stream `key` is a function of (version,
 * key, counter) only, whatever the thread count or the block it is drawn in.
 *
 *  v1  Box-Muller on the uniforms of counters 2c and 2c+1 (pn_rng_normal): two
 *      hashes, a log and a cos per draw (~50 ns). Every seeded normal draw was
 *      v1 before versions existed; the random ops still are.
 *  v2  Ziggurat (Marsaglia & Tsang 2000, 256 layers, with the layer index taken
 *      from bits independent of the uniform, as Doornik 2005 advises): one hash
 *      per draw, and ~98.8 % of draws are that hash, a table lookup, one
 *      multiply and one compare. The rare wedge and tail draws take further
 *      words from a stream of their own for that counter (see zig_slow).
 *
 * v2's fast path is exact arithmetic on integers plus one IEEE multiply and a
 * compare, so the vectorised clones (AVX2, AVX-512) produce the same bits as
 * the portable code by construction; the slow path is always the scalar
 * function. The tables come from libm's exp/log at first use, like v1's draws
 * from libm's log/cos: the stream is bit-identical wherever libm agrees
 * (tests/test_rng_stream.py pins values recorded on glibc x86-64). */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "pn.h"

/* ------------------------------------------------------------------ tables */

#define ZIG_LAYERS 256
#define ZIG_R 3.6541528853610088       /* start of the tail */
#define ZIG_V 0.00492867323399         /* area of every layer (unnormalised pdf) */

/* X[i] right edge of layer i (X[0] = V / f(R): the base layer's rectangle
 * width, so the base layer's tail share is drawn from the rectangle), X[256]
 * = 0; F[i] = exp(-X[i]^2 / 2). */
static double zig_x[ZIG_LAYERS + 1], zig_f[ZIG_LAYERS + 1];
static pthread_once_t zig_once = PTHREAD_ONCE_INIT; /* zig_init, below */

static void zig_tables(void)
{
    double f = exp(-0.5 * ZIG_R * ZIG_R);
    zig_x[0] = ZIG_V / f;
    zig_x[1] = ZIG_R;
    zig_f[0] = f; /* unused: layer 0 beyond R is the tail */
    zig_f[1] = f;
    for (int i = 1; i < ZIG_LAYERS - 1; i++) {
        zig_x[i + 1] = sqrt(-2.0 * log(ZIG_V / zig_x[i] + zig_f[i]));
        zig_f[i + 1] = exp(-0.5 * zig_x[i + 1] * zig_x[i + 1]);
    }
    zig_x[ZIG_LAYERS] = 0.0;
    zig_f[ZIG_LAYERS] = 1.0;
}

/* ------------------------------------------------------------------ v2 */

/* The uniform of a word, in [0, 1): its top 53 bits. Through int64 so that
 * the vector clones can convert without an unsigned path (exact below 2^53). */
static inline double word_u(uint64_t w) { return (double)(int64_t)(w >> 11) * 0x1p-53; }

/* One attempt's candidate from word w: layer from bits 0-7, sign from bit 8,
 * the uniform from bits 11-63. */
static inline double zig_candidate(uint64_t w, int *layer)
{
    *layer = (int)(w & 0xff);
    return word_u(w) * zig_x[*layer];
}

static inline double with_sign(uint64_t w, double x) { return (w & 0x100) ? -x : x; }

/* A draw the fast test did not accept (first word w). Further words, as many
 * as the rejection loop needs, come from the SplitMix64 sequence seeded by
 * pn_rng_hash(key ^ SALT, counter): a function of (key, counter) only, apart
 * from every fast-path word. */
static double zig_slow(uint64_t key, uint64_t counter, uint64_t w)
{
    uint64_t s = pn_rng_hash(key ^ 0xd1b54a32d192ed03ULL, counter);
#define NEXT_WORD() pn_rng_mix64(s += 0x9e3779b97f4a7c15ULL)
    for (;;) {
        int i;
        double x = zig_candidate(w, &i);
        if (x < zig_x[i + 1]) return with_sign(w, x);
        if (i == 0) {
            /* the tail beyond R (Marsaglia 1964): uniforms in (0, 1] for the logs */
            double t, y;
            do {
                t = -log(word_u(NEXT_WORD()) + 0x1p-53) / ZIG_R;
                y = -log(word_u(NEXT_WORD()) + 0x1p-53);
            } while (2.0 * y < t * t);
            return with_sign(w, ZIG_R + t);
        }
        /* the wedge between the rectangle and the curve */
        if (zig_f[i + 1] + (zig_f[i] - zig_f[i + 1]) * word_u(NEXT_WORD()) < exp(-0.5 * x * x))
            return with_sign(w, x);
        w = NEXT_WORD();
    }
#undef NEXT_WORD
}

static double normal_v2(uint64_t key, uint64_t counter)
{
    uint64_t w = pn_rng_hash(key, counter);
    int i;
    double x = zig_candidate(w, &i);
    return x < zig_x[i + 1] ? with_sign(w, x) : zig_slow(key, counter, w);
}

/* ------------------------------------------------------------------ v2 in blocks */

/* A block fills out[k] = v2 draw of counter first + k, k < n. The vector
 * paths test 4 or 8 draws at once and finish the rejected lanes with the
 * scalar zig_slow; their arithmetic is the scalar path's, operation for
 * operation: an integer hash, the exact conversion of a 53-bit integer, a
 * multiply by 2^-53 (exact), one multiply by the table edge, a compare and a
 * sign flip, so every path returns the same bits (tests/test_rng_stream.py
 * compares them on a million draws). */
typedef void (*zig_block_fn)(uint64_t key, uint64_t first, int n, double *out);

static void block_portable(uint64_t key, uint64_t first, int n, double *out)
{
    for (int k = 0; k < n; k++) out[k] = normal_v2(key, first + (uint64_t)k);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* --- AVX2: no 64-bit multiply or int64 -> double conversion; both built from
 * 32-bit pieces (exact). */
#define AVX2 __attribute__((target("avx2")))

AVX2 static inline __m256i mul64_avx2(__m256i a, __m256i b)
{
    __m256i lo = _mm256_mul_epu32(a, b);
    __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), b),
                                     _mm256_mul_epu32(a, _mm256_srli_epi64(b, 32)));
    return _mm256_add_epi64(lo, _mm256_slli_epi64(cross, 32));
}

AVX2 static inline __m256i mix_avx2(__m256i z)
{
    z = mul64_avx2(_mm256_xor_si256(z, _mm256_srli_epi64(z, 30)), _mm256_set1_epi64x((long long)0xbf58476d1ce4e5b9ULL));
    z = mul64_avx2(_mm256_xor_si256(z, _mm256_srli_epi64(z, 27)), _mm256_set1_epi64x((long long)0x94d049bb133111ebULL));
    return _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
}

/* v < 2^53 to double, exactly: its high 21 and low 32 bits through the
 * exponent-bias trick, then one exact add. */
AVX2 static inline __m256d u53_to_double_avx2(__m256i v)
{
    __m256d lo = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(
                                   _mm256_and_si256(v, _mm256_set1_epi64x(0xffffffffLL)),
                                   _mm256_set1_epi64x(0x4330000000000000LL))),
                               _mm256_set1_pd(0x1p52));
    __m256d hi = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(v, 32),
                                                                   _mm256_set1_epi64x(0x4530000000000000LL))),
                               _mm256_set1_pd(0x1p84));
    return _mm256_add_pd(hi, lo);
}

AVX2 static void block_avx2(uint64_t key, uint64_t first, int n, double *out)
{
    const __m256i kv = _mm256_set1_epi64x((long long)key), lanes = _mm256_set_epi64x(3, 2, 1, 0);
    int k = 0;
    for (; k + 4 <= n; k += 4) {
        __m256i c = _mm256_add_epi64(_mm256_set1_epi64x((long long)(first + (uint64_t)k)), lanes);
        __m256i w = mix_avx2(_mm256_xor_si256(
            kv, mix_avx2(_mm256_add_epi64(c, _mm256_set1_epi64x((long long)0x9e3779b97f4a7c15ULL)))));
        __m256i layer = _mm256_and_si256(w, _mm256_set1_epi64x(0xff));
        __m256d u = _mm256_mul_pd(u53_to_double_avx2(_mm256_srli_epi64(w, 11)), _mm256_set1_pd(0x1p-53));
        __m256d x = _mm256_mul_pd(u, _mm256_i64gather_pd(zig_x, layer, 8));
        __m256d edge = _mm256_i64gather_pd(zig_x + 1, layer, 8);
        int slow = _mm256_movemask_pd(_mm256_cmp_pd(x, edge, _CMP_NLT_UQ));
        __m256i sign = _mm256_slli_epi64(_mm256_srli_epi64(w, 8), 63); /* bit 8 -> the sign */
        _mm256_storeu_pd(out + k, _mm256_castsi256_pd(_mm256_xor_si256(_mm256_castpd_si256(x), sign)));
        if (slow) {
            uint64_t ws[4];
            _mm256_storeu_si256((__m256i *)ws, w);
            for (; slow; slow &= slow - 1) {
                int b = __builtin_ctz((unsigned)slow);
                out[k + b] = zig_slow(key, first + (uint64_t)(k + b), ws[b]);
            }
        }
    }
    block_portable(key, first + (uint64_t)k, n - k, out + k);
}

/* --- AVX-512 (F + DQ: 64-bit multiply and int64 -> double in one instruction) */
#define AVX512 __attribute__((target("avx512f,avx512dq")))

AVX512 static inline __m512i mix_avx512(__m512i z)
{
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), _mm512_set1_epi64((long long)0xbf58476d1ce4e5b9ULL));
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), _mm512_set1_epi64((long long)0x94d049bb133111ebULL));
    return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

AVX512 static void block_avx512(uint64_t key, uint64_t first, int n, double *out)
{
    const __m512i kv = _mm512_set1_epi64((long long)key), lanes = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    int k = 0;
    for (; k + 8 <= n; k += 8) {
        __m512i c = _mm512_add_epi64(_mm512_set1_epi64((long long)(first + (uint64_t)k)), lanes);
        __m512i w = mix_avx512(_mm512_xor_si512(
            kv, mix_avx512(_mm512_add_epi64(c, _mm512_set1_epi64((long long)0x9e3779b97f4a7c15ULL)))));
        __m512i layer = _mm512_and_si512(w, _mm512_set1_epi64(0xff));
        __m512d u = _mm512_mul_pd(_mm512_cvtepi64_pd(_mm512_srli_epi64(w, 11)), _mm512_set1_pd(0x1p-53));
        __m512d x = _mm512_mul_pd(u, _mm512_i64gather_pd(layer, zig_x, 8));
        __m512d edge = _mm512_i64gather_pd(layer, zig_x + 1, 8);
        unsigned slow = _mm512_cmp_pd_mask(x, edge, _CMP_NLT_UQ);
        __m512i sign = _mm512_slli_epi64(_mm512_srli_epi64(w, 8), 63);
        _mm512_storeu_pd(out + k, _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(x), sign)));
        if (slow) {
            uint64_t ws[8];
            _mm512_storeu_si512(ws, w);
            for (; slow; slow &= slow - 1) {
                int b = __builtin_ctz(slow);
                out[k + b] = zig_slow(key, first + (uint64_t)(k + b), ws[b]);
            }
        }
    }
    block_portable(key, first + (uint64_t)k, n - k, out + k);
}

static zig_block_fn block_for(const char *path)
{
    int avx2 = __builtin_cpu_supports("avx2");
    int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
    if (!path) return avx512 ? block_avx512 : avx2 ? block_avx2 : block_portable;
    if (!strcmp(path, "avx512")) return avx512 ? block_avx512 : NULL;
    if (!strcmp(path, "avx2")) return avx2 ? block_avx2 : NULL;
    return strcmp(path, "portable") ? NULL : block_portable;
}
#else
static zig_block_fn block_for(const char *path)
{
    return !path || !strcmp(path, "portable") ? block_portable : NULL;
}
#endif

static zig_block_fn zig_block; /* the best path of this CPU, set with the tables */

static void zig_init(void)
{
    zig_tables();
    zig_block = block_for(NULL);
}

/* ------------------------------------------------------------------ API */

int pn_rng_normal_version_ok(int version) { return version == 1 || version == 2; }

double pn_rng_normal_v(int version, uint64_t key, uint64_t counter)
{
    if (version == 1) return pn_rng_normal(key, counter);
    pthread_once(&zig_once, zig_init);
    return normal_v2(key, counter);
}

int pn_rng_normals_path(int version, const char *path, uint64_t key, uint64_t first, int64_t n, double *out)
{
    if (version == 1) {
        for (int64_t k = 0; k < n; k++) out[k] = pn_rng_normal(key, first + (uint64_t)k);
        return 0;
    }
    pthread_once(&zig_once, zig_init);
    zig_block_fn block = path ? block_for(path) : zig_block;
    if (!block) return -1;
    for (int64_t k = 0; k < n; k += 1024)
        block(key, first + (uint64_t)k, (int)(n - k < 1024 ? n - k : 1024), out + k);
    return 0;
}

void pn_rng_normals(int version, uint64_t key, uint64_t first, int64_t n, double *out)
{
    pn_rng_normals_path(version, NULL, key, first, n, out);
}
