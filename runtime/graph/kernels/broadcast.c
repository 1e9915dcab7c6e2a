/* Numpy-style broadcasting: shape rule and loop planning (see broadcast.h). */
#include "broadcast.h"

#include <string.h>

hbg_status hbg_bcast_shape(hbg_kctx *k, int n, const hbg_tensor *const *ts, int *rank,
                           int64_t *dims)
{
    int r = 0;
    for (int i = 0; i < n; i++)
        r = ts[i]->rank > r ? ts[i]->rank : r;
    for (int d = 0; d < r; d++)
        dims[d] = 1;
    /* Align every shape to the right; a dim of 1 stretches to the other operands' dim. */
    for (int i = 0; i < n; i++) {
        int off = r - ts[i]->rank;
        for (int d = 0; d < ts[i]->rank; d++) {
            int64_t have = dims[off + d], want = ts[i]->dims[d];
            if (want == have || want == 1)
                continue;
            if (have != 1) {
                char a[96], b[96];
                hbg_shape_str(ts[0], a, sizeof a);
                hbg_shape_str(ts[i], b, sizeof b);
                return hbg_kfail(
                    k, HBG_E_SHAPE,
                    "input shapes %s and %s cannot be broadcast (dim %d: %lld vs %lld)", a, b,
                    off + d, (long long)have, (long long)want);
            }
            dims[off + d] = want;
        }
    }
    *rank = r;
    return HBG_OK;
}

void hbg_bcast_plan(hbg_bcast *p, int rank, const int64_t *dims, int n, const hbg_tensor *const *ts)
{
    /* Full-rank strides of each operand against the output: 0 where the operand has size 1 or
     * lacks the dim, its own contiguous stride otherwise. */
    int64_t full[HBG_BCAST_MAX_IN][HBG_MAX_RANK];
    for (int i = 0; i < n; i++) {
        int off = rank - ts[i]->rank;
        int64_t s = 1;
        for (int d = rank - 1; d >= 0; d--) {
            int64_t id = d >= off ? ts[i]->dims[d - off] : 1;
            full[i][d] = id == 1 ? 0 : s;
            s *= id;
        }
    }
    memset(p, 0, sizeof *p);
    p->n_in = n;
    p->numel = 1;
    for (int d = 0; d < rank; d++)
        p->numel *= dims[d];
    /* Build the collapsed dims innermost first, then reverse. Size-1 dims never move a pointer
     * and are dropped; dim d merges into the current innermost collapsed dim c when every
     * operand's stride over d equals its stride over c times c's extent (both 0 counts). */
    int64_t cd[HBG_MAX_RANK], cs[HBG_BCAST_MAX_IN][HBG_MAX_RANK];
    int c = 0;
    for (int d = rank - 1; d >= 0; d--) {
        if (dims[d] == 1)
            continue;
        int merge = c > 0;
        for (int i = 0; i < n && merge; i++)
            merge = full[i][d] == cs[i][c - 1] * cd[c - 1];
        if (merge) {
            cd[c - 1] *= dims[d];
            continue;
        }
        cd[c] = dims[d];
        for (int i = 0; i < n; i++)
            cs[i][c] = full[i][d];
        c++;
    }
    if (c == 0) { /* scalar output: one segment of one element */
        cd[0] = 1;
        for (int i = 0; i < n; i++)
            cs[i][0] = 0;
        c = 1;
    }
    p->rank = c;
    for (int j = 0; j < c; j++) {
        p->dims[j] = cd[c - 1 - j];
        for (int i = 0; i < n; i++)
            p->stride[i][j] = cs[i][c - 1 - j];
    }
}

void hbg_bcast_for_each(const hbg_bcast *p, hbg_bcast_seg_fn seg, void *ctx)
{
    if (p->numel == 0)
        return;
    int inner = p->rank - 1;
    int64_t n = p->dims[inner];
    int step[HBG_BCAST_MAX_IN];
    int64_t off[HBG_BCAST_MAX_IN] = {0};
    int64_t idx[HBG_MAX_RANK] = {0};
    for (int i = 0; i < p->n_in; i++)
        step[i] = p->stride[i][inner] != 0;
    for (int64_t out = 0; out < p->numel; out += n) {
        seg(ctx, out, off, step, n);
        /* Odometer over the outer dims; offsets advance incrementally and rewind on carry. */
        for (int d = inner - 1; d >= 0; d--) {
            for (int i = 0; i < p->n_in; i++)
                off[i] += p->stride[i][d];
            if (++idx[d] < p->dims[d])
                break;
            for (int i = 0; i < p->n_in; i++)
                off[i] -= p->stride[i][d] * p->dims[d];
            idx[d] = 0;
        }
    }
}
