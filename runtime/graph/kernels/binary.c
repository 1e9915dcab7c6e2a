/* Broadcasting elementwise kernels: Add Sub Mul Div Pow Mod Max Min Sum Mean, the comparisons,
 * And Or Xor, and Where.
 *
 * Every op is one inner kernel per element type (tables below, indexed by kind and hbg_dtype)
 * applied to the segments of a broadcast plan made at prepare time (broadcast.h). Variadic ops
 * (Max Min Sum Mean) fold their inputs left to right into the output: out = in0 op in1, then
 * out = out op in2, ...; Mean divides by the input count at the end. In opset 1..6 models the
 * two-input ops follow their old versions' broadcast/axis attributes (legacy_operand).
 *
 * Integer semantics (ONNX leaves them to the implementation; these are C's, made total):
 * Add/Sub/Mul/Pow wrap modulo 2^bits; Div truncates toward zero, x / 0 = 0, INT_MIN / -1 =
 * INT_MIN; Mod with fmod=0 takes the divisor's sign (Python), with fmod=1 the dividend's (C),
 * x mod 0 = 0. Max/Min propagate NaN (as numpy). Pow with mixed types computes in double and
 * converts to the base's type (saturating for integers, elem.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "broadcast.h"
#include "elem.h"
#include "hbg/kernel.h"

/* Operand layout of one inner-kernel call: V = one element per output element, S = the
 * operand's first element for the whole segment. */
enum { BC_VV = 0, BC_VS = 1, BC_SV = 2, BC_SS = 3 };

typedef void (*bin_fn)(void *y, const void *a, const void *b, int64_t n, int mode);

/* Kernel kinds: Mod splits by its fmod attribute; Sum/Mean use ADD. */
typedef enum bin_kind {
    BK_ADD,
    BK_SUB,
    BK_MUL,
    BK_DIV,
    BK_POW,
    BK_MOD,
    BK_FMOD,
    BK_MAX,
    BK_MIN,
    BK_EQ,
    BK_LT,
    BK_GT,
    BK_LE,
    BK_GE,
    BK_AND,
    BK_OR,
    BK_XOR,
    BK_COUNT
} bin_kind;

/* One kernel body for the four operand layouts. EXPR reads x0 (from a) and x1 (from b). */
#define DEF_BIN(name, TA, TY, EXPR)                                                                \
    static void name(void *yv, const void *av, const void *bv, int64_t n, int mode)                \
    {                                                                                              \
        TY *y = yv;                                                                                \
        const TA *a = av, *b = bv;                                                                 \
        switch (mode) {                                                                            \
        case BC_VV:                                                                                \
            for (int64_t i = 0; i < n; i++) {                                                      \
                TA x0 = a[i], x1 = b[i];                                                           \
                y[i] = (TY)(EXPR);                                                                 \
            }                                                                                      \
            break;                                                                                 \
        case BC_VS: {                                                                              \
            const TA x1 = b[0];                                                                    \
            for (int64_t i = 0; i < n; i++) {                                                      \
                TA x0 = a[i];                                                                      \
                y[i] = (TY)(EXPR);                                                                 \
            }                                                                                      \
            break;                                                                                 \
        }                                                                                          \
        case BC_SV: {                                                                              \
            const TA x0 = a[0];                                                                    \
            for (int64_t i = 0; i < n; i++) {                                                      \
                TA x1 = b[i];                                                                      \
                y[i] = (TY)(EXPR);                                                                 \
            }                                                                                      \
            break;                                                                                 \
        }                                                                                          \
        default: {                                                                                 \
            const TA x0 = a[0], x1 = b[0];                                                         \
            const TY v = (TY)(EXPR);                                                               \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i] = v;                                                                          \
            break;                                                                                 \
        }                                                                                          \
        }                                                                                          \
    }

/* Wrapping integer arithmetic through the unsigned type (signed overflow is undefined in C). */
#define WRAP(T, UT, x, op, y) ((T)(UT)((UT)(x)op(UT)(y)))

