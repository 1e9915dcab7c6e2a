/* Data-movement kernels: Concat, Split, Slice, Reshape, Flatten, Transpose, Squeeze, Unsqueeze,
 * Expand, Tile, Pad, DepthToSpace, SpaceToDepth, Gather (and Resize/Upsample from resize.c).
 *
 * Every op here works on any element type by element size. Values that fix an output shape
 * (shape, starts, pads, repeats, axes, split) are attributes in early opsets and inputs later;
 * the inputs must be known at prepare time. Ops that only re-index (Transpose, Slice, Expand,
 * Tile, DepthToSpace, SpaceToDepth) build one strided view at prepare time and run it with
 * hbg_mv_copy(), which copies contiguous rows with memcpy and does 2-D transposes in tiles.
 */
#include <stdlib.h>
#include <string.h>

#include "elem.h"
#include "movement.h"

/* ---- shared helpers ------------------------------------------------------------------------ */

void *hbg_mv_params(hbg_kctx *k, size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (p) {
        free(k->node->params);
        k->node->params = p;
    }
    return p;
}

const hbg_tensor *hbg_mv_opt_in(const hbg_kctx *k, int i)
{
    return i < k->n_in ? k->in[i] : NULL;
}

int hbg_mv_dims_fit(int rank, const int64_t *dims)
{
    int64_t n = 1;
    for (int a = 0; a < rank; a++) {
        if (dims[a] > HBG_MV_LIMIT)
            return 0;
        if (dims[a] > 0 && (n *= dims[a]) > HBG_MV_LIMIT)
            return 0;
    }
    return 1;
}

hbg_status hbg_mv_need_in(hbg_kctx *k, int i)
{
    const hbg_tensor *t = hbg_mv_opt_in(k, i);
    if (!t)
        return hbg_kfail(k, HBG_E_INVALID, "input %d is missing", i);
    if (t->rank < 0 || hbg_dtype_size(t->dtype) == 0)
        return hbg_kfail(k, HBG_E_SHAPE, "input %d ('%s') has an unknown shape or type", i,
                         t->name);
    if (!hbg_mv_dims_fit(t->rank, t->dims))
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "input %d ('%s') is too large", i, t->name);
    return HBG_OK;
}

hbg_status hbg_mv_read_ints(hbg_kctx *k, int i, const char *what, int64_t *v, int max, int *n)
{
    hbg_status st = hbg_mv_need_in(k, i);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *t = k->in[i];
    if (!t->data)
        return hbg_kneed_value(k, i, what);
    if (t->dtype != HBG_DT_I64 && t->dtype != HBG_DT_I32)
        return hbg_kfail(k, HBG_E_INVALID, "input %d (%s) must be int64 or int32, not %s", i, what,
                         hbg_dtype_name(t->dtype));
    int64_t cnt = hbg_tensor_numel(t);
    if (t->rank > 1 || cnt > max)
        return hbg_kfail(k, HBG_E_INVALID, "input %d (%s) must be a list of at most %d values", i,
                         what, max);
    for (int64_t j = 0; j < cnt; j++)
        v[j] = hbg_tensor_get_int(t, j);
    *n = (int)cnt;
    return HBG_OK;
}

int hbg_mv_axis(int64_t a, int rank)
{
    if (a < -rank || a >= rank)
        return -1;
    return (int)(a < 0 ? a + rank : a);
}

int64_t hbg_mv_opset(const hbg_kctx *k)
{
    int64_t v = hbg_graph_opset(k->g, "");
    return v > 0 ? v : 17;
}

/* An int list that is attribute `name` before opset `since` and input i from then on.
 * *present is 0 when neither is given (both are optional for some ops). */
static hbg_status attr_or_input_ints(hbg_kctx *k, int64_t since, const char *name, int i,
                                     int64_t *v, int max, int *n, int *present)
{
    *present = 0;
    *n = 0;
    if (hbg_mv_opset(k) < since) {
        const int64_t *a;
        int cnt = hbg_attr_ints(k->node, name, &a);
        if (cnt < 0)
            return HBG_OK;
        if (cnt > max)
            return hbg_kfail(k, HBG_E_INVALID, "attribute %s has %d values, at most %d allowed",
                             name, cnt, max);
        memcpy(v, a, (size_t)cnt * sizeof *v);
        *n = cnt;
        *present = 1;
        return HBG_OK;
    }
    if (!hbg_mv_opt_in(k, i))
        return HBG_OK;
    *present = 1;
    return hbg_mv_read_ints(k, i, name, v, max, n);
}

static hbg_status set_out(hbg_kctx *k, int o, hbg_dtype dt, int rank, const int64_t *dims)
{
    if (!hbg_mv_dims_fit(rank, dims))
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "output %d would be too large", o);
    hbg_status st = hbg_tensor_set_shape(k->out[o], dt, rank, dims);
    if (st != HBG_OK)
        return hbg_kfail(k, st, "cannot give output %d rank %d", o, rank);
    return HBG_OK;
}

/* Row-major element strides of t. */
static void strides_of(const hbg_tensor *t, int64_t *str)
{
    int64_t s = 1;
    for (int a = t->rank - 1; a >= 0; a--) {
        str[a] = s;
        s *= t->dims[a];
    }
}

static int64_t prod(const int64_t *d, int from, int to)
{
    int64_t p = 1;
    for (int a = from; a < to; a++)
        p *= d[a];
    return p;
}

/* ---- strided views ------------------------------------------------------------------------- */

