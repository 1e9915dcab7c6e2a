/* The passes on the real models of tests/data/models (ONNX and Caffe) and the synthetic Caffe
 * nets of tests/data/caffe: each pass alone, then hbc_optimize, with the float executor's outputs
 * on a fixed random input equal before and after within 1e-5 of max |ref|, and again after an
 * ONNX save -> load round trip. The rewrite counts are checked against what each model holds
 * (counted independently with the onnx Python package, see docs/passes.md), so a pass that stops
 * matching fails the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "passes_harness.h"

#include "hbc/caffe_io.h"
#include "hbc/onnx_io.h"

#define MODELS HB_SOURCE_DIR "/tests/data/models/"
#define CAFFE  HB_SOURCE_DIR "/tests/data/caffe/"

typedef struct model_case {
    const char *name;
    const char *onnx;  /* ONNX file, or NULL */
    const char *proto; /* Caffe prototxt and caffemodel, when onnx is NULL */
    const char *caffemodel;
    int changed[HBC_PASS_COUNT]; /* rewrites each pass alone must report; -1: only > 0 */
    int fused;                   /* pairs hbc_fused_act() finds after hbc_optimize */
    int nodes_after;             /* node count after hbc_optimize */
} model_case;

static hbg_graph *load(const model_case *c)
{
    hbg_graph *g = NULL;
    char err[600];
    hbg_status st = c->onnx ? hbc_onnx_load_file(c->onnx, &g, err, sizeof err)
                            : hbc_caffe_load(c->proto, c->caffemodel, &g, err, sizeof err);
    if (st != HBG_OK)
        fail_msg("%s: %s", c->name, err);
    /* A symbolic batch dimension is fixed to 1, as hb_mapper's input_shape does. */
    for (int i = 0; i < g->n_inputs; i++) {
        hbg_tensor *t = g->tensors[g->inputs[i]];
        for (int d = 0; d < t->rank; d++)
            if (t->dims[d] < 0) {
                t->dims[d] = 1;
                free(t->dim_names[d]);
                t->dim_names[d] = NULL;
            }
    }
    return g;
}

static void run_case(const model_case *c)
{
    char what[200];
    for (int p = 0; p < HBC_PASS_COUNT; p++) {
        hbg_graph *g = load(c);
        snprintf(what, sizeof what, "%s", c->name);
        int changed = ph_check_pass(g, (hbc_pass)p, what);
        print_message("%-16s %-15s %3d rewrite(s)\n", c->name, hbc_pass_name((hbc_pass)p), changed);
        if (c->changed[p] < 0)
            assert_true(changed > 0);
        else
            assert_int_equal(changed, c->changed[p]);
        hbg_graph_free(g);
    }
    hbg_graph *g = load(c);
    int before = g->n_nodes;
    int removed = ph_check_optimize(g, c->name);
    int fused = ph_count_fused(g);
    print_message("%-16s hbc_optimize    nodes %d -> %d, %d fused activation(s)\n", c->name, before,
                  g->n_nodes, fused);
    assert_int_equal(g->n_nodes, c->nodes_after);
    assert_int_equal(removed, before - c->nodes_after);
    assert_int_equal(fused, c->fused);
    hbg_graph_free(g);
}

#define ONNX(n, f)                n, MODELS "onnx/" f, NULL, NULL
#define CAFFE_MODEL(n, dir, p, m) n, NULL, MODELS "caffe/" dir "/" p, MODELS "caffe/" dir "/" m
#define CAFFE_SYN(n)              n, NULL, CAFFE n "/net.prototxt", CAFFE n "/net.caffemodel"

/* changed[]: fold_constants, remove_noops, fold_bn, gemm_to_conv, fuse_act, channel_shuffle, each
 * alone on the loaded model (rewrites plus dead nodes removed), derived by hand from the model
 * structure (channel_shuffle: 0 where not listed):
 * torch_net: 13 shape/constant nodes fold; 4 BN; Gemm fc1 -> Conv makes the Reshape and its
 *   10-node shape chain dead (fc2 reads a BN output, so it waits for fold_bn); its activations
 *   sit behind BNs until fold_bn has run.
 * super_resolution: its 2 Constant nodes. cifar10_quick: ip1, ip2 -> Conv + 2 dead Flattens.
 * mtcnn_det2: 3 InnerProducts -> Conv (the PReLU between moves under the Flatten) + 2 dead.
 * mtcnn_det3: the Dropout (an Identity) goes; alone, gemm_to_conv converts conv5 only (the
 *   Identity hides the Flatten from conv6-*), + 1 dead. syn_conv: BN, Scale's Mul and Add.
 * syn_shape: a Reshape of a Reshape collapses, the inner one dies, a Dropout goes.
 * fastestdet: 13 ShuffleNetV2 shuffles (Reshape, Transpose, Reshape, two Gathers; its
 *   Transpose_14 .. Transpose_212) become 2 Slices each: 13 rewrites + 39 dead nodes.
 * fused: checked with count_fusable.py on the original and the optimized files. */
