/* hbc_caffe_load: the graph it builds (ops, attributes, SSA names, inputs and outputs, phase
 * rules, structure-only loads) and its refusals, each with the message naming file, layer and
 * field. Values to check numerically are covered by test_caffe_models. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "hbc/caffe_io.h"
#include "hbg/exec.h"

#define MODELS  HB_SOURCE_DIR "/tests/data/models/caffe/"
#define CASES   HB_SOURCE_DIR "/tests/data/caffe/"
#define TMP_DIR HB_BINARY_DIR "/tests/caffe_tmp/"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

/* A new string: text with the first occurrence of from (which must exist) replaced by to. */
static char *replaced(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    assert_non_null(at);
    const size_t head = (size_t)(at - text), n = strlen(text) - strlen(from) + strlen(to);
    char *s = malloc(n + 1);
    assert_non_null(s);
    memcpy(s, text, head);
    strcpy(s + head, to);
    strcat(s, at + strlen(from));
    return s;
}

/* Write data to TMP_DIR/name; returns the path (static buffer per slot). */
static const char *write_tmp(int slot, const char *name, const void *data, size_t len)
{
    static char paths[4][512];
    mkdir(HB_BINARY_DIR "/tests", 0777);
    mkdir(TMP_DIR, 0777);
    snprintf(paths[slot], sizeof paths[slot], "%s%s", TMP_DIR, name);
    FILE *f = fopen(paths[slot], "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return paths[slot];
}

static hbg_graph *load_ok(const char *proto, const char *model)
{
    hbg_graph *g = NULL;
    char err[1024];
    if (hbc_caffe_load(proto, model, &g, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    assert_non_null(g);
    return g;
}

/* Load expecting status st and the message "<file>: <rest>"; what names the case. */
static void load_fails_in(const char *what, const char *proto, const char *model, hbg_status st,
                          const char *file, const char *rest)
{
    hbg_graph *g = (hbg_graph *)(uintptr_t)1;
    char err[1024], want[1200];
    hbg_status got = hbc_caffe_load(proto, model, &g, err, sizeof err);
    snprintf(want, sizeof want, "%s: %s", file, rest);
    if (got != st || strcmp(err, want) != 0)
        fail_msg("%s: status %d (want %d), message\n  '%s'\nwant\n  '%s'", what, got, st, err,
                 want);
    assert_null(g);
}

static void load_fails(const char *proto, const char *model, hbg_status st, const char *file,
                       const char *rest)
{
    load_fails_in(proto, proto, model, st, file, rest);
}

/* A prototxt given as text, with an Input layer 'data' of shape 1x4x6x6 prepended. */
static const char *net_text(const char *layers)
{
    static char buf[8192];
    snprintf(buf, sizeof buf,
             "name: \"t\"\nlayer { name: \"data\" type: \"Input\" top: \"data\"\n"
             "  input_param { shape { dim: 1 dim: 4 dim: 6 dim: 6 } } }\n%s",
             layers);
    return write_tmp(0, "net.prototxt", buf, strlen(buf));
}

static const hbg_node *node_named(const hbg_graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].name, name) == 0)
            return &g->nodes[i];
    return NULL;
}

static const char *in_name(const hbg_graph *g, const hbg_node *n, int i)
{
    return g->tensors[n->in[i]]->name;
}

static const char *out_name(const hbg_graph *g, const hbg_node *n, int i)
{
    return g->tensors[n->out[i]]->name;
}

static void assert_ints(const hbg_node *n, const char *attr, int count, const int64_t *want)
{
    const int64_t *v = NULL;
    assert_int_equal(hbg_attr_ints(n, attr, &v), count);
    for (int i = 0; i < count; i++)
        assert_int_equal(v[i], want[i]);
}

static void assert_shape(const hbg_tensor *t, int rank, const int64_t *dims)
{
    assert_int_equal(t->rank, rank);
    for (int i = 0; i < rank; i++)
        assert_int_equal(t->dims[i], dims[i]);
}

/* ---- the graph ------------------------------------------------------------------------------ */