void hbg_mv_view_simplify(hbg_mv_view *v)
{
    int n = 0;
    for (int a = 0; a < v->nd; a++) {
        if (v->dims[a] == 0) {
            v->nd = 1;
            v->dims[0] = 0;
            v->str[0] = 1;
            return;
        }
    }
    for (int a = 0; a < v->nd; a++) {
        if (v->dims[a] == 1)
            continue;
        if (n > 0 && v->str[n - 1] == v->str[a] * v->dims[a]) {
            v->dims[n - 1] *= v->dims[a];
            v->str[n - 1] = v->str[a];
            continue;
        }
        v->dims[n] = v->dims[a];
        v->str[n] = v->str[a];
        n++;
    }
    if (n == 0) {
        v->dims[0] = 1;
        v->str[0] = 1;
        n = 1;
    }
    v->nd = n;
}

/* n destination elements from a source walking with stride st (elements; 0 repeats one). */
static void copy_row(unsigned char *d, const unsigned char *s, int64_t n, int64_t st, size_t es)
{
    if (st == 1) {
        memcpy(d, s, (size_t)n * es);
        return;
    }
    const ptrdiff_t sb = (ptrdiff_t)st * (ptrdiff_t)es;
    HBG_MV_BY_SIZE(es, for (int64_t i = 0; i < n; i++) memcpy(d + (size_t)i * ES, s + i * sb, ES))
}

/* A P x Q destination block whose source is contiguous along P and strided (sq) along Q: a 2-D
 * transpose, done in square tiles so that both the reads and the writes stay in cache. */
static void copy_transposed(unsigned char *d, const unsigned char *s, int64_t P, int64_t Q,
                            int64_t sq, size_t es)
{
    enum { TILE = 16 };
    const ptrdiff_t qb = (ptrdiff_t)sq * (ptrdiff_t)es;
    for (int64_t p0 = 0; p0 < P; p0 += TILE) {
        const int64_t p1 = P - p0 < TILE ? P : p0 + TILE;
        for (int64_t q0 = 0; q0 < Q; q0 += TILE) {
            const int64_t q1 = Q - q0 < TILE ? Q : q0 + TILE;
            HBG_MV_BY_SIZE(
                es, for (int64_t q = q0; q < q1; q++) for (int64_t p = p0; p < p1; p++)
                        memcpy(d + (size_t)(p * Q + q) * ES, s + q * qb + p * (ptrdiff_t)ES, ES))
        }
    }
}

void hbg_mv_copy(const hbg_mv_view *v, const void *src, void *dst)
{
    const unsigned char *s = src;
    unsigned char *d = dst;
    const size_t es = v->es;
    /* The innermost two axes form a transposed block when the source is contiguous along the
     * second-last one but not along the last. */
    const int block = v->nd >= 2 && v->str[v->nd - 1] != 1 && v->str[v->nd - 2] == 1;
    const int inner = v->nd - (block ? 2 : 1); /* axes [0, inner) are walked by the counter */
    int64_t idx[HBG_MV_MAX_DIMS] = {0}, off = v->offset, outer = 1;
    const int64_t n = v->dims[v->nd - 1];
    const int64_t rows = block ? v->dims[v->nd - 2] : 1;
    for (int a = 0; a < inner; a++)
        outer *= v->dims[a];
    if (outer == 0 || n == 0 || rows == 0)
        return;
    for (int64_t o = 0; o < outer; o++) {
        const unsigned char *so = s + off * (ptrdiff_t)es;
        if (block)
            copy_transposed(d, so, rows, n, v->str[v->nd - 1], es);
        else
            copy_row(d, so, n, v->str[v->nd - 1], es);
        d += (size_t)(rows * n) * es;
        for (int a = inner - 1; a >= 0; a--) {
            if (++idx[a] < v->dims[a]) {
                off += v->str[a];
                break;
            }
            idx[a] = 0;
            off -= v->str[a] * (v->dims[a] - 1);
        }
    }
}

/* Store the view in node->params (simplified) and give output 0 the view's unsimplified shape. */
static hbg_status view_finish(hbg_kctx *k, hbg_mv_view *v, int out_rank, const int64_t *out_dims)
{
    hbg_status st = set_out(k, 0, k->in[0]->dtype, out_rank, out_dims);
    if (st != HBG_OK)
        return st;
    hbg_mv_view *p = hbg_mv_params(k, sizeof *p);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    hbg_mv_view_simplify(v);
    *p = *v;
    return HBG_OK;
}

static hbg_status view_run(hbg_kctx *k)
{
    hbg_mv_copy(k->node->params, k->in[0]->data, k->out[0]->data);
    return HBG_OK;
}

/* A view that reads input 0 unchanged: dims and strides of x. */
static void view_identity(hbg_mv_view *v, const hbg_tensor *x)
{
    memset(v, 0, sizeof *v);
    v->nd = x->rank;
    v->es = hbg_dtype_size(x->dtype);
    strides_of(x, v->str);
    for (int a = 0; a < x->rank; a++)
        v->dims[a] = x->dims[a];
}

/* Reshape, Flatten, Squeeze, Unsqueeze: the bytes are unchanged. */
static hbg_status copy_run(hbg_kctx *k)
{
    int64_t nb = hbg_tensor_nbytes(k->out[0]);
    if (nb > 0 && k->out[0]->data != k->in[0]->data)
        memcpy(k->out[0]->data, k->in[0]->data, (size_t)nb);
    return HBG_OK;
}

/* ---- Concat, Split ------------------------------------------------------------------------- */

typedef struct axis_params {
    int axis;
} axis_params;