static const model_case cases[] = {
    {"torch_net",
     HB_SOURCE_DIR "/tests/unit/passes/torch_net.onnx",
     NULL,
     NULL,
     {13, 0, 4, 11, 0},
     4,
     12},
    {ONNX("mobilenet", "mobilenet_v1_0.75_192.onnx"), {0, 0, 0, 0, 0}, 27, 58},
    {ONNX("yunet", "yunet_n_320_320.onnx"), {0, 0, 0, 0, 0}, 18, 115},
    {ONNX("fastestdet", "fastestdet.onnx"), {0, 0, 0, 0, 0, 52}, 47, 172},
    {ONNX("super_resolution", "super_resolution/super_resolution.onnx"), {2, 0, 0, 0, 0}, 3, 10},
    {CAFFE_MODEL("cifar10_quick", "cifar10_quick", "cifar10_quick.prototxt",
                 "cifar10_quick_iter_5000.caffemodel"),
     {0, 0, 0, 4, 0},
     2,
     13},
    {CAFFE_MODEL("mtcnn_det1", "mtcnn", "det1.prototxt", "det1.caffemodel"),
     {0, 0, 0, 0, 0},
     0,
     10},
    {CAFFE_MODEL("mtcnn_det2", "mtcnn", "det2.prototxt", "det2.caffemodel"),
     {0, 0, 0, 5, 0},
     0,
     15},
    {CAFFE_MODEL("mtcnn_det3", "mtcnn", "det3.prototxt", "det3.caffemodel"),
     {0, 1, 0, 2, 0},
     0,
     20},
    {CAFFE_SYN("syn_conv"), {0, 0, 3, 0, 0}, 0, 18},
    {CAFFE_SYN("syn_shape"), {0, 3, 0, 0, 0}, 0, 34},
    {CAFFE_SYN("syn_v1"), {0, 0, 0, 2, 0}, 1, 6},
};

static void test_model(void **state)
{
    run_case((const model_case *)*state);
}

/* tests/unit/passes/shufflenet_tv.onnx (make_shufflenet.py: torchvision's ShuffleNetV2 code,
 * 139 nodes with its Shape chains and BatchNormalizations): hbc_optimize keeps the outputs and
 * leaves, counted from the model's structure, the stem Conv+Relu (2); the stride-2 block's
 * branch1 (depthwise Conv, Conv+Relu: 3) and branch2 (Conv+Relu, depthwise Conv, Conv+Relu: 5),
 * its Concat and its shuffle as one Gather (2); twice a stride-1 block (2 Slices of the chunk,
 * branch2 5, Concat, Gather: 9 each); the last Conv+Relu (2), GlobalAveragePool, and the Linear
 * as Conv + Flatten (3): 35 nodes, 9 Conv+Relu pairs, 3 Gathers, no Transpose or Reshape. */
static void test_shufflenet_tv(void **state)
{
    (void)state;
    const model_case c = {"shufflenet_tv",
                          HB_SOURCE_DIR "/tests/unit/passes/shufflenet_tv.onnx",
                          NULL,
                          NULL,
                          {0},
                          0,
                          0};
    hbg_graph *g = load(&c);
    assert_int_equal(g->n_nodes, 139);
    ph_check_optimize(g, c.name);
    assert_int_equal(g->n_nodes, 35);
    assert_int_equal(ph_count_fused(g), 9);
    assert_int_equal(ph_count_op(g, HBG_OP_GATHER), 3);
    assert_int_equal(ph_count_op(g, HBG_OP_SLICE), 4);
    assert_int_equal(ph_count_op(g, HBG_OP_TRANSPOSE), 0);
    assert_int_equal(ph_count_op(g, HBG_OP_RESHAPE), 0);
    hbg_graph_free(g);
}

int main(void)
{
    enum { N = sizeof cases / sizeof cases[0] };
    struct CMUnitTest tests[N + 1];
    for (size_t i = 0; i < N; i++) {
        tests[i] = (struct CMUnitTest){cases[i].name, test_model, NULL, NULL, (void *)&cases[i]};
    }
    tests[N] = (struct CMUnitTest){"shufflenet_tv", test_shufflenet_tv, NULL, NULL, NULL};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