static void test_structure_only(void **state)
{
    (void)state;
    hbg_graph *g = load_ok(MODELS "mtcnn/det3.prototxt", NULL);
    hbg_exec *e = NULL;
    static const char *const outs[] = {"conv6-2", "conv6-3", "prob1"};
    static const int64_t in_dims[] = {1, 3, 48, 48}, d2[] = {1, 4}, d3[] = {1, 10}, d1[] = {1, 2};
    assert_string_equal(g->name, "ONet");
    assert_int_equal(hbg_graph_opset(g, ""), 13);
    assert_int_equal(g->n_inputs, 1);
    assert_string_equal(g->tensors[g->inputs[0]]->name, "data");
    assert_int_equal(g->tensors[g->inputs[0]]->dtype, HBG_DT_F32);
    assert_shape(g->tensors[g->inputs[0]], 4, in_dims);
    assert_int_equal(g->n_outputs, 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(g->tensors[g->outputs[i]]->name, outs[i]);
    assert_shape(g->tensors[g->outputs[0]], 2, d2);
    assert_shape(g->tensors[g->outputs[1]], 2, d3);
    assert_shape(g->tensors[g->outputs[2]], 2, d1);
    /* zero weights: the graph runs, and the class scores are equal */
    const hbg_tensor *w = g->tensors[hbg_graph_find_tensor(g, "conv1/weight")];
    assert_true(w->is_const && ((const float *)w->data)[0] == 0.0f);
    assert_int_equal(hbg_exec_create(g, &e), HBG_OK);
    memset(g->tensors[g->inputs[0]]->data, 0, 3 * 48 * 48 * sizeof(float));
    assert_int_equal(hbg_exec_run(e), HBG_OK);
    const float *p = g->tensors[g->outputs[2]]->data;
    assert_true(p[0] == 0.5f && p[1] == 0.5f);
    hbg_exec_free(e);
    hbg_graph_free(g);
}

static void test_graph_form(void **state)
{
    (void)state;
    hbg_graph *g = load_ok(CASES "syn_conv/net.prototxt", CASES "syn_conv/net.caffemodel");
    const hbg_node *n;
    static const int64_t k32[] = {3, 2}, s21[] = {2, 1}, p2121[] = {2, 1, 2, 1}, d22[] = {2, 2},
                         p1111[] = {1, 1, 1, 1}, conv_out[] = {1, 6, 7, 12};

    assert_non_null(n = node_named(g, "conv1"));
    assert_string_equal(n->op_type, "Conv");
    assert_int_equal(n->n_in, 3);
    assert_string_equal(in_name(g, n, 0), "data");
    assert_string_equal(in_name(g, n, 1), "conv1/weight");
    assert_string_equal(in_name(g, n, 2), "conv1/bias");
    assert_string_equal(out_name(g, n, 0), "conv1@conv1");
    assert_ints(n, "kernel_shape", 2, k32);
    assert_ints(n, "strides", 2, s21);
    assert_ints(n, "pads", 4, p2121);
    assert_ints(n, "dilations", 2, d22);
    assert_int_equal(hbg_attr_int(n, "group", 0), 2);
    assert_shape(g->tensors[n->out[0]], 4, conv_out);
    /* in-place chain conv1 -> bn1 -> sc1 -> relu1: the last version keeps the blob's name */
    assert_non_null(n = node_named(g, "bn1"));
    assert_string_equal(n->op_type, "BatchNormalization");
    assert_string_equal(in_name(g, n, 0), "conv1@conv1");
    assert_string_equal(out_name(g, n, 0), "conv1@bn1");
    assert_true(hbg_attr_float(n, "epsilon", 0) == 0.001f);
    assert_non_null(n = node_named(g, "sc1/mul"));
    assert_string_equal(n->op_type, "Mul");
    assert_non_null(n = node_named(g, "sc1"));
    assert_string_equal(n->op_type, "Add");
    assert_string_equal(out_name(g, n, 0), "conv1@sc1");
    assert_non_null(n = node_named(g, "relu1"));
    assert_string_equal(n->op_type, "LeakyRelu");
    assert_true(hbg_attr_float(n, "alpha", 0) == 0.1f);
    assert_string_equal(out_name(g, n, 0), "conv1");
    /* pooling: ceil rounding only where it changes the size; Caffe's divisor */
    assert_non_null(n = node_named(g, "pool_ave"));
    assert_string_equal(n->op_type, "AveragePool");
    assert_int_equal(hbg_attr_int(n, "ceil_mode", 0), 1);
    assert_int_equal(hbg_attr_int(n, "count_include_pad", 0), 1);
    assert_ints(n, "pads", 4, p1111);
    assert_non_null(n = node_named(g, "pool_floor"));
    assert_null(hbg_node_attr(n, "ceil_mode"));
    assert_non_null(n = node_named(g, "gmp"));
    assert_string_equal(n->op_type, "GlobalMaxPool");
    assert_non_null(n = node_named(g, "deconv_nb"));
    assert_string_equal(n->op_type, "ConvTranspose");
    assert_int_equal(n->n_in, 2);
    assert_non_null(n = node_named(g, "lrn_across"));
    assert_string_equal(n->op_type, "LRN");
    assert_int_equal(hbg_attr_int(n, "size", 0), 3);
    assert_true(hbg_attr_float(n, "bias", 0) == 2.0f);
    assert_non_null(n = node_named(g, "lrn_within/pool"));
    assert_string_equal(n->op_type, "AveragePool");
    assert_non_null(n = node_named(g, "prelu_shared"));
    assert_string_equal(n->op_type, "PRelu");
    assert_int_equal(g->tensors[n->in[1]]->rank, 3); /* [1, 1, 1] broadcasts over 1x3x5x4 */
    hbg_graph_free(g);
}

static void test_shape_layers(void **state)
{
    (void)state;
    hbg_graph *g = load_ok(CASES "syn_shape/net.prototxt", CASES "syn_shape/net.caffemodel");
    const hbg_node *n;
    static const int64_t perm[] = {0, 2, 1}, split[] = {2, 7, 9};
    assert_int_equal(g->n_inputs, 2);
    assert_non_null(n = node_named(g, "sum"));
    assert_string_equal(n->op_type, "Add");
    assert_string_equal(in_name(g, n, 0), "sum/term0");
    assert_non_null(n = node_named(g, "sum3"));
    assert_string_equal(n->op_type, "Sum");
    assert_int_equal(n->n_in, 3);
    assert_non_null(n = node_named(g, "prod/prod1"));
    assert_non_null(n = node_named(g, "slice"));
    assert_string_equal(n->op_type, "Split");
    assert_int_equal(n->n_out, 3);
    const hbg_tensor *sp = g->tensors[n->in[1]];
    assert_int_equal(sp->dtype, HBG_DT_I64);
    for (int i = 0; i < 3; i++)
        assert_int_equal(((const int64_t *)sp->data)[i], split[i]);
    assert_non_null(n = node_named(g, "perm"));
    assert_ints(n, "perm", 3, perm);
    assert_non_null(n = node_named(g, "flat2"));
    assert_string_equal(n->op_type, "Reshape");
    assert_non_null(n = node_named(g, "ip/flatten"));
    assert_string_equal(n->op_type, "Flatten");
    assert_non_null(n = node_named(g, "ip"));
    assert_string_equal(n->op_type, "Gemm");
    assert_int_equal(hbg_attr_int(n, "transB", 0), 1);
    assert_non_null(n = node_named(g, "ip_t"));
    assert_int_equal(hbg_attr_int(n, "transB", 1), 0);
    assert_non_null(n = node_named(g, "ip_t/reshape"));
    assert_non_null(n = node_named(g, "drop"));
    assert_string_equal(n->op_type, "Identity");
    assert_non_null(n = node_named(g, "pow_lin"));
    assert_string_equal(n->op_type, "Add"); /* power 1: no Pow node */
    assert_non_null(n = node_named(g, "softmax"));
    assert_int_equal(hbg_attr_int(n, "axis", 0), 2);
    hbg_graph_free(g);
}

static void test_v1_and_rules(void **state)
{
    (void)state;
    hbg_graph *g = load_ok(CASES "syn_v1/net.prototxt", CASES "syn_v1/net.caffemodel");
    assert_string_equal(g->name, "syn_v1");
    assert_non_null(node_named(g, "conv1")); /* "conv\x31" */
    assert_non_null(node_named(g, "relu1"));
    assert_non_null(node_named(g, "test_only"));
    assert_null(node_named(g, "train_only"));
    assert_null(node_named(g, "level_gated"));
    assert_int_equal(g->n_outputs, 1);
    assert_string_equal(g->tensors[g->outputs[0]]->name, "prob");
    hbg_graph_free(g);
    /* cifar10_quick: a V2 prototxt with the weights of a V1 caffemodel */
    g = load_ok(MODELS "cifar10_quick/cifar10_quick.prototxt",
                MODELS "cifar10_quick/cifar10_quick_iter_5000.caffemodel");
    const hbg_node *n = node_named(g, "pool1");
    assert_non_null(n);
    assert_int_equal(hbg_attr_int(n, "ceil_mode", 0), 1);
    assert_string_equal(out_name(g, n, 0), "pool1@pool1");
    hbg_graph_free(g);
}

/* ---- refusals ------------------------------------------------------------------------------- */

static void test_bad_files(void **state)
{
    (void)state;
    size_t len;
    char *det1 = read_all(MODELS "mtcnn/det1.caffemodel", &len);
    const char *trunc = write_tmp(1, "trunc.caffemodel", det1, len / 2);
    load_fails(MODELS "mtcnn/det1.prototxt", trunc, HBG_E_FORMAT, trunc,
               "not a Caffe model: the protobuf does not parse (truncated or corrupt file?)");
    const char *empty = write_tmp(1, "empty.caffemodel", "", 0);
    load_fails(MODELS "mtcnn/det1.prototxt", empty, HBG_E_INVALID, empty,
               "layer 'conv1' (Convolution): no weights for this layer in the caffemodel");
    free(det1);
    load_fails(TMP_DIR "no_such.prototxt", NULL, HBG_E_IO, TMP_DIR "no_such.prototxt",
               "cannot open: No such file or directory");
    /* a syntax error, reported with line and column */
    const char *p = net_text("layer { name: \"r\" type: \"ReLU\" bottom: \"data\" top: \"r\"\n"
                             "  relu_param { negative_slope: } }\n");
    hbg_graph *g = NULL;
    char err[1024], want[1200];
    assert_int_equal(hbc_caffe_load(p, NULL, &g, err, sizeof err), HBG_E_FORMAT);
    snprintf(want, sizeof want, "%s:5:32: field 'negative_slope' takes a number, not '}'", p);
    assert_string_equal(err, want);
    assert_null(g);
    /* the blob shape does not match the layer: det1 with another conv1 num_output */
    char *text = read_all(MODELS "mtcnn/det1.prototxt", &len), *bad;
    bad = replaced(text, "num_output: 10", "num_output: 12");
    p = write_tmp(0, "det1_bad.prototxt", bad, strlen(bad));
    free(bad);
    load_fails(p, MODELS "mtcnn/det1.caffemodel", HBG_E_SHAPE, MODELS "mtcnn/det1.caffemodel",
               "layer 'conv1' (Convolution): blob 0 (weights) has shape 10x3x3x3, expected "
               "12x3x3x3");
    /* ... or its blob count (no bias) */
    bad = replaced(text, "num_output: 10", "num_output: 10 bias_term: false");
    p = write_tmp(0, "det1_bad.prototxt", bad, strlen(bad));
    free(bad);
    load_fails(p, MODELS "mtcnn/det1.caffemodel", HBG_E_INVALID, MODELS "mtcnn/det1.caffemodel",
               "layer 'conv1' (Convolution): has 2 weight blobs, expected 1");
    free(text);
    /* legacy V1 blob shapes are checked too */
    text = read_all(MODELS "cifar10_quick/cifar10_quick.prototxt", &len);
    bad = replaced(text, "num_output: 64\n  }\n}", "num_output: 54\n  }\n}");
    p = write_tmp(0, "cifar_bad.prototxt", bad, strlen(bad));
    free(bad);
    load_fails(p, MODELS "cifar10_quick/cifar10_quick_iter_5000.caffemodel", HBG_E_SHAPE,
               MODELS "cifar10_quick/cifar10_quick_iter_5000.caffemodel",
               "layer 'ip1' (InnerProduct): blob 0 (weights) has shape 1x1x64x1024 (num, "
               "channels, height, width), expected 54x1024");
    free(text);
}

typedef struct bad_net {
    const char *layers;
    hbg_status st;
    const char *msg; /* after "<file>: " */
} bad_net;

static void test_bad_layers(void **state)
{
    (void)state;
    static const bad_net cases[] = {
        {"layer { name: \"r\" type: \"ReLU\" bottom: \"nope\" top: \"r\" }", HBG_E_INVALID,
         "layer 'r' (ReLU): bottom 'nope' is neither an input nor the top of an earlier layer"},
        {"layer { name: \"r\" type: \"ReLU\" bottom: \"later\" top: \"r\" }\n"
         "layer { name: \"l\" type: \"ReLU\" bottom: \"data\" top: \"later\" }",
         HBG_E_INVALID,
         "layer 'r' (ReLU): bottom 'later' is neither an input nor the top of an earlier layer"},
        {"layer { name: \"x\" type: \"Foo\" bottom: \"data\" top: \"x\" }", HBG_E_UNSUPPORTED,
         "layer 'x' (Foo): layer type 'Foo' is not supported"},
        {"layer { name: \"x\" bottom: \"data\" top: \"x\" }", HBG_E_INVALID,
         "layer 'x' (no type): the layer has no type"},
        {"layer { name: \"e\" type: \"Eltwise\" bottom: \"data\" top: \"e\" }", HBG_E_INVALID,
         "layer 'e' (Eltwise): has 1 bottoms; Eltwise takes 2..64"},
        {"layer { name: \"s\" type: \"Slice\" bottom: \"data\" top: \"a\" top: \"b\"\n"
         "  slice_param { slice_point: 3 slice_point: 2 } }",
         HBG_E_INVALID, "layer 's' (Slice): has 2 slice_point for 2 tops (needs 1)"},
        {"layer { name: \"s\" type: \"Slice\" bottom: \"data\" top: \"a\" top: \"b\" top: \"c\"\n"
         "  slice_param { slice_point: 3 slice_point: 2 } }",
         HBG_E_INVALID,
         "layer 's' (Slice): slice_point 2 must increase and stay inside (0, 4) on axis 1"},
        {"layer { name: \"s\" type: \"Slice\" bottom: \"data\" top: \"a\" top: \"b\" top: \"c\" }",
         HBG_E_SHAPE, "layer 's' (Slice): axis 1 (4) does not split into 3 equal parts"},
        {"layer { name: \"p\" type: \"Pooling\" bottom: \"data\" top: \"p\"\n"
         "  pooling_param { kernel_size: 1 stride: 4 } }",
         HBG_E_UNSUPPORTED,
         "layer 'p' (Pooling): the last window on axis h starts past the input (kernel 1 < stride "
         "4 with ceil rounding): Caffe reads no data there"},
        {"layer { name: \"p\" type: \"Pooling\" bottom: \"data\" top: \"p\"\n"
         "  pooling_param { pool: STOCHASTIC kernel_size: 2 } }",
         HBG_E_UNSUPPORTED, "layer 'p' (Pooling): pool: STOCHASTIC is not supported"},
        {"layer { name: \"p\" type: \"Pooling\" bottom: \"data\" top: \"p\"\n"
         "  pooling_param { kernel_size: 2 pad: 2 } }",
         HBG_E_INVALID, "layer 'p' (Pooling): pad 2 must be smaller than the kernel (2) on axis h"},
        {"layer { name: \"p\" type: \"Pooling\" bottom: \"data\" top: \"p\"\n"
         "  pooling_param { kernel_size: 2 pad_h: 1 } }",
         HBG_E_INVALID, "layer 'p' (Pooling): give pad, or pad_h and pad_w together"},
        {"layer { name: \"p\" type: \"Pooling\" bottom: \"data\" top: \"p\" }", HBG_E_INVALID,
         "layer 'p' (Pooling): kernel_size (or kernel_h and kernel_w) is required"},
        {"layer { name: \"c\" type: \"Convolution\" bottom: \"data\" top: \"c\"\n"
         "  convolution_param { num_output: 3 kernel_size: 3 group: 2 } }",
         HBG_E_INVALID,
         "layer 'c' (Convolution): group 2 must divide the input channels (4) and num_output (3)"},
        {"layer { name: \"c\" type: \"Convolution\" bottom: \"data\" top: \"c\"\n"
         "  convolution_param { num_output: 3 kernel_size: 7 } }",
         HBG_E_SHAPE,
         "layer 'c' (Convolution): the kernel spans 7 on axis h, more than the padded input (6)"},
        {"layer { name: \"c\" type: \"Convolution\" bottom: \"data\" top: \"c\"\n"
         "  convolution_param { num_output: 3 kernel_h: 3 } }",
         HBG_E_INVALID,
         "layer 'c' (Convolution): kernel_size_h and kernel_size_w must be given "
         "together"},
        {"layer { name: \"c\" type: \"Convolution\" bottom: \"data\" top: \"c\"\n"
         "  convolution_param { num_output: 3 kernel_size: [1, 2, 3] } }",
         HBG_E_UNSUPPORTED,
         "layer 'c' (Convolution): kernel_size has 3 values: only 2-D convolution (1 or 2 "
         "values) is supported"},
        {"layer { name: \"c\" type: \"Convolution\" bottom: \"data\" top: \"c\" }", HBG_E_INVALID,
         "layer 'c' (Convolution): convolution_param is missing (num_output is required)"},
        {"layer { name: \"i\" type: \"InnerProduct\" bottom: \"data\" top: \"i\" }", HBG_E_INVALID,
         "layer 'i' (InnerProduct): inner_product_param.num_output is required"},
        {"layer { name: \"i\" type: \"InnerProduct\" bottom: \"data\" top: \"i\"\n"
         "  inner_product_param { num_output: 2 axis: 4 } }",
         HBG_E_INVALID, "layer 'i' (InnerProduct): axis 4 is out of range for a bottom of rank 4"},
        {"layer { name: \"b\" type: \"BatchNorm\" bottom: \"data\" top: \"b\"\n"
         "  batch_norm_param { use_global_stats: false } }",
         HBG_E_UNSUPPORTED,
         "layer 'b' (BatchNorm): use_global_stats: false normalises with batch statistics; "
         "inference needs the stored ones"},
        {"layer { name: \"l\" type: \"LRN\" bottom: \"data\" top: \"l\" lrn_param { local_size: 4 "
         "} }",
         HBG_E_INVALID, "layer 'l' (LRN): local_size 4 must be odd"},
        {"layer { name: \"e\" type: \"Eltwise\" bottom: \"data\" bottom: \"data\" top: \"e\"\n"
         "  eltwise_param { operation: PROD coeff: 1 coeff: 2 } }",
         HBG_E_INVALID, "layer 'e' (Eltwise): coeff is only allowed with operation SUM"},
        {"layer { name: \"p\" type: \"Pooling\" bottom: \"data\" top: \"p\"\n"
         "  pooling_param { kernel_size: 2 stride: 2 } }\n"
         "layer { name: \"e\" type: \"Eltwise\" bottom: \"data\" bottom: \"p\" top: \"e\" }",
         HBG_E_SHAPE, "layer 'e' (Eltwise): bottom 1 ('p') has another shape than bottom 0"},
        {"layer { name: \"r\" type: \"Reshape\" bottom: \"data\" top: \"r\"\n"
         "  reshape_param { shape { dim: 5 dim: -1 } } }",
         HBG_E_SHAPE,
         "layer 'r' (Reshape): cannot infer the -1 dimension: 144 elements are not a multiple of "
         "5"},
        {"layer { name: \"r\" type: \"Reshape\" bottom: \"data\" top: \"r\"\n"
         "  reshape_param { shape { dim: 0 dim: 0 dim: 0 dim: 0 dim: 0 } } }",
         HBG_E_INVALID,
         "layer 'r' (Reshape): shape dim 4 is 0 (copy) but the bottom has no axis 4"},
        {"layer { name: \"p\" type: \"Permute\" bottom: \"data\" top: \"p\"\n"
         "  permute_param { order: 0 order: 0 } }",
         HBG_E_INVALID, "layer 'p' (Permute): order 0 is out of range or repeated (rank 4)"},
        {"layer { name: \"c\" type: \"Concat\" bottom: \"data\" bottom: \"data\" top: \"c\"\n"
         "  concat_param { axis: 1 concat_dim: 1 } }",
         HBG_E_INVALID, "layer 'c' (Concat): give axis or concat_dim, not both"},
        {"layer { name: \"in2\" type: \"Input\" top: \"x\" }", HBG_E_INVALID,
         "layer 'in2' (Input): input_param must give one shape, or one per top (1), not 0"},
        {"layer { name: \"in2\" type: \"Input\" top: \"data\" input_param { shape { dim: 1 } } }",
         HBG_E_INVALID, "layer 'in2' (Input): top 'data' is already a blob of the net"},
        {"layer { name: \"d\" type: \"Deconvolution\" bottom: \"data\" top: \"d\"\n"
         "  convolution_param { num_output: 2 kernel_size: 1 pad: 3 } }",
         HBG_E_SHAPE, "layer 'd' (Deconvolution): top 'd': dimension 2 is 0 (1..2147483647)"},
        {"layer { name: \"r\" type: \"ReLU\" bottom: \"data\" top: \"a\" top: \"a\" }",
         HBG_E_INVALID, "layer 'r' (ReLU): has 2 tops; ReLU takes 1..1"},
        {"layer { name: \"s\" type: \"Scale\" bottom: \"data\" bottom: \"data\" top: \"s\" }",
         HBG_E_INVALID, "layer 's' (Scale): has 2 bottoms; Scale takes 1..1"},
        {"layer { name: \"c\" type: \"Convolution\" bottom: \"data\" top: \"c\"\n"
         "  include { phase: TEST } exclude { phase: TRAIN }\n"
         "  convolution_param { num_output: 3 kernel_size: 3 } }",
         HBG_E_INVALID, "layer 'c' (Convolution): has both include and exclude rules"},
        {"", HBG_E_INVALID, "the net has no outputs"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char what[32];
        const char *p = net_text(cases[i].layers);
        snprintf(what, sizeof what, "case %zu", i);
        load_fails_in(what, p, NULL, cases[i].st, p, cases[i].msg);
    }
}

static void test_bad_headers(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"input: \"a\" input_dim: 1 input_dim: 2", "1 inputs need one input_shape or four "
                                                   "input_dim each (found 0 input_shape, 2 "
                                                   "input_dim)"},
        {"input: \"a\"", "1 inputs need one input_shape or four input_dim each (found 0 "
                         "input_shape, 0 input_dim)"},
        {"input: \"a\" input_shape { dim: 1 dim: 0 }",
         "input 'a': dimension 1 is 0 (1..2147483647)"},
        {"input: \"a\" input_shape { }", "input 'a' has 0 dimensions (1..8)"},
        {"input: \"a\" input_shape { dim: 1 } input: \"a\" input_shape { dim: 1 }",
         "input 'a' is declared twice"},
        {"input: \"a\" input_shape { dim: 1 } input_dim: [1, 1, 1, 1]",
         "the header gives both input_shape and input_dim"},
        {"layer { name: \"x\" } layers { name: \"y\" }",
         "the net mixes 'layer' and the legacy 'layers'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = write_tmp(0, "hdr.prototxt", cases[i].text, strlen(cases[i].text));
        hbg_graph *g = NULL;
        char err[512], want[700];
        hbg_status st = hbc_caffe_load(p, NULL, &g, err, sizeof err);
        snprintf(want, sizeof want, "%s: %s", p, cases[i].msg);
        assert_true(st != HBG_OK);
        assert_null(g);
        assert_string_equal(err, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure_only), cmocka_unit_test(test_graph_form),
        cmocka_unit_test(test_shape_layers),   cmocka_unit_test(test_v1_and_rules),
        cmocka_unit_test(test_bad_files),      cmocka_unit_test(test_bad_layers),
        cmocka_unit_test(test_bad_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