static hbg_status axis_params_set(hbg_kctx *k, int axis)
{
    axis_params *p = hbg_mv_params(k, sizeof *p);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    p->axis = axis;
    return HBG_OK;
}

static hbg_status concat_infer(hbg_kctx *k)
{
    hbg_status st = HBG_OK;
    if (k->n_in < 1)
        return hbg_kfail(k, HBG_E_INVALID, "needs at least one input");
    for (int i = 0; i < k->n_in; i++)
        if ((st = hbg_mv_need_in(k, i)) != HBG_OK)
            return st;
    const hbg_tensor *x0 = k->in[0];
    if (x0->rank < 1)
        return hbg_kfail(k, HBG_E_SHAPE, "inputs must have rank >= 1");
    if (!hbg_node_attr(k->node, "axis") && hbg_mv_opset(k) >= 4)
        return hbg_kfail(k, HBG_E_INVALID, "attribute axis is required");
    int64_t axis_attr = hbg_attr_int(k->node, "axis", 1);
    int axis = hbg_mv_axis(axis_attr, x0->rank);
    if (axis < 0)
        return hbg_kfail(k, HBG_E_INVALID, "axis %lld out of range for rank %d",
                         (long long)axis_attr, x0->rank);
    int64_t dims[HBG_MAX_RANK];
    memcpy(dims, x0->dims, sizeof dims);
    dims[axis] = 0;
    for (int i = 0; i < k->n_in; i++) {
        const hbg_tensor *x = k->in[i];
        if (x->dtype != x0->dtype || x->rank != x0->rank)
            return hbg_kfail(k, HBG_E_SHAPE, "input %d ('%s') differs in type or rank from input 0",
                             i, x->name);
        for (int a = 0; a < x->rank; a++)
            if (a != axis && x->dims[a] != x0->dims[a])
                return hbg_kfail(k, HBG_E_SHAPE,
                                 "input %d ('%s') has dimension %lld on axis %d, input 0 has %lld",
                                 i, x->name, (long long)x->dims[a], a, (long long)x0->dims[a]);
        if ((dims[axis] += x->dims[axis]) > HBG_MV_LIMIT)
            return hbg_kfail(k, HBG_E_UNSUPPORTED, "output would be too large");
    }
    if ((st = set_out(k, 0, x0->dtype, x0->rank, dims)) != HBG_OK)
        return st;
    return axis_params_set(k, axis);
}

static hbg_status concat_run(hbg_kctx *k)
{
    const int axis = ((const axis_params *)k->node->params)->axis;
    const hbg_tensor *y = k->out[0];
    const size_t inner = (size_t)prod(y->dims, axis + 1, y->rank) * hbg_dtype_size(y->dtype);
    const int64_t outer = prod(y->dims, 0, axis);
    unsigned char *d = y->data;
    for (int64_t o = 0; o < outer; o++) {
        for (int i = 0; i < k->n_in; i++) {
            const size_t b = (size_t)k->in[i]->dims[axis] * inner;
            if (b) {
                memcpy(d, (const unsigned char *)k->in[i]->data + (size_t)o * b, b);
                d += b;
            }
        }
    }
    return HBG_OK;
}

static hbg_status split_infer(hbg_kctx *k)
{
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    if (x->rank < 1)
        return hbg_kfail(k, HBG_E_SHAPE, "input must have rank >= 1");
    if (k->n_out < 1)
        return hbg_kfail(k, HBG_E_INVALID, "needs at least one output");
    int64_t axis_attr = hbg_attr_int(k->node, "axis", 0);
    int axis = hbg_mv_axis(axis_attr, x->rank);
    if (axis < 0)
        return hbg_kfail(k, HBG_E_INVALID, "axis %lld out of range for rank %d",
                         (long long)axis_attr, x->rank);
    int64_t *len = calloc((size_t)k->n_out, sizeof *len);
    int n = 0, present = 0;
    if (!len)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    st = attr_or_input_ints(k, 13, "split", 1, len, k->n_out, &n, &present);
    if (st != HBG_OK)
        goto done;
    st = HBG_E_SHAPE;
    if (present && n != k->n_out) {
        hbg_kfail(k, st, "split has %d values for %d outputs", n, k->n_out);
        goto done;
    }
    if (present) {
        int64_t sum = 0;
        for (int j = 0; j < n; j++) {
            if (len[j] < 0 || len[j] > HBG_MV_LIMIT) {
                hbg_kfail(k, st, "split value %lld is out of range", (long long)len[j]);
                goto done;
            }
            sum += len[j];
        }
        if (sum != x->dims[axis]) {
            hbg_kfail(k, st, "split sums to %lld but axis %d has %lld", (long long)sum, axis,
                      (long long)x->dims[axis]);
            goto done;
        }
    } else {
        if (x->dims[axis] % k->n_out) {
            hbg_kfail(k, st, "axis %d (%lld) does not split into %d equal parts", axis,
                      (long long)x->dims[axis], k->n_out);
            goto done;
        }
        for (int j = 0; j < k->n_out; j++)
            len[j] = x->dims[axis] / k->n_out;
    }
    for (int j = 0; j < k->n_out; j++) {
        int64_t dims[HBG_MAX_RANK];
        memcpy(dims, x->dims, sizeof dims);
        dims[axis] = len[j];
        if ((st = set_out(k, j, x->dtype, x->rank, dims)) != HBG_OK)
            goto done;
    }
    st = axis_params_set(k, axis);
done:
    free(len);
    return st;
}

