/* hbc_compile: partition into BPU subgraphs, DDR planning, lowering, encoding
 * (docs/compiler.md). */
#include <stdlib.h>
#include <string.h>

#include "compiler_priv.h"
#include "hbc/quant.h"

ck_map ck_map_for(const hbg_tensor *t, hbc_cm_layout layout)
{
    ck_map m;
    int64_t h = 1, w = 1, ch = 1;
    memset(&m, 0, sizeof m);
    if ((t->dtype != HBG_DT_I8 && t->dtype != HBG_DT_I32) || t->rank < 0)
        return m;
    if (layout == HBC_CM_NHWC) {
        if (t->rank != 4 || t->dims[0] != 1)
            return m;
        h = t->dims[2], w = t->dims[3], ch = t->dims[1];
    } else {
        for (int i = 0; i + 1 < t->rank && w <= 65535; i++)
            w = t->dims[i] >= 1 && t->dims[i] <= 65535 ? w * t->dims[i] : 0;
        ch = t->rank > 0 ? t->dims[t->rank - 1] : 1;
    }
    if (h < 1 || w < 1 || ch < 1 || h > 65535 || w > 65535 || ch > 65535)
        return m;
    m.layout = layout;
    m.elem = (uint32_t)hbg_dtype_size(t->dtype);
    m.h = (uint32_t)h, m.w = (uint32_t)w, m.c = (uint32_t)ch;
    m.px = ck_align(m.c * m.elem, 4);
    if ((uint64_t)m.px * m.w * m.h > (1u << 30)) {
        m.h = 0;
        return m;
    }
    m.row = m.w * m.px;
    m.size = m.h * m.row;
    return m;
}

/* Release what one subgraph owns and zero it. */
static void sub_free(hbc_cm_subgraph *sg)
{
    free(sg->program);
    free(sg->consts);
    free(sg->nodes);
    free(sg->insn_node);
    for (int i = 0; sg->inputs && i < sg->n_inputs; i++)
        free(sg->inputs[i].name), free(sg->inputs[i].scales);
    for (int i = 0; sg->outputs && i < sg->n_outputs; i++)
        free(sg->outputs[i].name), free(sg->outputs[i].scales);
    free(sg->inputs);
    free(sg->outputs);
    memset(sg, 0, sizeof *sg);
}

