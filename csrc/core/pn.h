/* pn.h - the one public header of the pynn engine.
 *
 * Plain C11. Nothing here (or anywhere under csrc/core) may include Python.h or
 * numpy headers: the engine is usable from any host language.
 *
 * Core ideas
 *  - A pn_node is both a tensor value and the op that produced it. Leaves
 *    (op == NULL) hold user data or parameters; interior nodes hold an op, their
 *    inputs and the output buffer. Nodes are reference counted; a node holds a
 *    reference on each input, so a graph lives as long as its last output.
 *  - Every op is one table entry (pn_op) with infer_shape / forward / backward
 *    written side by side in one file under ops/. Backward accumulates (+=) into
 *    the gradients of the inputs that require them.
 *  - Two drivers share the nodes: the eager driver (pn_apply runs forward at
 *    once, pn_backward walks the graph in reverse) and the compiled driver
 *    (pn_program: the graph sorted once, buffers planned per batch size and
 *    replayed per batch; see program.c and train.c).
 *  - All engine tensors are float32 and C-contiguous. Integer data (labels, token
 *    ids) travel as float32, exact up to 2^24; take and embedding refuse indices
 *    from 2^24 on rather than use a rounded one.
 *  - Sizes are checked: every dimension an op derives goes through pn_mul_size /
 *    pn_add_size, and pn_node_set_shape bounds the product of the non-zero
 *    dimensions, so no attribute can make a buffer smaller than what is written.
 *    Ops are not entered for an empty output (nothing to write or send back).
 *  - C never aborts on input that a caller can reach: functions return a
 *    pn_status and leave a message in pn_last_error().
 */
#ifndef PN_H
#define PN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PN_MAX_DIMS 8
#define PN_MAX_INPUTS 10 /* lstm with every option: x, W, U, b, h0, c0, mask, 2 dropout masks */
#define PN_MAX_FATTR 8
#define PN_MAX_IATTR 16

/* ---------------------------------------------------------------- status */
typedef enum {
    PN_OK = 0,
    PN_EVALUE = 1,  /* bad shape / value -> ValueError */
    PN_ETYPE = 2,   /* bad type -> TypeError */
    PN_ENOMEM = 3,  /* allocation failed -> MemoryError */
    PN_EINDEX = 4,  /* index out of range -> IndexError / ValueError */
    PN_EINTERNAL = 5,
    PN_EINTERRUPT = 6 /* stopped by the host between batches */
} pn_status;

/* Sets the thread-local error message (printf format) and returns code. */
int pn_error(int code, const char *fmt, ...);
const char *pn_last_error(void);
/* Checked size arithmetic. Every dimension and element count the engine derives
 * from attributes or shapes goes through these, so no value can wrap around and
 * make a buffer smaller than what is written into it. A dimension or a size is
 * valid when 0 <= v <= PN_SIZE_MAX (2^61 - 1: a float count whose byte count
 * and any sum of two such values still fit in int64). On overflow they set
 * "<op>: <what> is too large (...)" and return PN_EVALUE; *out is untouched. */
#define PN_SIZE_MAX (INT64_MAX / 4)
int pn_mul_size(const char *op, const char *what, int64_t a, int64_t b, int64_t *out);
int pn_add_size(const char *op, const char *what, int64_t a, int64_t b, int64_t *out);
/* An integer attribute that must lie in [lo, hi]; the message names the op and
 * the attribute and shows what came. */
int pn_check_attr(const char *op, const char *what, int64_t v, int64_t lo, int64_t hi);
/* Formats a shape like "(32, 10)" into buf (at least 128 bytes). */
const char *pn_shape_str(char *buf, int ndim, const int64_t *shape);

/* ---------------------------------------------------------------- nodes */
struct pn_op;