static hbg_status split_run(hbg_kctx *k)
{
    const int axis = ((const axis_params *)k->node->params)->axis;
    const hbg_tensor *x = k->in[0];
    const size_t inner = (size_t)prod(x->dims, axis + 1, x->rank) * hbg_dtype_size(x->dtype);
    const int64_t outer = prod(x->dims, 0, axis);
    const unsigned char *s = x->data;
    for (int64_t o = 0; o < outer; o++) {
        for (int j = 0; j < k->n_out; j++) {
            const size_t b = (size_t)k->out[j]->dims[axis] * inner;
            if (b) {
                memcpy((unsigned char *)k->out[j]->data + (size_t)o * b, s, b);
                s += b;
            }
        }
    }
    return HBG_OK;
}

/* ---- Slice --------------------------------------------------------------------------------- */

/* Opset 1..9: starts, ends, axes attributes. Opset 10+: inputs starts, ends, axes, steps. */
static hbg_status slice_infer(hbg_kctx *k)
{
    int64_t starts[HBG_MAX_RANK], ends[HBG_MAX_RANK], axes[HBG_MAX_RANK], steps[HBG_MAX_RANK];
    int ns = 0, ne = 0, na = 0, nst = 0, has_axes = 0, has_steps = 0, has_se = 0;
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    if (hbg_mv_opset(k) < 10) {
        if ((st = attr_or_input_ints(k, 10, "starts", 1, starts, HBG_MAX_RANK, &ns, &has_se)) ||
            (st = attr_or_input_ints(k, 10, "ends", 2, ends, HBG_MAX_RANK, &ne, &has_se)) ||
            (st = attr_or_input_ints(k, 10, "axes", 3, axes, HBG_MAX_RANK, &na, &has_axes)))
            return st;
    } else {
        if (!hbg_mv_opt_in(k, 1) || !hbg_mv_opt_in(k, 2))
            return hbg_kfail(k, HBG_E_INVALID, "inputs starts and ends are required");
        if ((st = hbg_mv_read_ints(k, 1, "starts", starts, HBG_MAX_RANK, &ns)) ||
            (st = hbg_mv_read_ints(k, 2, "ends", ends, HBG_MAX_RANK, &ne)))
            return st;
        if ((has_axes = hbg_mv_opt_in(k, 3) != NULL) &&
            (st = hbg_mv_read_ints(k, 3, "axes", axes, HBG_MAX_RANK, &na)))
            return st;
        if ((has_steps = hbg_mv_opt_in(k, 4) != NULL) &&
            (st = hbg_mv_read_ints(k, 4, "steps", steps, HBG_MAX_RANK, &nst)))
            return st;
    }
    if (ne != ns || (has_axes && na != ns) || (has_steps && nst != ns))
        return hbg_kfail(k, HBG_E_INVALID, "starts, ends, axes and steps differ in length");
    hbg_mv_view v;
    int64_t str[HBG_MAX_RANK];
    unsigned seen = 0;
    view_identity(&v, x);
    memcpy(str, v.str, sizeof str);
    for (int j = 0; j < ns; j++) {
        const int a = hbg_mv_axis(has_axes ? axes[j] : j, x->rank);
        const int64_t step = has_steps ? steps[j] : 1;
        if (a < 0 || (seen >> a) & 1u)
            return hbg_kfail(k, HBG_E_INVALID, "axis %lld is out of range or repeated",
                             (long long)(has_axes ? axes[j] : j));
        const int64_t d = x->dims[a];
        if (step == 0)
            return hbg_kfail(k, HBG_E_INVALID, "step on axis %d is 0", a);
        seen |= 1u << a;
        int64_t s = starts[j], e = ends[j], cnt;
        s = s < 0 ? s + d : s;
        e = e < 0 ? e + d : e;
        if (step > 0) {
            s = s < 0 ? 0 : s > d ? d : s;
            e = e < 0 ? 0 : e > d ? d : e;
            cnt = e > s ? (e - s - 1) / step + 1 : 0;
        } else {
            /* walking down: start in [0, d-1], end in [-1, d-1] (-1 means "through index 0") */
            s = s < 0 ? 0 : s > d - 1 ? d - 1 : s;
            e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
            cnt = s > e ? (s - e - 1) / -step + 1 : 0;
        }
        v.dims[a] = cnt;
        if (cnt > 0)
            v.offset += s * str[a];
        /* one element needs no stride; this also keeps a huge step from overflowing */
        v.str[a] = cnt > 1 ? step * str[a] : str[a];
    }
    int64_t out_dims[HBG_MAX_RANK];
    memcpy(out_dims, v.dims, sizeof out_dims);
    return view_finish(k, &v, x->rank, out_dims);
}

/* ---- Reshape, Flatten, Squeeze, Unsqueeze --------------------------------------------------- */