/* Integer division and remainder made total (see the file comment). */
#define DEF_IDIV(T, MIN)                                                                           \
    static inline T idiv_##T(T a, T b)                                                             \
    {                                                                                              \
        return b == 0 ? 0 : (b == -1 && a == MIN) ? a : (T)(a / b);                                \
    }                                                                                              \
    static inline T irem_##T(T a, T b)                                                             \
    {                                                                                              \
        return (b == 0 || b == -1) ? 0 : (T)(a % b);                                               \
    }                                                                                              \
    static inline T imod_##T(T a, T b)                                                             \
    {                                                                                              \
        T r = irem_##T(a, b);                                                                      \
        return (r != 0 && ((r < 0) != (b < 0))) ? (T)(r + b) : r;                                  \
    }
DEF_IDIV(int8_t, INT8_MIN)
DEF_IDIV(int32_t, INT32_MIN)
DEF_IDIV(int64_t, INT64_MIN)

static inline uint8_t udiv_u8(uint8_t a, uint8_t b)
{
    return b == 0 ? 0 : (uint8_t)(a / b);
}
static inline uint8_t urem_u8(uint8_t a, uint8_t b)
{
    return b == 0 ? 0 : (uint8_t)(a % b);
}

/* Integer power by squaring, wrapping modulo 2^64 (narrower types wrap consistently when the
 * result is truncated). Negative exponents give the C truncation of the real result. */
static int64_t ipow(int64_t base, int64_t e)
{
    if (e < 0)
        return base == 1 ? 1 : base == -1 ? ((e & 1) ? -1 : 1) : 0;
    uint64_t r = 1, b = (uint64_t)base, u = (uint64_t)e;
    while (u) {
        if (u & 1)
            r *= b;
        b *= b;
        u >>= 1;
    }
    return (int64_t)r;
}

/* NaN-propagating max/min for floats (numpy's maximum/minimum); plain for integers. */
#define FMAX(x0, x1) (((x0) > (x1) || (x0) != (x0)) ? (x0) : (x1))
#define FMIN(x0, x1) (((x0) < (x1) || (x0) != (x0)) ? (x0) : (x1))
#define IMAX(x0, x1) ((x0) > (x1) ? (x0) : (x1))
#define IMIN(x0, x1) ((x0) < (x1) ? (x0) : (x1))

/* Arithmetic: floats */
DEF_BIN(add_f32, float, float, x0 + x1)
DEF_BIN(add_f64, double, double, x0 + x1)
DEF_BIN(sub_f32, float, float, x0 - x1)
DEF_BIN(sub_f64, double, double, x0 - x1)
DEF_BIN(mul_f32, float, float, x0 *x1)
DEF_BIN(mul_f64, double, double, x0 *x1)
DEF_BIN(div_f32, float, float, x0 / x1)
DEF_BIN(div_f64, double, double, x0 / x1)
DEF_BIN(pow_f32, float, float, powf(x0, x1))
DEF_BIN(pow_f64, double, double, pow(x0, x1))
DEF_BIN(fmod_f32, float, float, fmodf(x0, x1))
DEF_BIN(fmod_f64, double, double, fmod(x0, x1))
DEF_BIN(max_f32, float, float, FMAX(x0, x1))
DEF_BIN(max_f64, double, double, FMAX(x0, x1))
DEF_BIN(min_f32, float, float, FMIN(x0, x1))
DEF_BIN(min_f64, double, double, FMIN(x0, x1))