typedef struct pn_node {
    const struct pn_op *op;          /* NULL for a leaf */
    int n_in;
    struct pn_node *in[PN_MAX_INPUTS];

    int ndim;
    int64_t shape[PN_MAX_DIMS];
    int64_t size;                    /* product of shape */

    float *data;                     /* value, size floats, C-contiguous */
    float *grad;                     /* gradient, NULL until needed */
    size_t data_cap, grad_cap;       /* capacity (floats) of owned buffers */
    int owns_data, owns_grad;        /* else memory belongs to the host */
    void (*release)(void *ctx);      /* called on free for host-owned data */
    void *release_ctx;
    void (*grad_release)(void *ctx); /* called on free (or rebind) for host-owned grad */
    void *grad_ctx;

    int requires_grad;
    int is_param;                    /* leaf trained by an optimizer */
    int is_placeholder;              /* a program input: its first axis is the batch */
    int readonly;                    /* data belongs to a host that declared it
                                        immutable: no op or driver may write it */
    uint32_t version;                /* bumped by every in-place write of data */
    uint32_t in_version[PN_MAX_INPUTS]; /* inputs' versions when this node ran */
    int refcount;

    double fattr[PN_MAX_FATTR];      /* op attributes (alpha, eps, ...) */
    int64_t iattr[PN_MAX_IATTR];     /* op attributes (axes, flags, ...) */
    int64_t *iv;                     /* optional variable-length int attribute */
    int64_t n_iv;

    void *saved;                     /* op-owned scratch kept for backward */
    size_t saved_bytes;

    uint64_t visit;                  /* traversal mark */
} pn_node;

/* ---------------------------------------------------------------- op descriptors
 * An op declares its attributes by name, type and default (pn_attr) and its
 * traits (PN_TRAIT_*). Hosts pass attributes by name (the binding fills the
 * slots from the descriptor); engine code outside an op's file reads them by
 * name (pn_attr_i / pn_attr_f / pn_attr_s / pn_attr_ints) or through the small
 * accessors an op's header declares. Only the op's own file knows the slots. */
typedef enum {
    PN_ATTR_INT,   /* one int64 in iattr[slot] */
    PN_ATTR_FLOAT, /* one double in fattr[slot] */
    PN_ATTR_BOOL,  /* 0 / 1 in iattr[slot] */
    PN_ATTR_ENUM,  /* a name from choices; its index in iattr[slot] */
    PN_ATTR_INTS   /* count > 0: that many int64 in iattr[slot...];
                      count == 0: any number, in the node's iv (one per op) */
} pn_attr_type;

typedef struct pn_attr {
    const char *name;              /* NULL ends an op's list */
    pn_attr_type type;
    int slot;
    double def;                    /* default (every element of INTS; ENUM: index) */
    int count;                     /* INTS only */
    const char *const *choices;    /* ENUM only: names by value, NULL-terminated */
} pn_attr;

/* Traits: facts about an op that drivers decide by (a per-batch strategy
 * picks how to get per-example gradients from them) instead of recognising
 * op names. */
#define PN_TRAIT_ROWWISE    (1u << 0) /* output row r (batch axis) depends only on row r of
                                         every batched input; constants broadcast */
#define PN_TRAIT_STOCHASTIC (1u << 1) /* draws from the engine's generator */
#define PN_TRAIT_HAS_PARAMS (1u << 2) /* takes trainable weights (kernel, bias, gamma, ...) */
#define PN_TRAIT_BROADCAST  (1u << 3) /* elementwise over NumPy-broadcast operands: row-wise
                                         when every batched operand keeps the batch axis */
#define PN_TRAIT_LOSS       (1u << 4) /* reduces per-example terms of (y_true, y_pred[, w]);
                                         a mean over the batch when its reduction is
                                         "sum_over_batch_size" */
#define PN_TRAIT_LINEAR     (1u << 5) /* linear in each input (sums of batch means stay means) */
#define PN_TRAIT_AFFINE     (1u << 6) /* its weights act row by row as x @ kernel + bias, so
                                         per-example gradient norms have a closed form
                                         (x_i ⊗ δ_i is rank one) */
#define PN_N_TRAITS 7
/* The name of trait bit i ("rowwise", "stochastic", ...), NULL past the end. */
const char *pn_trait_name(int i);