static hbg_status reshape_infer(hbg_kctx *k)
{
    int64_t shape[HBG_MAX_RANK];
    int n = 0, present = 0, neg = -1;
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    if ((st = attr_or_input_ints(k, 5, "shape", 1, shape, HBG_MAX_RANK, &n, &present)) != HBG_OK)
        return st;
    if (!present)
        return hbg_kfail(k, HBG_E_INVALID, "the target shape is missing");
    const int allowzero = hbg_attr_int(k->node, "allowzero", 0) != 0;
    int64_t known = 1, total = hbg_tensor_numel(x);
    for (int i = 0; i < n; i++) {
        if (shape[i] == -1) {
            if (neg >= 0)
                return hbg_kfail(k, HBG_E_INVALID, "shape has more than one -1");
            neg = i;
            continue;
        }
        if (shape[i] == 0 && !allowzero) {
            if (i >= x->rank)
                return hbg_kfail(k, HBG_E_SHAPE,
                                 "shape[%d] = 0 copies a dimension the rank-%d input lacks", i,
                                 x->rank);
            shape[i] = x->dims[i];
        }
        if (shape[i] < 0 || shape[i] > HBG_MV_LIMIT)
            return hbg_kfail(k, HBG_E_INVALID, "shape[%d] = %lld is invalid", i,
                             (long long)shape[i]);
        /* known stays <= HBG_MV_LIMIT, or 0, so the product cannot overflow */
        if ((known *= shape[i]) > HBG_MV_LIMIT)
            return hbg_kfail(k, HBG_E_SHAPE, "shape has more elements than the input");
    }
    if (neg >= 0) {
        if (known == 0 || total % known)
            return hbg_kfail(k, HBG_E_SHAPE,
                             "cannot infer the -1 dimension: %lld elements into parts of %lld",
                             (long long)total, (long long)known);
        shape[neg] = total / known;
        known = total;
    }
    if (known != total) {
        char buf[96];
        return hbg_kfail(k, HBG_E_SHAPE, "cannot reshape %s (%lld elements) to %lld elements",
                         hbg_shape_str(x, buf, sizeof buf), (long long)total, (long long)known);
    }
    return set_out(k, 0, x->dtype, n, shape);
}

static hbg_status flatten_infer(hbg_kctx *k)
{
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    int64_t a = hbg_attr_int(k->node, "axis", 1);
    if (a < -x->rank || a > x->rank)
        return hbg_kfail(k, HBG_E_INVALID, "axis %lld out of range for rank %d", (long long)a,
                         x->rank);
    int axis = (int)(a < 0 ? a + x->rank : a);
    int64_t dims[2] = {prod(x->dims, 0, axis), prod(x->dims, axis, x->rank)};
    return set_out(k, 0, x->dtype, 2, dims);
}

static hbg_status squeeze_infer(hbg_kctx *k)
{
    int64_t axes[HBG_MAX_RANK], dims[HBG_MAX_RANK];
    int n = 0, present = 0, rank = 0;
    unsigned drop = 0;
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    if ((st = attr_or_input_ints(k, 13, "axes", 1, axes, HBG_MAX_RANK, &n, &present)) != HBG_OK)
        return st;
    if (!present) {
        for (int a = 0; a < x->rank; a++)
            if (x->dims[a] == 1)
                drop |= 1u << a;
    }
    for (int j = 0; j < n; j++) {
        int a = hbg_mv_axis(axes[j], x->rank);
        if (a < 0 || (drop >> a) & 1u)
            return hbg_kfail(k, HBG_E_INVALID, "axis %lld is out of range or repeated",
                             (long long)axes[j]);
        if (x->dims[a] != 1)
            return hbg_kfail(k, HBG_E_SHAPE, "cannot squeeze axis %d of size %lld", a,
                             (long long)x->dims[a]);
        drop |= 1u << a;
    }
    for (int a = 0; a < x->rank; a++)
        if (!((drop >> a) & 1u))
            dims[rank++] = x->dims[a];
    return set_out(k, 0, x->dtype, rank, dims);
}

static hbg_status unsqueeze_infer(hbg_kctx *k)
{
    int64_t axes[HBG_MAX_RANK], dims[HBG_MAX_RANK];
    int n = 0, present = 0;
    unsigned ins = 0;
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    if ((st = attr_or_input_ints(k, 13, "axes", 1, axes, HBG_MAX_RANK, &n, &present)) != HBG_OK)
        return st;
    if (!present)
        return hbg_kfail(k, HBG_E_INVALID, "axes are required");
    const int rank = x->rank + n;
    if (rank > HBG_MAX_RANK)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "output rank %d exceeds %d", rank, HBG_MAX_RANK);
    for (int j = 0; j < n; j++) {
        int a = hbg_mv_axis(axes[j], rank);
        if (a < 0 || (ins >> a) & 1u)
            return hbg_kfail(k, HBG_E_INVALID, "axis %lld is out of range or repeated",
                             (long long)axes[j]);
        ins |= 1u << a;
    }
    for (int a = 0, i = 0; a < rank; a++)
        dims[a] = (ins >> a) & 1u ? 1 : x->dims[i++];
    return set_out(k, 0, x->dtype, rank, dims);
}

/* ---- Transpose, Expand, Tile ---------------------------------------------------------------- */

static hbg_status transpose_infer(hbg_kctx *k)
{
    const int64_t *perm = NULL;
    int64_t dims[HBG_MAX_RANK];
    unsigned seen = 0;
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    int np = hbg_attr_ints(k->node, "perm", &perm);
    if (np >= 0 && np != x->rank)
        return hbg_kfail(k, HBG_E_INVALID, "perm has %d entries for rank %d", np, x->rank);
    hbg_mv_view v, in;
    view_identity(&in, x);
    v = in;
    for (int a = 0; a < x->rank; a++) {
        /* no perm: reverse the axes */
        int64_t p = np >= 0 ? perm[a] : x->rank - 1 - a;
        if (p < 0 || p >= x->rank || (seen >> p) & 1u)
            return hbg_kfail(k, HBG_E_INVALID, "perm is not a permutation of 0..%d", x->rank - 1);
        seen |= 1u << p;
        v.dims[a] = dims[a] = x->dims[p];
        v.str[a] = in.str[p];
    }
    return view_finish(k, &v, x->rank, dims);
}