/* Arithmetic: integers (8-bit operands promote to int, so only the store truncates) */
DEF_BIN(add_i8, int8_t, int8_t, x0 + x1)
DEF_BIN(add_u8, uint8_t, uint8_t, x0 + x1)
DEF_BIN(add_i32, int32_t, int32_t, WRAP(int32_t, uint32_t, x0, +, x1))
DEF_BIN(add_i64, int64_t, int64_t, WRAP(int64_t, uint64_t, x0, +, x1))
DEF_BIN(sub_i8, int8_t, int8_t, x0 - x1)
DEF_BIN(sub_u8, uint8_t, uint8_t, x0 - x1)
DEF_BIN(sub_i32, int32_t, int32_t, WRAP(int32_t, uint32_t, x0, -, x1))
DEF_BIN(sub_i64, int64_t, int64_t, WRAP(int64_t, uint64_t, x0, -, x1))
DEF_BIN(mul_i8, int8_t, int8_t, x0 *x1)
DEF_BIN(mul_u8, uint8_t, uint8_t, x0 *x1)
DEF_BIN(mul_i32, int32_t, int32_t, WRAP(int32_t, uint32_t, x0, *, x1))
DEF_BIN(mul_i64, int64_t, int64_t, WRAP(int64_t, uint64_t, x0, *, x1))
DEF_BIN(div_i8, int8_t, int8_t, idiv_int8_t(x0, x1))
DEF_BIN(div_u8, uint8_t, uint8_t, udiv_u8(x0, x1))
DEF_BIN(div_i32, int32_t, int32_t, idiv_int32_t(x0, x1))
DEF_BIN(div_i64, int64_t, int64_t, idiv_int64_t(x0, x1))
DEF_BIN(pow_i8, int8_t, int8_t, ipow(x0, x1))
DEF_BIN(pow_u8, uint8_t, uint8_t, ipow(x0, x1))
DEF_BIN(pow_i32, int32_t, int32_t, ipow(x0, x1))
DEF_BIN(pow_i64, int64_t, int64_t, ipow(x0, x1))
DEF_BIN(mod_i8, int8_t, int8_t, imod_int8_t(x0, x1))
DEF_BIN(mod_u8, uint8_t, uint8_t, urem_u8(x0, x1))
DEF_BIN(mod_i32, int32_t, int32_t, imod_int32_t(x0, x1))
DEF_BIN(mod_i64, int64_t, int64_t, imod_int64_t(x0, x1))
DEF_BIN(fmod_i8, int8_t, int8_t, irem_int8_t(x0, x1))
DEF_BIN(fmod_u8, uint8_t, uint8_t, urem_u8(x0, x1))
DEF_BIN(fmod_i32, int32_t, int32_t, irem_int32_t(x0, x1))
DEF_BIN(fmod_i64, int64_t, int64_t, irem_int64_t(x0, x1))
DEF_BIN(max_i8, int8_t, int8_t, IMAX(x0, x1))
DEF_BIN(max_u8, uint8_t, uint8_t, IMAX(x0, x1))
DEF_BIN(max_i32, int32_t, int32_t, IMAX(x0, x1))
DEF_BIN(max_i64, int64_t, int64_t, IMAX(x0, x1))
DEF_BIN(min_i8, int8_t, int8_t, IMIN(x0, x1))
DEF_BIN(min_u8, uint8_t, uint8_t, IMIN(x0, x1))
DEF_BIN(min_i32, int32_t, int32_t, IMIN(x0, x1))
DEF_BIN(min_i64, int64_t, int64_t, IMIN(x0, x1))