void hbc_compiled_free(hbc_compiled *cm)
{
    if (!cm)
        return;
    for (int s = 0; s < cm->n_subgraphs; s++)
        sub_free(&cm->sub[s]);
    for (int n = 0; cm->node_why && n < cm->n_nodes; n++)
        free(cm->node_why[n]);
    free(cm->node_why);
    free(cm->node_sub);
    free(cm->sub);
    free(cm);
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* The real scale(s) of a boundary tensor: Quantize's scale, a reading Dequantize's scales, or
 * the producer's report attributes output_scale and output_zero_point (through max and
 * data-movement producers, which keep their input's). */
static hbg_status describe_scales(const hbg_graph *g, int t, hbc_cm_tensor *d)
{
    const float *f = NULL;
    int n = 0;
    float one = 0.0f;
    int src = t;
    for (int depth = 0; depth < 64 && g->tensors[src]->producer >= 0; depth++) {
        const hbg_node *p = &g->nodes[g->tensors[src]->producer];
        if (p->domain[0] != '\0' || p->n_in < 1 || p->in[0] < 0 || !hbc_calib_passes_sign(p->op))
            break;
        src = p->in[0];
    }
    if (g->tensors[src]->producer >= 0) {
        const hbg_node *p = &g->nodes[g->tensors[src]->producer];
        if (!strcmp(p->domain, HBC_QUANT_DOMAIN) &&
            hbc_qop_from_name(p->op_type) == HBC_QOP_QUANTIZE)
            one = hbg_attr_float(p, "scale", 0.0f);
        else {
            one = hbg_attr_float(p, "output_scale", 0.0f);
            d->zero_point = (int8_t)hbc_quant_zero_point(g, t);
        }
        if (one > 0.0f)
            f = &one, n = 1;
    }
    for (int i = 0; !f && i < g->n_nodes; i++) {
        const hbg_node *u = &g->nodes[i];
        if (u->n_in > 0 && u->in[0] == t && !strcmp(u->domain, HBC_QUANT_DOMAIN) &&
            hbc_qop_from_name(u->op_type) == HBC_QOP_DEQUANTIZE)
            n = hbg_attr_floats(u, "scales", &f);
    }
    if (!f || n <= 0)
        return HBG_OK;
    d->scales = malloc((size_t)n * sizeof *d->scales);
    if (!d->scales)
        return HBG_E_NOMEM;
    memcpy(d->scales, f, (size_t)n * sizeof *f);
    d->n_scales = n;
    return HBG_OK;
}

static hbg_status describe(ck_ctx *c, int t, hbc_cm_tensor *d)
{
    const hbg_tensor *tt = c->g->tensors[t];
    const ck_map *m = &c->map[t];
    memset(d, 0, sizeof *d);
    d->name = dupstr(tt->name);
    if (!d->name)
        return ck_fail(c, HBG_E_NOMEM, "out of memory");
    d->dtype = tt->dtype;
    d->rank = tt->rank;
    for (int i = 0; i < tt->rank; i++)
        d->dims[i] = tt->dims[i];
    d->layout = m->layout;
    d->h = m->h, d->w = m->w, d->c = m->c, d->elem = m->elem, d->px = m->px, d->row = m->row;
    d->seg = c->seg[t], d->offset = c->off[t], d->size = m->size;
    if (describe_scales(c->g, t, d) != HBG_OK)
        return ck_fail(c, HBG_E_NOMEM, "out of memory");
    return HBG_OK;
}

/* First-fit offset in the scratch segment for tensor t live over [def, last], against the
 * tensors already placed (placed[0..np)). */
static uint32_t first_fit(const ck_ctx *c, const int *placed, int np, const int *def,
                          const int *last, int t)
{
    uint32_t off = 0;
    int moved = 1;
    while (moved) {
        moved = 0;
        for (int i = 0; i < np; i++) {
            int u = placed[i];
            if (last[u] < def[t] || def[u] > last[t])
                continue; /* never live together */
            uint32_t a = c->off[u], b = a + ck_align(c->map[u].size, 64);
            if (off < b && a < off + ck_align(c->map[t].size, 64)) {
                off = b;
                moved = 1;
            }
        }
    }
    return off;
}

/* The SRAM window of the current node's own buffers: what the resident input (at the top or
 * the bottom of SRAM) and the resident output (on the other side) leave. */
static int set_bounds(ck_ctx *c, int in_top, uint32_t in_bytes, int out_top, uint32_t out_bytes)
{
    uint32_t lo = 0, hi = c->m->sram_bytes;
    if (in_bytes && in_top)
        hi -= in_bytes;
    else
        lo += in_bytes;
    if (out_bytes && out_top)
        hi = hi > out_bytes ? hi - out_bytes : 0;
    else
        lo += out_bytes;
    c->sram_lo = lo;
    c->sram_hi = hi > lo ? hi : lo;
    return hi > lo;
}

/* Bytes a resident map occupies (with the slack SIMD kernels may read past it). */
static uint32_t res_bytes(const ck_ctx *c, int t)
{
    return ck_align(c->map[t].size + 64, 64);
}

static int node_reads(const hbg_node *nd, int t)
{
    for (int k = 0; k < nd->n_in; k++)
        if (nd->in[k] == t)
            return 1;
    return 0;
}

/* What one lowered node leaves for the hoisting of the next node's constants: the SRAM ranges
 * it touches (bump and top allocations, resident maps) and its own hoistable LOADs. */
typedef struct ck_use {
    uint32_t lo[4], hi[4];
    uint32_t pre_lo, pre_hi; /* SRAM of its leading constant LOADs */
    int pre_n;               /* how many there are (0: not hoistable) */
} ck_use;

static ck_use node_use(const ck_ctx *c)
{
    ck_use u;
    memset(&u, 0, sizeof u);
    u.lo[0] = c->sram_lo, u.hi[0] = c->bump_max;
    u.lo[1] = c->top_min, u.hi[1] = c->sram_hi;
    if (c->res_in >= 0)
        u.lo[2] = c->res_in_addr, u.hi[2] = c->res_in_addr + res_bytes(c, c->res_in);
    if (c->res_out >= 0)
        u.lo[3] = c->res_out_addr, u.hi[3] = c->res_out_addr + res_bytes(c, c->res_out);
    u.pre_lo = c->pre_lo, u.pre_hi = c->pre_hi, u.pre_n = c->pre_n;
    return u;
}

/* Does [lo, hi) meet any range a node touches? */
static int use_meets(const ck_use *u, uint32_t lo, uint32_t hi)
{
    for (int i = 0; i < 4; i++)
        if (u->lo[i] < u->hi[i] && lo < u->hi[i] && u->lo[i] < hi)
            return 1;
    return 0;
}

/* Reverse instructions [a, b) (with their node tags): the step of a block rotation. */
static void rev_ins(ck_ctx *c, size_t a, size_t b)
{
    while (a + 1 < b) {
        b--;
        bpu_insn t = c->ins[a];
        c->ins[a] = c->ins[b];
        c->ins[b] = t;
        int tn = c->ins_node[a];
        c->ins_node[a] = c->ins_node[b];
        c->ins_node[b] = tn;
        a++;
    }
}

/* Move the node's leading constant LOADs (cur->pre_n of them, from instruction start) to
 * position pos (a SYNC that ends an earlier node), so they run during that node's compute.
 * They lose their tokens: the SYNC at pos now orders them before every instruction of this
 * node. The caller has checked that their SRAM is free from there on. Returns how many moved
 * (0: not hoistable). */
static size_t hoist_to(ck_ctx *c, size_t start, const ck_use *cur, size_t pos)
{
    size_t n = cur->pre_n > 0 ? (size_t)cur->pre_n : 0;
    if (n == 0 || pos >= start || c->ins[pos].opcode != BPU_OP_SYNC || start + n > c->n_ins)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (c->ins[start + i].opcode != BPU_OP_LOAD)
            return 0;
    int pushed = (c->ins[start + n - 1].dep & BPU_DEP_PUSH_NEXT) != 0;
    for (size_t i = 0; i < n; i++)
        c->ins[start + i].dep = 0; /* their node tags stay: still the node they load for */
    rev_ins(c, pos, start);
    rev_ins(c, start, start + n);
    rev_ins(c, pos, start + n);
    for (size_t i = start + n; pushed && i < c->n_ins; i++)
        if (bpu_op_queue(c->ins[i].opcode) == BPU_Q_EXEC) {
            c->ins[i].dep &= (uint8_t)~BPU_DEP_POP_PREV;
            break;
        }
    return n;
}

/* The largest part of [lo, hi) that no range of u[0..n) meets (deep prefetch: where a node's
 * constants can go so that they load during the n nodes before it). */
static void free_gap(const ck_use *u, int n, uint32_t lo, uint32_t hi, uint32_t *glo, uint32_t *ghi)
{
    *glo = *ghi = lo;
    for (int i = -1; i < 4 * n; i++) { /* a gap starts at lo or where a range ends */
        uint32_t s = i < 0 ? lo : u[i / 4].hi[i % 4], e = hi;
        if (i >= 0 && (u[i / 4].lo[i % 4] >= s || s <= lo || s >= hi))
            continue;
        for (int k = 0; k < 4 * n; k++) {
            const uint32_t rlo = u[k / 4].lo[k % 4], rhi = u[k / 4].hi[k % 4];
            if (rlo >= rhi)
                continue;
            if (rlo <= s && s < rhi)
                e = s; /* inside a range: empty */
            else if (rlo > s && rlo < e)
                e = rlo;
        }
        if (e - s > *ghi - *glo)
            *glo = s, *ghi = e;
    }
}

/* Modelled cycles of the instructions so far, closed by END (the greedy choice of deep
 * prefetch compares them); UINT64_MAX when the prefix does not load. */
static uint64_t prefix_cycles(ck_ctx *c, bpu_march_id march)
{
    uint64_t cyc = UINT64_MAX;
    uint8_t *buf = malloc((c->n_ins + 1) * BPU_INSN_BYTES);
    bpu_program *bp = NULL;
    bpu_error be;
    bpu_insn end = {.opcode = BPU_OP_END};
    if (!buf)
        return cyc;
    for (size_t i = 0; i <= c->n_ins; i++)
        if (bpu_encode(i < c->n_ins ? &c->ins[i] : &end, buf + i * BPU_INSN_BYTES, NULL) != BPU_OK)
            goto out;
    if (bpu_program_load(buf, (c->n_ins + 1) * BPU_INSN_BYTES, march, &bp, &be) == BPU_OK)
        cyc = bpu_program_estimate(bp)->cycles;
out:
    bpu_program_free(bp);
    free(buf);
    return cyc;
}

/* How far back (in nodes) deep prefetch may move a node's constant LOADs. */
#define CK_DEEP_MAX 16

/* What lower_all remembers of the last CK_DEEP_MAX lowered nodes, newest first. */
typedef struct ck_hist {
    ck_use use[CK_DEEP_MAX];
    size_t sync[CK_DEEP_MAX]; /* index of the SYNC that ends each */
    int n;
} ck_hist;

/* Lower one node with fresh usage tracking. */
static hbg_status lower_one(ck_ctx *c, int n)
{
    c->bump_max = c->sram_lo;
    c->top_min = c->sram_hi;
    c->pre_n = 0;
    c->pre_lo = c->pre_hi = 0;
    return ck_lower(c, n);
}

/* Lower node (tagged c->cur_node), whose instructions start at start and constants at cb0, in
 * the window [lo, hi) and move its constant LOADs before the SYNC ending the d-th node back
 * (d = 0: no move). With d > 0 the constants must be free of the SRAM of those d nodes: the
 * node is lowered in the largest part of the window they leave, and when that fails or leaves
 * them in the way, in [lo, hi) without a move. *moved: how many LOADs moved. */
static hbg_status place_node(ck_ctx *c, int node, size_t start, size_t cb0, uint32_t lo,
                             uint32_t hi, const ck_hist *h, int d, ck_use *cur, size_t *moved)
{
    hbg_status st;
    uint32_t glo = lo, ghi = hi;
    *moved = 0;
    if (d > 0)
        free_gap(h->use, d, lo, hi, &glo, &ghi);
    c->n_ins = start, c->n_cb = cb0;
    c->sram_lo = glo, c->sram_hi = ghi;
    st = lower_one(c, node);
    *cur = node_use(c);
    if (st == HBG_OK && d > 0) {
        int ok = cur->pre_n > 0;
        for (int k = 0; k < d && ok; k++)
            ok = !use_meets(&h->use[k], cur->pre_lo, cur->pre_hi);
        if (ok)
            *moved = hoist_to(c, start, cur, h->sync[d - 1]);
    }
    if (st == HBG_E_NOMEM || (st == HBG_OK && (d == 0 || *moved)))
        goto out;
    if (c->err && c->errlen)
        c->err[0] = '\0';
    c->n_ins = start, c->n_cb = cb0;
    c->sram_lo = lo, c->sram_hi = hi;
    st = lower_one(c, node);
    *cur = node_use(c);
out:
    c->sram_lo = lo, c->sram_hi = hi;
    return st;
}

/* Deep prefetch (c->deep_prefetch): try every depth 0..h->n for the node's constant LOADs and
 * keep the one with the fewest modelled cycles of the program so far (ties: the shallowest).
 * The node has been lowered once already (instructions from start, constants from cb0). */
static hbg_status deep_place(ck_ctx *c, bpu_march_id march, int node, size_t start, size_t cb0,
                             uint32_t lo, uint32_t hi, ck_hist *h, ck_use *cur)
{
    hbg_status st = HBG_OK;
    const size_t first = h->sync[h->n - 1], keep = start - first;
    size_t moved = 0;
    bpu_insn *save = malloc(keep * sizeof *save);
    int *save_node = malloc(keep * sizeof *save_node);
    uint64_t best = UINT64_MAX;
    int best_d = 0;
    if (!save || !save_node) {
        st = ck_fail(c, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    memcpy(save, c->ins + first, keep * sizeof *save);
    memcpy(save_node, c->ins_node + first, keep * sizeof *save_node);
    for (int d = 0; d <= h->n && st == HBG_OK; d++) {
        memcpy(c->ins + first, save, keep * sizeof *save);
        memcpy(c->ins_node + first, save_node, keep * sizeof *save_node);
        st = place_node(c, node, start, cb0, lo, hi, h, d, cur, &moved);
        if (st != HBG_OK || (d > 0 && !moved))
            continue;
        uint64_t cyc = prefix_cycles(c, march);
        if (cyc <= best)
            best = cyc, best_d = d;
    }
    if (st != HBG_OK)
        goto out;
    memcpy(c->ins + first, save, keep * sizeof *save);
    memcpy(c->ins_node + first, save_node, keep * sizeof *save_node);
    st = place_node(c, node, start, cb0, lo, hi, h, best_d, cur, &moved);
    const size_t pos = best_d > 0 ? h->sync[best_d - 1] : start;
    for (int k = 0; k < h->n && moved; k++)
        if (h->sync[k] >= pos)
            h->sync[k] += moved; /* the SYNCs at or after the insertion point moved down */
out:
    free(save);
    free(save_node);
    return st;
}

/* Lower the nodes in order. With optimize_level 3 a node's output stays in SRAM when its only
 * reader is the next node and both can run as one tile that way: the node is lowered with the
 * resident output, the next one tried (and rolled back) with the resident input; if either
 * refuses, the node is lowered again storing to DDR. Then its constant LOADs are hoisted into
 * the previous node when their SRAM is free there (weight prefetch). */
static hbg_status lower_all(ck_ctx *c, bpu_march_id march, const int *nodes, int nn,
                            const int *role, unsigned char *resident)
{
    hbg_status st = HBG_OK;
    int in_top = 0, out_top = 1, have_prev = 0;
    uint32_t wlo = 0, whi = 0; /* the node's window (set_bounds) */
    ck_hist h;
    ck_use prev, cur;
    memset(&prev, 0, sizeof prev);
    memset(&h, 0, sizeof h);
    c->res_in = -1;
    for (int j = 0; j < nn && st == HBG_OK; j++) {
        const hbg_node *nd = &c->g->nodes[nodes[j]];
        const int y = nd->out[0];
        const uint32_t in_bytes = c->res_in >= 0 ? res_bytes(c, c->res_in) : 0;
        const size_t start = c->n_ins, cb0 = c->n_cb;
        int want =
            c->olevel >= 3 && j + 1 < nn && nd->n_out == 1 && ck_resident_kind(c->kind[nodes[j]]) &&
            ck_resident_kind(c->kind[nodes[j + 1]]) && role[y] == 3 && c->consumers[y] == 1 &&
            node_reads(&c->g->nodes[nodes[j + 1]], y) && c->map[y].elem == 1 && c->storage[y] == y;
        c->res_out = -1;
        c->alloc_down = c->olevel >= 3 && (j & 1);
        if (want) {
            const size_t ni = c->n_ins, nc = c->n_cb;
            const uint32_t ob = res_bytes(c, y);
            out_top = !(c->res_in >= 0 && in_top);
            c->res_out = y;
            c->res_out_addr = out_top ? c->m->sram_bytes - ob : 0;
            c->res_fail = 0;
            c->cur_node = j;
            st = set_bounds(c, in_top, in_bytes, out_top, ob) ? lower_one(c, nodes[j])
                                                              : HBG_E_UNSUPPORTED;
            wlo = c->sram_lo, whi = c->sram_hi;
            if (st == HBG_OK) { /* dry run of the reader */
                const int save_in = c->res_in;
                const uint32_t save_addr = c->res_in_addr;
                const size_t ni2 = c->n_ins, nc2 = c->n_cb;
                cur = node_use(c);
                c->res_in = y;
                c->res_in_addr = c->res_out_addr;
                c->res_out = -1;
                c->alloc_down = c->olevel >= 3 && !(j & 1);
                set_bounds(c, out_top, ob, 0, 0);
                c->cur_node = j + 1;
                st = lower_one(c, nodes[j + 1]);
                c->cur_node = j;
                c->alloc_down = c->olevel >= 3 && (j & 1);
                c->n_ins = ni2, c->n_cb = nc2;
                c->res_in = save_in, c->res_in_addr = save_addr, c->res_out = y;
            }
            if (st != HBG_OK) {
                c->n_ins = ni, c->n_cb = nc;
                c->res_out = -1;
                if (c->err && c->errlen)
                    c->err[0] = '\0';
                want = 0;
                st = HBG_OK;
            }
        }
        if (!want) {
            set_bounds(c, in_top, in_bytes, 0, 0);
            wlo = c->sram_lo, whi = c->sram_hi;
            c->cur_node = j;
            st = lower_one(c, nodes[j]);
            cur = node_use(c);
        }
        if (st == HBG_OK && c->n_ins > start) {
            c->cur_node = j;
            if (c->olevel >= 3 && c->deep_prefetch && h.n > 0) {
                st = deep_place(c, march, nodes[j], start, cb0, wlo, whi, &h, &cur);
            } else if (have_prev && c->olevel >= 3 && !use_meets(&prev, cur.pre_lo, cur.pre_hi) &&
                       hoist_to(c, start, &cur, start - 1)) {
                for (int k = 0; k < h.n; k++)
                    h.sync[k] += (size_t)cur.pre_n;
            }
            /* the node ends with its SYNC: hoisting only moves instructions before it */
            memmove(h.use + 1, h.use, (CK_DEEP_MAX - 1) * sizeof *h.use);
            memmove(h.sync + 1, h.sync, (CK_DEEP_MAX - 1) * sizeof *h.sync);
            h.use[0] = cur;
            h.sync[0] = c->n_ins - 1;
            h.n += h.n < CK_DEEP_MAX;
            prev = cur;
            have_prev = 1;
        }
        if (want) {
            resident[y] = 1;
            c->res_in = y;
            c->res_in_addr = c->res_out_addr;
            in_top = out_top;
        } else {
            c->res_in = -1;
        }
    }
    return st;
}

/* Compile subgraph s (nodes[0..nn) in execution order) into *sg with the schedule of
 * c->pipe_tiles / c->wide_chunks; *est: the program's static estimate. */
static hbg_status compile_one(ck_ctx *c, const hbc_compiled *cm, int s, const int *nodes, int nn,
                              hbc_cm_subgraph *sg, bpu_counters *est)
{
    hbg_graph *g = c->g;
    hbg_status st = HBG_OK;
    int nt = g->n_tensors;
    int *def = malloc((size_t)nt * sizeof *def), *last = malloc((size_t)nt * sizeof *last);
    int *role = calloc((size_t)nt, sizeof *role); /* 1 input, 2 output, 3 scratch */
    int *placed = malloc((size_t)nt * sizeof *placed);
    /* [0, nt): tensors kept in SRAM by the plan in use; [nt, 2nt): by the last lowering */
    unsigned char *resident = calloc(2 * (size_t)nt + 1, 1);
    uint8_t *prog = NULL;
    int np = 0;
    if (!def || !last || !role || !placed || !resident) {
        st = ck_fail(c, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    for (int t = 0; t < nt; t++)
        def[t] = last[t] = -1, c->seg[t] = 0, c->off[t] = 0;
    c->n_ins = 0;
    c->n_cb = 0;
    for (int j = 0; j < nn; j++) {
        const hbg_node *nd = &g->nodes[nodes[j]];
        for (int k = 0; k < nd->n_in; k++) {
            int t = nd->in[k];
            if (t < 0 || g->tensors[t]->is_const)
                continue;
            int p = g->tensors[t]->producer;
            if (p < 0 || cm->node_sub[p] != s)
                role[t] = 1;
            last[c->storage[t]] = j;
        }
        for (int k = 0; k < nd->n_out; k++)
            if (c->kind[nodes[j]] != CK_SPATIAL)
                def[nd->out[k]] = j, role[nd->out[k]] = 3;
    }
    /* outputs: read outside the subgraph or graph outputs */
    for (int i = 0; i < g->n_nodes; i++) {
        const hbg_node *u = &g->nodes[i];
        if (cm->node_sub[i] == s)
            continue;
        for (int k = 0; k < u->n_in; k++)
            if (u->in[k] >= 0 && role[u->in[k]] == 3)
                role[u->in[k]] = 2;
    }
    for (int t = 0; t < nt; t++)
        if (role[t] == 3 && g->tensors[t]->is_output)
            role[t] = 2;
    uint32_t top[BPU_SEGMENTS] = {0};
    /* pass 0 plans DDR for every tensor; when some stay in SRAM, pass 1 plans again without them
     * and lowers again: residency depends on SRAM sizes only, so it makes the same choices */
    for (int pass = 0; pass < 2; pass++) {
        memset(top, 0, sizeof top);
        sg->n_inputs = sg->n_outputs = 0;
        np = 0;
        c->n_ins = 0;
        c->n_cb = 0;
        for (int t = 0; t < nt; t++) {
            if (role[t] == 1 || role[t] == 2) {
                uint32_t sgm = role[t] == 1 ? HBC_SEG_INPUT : HBC_SEG_OUTPUT;
                c->seg[t] = sgm;
                c->off[t] = top[sgm];
                top[sgm] += ck_align(c->map[t].size, 64);
                sg->n_inputs += role[t] == 1;
                sg->n_outputs += role[t] == 2;
            } else if (role[t] == 3 && !resident[t]) {
                c->seg[t] = HBC_SEG_SCRATCH;
                c->off[t] = first_fit(c, placed, np, def, last, t);
                placed[np++] = t;
                uint32_t end = c->off[t] + ck_align(c->map[t].size, 64);
                top[HBC_SEG_SCRATCH] = end > top[HBC_SEG_SCRATCH] ? end : top[HBC_SEG_SCRATCH];
            }
        }
        memset(resident + nt, 0, (size_t)nt);
        if ((st = lower_all(c, cm->march, nodes, nn, role, resident + nt)) != HBG_OK)
            goto out;
        if (pass == 1 && memcmp(resident, resident + nt, (size_t)nt) != 0) {
            st = ck_fail(c, HBG_E_INVALID, "subgraph %d: residency changed between plans", s);
            goto out;
        }
        if (!memchr(resident + nt, 1, (size_t)nt))
            break;
        memcpy(resident, resident + nt, (size_t)nt);
    }
    bpu_insn end = {.opcode = BPU_OP_END};
    c->cur_node = nn > 0 ? nn - 1 : 0;
    if ((st = ck_push(c, &end)) != HBG_OK)
        goto out;
    prog = malloc(c->n_ins * BPU_INSN_BYTES);
    if (!prog) {
        st = ck_fail(c, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < c->n_ins; i++)
        if (bpu_encode(&c->ins[i], prog + i * BPU_INSN_BYTES, NULL) != BPU_OK) {
            st = ck_fail(c, HBG_E_INVALID, "subgraph %d: instruction %zu does not encode", s, i);
            goto out;
        }
    /* the simulator's loader is the validator: a program it refuses is a compiler bug */
    bpu_program *bp = NULL;
    bpu_error be;
    if (bpu_program_load(prog, c->n_ins * BPU_INSN_BYTES, cm->march, &bp, &be) != BPU_OK) {
        st = ck_fail(c, HBG_E_INVALID,
                     "subgraph %d: the generated program is invalid: insn %lld: "
                     "%s",
                     s, (long long)be.insn, be.msg);
        goto out;
    }
    *est = *bpu_program_estimate(bp);
    bpu_program_free(bp);
    sg->program = prog;
    sg->program_bytes = c->n_ins * BPU_INSN_BYTES;
    prog = NULL;
    sg->consts = malloc(c->n_cb ? c->n_cb : 1);
    sg->nodes = malloc((size_t)nn * sizeof *sg->nodes);
    sg->insn_node = malloc(c->n_ins * sizeof *sg->insn_node);
    sg->inputs = calloc((size_t)sg->n_inputs + 1, sizeof *sg->inputs);
    sg->outputs = calloc((size_t)sg->n_outputs + 1, sizeof *sg->outputs);
    if (!sg->consts || !sg->nodes || !sg->insn_node || !sg->inputs || !sg->outputs) {
        st = ck_fail(c, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    memcpy(sg->consts, c->cb, c->n_cb);
    sg->const_bytes = c->n_cb;
    memcpy(sg->nodes, nodes, (size_t)nn * sizeof *nodes);
    memcpy(sg->insn_node, c->ins_node, c->n_ins * sizeof *sg->insn_node);
    sg->n_nodes = nn;
    sg->seg_bytes[HBC_SEG_CONST] = (uint32_t)c->n_cb;
    for (int k = 1; k < BPU_SEGMENTS; k++)
        sg->seg_bytes[k] = top[k];
    int ni = 0, no = 0;
    for (int t = 0; t < nt && st == HBG_OK; t++) {
        if (role[t] == 1)
            st = describe(c, t, &sg->inputs[ni++]);
        else if (role[t] == 2)
            st = describe(c, t, &sg->outputs[no++]);
    }
out:
    free(prog);
    free(def);
    free(last);
    free(role);
    free(placed);
    free(resident);
    return st;
}

/* Is a better than b for the mode: fewer modelled cycles (latency) or DDR bytes (bandwidth),
 * ties broken by the other figure. */
static int better(hbc_cm_goal mode, const bpu_counters *a, const bpu_counters *b)
{
    uint64_t ca = a->cycles, cb = b->cycles;
    uint64_t da = a->ddr_load_bytes + a->ddr_store_bytes,
             db = b->ddr_load_bytes + b->ddr_store_bytes;
    if (mode == HBC_GOAL_BANDWIDTH)
        return da < db || (da == db && ca < cb);
    return ca < cb || (ca == cb && da < db);
}

/* Compile subgraph s into cm->sub[s]: at optimize_level 0 one schedule (fewest tiles, weights
 * in half of SRAM); from 1 on, the four of {pipelined tiles or fewest tiles} x {weight chunks
 * in half of SRAM or all but one-row tiles}, keeping the best for the compile mode (better()).
 * The first schedule is the reference: its failure is the subgraph's; the others are skipped
 * when they cannot be built (e.g. wide weight chunks leave no room for a row), and when they
 * would lower exactly as one already tried: fewest tiles when no layer was cut for the
 * pipeline, wide chunks when no conv was chunked (residency choices never depend on either:
 * a resident node runs as one tile in one pass). */
static hbg_status compile_sub(ck_ctx *c, hbc_compiled *cm, int s, const int *nodes, int nn)
{
    static const int sched[4][2] = {{1, 0}, {1, 1}, {0, 0}, {0, 1}}; /* pipe_tiles, wide */
    hbc_cm_subgraph cand;
    bpu_counters best, est;
    hbg_status st = HBG_OK;
    int n_sched = c->olevel >= 1 ? 4 : 1, have = 0, best_k = 0;
    int pipe[4] = {0}, wide[4] = {0}; /* what each schedule's lowering saw */
    memset(&cand, 0, sizeof cand);
    memset(&best, 0, sizeof best);
    for (int k = 0; k < n_sched; k++) {
        if ((k == 1 && !wide[0]) || (k == 2 && !pipe[0]) || (k == 3 && (!wide[0] || !pipe[1])))
            continue; /* lowers exactly as schedule 0 or 1 */
        c->pipe_tiles = c->olevel >= 1 && sched[k][0];
        c->wide_chunks = c->olevel >= 1 && sched[k][1];
        c->pipe_seen = c->wide_seen = 0;
        st = compile_one(c, cm, s, nodes, nn, &cand, &est);
        pipe[k] = c->pipe_seen, wide[k] = c->wide_seen;
        if (st == HBG_E_NOMEM || (st != HBG_OK && k == 0))
            break;
        if (st != HBG_OK) { /* this schedule does not fit: keep the others */
            sub_free(&cand);
            if (c->err && c->errlen)
                c->err[0] = '\0';
            st = HBG_OK;
            continue;
        }
        if (!have || better(c->mode, &est, &best)) {
            sub_free(&cm->sub[s]);
            cm->sub[s] = cand;
            memset(&cand, 0, sizeof cand);
            best = est;
            best_k = k;
            have = 1;
        } else {
            sub_free(&cand);
        }
    }
    /* O3: the best schedule once more with deep prefetch, kept when it is better */
    if (st == HBG_OK && have && c->olevel >= 3) {
        c->pipe_tiles = sched[best_k][0];
        c->wide_chunks = sched[best_k][1];
        c->deep_prefetch = 1;
        st = compile_one(c, cm, s, nodes, nn, &cand, &est);
        c->deep_prefetch = 0;
        if (st == HBG_OK && better(c->mode, &est, &best)) {
            sub_free(&cm->sub[s]);
            cm->sub[s] = cand;
            memset(&cand, 0, sizeof cand);
        } else if (st != HBG_E_NOMEM) {
            if (st != HBG_OK && c->err && c->errlen)
                c->err[0] = '\0';
            st = HBG_OK;
        }
    }
    sub_free(&cand);
    return st;
}

/* Nodes whose inputs are all constant (the executor folds them): never BPU work. */
static int all_const(const hbg_graph *g, const hbg_node *nd, const unsigned char *folded)
{
    for (int k = 0; k < nd->n_in; k++) {
        int t = nd->in[k];
        if (t < 0 || g->tensors[t]->is_const)
            continue;
        if (g->tensors[t]->producer < 0 || !folded[g->tensors[t]->producer])
            return 0;
    }
    return 1;
}

hbg_status hbc_compile(hbg_graph *g, const hbc_compile_opts *opts, hbc_compiled **out, char *err,
                       size_t errlen)
{
    hbc_compile_opts dflt = {BPU_MARCH_BAYES_E, 3, HBC_GOAL_LATENCY};
    hbc_qexec *q = NULL;
    hbc_compiled *cm = NULL;
    ck_ctx c;
    int *level = NULL, *order = NULL, *lvl_sub = NULL;
    unsigned char *folded = NULL;
    hbg_status st;
    memset(&c, 0, sizeof c);
    c.err = err, c.errlen = errlen;
    if (err && errlen)
        err[0] = '\0';
    if (!g || !out)
        return ck_fail(&c, HBG_E_INVALID, "hbc_compile: NULL argument");
    *out = NULL;
    if (!opts)
        opts = &dflt;
    c.m = bpu_march_get(opts->march);
    if (!c.m)
        return ck_fail(&c, HBG_E_INVALID, "hbc_compile: unknown march %d", (int)opts->march);
    if (opts->mode != HBC_GOAL_LATENCY && opts->mode != HBC_GOAL_BANDWIDTH)
        return ck_fail(&c, HBG_E_INVALID, "hbc_compile: unknown compile mode %d", (int)opts->mode);
    /* validates every attribute and infers every shape; the graph keeps the shapes */
    if ((st = hbc_qexec_create(g, &q)) != HBG_OK)
        return ck_fail(&c, st, "%s", g->err);
    hbc_qexec_free(q);
    c.g = g;
    c.olevel = opts->optimize_level;
    c.mode = opts->mode;
    int nt = g->n_tensors, nn = g->n_nodes;
    c.map = calloc((size_t)nt + 1, sizeof *c.map);
    c.storage = malloc(((size_t)nt + 1) * sizeof *c.storage);
    c.consumers = calloc((size_t)nt + 1, sizeof *c.consumers);
    c.seg = calloc((size_t)nt + 1, sizeof *c.seg);
    c.off = calloc((size_t)nt + 1, sizeof *c.off);
    c.kind = malloc(((size_t)nn + 1) * sizeof *c.kind);
    level = calloc((size_t)nn + 1, sizeof *level);
    order = malloc(((size_t)nn + 1) * sizeof *order);
    lvl_sub = malloc(((size_t)nn + 2) * sizeof *lvl_sub);
    folded = calloc((size_t)nn + 1, 1);
    cm = calloc(1, sizeof *cm);
    if (!c.map || !c.storage || !c.consumers || !c.seg || !c.off || !c.kind || !level || !order ||
        !lvl_sub || !folded || !cm) {
        st = ck_fail(&c, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    cm->march = opts->march;
    cm->optimize_level = opts->optimize_level;
    cm->mode = opts->mode;
    cm->n_nodes = nn;
    cm->node_sub = malloc(((size_t)nn + 1) * sizeof *cm->node_sub);
    cm->node_why = calloc((size_t)nn + 1, sizeof *cm->node_why);
    cm->sub = calloc((size_t)nn + 1, sizeof *cm->sub);
    if (!cm->node_sub || !cm->node_why || !cm->sub) {
        st = ck_fail(&c, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    for (int t = 0; t < nt; t++) {
        const hbg_tensor *tt = g->tensors[t];
        c.map[t] = ck_map_for(tt, tt->rank == 4 && tt->dims[0] == 1 ? HBC_CM_NHWC : HBC_CM_ROWS);
        c.storage[t] = t;
    }
    for (int n = 0; n < nn; n++)
        for (int k = 0; k < g->nodes[n].n_in; k++)
            if (g->nodes[n].in[k] >= 0)
                c.consumers[g->nodes[n].in[k]]++;
    /* kinds, in topological order (a spatial Flatten is decided before its Gemm readers) */
    for (int n = 0; n < nn; n++) {
        const char *why = NULL;
        folded[n] = (unsigned char)all_const(g, &g->nodes[n], folded);
        if (folded[n])
            c.kind[n] = CK_CPU;
        else
            why = ck_support(&c, n, &c.kind[n]);
        if (why && !(cm->node_why[n] = dupstr(why))) {
            st = ck_fail(&c, HBG_E_NOMEM, "out of memory");
            goto out;
        }
    }
    /* partition: level = number of BPU/CPU switches on the longest path from the inputs; the
     * BPU nodes of one level form a convex region (a path leaving it and coming back switches
     * twice, so it ends on a higher level) */
    for (int n = 0; n < nn; n++) {
        const hbg_node *nd = &g->nodes[n];
        int bpu = c.kind[n] != CK_CPU, lv = 0;
        for (int k = 0; k < nd->n_in; k++) {
            int t = nd->in[k];
            if (t < 0 || g->tensors[t]->is_const || g->tensors[t]->producer < 0)
                continue;
            int p = g->tensors[t]->producer;
            int l = level[p] + ((c.kind[p] != CK_CPU) != bpu);
            lv = l > lv ? l : lv;
        }
        level[n] = lv;
    }
    for (int l = 0; l <= nn + 1; l++)
        lvl_sub[l] = -1;
    for (int n = 0; n < nn; n++) {
        cm->node_sub[n] = -1;
        if (c.kind[n] == CK_CPU)
            continue;
        if (lvl_sub[level[n]] < 0)
            lvl_sub[level[n]] = cm->n_subgraphs++;
        cm->node_sub[n] = lvl_sub[level[n]];
    }
    for (int s = 0; s < cm->n_subgraphs; s++) {
        int k = 0;
        for (int n = 0; n < nn; n++)
            if (cm->node_sub[n] == s)
                order[k++] = n;
        if ((st = compile_sub(&c, cm, s, order, k)) != HBG_OK)
            goto out;
    }
    *out = cm;
    cm = NULL;
    st = HBG_OK;
out:
    hbc_compiled_free(cm);
    free(c.map);
    free(c.storage);
    free(c.consumers);
    free(c.seg);
    free(c.off);
    free(c.kind);
    free(c.ins);
    free(c.ins_node);
    free(c.cb);
    free(level);
    free(order);
    free(lvl_sub);
    free(folded);
    return st;
}