static hbg_status expand_infer(hbg_kctx *k)
{
    int64_t shape[HBG_MAX_RANK], dims[HBG_MAX_RANK], str[HBG_MAX_RANK];
    int n = 0;
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK || (st = hbg_mv_read_ints(k, 1, "shape", shape, HBG_MAX_RANK, &n)))
        return st;
    const hbg_tensor *x = k->in[0];
    const int rank = n > x->rank ? n : x->rank;
    hbg_mv_view v;
    view_identity(&v, x);
    memcpy(str, v.str, sizeof str);
    v.nd = rank;
    /* Right-aligned broadcasting: a size-1 (or missing) input axis repeats with stride 0. */
    for (int a = 0; a < rank; a++) {
        const int ia = a - (rank - x->rank), sa = a - (rank - n);
        const int64_t xd = ia >= 0 ? x->dims[ia] : 1, sd = sa >= 0 ? shape[sa] : 1;
        if (sd < 0 || sd > HBG_MV_LIMIT)
            return hbg_kfail(k, HBG_E_INVALID, "shape[%d] = %lld is out of range", sa,
                             (long long)sd);
        if (xd != sd && xd != 1 && sd != 1)
            return hbg_kfail(k, HBG_E_SHAPE, "cannot broadcast dimension %lld to %lld on axis %d",
                             (long long)xd, (long long)sd, a);
        dims[a] = xd == 1 ? sd : xd;
        v.dims[a] = dims[a];
        v.str[a] = xd == 1 ? 0 : str[ia];
    }
    return view_finish(k, &v, rank, dims);
}

/* Output axis a of length r*d is viewed as two axes (r repeats with stride 0, d with the input
 * stride), which is exactly row-major order of the tiled output. */
static hbg_status tile_infer(hbg_kctx *k)
{
    int64_t rep[HBG_MAX_RANK], dims[HBG_MAX_RANK], str[HBG_MAX_RANK];
    int n = 0;
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK || (st = hbg_mv_read_ints(k, 1, "repeats", rep, HBG_MAX_RANK, &n)))
        return st;
    const hbg_tensor *x = k->in[0];
    if (n != x->rank)
        return hbg_kfail(k, HBG_E_INVALID, "repeats has %d values for rank %d", n, x->rank);
    hbg_mv_view v;
    view_identity(&v, x);
    memcpy(str, v.str, sizeof str);
    v.nd = 2 * x->rank;
    for (int a = 0; a < x->rank; a++) {
        if (rep[a] < 0 || rep[a] > HBG_MV_LIMIT)
            return hbg_kfail(k, HBG_E_INVALID, "repeats[%d] = %lld is out of range", a,
                             (long long)rep[a]);
        dims[a] = rep[a] * x->dims[a];
        v.dims[2 * a] = rep[a];
        v.str[2 * a] = 0;
        v.dims[2 * a + 1] = x->dims[a];
        v.str[2 * a + 1] = str[a];
    }
    return view_finish(k, &v, x->rank, dims);
}

/* ---- DepthToSpace, SpaceToDepth -------------------------------------------------------------- */

/* Both are a reshape to 6-D, a transpose and a reshape back: one view over NCHW. */
static hbg_status d2s_infer(hbg_kctx *k)
{
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    const int to_space = k->node->op == HBG_OP_DEPTHTOSPACE;
    const int64_t bs = hbg_attr_int(k->node, "blocksize", 0);
    const char *mode = hbg_attr_string(k->node, "mode", "DCR");
    if (x->rank != 4)
        return hbg_kfail(k, HBG_E_SHAPE, "input must be 4-D NCHW, not rank %d", x->rank);
    /* bs^2 times a dimension stays below 2^63 */
    if (bs < 1 || bs > 4096)
        return hbg_kfail(k, HBG_E_INVALID, "blocksize %lld must be in [1, 4096]", (long long)bs);
    const int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    int64_t dims[4];
    hbg_mv_view v;
    memset(&v, 0, sizeof v);
    v.nd = 6;
    v.es = hbg_dtype_size(x->dtype);
    if (to_space) {
        const int crd = strcmp(mode, "CRD") == 0;
        if (!crd && strcmp(mode, "DCR") != 0)
            return hbg_kfail(k, HBG_E_INVALID, "mode '%s' must be DCR or CRD", mode);
        if (C % (bs * bs))
            return hbg_kfail(k, HBG_E_SHAPE, "channels %lld not divisible by blocksize^2 %lld",
                             (long long)C, (long long)(bs * bs));
        const int64_t c = C / (bs * bs), hw = H * W;
        /* destination [N, c, H, i, W, j]; source channel (i*bs + j)*c + ch (DCR) or
         * ch*bs*bs + i*bs + j (CRD) */
        const int64_t d6[6] = {N, c, H, bs, W, bs};
        const int64_t s6[6] = {C * hw, crd ? bs * bs * hw : hw, W, crd ? bs * hw : bs * c * hw,
                               1,      crd ? hw : c * hw};
        memcpy(v.dims, d6, sizeof d6);
        memcpy(v.str, s6, sizeof s6);
        dims[0] = N, dims[1] = c, dims[2] = H * bs, dims[3] = W * bs;
    } else {
        if (C > HBG_MV_LIMIT / (bs * bs))
            return hbg_kfail(k, HBG_E_UNSUPPORTED, "the output would be too large");
        if (H % bs || W % bs)
            return hbg_kfail(k, HBG_E_SHAPE, "spatial size %lldx%lld not divisible by %lld",
                             (long long)H, (long long)W, (long long)bs);
        /* destination [N, i, j, C, H/bs, W/bs]; source (ch, y*bs + i, x*bs + j) */
        const int64_t d6[6] = {N, bs, bs, C, H / bs, W / bs};
        const int64_t s6[6] = {C * H * W, W, 1, H * W, bs * W, bs};
        memcpy(v.dims, d6, sizeof d6);
        memcpy(v.str, s6, sizeof s6);
        dims[0] = N, dims[1] = C * bs * bs, dims[2] = H / bs, dims[3] = W / bs;
    }
    return view_finish(k, &v, 4, dims);
}