/* Op table entry. infer_shape sets n->ndim/shape from the inputs and attributes
 * (or fails with a message); forward fills n->data; backward reads n->grad and
 * accumulates into in[i]->grad for every input with requires_grad (those grads
 * are allocated and zeroed by the driver); backward == NULL marks an op without
 * a gradient (metrics, argmax). workspace may be NULL.
 * inputs: names, NULL-terminated ("name?" optional, "name..." variadic).
 * attrs: NULL-name-terminated (may be NULL: no attributes).
 * traits: what holds with the default attributes; traits_of (may be NULL)
 * refines them from a node's attributes (it may read nothing else). */
typedef struct pn_op {
    const char *name;
    int n_inputs;                    /* -1: variadic (concat, stack) */
    int (*infer_shape)(pn_node *n);
    int (*forward)(pn_node *n);
    int (*backward)(pn_node *n);
    size_t (*workspace)(const pn_node *n);
    const char *const *inputs;
    const pn_attr *attrs;
    uint32_t traits;
    uint32_t (*traits_of)(const pn_node *n);
    /* The compiled driver's pooling fusion (program.c), both optional. A
     * pooling op's pools_input says whether n is a max pooling over
     * non-overlapping win[0] x win[1] windows ('valid', strides = window);
     * then an input op with forward_pooled may compute its output pooled
     * straight into `pooled`'s buffer, never writing its own (its only
     * consumer is the pooling, and neither needs a gradient). forward_pooled
     * returns PN_UNFUSED, having done nothing, when it cannot: the driver
     * then runs both forwards. */
    int (*pools_input)(const pn_node *n, int64_t win[2]);
    int (*forward_pooled)(pn_node *n, const int64_t win[2], pn_node *pooled);
    /* Training too (optional): with backward_pooled, the pair fuses when a
     * gradient flows. forward_pooled then also keeps the pooling's winners in
     * `pooled`'s scratch, as max pooling's own forward does (pool.h), and
     * backward_pooled accumulates n's input gradients from pooled->grad as
     * the pooling's backward followed by n's would, bit for bit; n's output
     * and gradient are never written nor read. */
    int (*backward_pooled)(pn_node *n, const int64_t win[2], pn_node *pooled);
} pn_op;
#define PN_UNFUSED (-1)

/* The descriptor of op's attribute name (NULL if it has none of that name). */
const pn_attr *pn_attr_find(const pn_op *op, const char *name);
/* Writes every attribute's default into fattr / iattr (zeroed first). */
void pn_attr_defaults(const pn_op *op, double fattr[PN_MAX_FATTR], int64_t iattr[PN_MAX_IATTR]);
/* Error text for enum value v of a ("'a', 'b' or 'c'") into buf. */
const char *pn_attr_choices_str(const pn_attr *a, char *buf, size_t size);
/* A node's attribute by name: int / bool / enum index (first element of a
 * fixed INTS), a float, an enum's name, an INTS' values (*len set). The name
 * must be one of the node's op (engine code asks ops it chose by trait): an
 * unknown name gives 0 / NULL. */
int64_t pn_attr_i(const pn_node *n, const char *name);
double pn_attr_f(const pn_node *n, const char *name);
const char *pn_attr_s(const pn_node *n, const char *name);
const int64_t *pn_attr_ints(const pn_node *n, const char *name, int64_t *len);
/* A node's traits: op->traits refined by op->traits_of (0 for a leaf). */
uint32_t pn_node_traits(const pn_node *n);

/* Registry: find an op by name (NULL if unknown). */
const pn_op *pn_op_find(const char *name);
/* Iterate all registered ops (i from 0; returns NULL past the end). */
const pn_op *pn_op_at(int i);

/* Node lifetime. */
pn_node *pn_node_new(void);
void pn_node_incref(pn_node *n);
void pn_node_decref(pn_node *n);
/* Sets the shape (size recomputed); fails on negative dims or rank > 8. */
int pn_node_set_shape(pn_node *n, int ndim, const int64_t *shape);
/* Makes n->data an owned buffer of at least n->size floats (kept if big enough). */
int pn_node_alloc_data(pn_node *n);
/* Makes n->grad an owned, zeroed buffer of n->size floats unless host-provided. */
int pn_node_zero_grad(pn_node *n);
/* Op scratch kept until the node dies (grown as needed; contents undefined). */
void *pn_node_scratch(pn_node *n, size_t bytes);

