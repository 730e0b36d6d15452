/* count_alloc.c - an LD_PRELOAD shim for tests/test_no_alloc.py: counts heap
 * allocations (malloc, calloc, realloc, aligned_alloc, memalign,
 * posix_memalign) whose immediate caller lies in [lo, hi) - the address range
 * of pynn's extension, set by the script once pynn is imported - and forwards
 * them to glibc's own allocator. Calls from Python or NumPy are not counted. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
static uintptr_t lo, hi;
static atomic_long count;
void count_alloc_range(uintptr_t a, uintptr_t b) { lo = a; hi = b; }
long count_alloc_get(void) { return atomic_load(&count); }
#define NOTE() do { uintptr_t r = (uintptr_t)__builtin_return_address(0); \
    if (r >= lo && r < hi) atomic_fetch_add(&count, 1); } while (0)
void *malloc(size_t n) { NOTE(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { NOTE(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { NOTE(); return __libc_realloc(p, n); }
void *aligned_alloc(size_t al, size_t n) { NOTE(); return __libc_memalign(al, n); }
void *memalign(size_t al, size_t n) { NOTE(); return __libc_memalign(al, n); }
int posix_memalign(void **out, size_t al, size_t n) {
    NOTE(); void *p = __libc_memalign(al, n); if (!p) return ENOMEM; *out = p; return 0; }