/* ---- Pad ----------------------------------------------------------------------------------- */

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE };

typedef struct pad_params {
    int mode;
    int value_input;          /* 1: the constant comes from input 2 at run time */
    hbg_mv_scalar value;      /* the constant in the element type (opset < 11 attribute) */
    int64_t pb[HBG_MAX_RANK]; /* elements added before (negative: removed) per axis */
} pad_params;

static hbg_status pad_infer(hbg_kctx *k)
{
    int64_t pads[2 * HBG_MAX_RANK], dims[HBG_MAX_RANK];
    int n = 0, present = 0;
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    const int64_t opset = hbg_mv_opset(k);
    if (opset < 2)
        st = attr_or_input_ints(k, 11, "paddings", 1, pads, 2 * HBG_MAX_RANK, &n, &present);
    else
        st = attr_or_input_ints(k, 11, "pads", 1, pads, 2 * HBG_MAX_RANK, &n, &present);
    if (st != HBG_OK)
        return st;
    if (!present || n != 2 * x->rank)
        return hbg_kfail(k, HBG_E_INVALID, "pads must have 2 * rank = %d values", 2 * x->rank);
    if (hbg_mv_opt_in(k, 3))
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "the axes input (opset 18) is not supported");
    const char *m = hbg_attr_string(k->node, "mode", "constant");
    int mode = strcmp(m, "constant") == 0  ? PAD_CONSTANT
               : strcmp(m, "reflect") == 0 ? PAD_REFLECT
               : strcmp(m, "edge") == 0    ? PAD_EDGE
                                           : -1;
    if (mode < 0)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "mode '%s' is not supported", m);
    for (int a = 0; a < x->rank; a++) {
        if (pads[a] < -HBG_MV_LIMIT || pads[a] > HBG_MV_LIMIT ||
            pads[a + x->rank] < -HBG_MV_LIMIT || pads[a + x->rank] > HBG_MV_LIMIT)
            return hbg_kfail(k, HBG_E_INVALID, "pads on axis %d are out of range", a);
        dims[a] = x->dims[a] + pads[a] + pads[a + x->rank];
        if (dims[a] < 0)
            return hbg_kfail(k, HBG_E_SHAPE, "pads remove more than the %lld elements of axis %d",
                             (long long)x->dims[a], a);
        if (mode != PAD_CONSTANT && x->dims[a] == 0 && dims[a] > 0)
            return hbg_kfail(k, HBG_E_SHAPE, "cannot %s-pad the empty axis %d", m, a);
    }
    const hbg_tensor *cv = opset >= 11 ? hbg_mv_opt_in(k, 2) : NULL;
    if (cv && (cv->dtype != x->dtype || hbg_tensor_numel(cv) != 1))
        return hbg_kfail(k, HBG_E_INVALID, "constant_value must be one %s",
                         hbg_dtype_name(x->dtype));
    if ((st = set_out(k, 0, x->dtype, x->rank, dims)) != HBG_OK)
        return st;
    pad_params *p = hbg_mv_params(k, sizeof *p);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    p->mode = mode;
    p->value_input = cv != NULL;
    if (opset < 11)
        hbg_elem_set_f64(&p->value, x->dtype, 0, (double)hbg_attr_float(k->node, "value", 0.0f));
    memcpy(p->pb, pads, (size_t)x->rank * sizeof *pads);
    return HBG_OK;
}

/* Source index for position i of an axis of length d (0 <= i < d unless padding), or -1 when the
 * position is padding in constant mode. d > 0 whenever i is out of range in reflect/edge mode. */
static int64_t pad_src(int mode, int64_t i, int64_t d)
{
    if (i >= 0 && i < d)
        return i;
    if (mode == PAD_CONSTANT)
        return -1;
    if (mode == PAD_EDGE || d == 1)
        return i < 0 ? 0 : d - 1;
    /* reflect without repeating the edge: period 2(d-1), folded back into [0, d) */
    const int64_t period = 2 * (d - 1);
    i %= period;
    i = i < 0 ? i + period : i;
    return i < d ? i : period - i;
}