/* A leaf over host memory (not copied); release(ctx) is called when it dies. */
pn_node *pn_leaf_external(float *data, int ndim, const int64_t *shape,
                          void (*release)(void *), void *ctx);
/* A leaf owning a fresh zeroed buffer. */
pn_node *pn_leaf_new(int ndim, const int64_t *shape);

/* ---------------------------------------------------------------- eager driver */
/* The switch behind pynn.no_grad(): when 0, pn_apply records no gradient. One
 * per thread (no_grad in one thread leaves the others' graphs alone). */
#ifdef __cplusplus
extern thread_local int pn_grad_enabled;
#else
extern _Thread_local int pn_grad_enabled;
#endif
/* While tracing a graph for the compiled driver, nodes keep their inputs even
 * when no gradient flows through them (the graph will be replayed). Per thread,
 * like grad mode: a trace in one thread leaves other threads' eager ops alone. */
#ifdef __cplusplus
extern thread_local int pn_tracing;
#else
extern _Thread_local int pn_tracing;
#endif

/* Creates a node for op over inputs with the given attributes, infers its shape,
 * allocates and runs forward. On success *out holds a new reference. The
 * attribute arrays are laid out as op's descriptor says: a host starts from
 * pn_attr_defaults and writes what it sets by name through pn_attr_find (the
 * Python binding does exactly this, py_ops.c). */
int pn_apply(const pn_op *op, int n_in, pn_node **in, const double *fattr, int n_f,
             const int64_t *iattr, int n_i, const int64_t *iv, int64_t n_iv,
             pn_node **out);
/* Reverse-mode sweep from root. seed: gradient of root (NULL -> ones).
 * Leaf gradients accumulate; interior gradients are released afterwards.
 * Fails (before touching any gradient) if an input of a recorded op was
 * written in place after the op ran (its version moved on). */
int pn_backward(pn_node *root, const float *seed);

/* ---------------------------------------------------------------- compiled driver */
typedef struct pn_program pn_program;
/* Sorts everything reachable from outputs; inputs are the placeholder leaves whose
 * first dimension is the batch. */
int pn_program_create(pn_node **outputs, int n_out, pn_node **inputs, int n_in,
                      pn_program **out);
void pn_program_free(pn_program *p);
/* Re-infers every shape for batch size b (placeholders get shape[0] = b) and grows
 * buffers only when needed. */
int pn_program_set_batch(pn_program *p, int64_t b);
int pn_program_forward(pn_program *p);
/* Zeroes parameter and interior gradients, seeds loss with ones, sweeps back. */
int pn_program_backward(pn_program *p, pn_node *loss);
int pn_program_n_nodes(const pn_program *p);

/* ---------------------------------------------------------------- helpers for ops */
/* Broadcast two shapes NumPy-style; fails naming both. */
int pn_broadcast_shapes(int na, const int64_t *a, int nb, const int64_t *b,
                        int *nout, int64_t *out);
/* Contiguous strides (in elements) of a shape. */
void pn_strides(int ndim, const int64_t *shape, int64_t *strides);
/* Accumulates src (shape full) into dst (shape small, broadcastable to full),
 * summing over broadcast axes: dst += reduce(src). */
void pn_reduce_to(const float *src, int nfull, const int64_t *full, float *dst,
                  int nsmall, const int64_t *small);
/* Normalises a possibly negative axis; fails naming the op. */
int pn_norm_axis(const char *op, int64_t axis, int ndim, int *out);

/* ---------------------------------------------------------------- rng */
void pn_rng_seed(uint64_t seed);
uint64_t pn_rng_next_u64(void);  /* global stream */
/* Counter-based: same (key, counter) -> same bits, on any thread. Inline so
 * that bulk draws (rng_normal.c) vectorise. */
