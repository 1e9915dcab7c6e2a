/* The two models of the libdnn tests, built as .bin images with the converter's writer: the tiny
 * Conv+Relu CPU model ("tiny_conv": padded NCHW F32 input, NHWC F32 output) and the LUT model
 * ("lut_model": quantize, a hand-assembled BPU program, per-channel dequantize), with their
 * independent expected outputs. Include after cmocka.h. */
#ifndef DNN_TEST_MODELS_H
#define DNN_TEST_MODELS_H

#include <math.h>
#include <stdio.h>

#include "bpu/sim.h"
#include "dnn_test_util.h"
#include "hbg/exec.h"
#include "hbg/serialize.h"

__attribute__((unused)) static const int32_t IN_DIMS[4] = {1, 3, 8, 8};
__attribute__((unused)) static const int32_t OUT_VALID[4] = {1, 8, 8, 4}; /* NHWC */

/* Model image: n_models copies of the tiny model ("tiny_conv", "tiny_conv_1", ...). `mutate`
 * (may be NULL) edits the schedule before it is added. */
/* g_flip_at >= 0: XOR byte g_flip_at of the schedule blob with g_flip_mask (hostile input). */
__attribute__((unused)) static long g_flip_at = -1;
__attribute__((unused)) static uint8_t g_flip_mask;

static inline uint8_t *make_cpu_image(int n_models, size_t *size, void (*mutate)(sched_b *))
{
    uint16_t tc[3] = {0, 1, 0};
    hbbw *w = hbbw_create(HBBIN_MARCH_BAYES_E, tc);
    hbg_graph *g = tiny_conv_graph();
    uint8_t *blob = NULL, *img = NULL;
    size_t blob_n = 0;
    char err[256];
    assert_int_equal(hbg_serialize(g, &blob, &blob_n), HBG_OK);
    for (int k = 0; k < n_models; k++) {
        char name[32];
        uint32_t mi;
        snprintf(name, sizeof name, k ? "tiny_conv_%d" : "tiny_conv", k);
        assert_int_equal(hbbw_add_model(w, name, &mi), HBBIN_OK);
        hbbin_tensor in =
            tensor_rec("data", HB_DNN_TENSOR_TYPE_F32, HBBIN_LAYOUT_NCHW, 4, IN_DIMS, 16, 4);
        hbbin_tensor out =
            tensor_rec("prob", HB_DNN_TENSOR_TYPE_F32, HBBIN_LAYOUT_NHWC, 4, OUT_VALID, 4, 4);
        assert_int_equal(hbbw_add_tensor(w, mi, 1, &in), HBBIN_OK);
        assert_int_equal(hbbw_add_tensor(w, mi, 0, &out), HBBIN_OK);
        sched_b sb = {0};
        int32_t id[4] = {0, 1, 2, 3}, nhwc[4] = {0, 3, 1, 2}, odims[4] = {1, 4, 8, 8};
        uint32_t t0 =
            sb_tensor(&sb, HB_DNN_TENSOR_TYPE_F32, 4, IN_DIMS, T_INPUT, 0, 0, 0, id, 0, 0, NULL);
        uint32_t t1 =
            sb_tensor(&sb, HB_DNN_TENSOR_TYPE_F32, 4, odims, T_OUTPUT, 0, 0, 0, nhwc, 0, 0, NULL);
        sb_step(&sb, S_CPU, 0, 1, &t0, 1, &t1, NULL);
        if (mutate)
            mutate(&sb);
        size_t sn;
        uint8_t *sbytes = sb_bytes(&sb, &sn);
        if (g_flip_at >= 0 && (size_t)g_flip_at < sn)
            sbytes[g_flip_at] ^= g_flip_mask;
        assert_int_equal(hbbw_add_blob(w, mi, HBBIN_SEC_CPU_SUBGRAPH, 0, blob, blob_n), HBBIN_OK);
        assert_int_equal(hbbw_add_blob(w, mi, HBBIN_SEC_SCHEDULE, 0, sbytes, sn), HBBIN_OK);
        free(sbytes);
    }
    if (hbbw_serialize(w, &img, size, err, sizeof err) != HBBIN_OK)
        fail_msg("%s", err);
    hbbw_free(w);
    free(blob);
    hbg_graph_free(g);
    return img;
}

