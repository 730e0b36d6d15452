/* util.c - errors, shapes and broadcasting shared by all ops. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pn.h"

static _Thread_local char error_message[1024] = "no error";

int pn_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_message, sizeof error_message, fmt, ap);
    va_end(ap);
    return code;
}

const char *pn_last_error(void) { return error_message; }

int pn_mul_size(const char *op, const char *what, int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0 || a > PN_SIZE_MAX || b > PN_SIZE_MAX || (b && a > PN_SIZE_MAX / b))
        return pn_error(PN_EVALUE, "%s: %s is too large (%lld x %lld exceeds %lld)", op, what,
                        (long long)a, (long long)b, (long long)PN_SIZE_MAX);
    *out = a * b;
    return PN_OK;
}

int pn_add_size(const char *op, const char *what, int64_t a, int64_t b, int64_t *out)
{
    /* both at most PN_SIZE_MAX, so the sum cannot overflow before the test */
    if (a < 0 || b < 0 || a > PN_SIZE_MAX || b > PN_SIZE_MAX || a + b > PN_SIZE_MAX)
        return pn_error(PN_EVALUE, "%s: %s is too large (%lld + %lld exceeds %lld)", op, what,
                        (long long)a, (long long)b, (long long)PN_SIZE_MAX);
    *out = a + b;
    return PN_OK;
}

int pn_check_attr(const char *op, const char *what, int64_t v, int64_t lo, int64_t hi)
{
    if (v < lo || v > hi)
        return pn_error(PN_EVALUE, "%s: %s must be in [%lld, %lld], got %lld", op, what,
                        (long long)lo, (long long)hi, (long long)v);
    return PN_OK;
}

const char *pn_shape_str(char *buf, int ndim, const int64_t *shape)
{
    int k = 0;
    k += snprintf(buf + k, 128 - k, "(");
    for (int i = 0; i < ndim && k < 120; i++)
        k += snprintf(buf + k, 128 - k, i ? ", %lld" : "%lld", (long long)shape[i]);
    snprintf(buf + k, 128 - k, ndim == 1 ? ",)" : ")");
    return buf;
}

void pn_strides(int ndim, const int64_t *shape, int64_t *strides)
{
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = s;
        s *= shape[i];
    }
}

int pn_broadcast_shapes(int na, const int64_t *a, int nb, const int64_t *b, int *nout,
                        int64_t *out)
{
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {
        int64_t da = i < n - na ? 1 : a[i - (n - na)];
        int64_t db = i < n - nb ? 1 : b[i - (n - nb)];
        if (da != db && da != 1 && db != 1) {
            char sa[128], sb[128];
            return pn_error(PN_EVALUE,
                            "operands could not be broadcast together with shapes %s and %s",
                            pn_shape_str(sa, na, a), pn_shape_str(sb, nb, b));
        }
        out[i] = da == 1 ? db : da;
    }
    *nout = n;
    return PN_OK;
}

int pn_norm_axis(const char *op, int64_t axis, int ndim, int *out)
{
    if (axis < -ndim || axis >= ndim || ndim == 0)
        return pn_error(PN_EVALUE, "%s: axis %lld is out of range for a tensor of rank %d", op,
                        (long long)axis, ndim);
    *out = (int)(axis < 0 ? axis + ndim : axis);
    return PN_OK;
}

/* dst (small) += src (full) summed over the axes where small is broadcast. */
void pn_reduce_to(const float *src, int nfull, const int64_t *full, float *dst, int nsmall,
                  const int64_t *small)
{
    int64_t total = 1;
    for (int i = 0; i < nfull; i++) total *= full[i];
    if (total == 0) return;
    int64_t sshape[PN_MAX_DIMS], sstr[PN_MAX_DIMS], dstr[PN_MAX_DIMS];
    for (int i = 0; i < nfull; i++) sshape[i] = i < nfull - nsmall ? 1 : small[i - (nfull - nsmall)];
    pn_strides(nfull, sshape, sstr);
    for (int i = 0; i < nfull; i++) dstr[i] = sshape[i] == 1 ? 0 : sstr[i];
    /* fast path: identical shapes */
    int same = 1;
    for (int i = 0; i < nfull; i++) same &= sshape[i] == full[i];
    if (same) {
        for (int64_t i = 0; i < total; i++) dst[i] += src[i];
        return;
    }
    int64_t idx[PN_MAX_DIMS] = {0};
    int64_t off = 0;
    int64_t inner = full[nfull - 1];
    int64_t dinner = dstr[nfull - 1];
    for (int64_t i = 0; i < total; i += inner) {
        if (dinner) {
            for (int64_t j = 0; j < inner; j++) dst[off + j] += src[i + j];
        } else {
            double s = 0;
            for (int64_t j = 0; j < inner; j++) s += src[i + j];
            dst[off] += (float)s;
        }
        for (int d = nfull - 2; d >= 0; d--) {
            idx[d]++;
            off += dstr[d];
            if (idx[d] < full[d]) break;
            off -= dstr[d] * idx[d];
            idx[d] = 0;
        }
    }
}