static inline uint64_t pn_rng_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static inline uint64_t pn_rng_hash(uint64_t key, uint64_t counter)
{
    return pn_rng_mix64(key ^ pn_rng_mix64(counter + 0x9e3779b97f4a7c15ULL));
}
/* Draws a fresh key from the global stream (for one op / one batch). */
uint64_t pn_rng_key(void);
/* [0, 1) from the top 53 bits (inline: Poisson sampling draws one per example) */
static inline double pn_rng_uniform01(uint64_t key, uint64_t counter)
{
    return (double)(pn_rng_hash(key, counter) >> 11) * (1.0 / 9007199254740992.0);
}
double pn_rng_normal(uint64_t key, uint64_t counter);   /* stream v1 (Box-Muller) */
/* Versioned normal streams (rng_normal.c): 1 = pn_rng_normal, 2 = ziggurat.
 * The draw of (version, key, counter) never depends on how it is asked for. */
int pn_rng_normal_version_ok(int version);
double pn_rng_normal_v(int version, uint64_t key, uint64_t counter);
/* out[k] = pn_rng_normal_v(version, key, first + k) for k < n (version checked
 * by the caller) */
void pn_rng_normals(int version, uint64_t key, uint64_t first, int64_t n, double *out);
/* The same through one code path ("portable", "avx2", "avx512"; NULL: the
 * best this CPU has, as pn_rng_normals); -1 when the CPU lacks it. For tests:
 * every path returns the same bits. */
int pn_rng_normals_path(int version, const char *path, uint64_t key, uint64_t first, int64_t n, double *out);

/* ---------------------------------------------------------------- threads */
/* fn(ctx, begin, end) over [0, n) split into chunks; chunking depends only on n
 * and grain so results never depend on the thread count. */
typedef void (*pn_range_fn)(void *ctx, int64_t begin, int64_t end);
void pn_parallel_for(int64_t n, int64_t grain, pn_range_fn fn, void *ctx);
void pn_set_num_threads(int n);
int pn_get_num_threads(void);

/* ---------------------------------------------------------------- gemm */
/* C = alpha * op(A) * op(B) + beta * C, row-major. op(A) is M x K, op(B) K x N.
 * lda/ldb/ldc are row strides of the stored (untransposed) matrices. */
void pn_sgemm(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
              const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
              float *C, int64_t ldc);
/* B packed once, multiplied by many A (gemm/prepacked.c): the recurrent layers'
 * kernel, reused at every time step. pn_sgemm_pack_b packs op(B) (K x N) into
 * pn_sgemm_packed_b_floats(K, N) floats (64-byte aligned); pn_sgemm_prepacked
 * computes C = op(A) . B + beta * C for M x K row-major A, on the calling
 * thread, with the bits of pn_sgemm(0, trans_b, M, N, K, 1, A, lda, B, ldb,
 * beta, C, ldc). */
int64_t pn_sgemm_packed_b_floats(int64_t K, int64_t N);
void pn_sgemm_pack_b(int trans_b, int64_t K, int64_t N, const float *B, int64_t ldb, float *dst);
void pn_sgemm_prepacked(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                        const float *Bp, float beta, float *C, int64_t ldc);
/* The depth blocks every path sums K in (later blocks accumulate into C): a
 * caller that adds its own term into C with beta 1 keeps pn_sgemm's bits
 * only when K is one block (pn_sgemm_k_block(K) >= K). */
int64_t pn_sgemm_k_block(int64_t K);
/* Which kernel path is active: "avx512", "avx2", "generic". PYNN_GEMM_ISA forces one. */
const char *pn_gemm_isa(void);
/* Sustained FMA rate in GFLOP/s of `threads` threads running a register-only
 * FMA loop with the vectors of isa ("avx512", "avx2", "generic"), best of three
 * runs lasting about `seconds` in all; -1 when the CPU lacks the ISA or the name
 * is unknown. For benchmarks (GEMM as a fraction of it). */
double pn_fma_peak_gflops(const char *isa, int threads, double seconds);

#ifdef __cplusplus
}
#endif
#endif