/* Comparisons (bool output) for every type; bool compares as 0/1 bytes. */
#define DEF_CMP(T, sfx)                                                                            \
    DEF_BIN(eq_##sfx, T, uint8_t, x0 == x1)                                                        \
    DEF_BIN(lt_##sfx, T, uint8_t, x0 < x1)                                                         \
    DEF_BIN(gt_##sfx, T, uint8_t, x0 > x1)                                                         \
    DEF_BIN(le_##sfx, T, uint8_t, x0 <= x1)                                                        \
    DEF_BIN(ge_##sfx, T, uint8_t, x0 >= x1)
DEF_CMP(float, f32)
DEF_CMP(double, f64)
DEF_CMP(int8_t, i8)
DEF_CMP(uint8_t, u8)
DEF_CMP(int32_t, i32)
DEF_CMP(int64_t, i64)

/* Logic on bool bytes (0 or 1) */
DEF_BIN(and_b, uint8_t, uint8_t, x0 &x1)
DEF_BIN(or_b, uint8_t, uint8_t, x0 | x1)
DEF_BIN(xor_b, uint8_t, uint8_t, x0 ^ x1)

#define ROW_FLOAT(k) [HBG_DT_F32] = k##_f32, [HBG_DT_F64] = k##_f64
#define ROW_INT(k)                                                                                 \
    [HBG_DT_I8] = k##_i8, [HBG_DT_U8] = k##_u8, [HBG_DT_I32] = k##_i32, [HBG_DT_I64] = k##_i64
#define ROW_NUM(k) ROW_FLOAT(k), ROW_INT(k)

/* NULL: the op does not support the type. */
static const bin_fn k_bin[BK_COUNT][HBG_DT_SLOTS] = {
    [BK_ADD] = {ROW_NUM(add)},
    [BK_SUB] = {ROW_NUM(sub)},
    [BK_MUL] = {ROW_NUM(mul)},
    [BK_DIV] = {ROW_NUM(div)},
    [BK_POW] = {ROW_NUM(pow)},
    [BK_MOD] = {ROW_INT(mod)}, /* float Mod requires fmod=1 (ONNX) */
    [BK_FMOD] = {ROW_NUM(fmod)},
    [BK_MAX] = {ROW_NUM(max)},
    [BK_MIN] = {ROW_NUM(min)},
    [BK_EQ] = {ROW_NUM(eq), [HBG_DT_BOOL] = eq_u8},
    [BK_LT] = {ROW_NUM(lt)},
    [BK_GT] = {ROW_NUM(gt)},
    [BK_LE] = {ROW_NUM(le)},
    [BK_GE] = {ROW_NUM(ge)},
    [BK_AND] = {[HBG_DT_BOOL] = and_b},
    [BK_OR] = {[HBG_DT_BOOL] = or_b},
    [BK_XOR] = {[HBG_DT_BOOL] = xor_b},
};

typedef struct bin_info {
    unsigned char kind;     /* bin_kind (Mod: BK_MOD, switched to BK_FMOD by the attribute) */
    unsigned char variadic; /* 1..N inputs instead of exactly 2 */
    unsigned char bool_out; /* output is bool whatever the input type */
    unsigned char floats;   /* float types only (Mean) */
} bin_info;

/* Indexed by op; kind is meaningful only for the ops registered in hbg_ops_binary. */
static const bin_info k_info[HBG_OP_COUNT] = {
    [HBG_OP_ADD] = {BK_ADD, 0, 0, 0},
    [HBG_OP_SUB] = {BK_SUB, 0, 0, 0},
    [HBG_OP_MUL] = {BK_MUL, 0, 0, 0},
    [HBG_OP_DIV] = {BK_DIV, 0, 0, 0},
    [HBG_OP_POW] = {BK_POW, 0, 0, 0},
    [HBG_OP_MOD] = {BK_MOD, 0, 0, 0},
    [HBG_OP_MAX] = {BK_MAX, 1, 0, 0},
    [HBG_OP_MIN] = {BK_MIN, 1, 0, 0},
    [HBG_OP_SUM] = {BK_ADD, 1, 0, 0},
    [HBG_OP_MEAN] = {BK_ADD, 1, 0, 1},
    [HBG_OP_EQUAL] = {BK_EQ, 0, 1, 0},
    [HBG_OP_LESS] = {BK_LT, 0, 1, 0},
    [HBG_OP_GREATER] = {BK_GT, 0, 1, 0},
    [HBG_OP_LESSOREQUAL] = {BK_LE, 0, 1, 0},
    [HBG_OP_GREATEROREQUAL] = {BK_GE, 0, 1, 0},
    [HBG_OP_AND] = {BK_AND, 0, 1, 0},
    [HBG_OP_OR] = {BK_OR, 0, 1, 0},
    [HBG_OP_XOR] = {BK_XOR, 0, 1, 0},
};

/* node->params of a binary/variadic op: one plan per fold step. Step 0 reads in[0] and in[1],
 * step j >= 1 reads the output and in[j + 1]. A single-input variadic op has no steps (copy). */
typedef struct bin_params {
    bin_fn fn; /* NULL: Pow with mixed types, computed through double */
    int n_steps;
    hbg_bcast plan[]; /* n_steps entries */
} bin_params;

static bin_fn kernel_for(bin_kind kind, hbg_dtype dt)
{
    return (unsigned)dt < HBG_DT_SLOTS ? k_bin[kind][dt] : NULL;
}

/* Replace the node's params (a re-prepared node may still hold the previous ones). */
static void set_params(hbg_kctx *k, void *p)
{
    free(k->node->params);
    k->node->params = p;
}

static hbg_status check_known(hbg_kctx *k, int i)
{
    if (i >= k->n_in || !k->in[i])
        return hbg_kfail(k, HBG_E_INVALID, "input %d is missing", i);
    if (k->in[i]->rank < 0)
        return hbg_kfail(k, HBG_E_SHAPE, "input %d ('%s') has an unknown shape", i, k->in[i]->name);
    return HBG_OK;
}

/* Add-6, Pow-1, Equal-1 and the other two-input ops of opset 1..6 broadcast B to A only with
 * the attribute broadcast = 1, B's dims matching A's from dim `axis` on (default: A's trailing
 * dims). Seen with trailing 1s appended, B then broadcasts numpy-style to exactly A's shape:
 * *bv is that view of in[1]. */
static hbg_status legacy_operand(hbg_kctx *k, int64_t opset, hbg_tensor *bv)
{
    const hbg_tensor *a = k->in[0], *b = k->in[1];
    char sa[96], sb[96];
    *bv = *b;
    if (hbg_attr_int(k->node, "broadcast", 0) == 0) {
        if (a->rank == b->rank &&
            memcmp(a->dims, b->dims, (size_t)a->rank * sizeof a->dims[0]) == 0)
            return HBG_OK;
        return hbg_kfail(k, HBG_E_SHAPE, "shapes %s and %s differ and broadcast = 0 (opset %lld)",
                         hbg_shape_str(a, sa, sizeof sa), hbg_shape_str(b, sb, sizeof sb),
                         (long long)opset);
    }
    int64_t axis = hbg_attr_int(k->node, "axis", a->rank - b->rank);
    if (b->rank > a->rank || axis < 0 || axis > a->rank - b->rank)
        return hbg_kfail(k, HBG_E_SHAPE, "axis %lld does not place B (%s) within A (%s)",
                         (long long)axis, hbg_shape_str(b, sb, sizeof sb),
                         hbg_shape_str(a, sa, sizeof sa));
    bv->rank = a->rank - (int)axis;
    for (int d = b->rank; d < bv->rank; d++)
        bv->dims[d] = 1;
    return HBG_OK;
}

static hbg_status binary_infer(hbg_kctx *k)
{
    const bin_info *bi = &k_info[k->node->op];
    hbg_status st;
    int n = k->n_in;
    if (bi->variadic ? n < 1 : n != 2)
        return hbg_kfail(k, HBG_E_INVALID, "expects %s inputs, has %d",
                         bi->variadic ? "at least 1" : "2", n);
    for (int i = 0; i < n; i++)
        if ((st = check_known(k, i)) != HBG_OK)
            return st;
    hbg_dtype dt = k->in[0]->dtype;
    bin_kind kind = (bin_kind)bi->kind;
    if (kind == BK_MOD && hbg_attr_int(k->node, "fmod", 0) != 0)
        kind = BK_FMOD;
    for (int i = 1; i < n; i++) {
        /* Pow (opset 12+) takes an exponent of another numeric type */
        if (kind == BK_POW || k->in[i]->dtype == dt)
            continue;
        return hbg_kfail(k, HBG_E_INVALID, "input types %s and %s differ", hbg_dtype_name(dt),
                         hbg_dtype_name(k->in[i]->dtype));
    }
    int mixed = kind == BK_POW && k->in[1]->dtype != dt;
    int is_float = dt == HBG_DT_F32 || dt == HBG_DT_F64;
    if (kind == BK_MOD && is_float)
        return hbg_kfail(k, HBG_E_INVALID, "floating-point Mod needs the attribute fmod=1");
    if (!kernel_for(kind, dt) || (bi->floats && !is_float) ||
        (mixed && (dt == HBG_DT_BOOL || !kernel_for(kind, k->in[1]->dtype))))
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "element type %s%s%s is not supported",
                         hbg_dtype_name(dt), mixed ? " with exponent type " : "",
                         mixed ? hbg_dtype_name(k->in[1]->dtype) : "");
    hbg_tensor bview;
    const hbg_tensor *const *ins = (const hbg_tensor *const *)k->in;
    const hbg_tensor *legacy_ins[2];
    const int64_t opset = hbg_graph_opset(k->g, "");
    if (!bi->variadic && opset >= 1 && opset < 7) {
        if ((st = legacy_operand(k, opset, &bview)) != HBG_OK)
            return st;
        legacy_ins[0] = k->in[0];
        legacy_ins[1] = &bview;
        ins = legacy_ins;
    }
    int rank;
    int64_t dims[HBG_MAX_RANK];
    if ((st = hbg_bcast_shape(k, n, ins, &rank, dims)) != HBG_OK)
        return st;
    if (ins == legacy_ins &&
        (rank != k->in[0]->rank || memcmp(dims, k->in[0]->dims, (size_t)rank * sizeof dims[0])))
        return hbg_kfail(k, HBG_E_SHAPE, "B does not broadcast to A's shape (opset %lld)",
                         (long long)opset);
    if ((st = hbg_tensor_set_shape(k->out[0], bi->bool_out ? HBG_DT_BOOL : dt, rank, dims)) !=
        HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    int n_steps = n - 1;
    bin_params *p = malloc(sizeof *p + (size_t)n_steps * sizeof p->plan[0]);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    p->fn = mixed ? NULL : k_bin[kind][dt];
    p->n_steps = n_steps;
    for (int j = 0; j < n_steps; j++) {
        const hbg_tensor *ops[2] = {j == 0 ? ins[0] : k->out[0], ins[j + 1]};
        hbg_bcast_plan(&p->plan[j], rank, dims, 2, ops);
    }
    set_params(k, p);
    return HBG_OK;
}

typedef struct bin_ctx {
    bin_fn fn;
    char *y;
    const char *a, *b;
    size_t ys, as, bs;         /* element sizes in bytes */
    const hbg_tensor *ta, *tb; /* the operands, for the mixed-type Pow path */
    hbg_dtype ydt;
} bin_ctx;

static void bin_seg(void *vctx, int64_t out_off, const int64_t *off, const int *step, int64_t n)
{
    const bin_ctx *c = vctx;
    int mode = (step[0] ? 0 : BC_SV) | (step[1] ? 0 : BC_VS);
    c->fn(c->y + (size_t)out_off * c->ys, c->a + (size_t)off[0] * c->as,
          c->b + (size_t)off[1] * c->bs, n, mode);
}

/* Pow with an exponent of another type: through double, stored with elem.h's conversion. */
static void pow_mixed_seg(void *vctx, int64_t out_off, const int64_t *off, const int *step,
                          int64_t n)
{
    const bin_ctx *c = vctx;
    for (int64_t i = 0; i < n; i++) {
        double x = hbg_tensor_get_double(c->ta, off[0] + i * step[0]);
        double e = hbg_tensor_get_double(c->tb, off[1] + i * step[1]);
        hbg_elem_set_f64(c->y, c->ydt, out_off + i, pow(x, e));
    }
}

static hbg_status binary_run(hbg_kctx *k)
{
    const bin_params *p = k->node->params;
    hbg_tensor *out = k->out[0];
    bin_ctx c = {.fn = p->fn, .y = out->data, .ys = hbg_dtype_size(out->dtype), .ydt = out->dtype};
    if (p->n_steps == 0) { /* single-input Max/Min/Sum/Mean: identity */
        size_t nb = (size_t)hbg_tensor_nbytes(out);
        if (nb)
            memcpy(out->data, k->in[0]->data, nb);
        return HBG_OK;
    }
    for (int j = 0; j < p->n_steps; j++) {
        c.ta = j == 0 ? k->in[0] : out;
        c.tb = k->in[j + 1];
        c.a = c.ta->data;
        c.b = c.tb->data;
        c.as = hbg_dtype_size(c.ta->dtype);
        c.bs = hbg_dtype_size(c.tb->dtype);
        hbg_bcast_for_each(&p->plan[j], p->fn ? bin_seg : pow_mixed_seg, &c);
    }
    if (k->node->op == HBG_OP_MEAN) {
        int64_t n = hbg_tensor_numel(out);
        if (out->dtype == HBG_DT_F32) {
            float *y = out->data, d = (float)k->n_in;
            for (int64_t i = 0; i < n; i++)
                y[i] /= d;
        } else {
            double *y = out->data, d = (double)k->n_in;
            for (int64_t i = 0; i < n; i++)
                y[i] /= d;
        }
    }
    return HBG_OK;
}

/* Where(cond, x, y): elements are copied by size, so one kernel serves every type. */
typedef struct where_params {
    hbg_bcast plan;
} where_params;

static hbg_status where_infer(hbg_kctx *k)
{
    hbg_status st;
    if (k->n_in != 3)
        return hbg_kfail(k, HBG_E_INVALID, "expects 3 inputs, has %d", k->n_in);
    for (int i = 0; i < 3; i++)
        if ((st = check_known(k, i)) != HBG_OK)
            return st;
    if (k->in[0]->dtype != HBG_DT_BOOL)
        return hbg_kfail(k, HBG_E_INVALID, "condition must be bool, not %s",
                         hbg_dtype_name(k->in[0]->dtype));
    hbg_dtype dt = k->in[1]->dtype;
    if (k->in[2]->dtype != dt)
        return hbg_kfail(k, HBG_E_INVALID, "input types %s and %s differ", hbg_dtype_name(dt),
                         hbg_dtype_name(k->in[2]->dtype));
    size_t es = hbg_dtype_size(dt);
    if (es != 1 && es != 4 && es != 8)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "element type %s is not supported",
                         hbg_dtype_name(dt));
    int rank;
    int64_t dims[HBG_MAX_RANK];
    if ((st = hbg_bcast_shape(k, 3, (const hbg_tensor *const *)k->in, &rank, dims)) != HBG_OK)
        return st;
    if ((st = hbg_tensor_set_shape(k->out[0], dt, rank, dims)) != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    where_params *p = malloc(sizeof *p);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    hbg_bcast_plan(&p->plan, rank, dims, 3, (const hbg_tensor *const *)k->in);
    set_params(k, p);
    return HBG_OK;
}

typedef struct where_ctx {
    const uint8_t *c;
    const void *x, *y;
    void *out;
    size_t es;
} where_ctx;

#define WHERE_LOOP(T)                                                                              \
    do {                                                                                           \
        const T *xs = (const T *)w->x + off[1], *ys = (const T *)w->y + off[2];                    \
        T *o = (T *)w->out + out_off;                                                              \
        for (int64_t i = 0; i < n; i++)                                                            \
            o[i] = c[i * sc] ? xs[i * sx] : ys[i * sy];                                            \
    } while (0)

static void where_seg(void *vctx, int64_t out_off, const int64_t *off, const int *step, int64_t n)
{
    const where_ctx *w = vctx;
    const uint8_t *c = w->c + off[0];
    int64_t sc = step[0], sx = step[1], sy = step[2];
    switch (w->es) {
    case 1:
        WHERE_LOOP(uint8_t);
        break;
    case 4:
        WHERE_LOOP(uint32_t);
        break;
    default:
        WHERE_LOOP(uint64_t);
        break;
    }
}

static hbg_status where_run(hbg_kctx *k)
{
    const where_params *p = k->node->params;
    where_ctx w = {k->in[0]->data, k->in[1]->data, k->in[2]->data, k->out[0]->data,
                   hbg_dtype_size(k->out[0]->dtype)};
    hbg_bcast_for_each(&p->plan, where_seg, &w);
    return HBG_OK;
}

const hbg_op_impl hbg_ops_binary[] = {
    {HBG_OP_ADD, binary_infer, binary_run, 0},
    {HBG_OP_SUB, binary_infer, binary_run, 0},
    {HBG_OP_MUL, binary_infer, binary_run, 0},
    {HBG_OP_DIV, binary_infer, binary_run, 0},
    {HBG_OP_POW, binary_infer, binary_run, 0},
    {HBG_OP_MOD, binary_infer, binary_run, 0},
    {HBG_OP_MAX, binary_infer, binary_run, 0},
    {HBG_OP_MIN, binary_infer, binary_run, 0},
    {HBG_OP_SUM, binary_infer, binary_run, 0},
    {HBG_OP_MEAN, binary_infer, binary_run, 0},
    {HBG_OP_EQUAL, binary_infer, binary_run, 0},
    {HBG_OP_LESS, binary_infer, binary_run, 0},
    {HBG_OP_GREATER, binary_infer, binary_run, 0},
    {HBG_OP_LESSOREQUAL, binary_infer, binary_run, 0},
    {HBG_OP_GREATEROREQUAL, binary_infer, binary_run, 0},
    {HBG_OP_AND, binary_infer, binary_run, 0},
    {HBG_OP_OR, binary_infer, binary_run, 0},
    {HBG_OP_XOR, binary_infer, binary_run, 0},
    {HBG_OP_WHERE, where_infer, where_run, 0},
    {HBG_OP_UNKNOWN, NULL, NULL, 0},
};