static hbg_status pad_run(hbg_kctx *k)
{
    const pad_params *p = k->node->params;
    const hbg_tensor *x = k->in[0], *y = k->out[0];
    const size_t es = hbg_dtype_size(x->dtype);
    const int r = x->rank, last = r - 1;
    const unsigned char *value =
        p->value_input ? (const unsigned char *)k->in[2]->data : p->value.bytes;
    const unsigned char *src = x->data;
    unsigned char *d = y->data;
    int64_t xstr[HBG_MAX_RANK], idx[HBG_MAX_RANK] = {0};
    if (r == 0) {
        memcpy(d, src, es);
        return HBG_OK;
    }
    strides_of(x, xstr);
    const int64_t rows = prod(y->dims, 0, last), W = y->dims[last], xw = x->dims[last];
    const int64_t pb = p->pb[last];
    /* the stretch of the row that is a plain copy of the input row */
    const int64_t c0 = pb > 0 ? pb : 0, c1 = (xw + pb < W ? xw + pb : W);
    if (W == 0)
        return HBG_OK;
    for (int64_t row = 0; row < rows; row++, d += (size_t)W * es) {
        int64_t off = 0, inside = 1;
        for (int a = 0; a < last; a++) {
            int64_t s = pad_src(p->mode, idx[a] - p->pb[a], x->dims[a]);
            if (s < 0)
                inside = 0;
            off += s * xstr[a];
        }
        for (int a = last - 1; a >= 0; a--) {
            if (++idx[a] < y->dims[a])
                break;
            idx[a] = 0;
        }
        if (!inside) {
            HBG_MV_BY_SIZE(es,
                           for (int64_t i = 0; i < W; i++) memcpy(d + (size_t)i * ES, value, ES))
            continue;
        }
        const unsigned char *s = src + (size_t)off * es;
        if (c1 > c0)
            memcpy(d + (size_t)c0 * es, s + (size_t)(c0 - pb) * es, (size_t)(c1 - c0) * es);
        for (int64_t i = 0; i < W; i++) {
            if (i == c0 && c1 > c0)
                i = c1;
            if (i >= W)
                break;
            int64_t si = pad_src(p->mode, i - pb, xw);
            memcpy(d + (size_t)i * es, si < 0 ? value : s + (size_t)si * es, es);
        }
    }
    return HBG_OK;
}

/* ---- Gather -------------------------------------------------------------------------------- */

static hbg_status gather_infer(hbg_kctx *k)
{
    int64_t dims[HBG_MAX_RANK];
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK || (st = hbg_mv_need_in(k, 1)) != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0], *ix = k->in[1];
    if (ix->dtype != HBG_DT_I64 && ix->dtype != HBG_DT_I32)
        return hbg_kfail(k, HBG_E_INVALID, "indices must be int32 or int64, not %s",
                         hbg_dtype_name(ix->dtype));
    int64_t a = hbg_attr_int(k->node, "axis", 0);
    int axis = hbg_mv_axis(a, x->rank);
    if (axis < 0)
        return hbg_kfail(k, HBG_E_INVALID, "axis %lld out of range for rank %d", (long long)a,
                         x->rank);
    const int rank = x->rank - 1 + ix->rank;
    if (rank > HBG_MAX_RANK)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "output rank %d exceeds %d", rank, HBG_MAX_RANK);
    int r = 0;
    for (int i = 0; i < axis; i++)
        dims[r++] = x->dims[i];
    for (int i = 0; i < ix->rank; i++)
        dims[r++] = ix->dims[i];
    for (int i = axis + 1; i < x->rank; i++)
        dims[r++] = x->dims[i];
    if ((st = set_out(k, 0, x->dtype, rank, dims)) != HBG_OK)
        return st;
    return axis_params_set(k, axis);
}

static hbg_status gather_run(hbg_kctx *k)
{
    const int axis = ((const axis_params *)k->node->params)->axis;
    const hbg_tensor *x = k->in[0], *ix = k->in[1];
    const int64_t n = hbg_tensor_numel(ix), d = x->dims[axis], outer = prod(x->dims, 0, axis);
    const size_t inner = (size_t)prod(x->dims, axis + 1, x->rank) * hbg_dtype_size(x->dtype);
    const unsigned char *s = x->data;
    unsigned char *y = k->out[0]->data;
    /* indices are data: checked here, before anything is written */
    for (int64_t j = 0; j < n; j++) {
        int64_t i = hbg_tensor_get_int(ix, j);
        if (i < -d || i >= d)
            return hbg_kfail(k, HBG_E_INVALID,
                             "index %lld (element %lld of '%s') is out of range [-%lld, %lld)",
                             (long long)i, (long long)j, ix->name, (long long)d, (long long)d);
    }
    if (inner == 0)
        return HBG_OK;
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t j = 0; j < n; j++, y += inner) {
            int64_t i = hbg_tensor_get_int(ix, j);
            i = i < 0 ? i + d : i;
            memcpy(y, s + (size_t)(o * d + i) * inner, inner);
        }
    }
    return HBG_OK;
}

const hbg_op_impl hbg_ops_movement[] = {
    {HBG_OP_CONCAT, concat_infer, concat_run, 0},
    {HBG_OP_SPLIT, split_infer, split_run, 0},
    {HBG_OP_SLICE, slice_infer, view_run, 0},
    {HBG_OP_RESHAPE, reshape_infer, copy_run, 0},
    {HBG_OP_FLATTEN, flatten_infer, copy_run, 0},
    {HBG_OP_TRANSPOSE, transpose_infer, view_run, 0},
    {HBG_OP_SQUEEZE, squeeze_infer, copy_run, 0},
    {HBG_OP_UNSQUEEZE, unsqueeze_infer, copy_run, 0},
    {HBG_OP_EXPAND, expand_infer, view_run, 0},
    {HBG_OP_TILE, tile_infer, view_run, 0},
    {HBG_OP_PAD, pad_infer, pad_run, 0},
    {HBG_OP_RESIZE, hbg_resize_infer, hbg_resize_run, 0},
    {HBG_OP_UPSAMPLE, hbg_upsample_infer, hbg_resize_run, 0},
    {HBG_OP_DEPTHTOSPACE, d2s_infer, view_run, 0},
    {HBG_OP_SPACETODEPTH, d2s_infer, view_run, 0},
    {HBG_OP_GATHER, gather_infer, gather_run, 0},
    {HBG_OP_UNKNOWN, NULL, NULL, 0},
};