/* Input values (NCHW dense) and the expected NHWC output from the float executor. */
static inline void reference(const float *in, float *out_nhwc)
{
    hbg_graph *g = tiny_conv_graph();
    hbg_exec *e = NULL;
    assert_int_equal(hbg_exec_create(g, &e), HBG_OK);
    memcpy(g->tensors[g->inputs[0]]->data, in, 3 * 64 * sizeof(float));
    assert_int_equal(hbg_exec_run(e), HBG_OK);
    const float *o = g->tensors[g->outputs[0]]->data;
    for (int c = 0; c < 4; c++)
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                out_nhwc[(y * 8 + x) * 4 + c] = o[(c * 8 + y) * 8 + x];
    hbg_exec_free(e);
    hbg_graph_free(g);
}

static inline void make_input(float *in, int seed)
{
    for (int i = 0; i < 192; i++)
        in[i] = (float)(((i + seed) * 7919) % 201 - 100) / 50.0f;
}

#define C      5
#define H      2
#define W      3
#define PX     8         /* C bytes rounded up to 4 */
#define ROW    (W * PX)  /* 24 */
#define MAP    (H * ROW) /* 48 */
#define IN_OFF 64        /* the input map's offset in segment 1 */
#define S_IN   0.05f

static inline float s_out(int c)
{
    return 0.1f * (float)(c + 1);
}

static inline int8_t table_fn(int q) /* the LUT's function, any deterministic one */
{
    return (int8_t)(q >= 0 ? q : q / 4);
}

static inline uint8_t *program(size_t *len, uint32_t store_off)
{
    bpu_insn ins[7];
    memset(ins, 0, sizeof ins);
    ins[0].opcode = BPU_OP_LOAD;
    ins[0].u.dma =
        (bpu_dma_op){.seg = 0, .sram = 0x3000, .x_bytes = 256, .y_rows = 1, .z_planes = 1};
    ins[1].opcode = BPU_OP_LOAD;
    ins[1].u.dma = (bpu_dma_op){
        .seg = 1, .ddr_off = IN_OFF, .sram = 0x1000, .x_bytes = MAP, .y_rows = 1, .z_planes = 1};
    ins[2].opcode = BPU_OP_SYNC;
    ins[3].opcode = BPU_OP_LUT;
    ins[3].u.lut = (bpu_lut_op){.src = 0x1000,
                                .dst = 0x2000,
                                .table = 0x3000,
                                .h = H,
                                .w = W,
                                .c = C,
                                .src_px = PX,
                                .dst_px = PX,
                                .src_row = ROW,
                                .dst_row = ROW};
    ins[4].opcode = BPU_OP_SYNC;
    ins[5].opcode = BPU_OP_STORE;
    ins[5].u.dma = (bpu_dma_op){
        .seg = 2, .ddr_off = store_off, .sram = 0x2000, .x_bytes = MAP, .y_rows = 1, .z_planes = 1};
    ins[6].opcode = BPU_OP_END;
    uint8_t *p = calloc(7, BPU_INSN_BYTES);
    for (int i = 0; i < 7; i++) {
        bpu_error err;
        assert_int_equal(bpu_encode(&ins[i], p + i * BPU_INSN_BYTES, &err), BPU_OK);
    }
    *len = 7 * BPU_INSN_BYTES;
    return p;
}

