/* attr.c - op descriptors: attributes by name, their defaults, traits.
 *
 * An op's attributes live in its node's slots (fattr / iattr / iv); the op's
 * descriptor (pn_op.attrs) says which name is which slot. Everything outside
 * the op's own file goes through these functions, so a slot can move without
 * anyone else noticing. Lookups are a linear scan of at most a dozen short
 * names: cheaper than anything an eager call does around it. */
#include <stdio.h>
#include <string.h>

#include "pn.h"

static const char *const trait_names[PN_N_TRAITS] = {
    "rowwise", "stochastic", "has_params", "broadcast", "loss", "linear", "affine",
};

const char *pn_trait_name(int i) { return i >= 0 && i < PN_N_TRAITS ? trait_names[i] : NULL; }

const pn_attr *pn_attr_find(const pn_op *op, const char *name)
{
    for (const pn_attr *a = op ? op->attrs : NULL; a && a->name; a++)
        if (strcmp(a->name, name) == 0) return a;
    return NULL;
}

void pn_attr_defaults(const pn_op *op, double fattr[PN_MAX_FATTR], int64_t iattr[PN_MAX_IATTR])
{
    memset(fattr, 0, sizeof(double) * PN_MAX_FATTR);
    memset(iattr, 0, sizeof(int64_t) * PN_MAX_IATTR);
    for (const pn_attr *a = op->attrs; a && a->name; a++) {
        if (a->type == PN_ATTR_FLOAT)
            fattr[a->slot] = a->def;
        else if (a->type == PN_ATTR_INTS)
            for (int k = 0; k < a->count; k++) iattr[a->slot + k] = (int64_t)a->def;
        else
            iattr[a->slot] = (int64_t)a->def;
    }
}

const char *pn_attr_choices_str(const pn_attr *a, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; a->choices && a->choices[i] && used < size; i++) {
        const char *sep = i == 0 ? "" : a->choices[i + 1] ? ", " : " or ";
        int w = snprintf(buf + used, size - used, "%s'%s'", sep, a->choices[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
    return buf;
}

static const pn_attr *node_attr(const pn_node *n, const char *name)
{
    return n && n->op ? pn_attr_find(n->op, name) : NULL;
}

int64_t pn_attr_i(const pn_node *n, const char *name)
{
    const pn_attr *a = node_attr(n, name);
    if (!a || a->type == PN_ATTR_FLOAT) return 0;
    if (a->type == PN_ATTR_INTS && a->count == 0) return n->n_iv ? n->iv[0] : 0;
    return n->iattr[a->slot];
}

double pn_attr_f(const pn_node *n, const char *name)
{
    const pn_attr *a = node_attr(n, name);
    return a && a->type == PN_ATTR_FLOAT ? n->fattr[a->slot] : 0.0;
}

const char *pn_attr_s(const pn_node *n, const char *name)
{
    const pn_attr *a = node_attr(n, name);
    if (!a || a->type != PN_ATTR_ENUM) return NULL;
    int64_t v = n->iattr[a->slot];
    for (int64_t i = 0; a->choices[i]; i++)
        if (i == v) return a->choices[i];
    return NULL;
}

const int64_t *pn_attr_ints(const pn_node *n, const char *name, int64_t *len)
{
    const pn_attr *a = node_attr(n, name);
    *len = 0;
    if (!a || a->type != PN_ATTR_INTS) return NULL;
    if (a->count == 0) {
        *len = n->n_iv;
        return n->iv;
    }
    *len = a->count;
    return n->iattr + a->slot;
}

uint32_t pn_node_traits(const pn_node *n)
{
    if (!n || !n->op) return 0;
    return n->op->traits_of ? n->op->traits_of(n) : n->op->traits;
}