static inline uint8_t *make_lut_image(size_t *size, uint64_t *cycles, uint32_t *mhz,
                                      uint32_t store_off)
{
    uint16_t tc[3] = {0, 1, 0};
    hbbw *w = hbbw_create(HBBIN_MARCH_BAYES_E, tc);
    uint32_t mi;
    char err[256];
    int32_t dims[4] = {1, C, H, W};
    assert_int_equal(hbbw_add_model(w, "lut_model", &mi), HBBIN_OK);
    hbbin_tensor in = tensor_rec("x", HB_DNN_TENSOR_TYPE_F32, HBBIN_LAYOUT_NCHW, 4, dims, W, 4);
    hbbin_tensor out = tensor_rec("y", HB_DNN_TENSOR_TYPE_F32, HBBIN_LAYOUT_NCHW, 4, dims, W, 4);
    assert_int_equal(hbbw_add_tensor(w, mi, 1, &in), HBBIN_OK);
    assert_int_equal(hbbw_add_tensor(w, mi, 0, &out), HBBIN_OK);
    size_t plen;
    uint8_t *prog = program(&plen, store_off), table[256];
    for (int i = 0; i < 256; i++)
        table[i] = (uint8_t)table_fn(i - 128);
    bpu_program *bp = NULL;
    bpu_error be;
    assert_int_equal(bpu_program_load(prog, plen, BPU_MARCH_BAYES_E, &bp, &be), BPU_OK);
    *cycles = bpu_program_estimate(bp)->cycles;
    *mhz = bpu_march_get(BPU_MARCH_BAYES_E)->clock_mhz;
    bpu_program_free(bp);
    assert_int_equal(hbbw_add_blob(w, mi, HBBIN_SEC_BPU_PROGRAM, 0, prog, plen), HBBIN_OK);
    assert_int_equal(hbbw_add_blob(w, mi, HBBIN_SEC_CONSTANTS, 0, table, 256), HBBIN_OK);
    free(prog);

    sched_b sb = {0};
    int32_t id[4] = {0, 1, 2, 3}, map[4] = {MAP, 1, ROW, PX};
    float si = S_IN, so[C];
    for (int c = 0; c < C; c++)
        so[c] = s_out(c);
    uint32_t seg[8] = {0, IN_OFF + MAP, MAP, 0, 0, 0, 0, 0};
    uint32_t t0 = sb_tensor(&sb, HB_DNN_TENSOR_TYPE_F32, 4, dims, T_INPUT, 0, 0, 0, id, 0, 0, NULL);
    uint32_t t1 =
        sb_tensor(&sb, HB_DNN_TENSOR_TYPE_S8, 4, dims, T_SEGMENT, 1, 1, IN_OFF, map, 1, 0, &si);
    uint32_t t2 = sb_tensor(&sb, HB_DNN_TENSOR_TYPE_S8, 4, dims, T_SEGMENT, 1, 2, 0, map, C, 1, so);
    uint32_t t3 =
        sb_tensor(&sb, HB_DNN_TENSOR_TYPE_F32, 4, dims, T_OUTPUT, 0, 0, 0, id, 0, 0, NULL);
    sb_step(&sb, S_QUANTIZE, 0, 1, &t0, 1, &t1, NULL);
    sb_step(&sb, S_BPU, 0, 1, &t1, 1, &t2, seg);
    sb_step(&sb, S_DEQUANTIZE, 0, 1, &t2, 1, &t3, NULL);
    size_t sn;
    uint8_t *sbytes = sb_bytes(&sb, &sn);
    assert_int_equal(hbbw_add_blob(w, mi, HBBIN_SEC_SCHEDULE, 0, sbytes, sn), HBBIN_OK);
    free(sbytes);
    uint8_t *img = NULL;
    if (hbbw_serialize(w, &img, size, err, sizeof err) != HBBIN_OK)
        fail_msg("%s", err);
    hbbw_free(w);
    return img;
}

/* y = float(double(T[q + 128]) * double(s_out[c])), q = sat(rha(double(x) / double(S_IN))). */
static inline float expected(float x, int c)
{
    double q = round((double)x / (double)S_IN);
    q = q < -128 ? -128 : q > 127 ? 127 : q;
    return (float)((double)table_fn((int)q) * (double)s_out(c));
}

#endif
