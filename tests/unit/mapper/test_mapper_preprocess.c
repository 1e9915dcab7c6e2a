/* The preprocess node (converter/mapper/mapper_preprocess.c, docs/preprocess-node.md).
 *
 * Independent checks: colours converted forward with the BT.601 formulas of the reference's notes
 * (section 2: full range and video range, their published three-decimal coefficients) and with
 * the exact definition (Y = .299R + .587G + .114B, U = (B - Y)/1.772 + 128, V = (R - Y)/1.402 +
 * 128) must come back as the original RGB through the node's affine map; mean/scale and channel
 * order are derived by hand; the inserted node runs on the float executor and matches the formula
 * evaluated here in double precision. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hbc_mapper.h"
#include "hbg/exec.h"

static double mean3[3] = {1, 2, 3}, scale3[3] = {0.5, 0.25, 0.125}, one[1] = {1};

static hbc_cfg_input image_input(hbc_input_type rt, hbc_input_type train)
{
    hbc_cfg_input in = {0};
    in.name = "data";
    in.type_rt = rt;
    in.type_train = train;
    in.layout_train = HBC_LAYOUT_NCHW;
    in.norm_type = HBC_NORM_NO_PREPROCESS;
    return in;
}

/* x (intermediate - 128) through the map. */
static void apply(const hbc_pre_affine *a, const double *x, double *y)
{
    for (int r = 0; r < a->channels; r++) {
        y[r] = a->b[r];
        for (int j = 0; j < a->channels; j++)
            y[r] += a->w[r][j] * x[j];
    }
}

static const double rgb_samples[][3] = {{255, 0, 0},   {0, 255, 0},     {0, 0, 255},
                                        {10, 200, 30}, {128, 128, 128}, {250, 240, 5},
                                        {0, 0, 0},     {255, 255, 255}};
#define N_SAMPLES (sizeof rgb_samples / sizeof rgb_samples[0])

static void test_yuv_full_range_exact(void **state)
{
    (void)state;
    hbc_cfg_input in = image_input(HBC_IT_NV12, HBC_IT_RGB);
    hbc_pre_affine a;
    char err[256];
    assert_int_equal(hbc_pre_affine_of(&in, &a, err, sizeof err), HBG_OK);
    assert_int_equal(a.channels, 3);
    for (size_t s = 0; s < N_SAMPLES; s++) {
        const double *p = rgb_samples[s];
        double yy = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
        double x[3] = {yy - 128, (p[2] - yy) / 1.772, (p[0] - yy) / 1.402}, y[3];
        apply(&a, x, y);
        for (int c = 0; c < 3; c++)
            assert_true(fabs(y[c] - p[c]) < 1e-9);
    }
}

/* The reference's published coefficients are rounded to three decimals: the round trip is
 * within 0.35 of a level. BGR train reverses the rows. */
static void test_yuv_full_range_reference_formula(void **state)
{
    (void)state;
    hbc_cfg_input in = image_input(HBC_IT_YUV444, HBC_IT_BGR);
    hbc_pre_affine a;
    char err[256];
    assert_int_equal(hbc_pre_affine_of(&in, &a, err, sizeof err), HBG_OK);
    for (size_t s = 0; s < N_SAMPLES; s++) {
        const double *p = rgb_samples[s];
        double yy = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
        double u = -0.169 * p[0] - 0.331 * p[1] + 0.5 * p[2] + 128;
        double v = 0.5 * p[0] - 0.419 * p[1] - 0.081 * p[2] + 128;
        double x[3] = {yy - 128, u - 128, v - 128}, y[3];
        apply(&a, x, y);
        for (int c = 0; c < 3; c++)
            assert_true(fabs(y[c] - p[2 - c]) < 0.35);
    }
}

static void test_yuv_video_range_reference_formula(void **state)
{
    (void)state;
    hbc_cfg_input in = image_input(HBC_IT_NV12, HBC_IT_RGB);
    hbc_pre_affine a;
    char err[256];
    in.space_and_range = HBC_RANGE_BT601_VIDEO;
    assert_int_equal(hbc_pre_affine_of(&in, &a, err, sizeof err), HBG_OK);
    for (size_t s = 0; s < N_SAMPLES; s++) {
        const double *p = rgb_samples[s];
        double yy = 0.257 * p[0] + 0.504 * p[1] + 0.098 * p[2] + 16;
        double u = -0.148 * p[0] - 0.291 * p[1] + 0.439 * p[2] + 128;
        double v = 0.439 * p[0] - 0.368 * p[1] - 0.071 * p[2] + 128;
        double x[3] = {yy - 128, u - 128, v - 128}, y[3];
        apply(&a, x, y);
        for (int c = 0; c < 3; c++)
            assert_true(fabs(y[c] - p[c]) < 0.6);
    }
}

/* rgb_128 into a bgr-trained model with mean (1,2,3), scale (0.5,0.25,0.125):
 * out[c] = (v[2-c] - mean[c]) * scale[c] with v = x + 128, by hand. */
static void test_swap_mean_scale(void **state)
{
    (void)state;
    hbc_cfg_input in = image_input(HBC_IT_RGB, HBC_IT_BGR);
    hbc_pre_affine a;
    char err[256];
    in.norm_type = HBC_NORM_DATA_MEAN_AND_SCALE;
    in.mean = (hbc_cfg_floats){3, mean3};
    in.scale = (hbc_cfg_floats){3, scale3};
    assert_int_equal(hbc_pre_affine_of(&in, &a, err, sizeof err), HBG_OK);
    for (int r = 0; r < 3; r++) {
        for (int j = 0; j < 3; j++)
            assert_true(a.w[r][j] == (j == 2 - r ? scale3[r] : 0));
        assert_true(fabs(a.b[r] - (128 - mean3[r]) * scale3[r]) < 1e-12);
    }
    /* data_mean ignores scale_value, data_scale ignores mean_value. */
    in.norm_type = HBC_NORM_DATA_MEAN;
    assert_int_equal(hbc_pre_affine_of(&in, &a, err, sizeof err), HBG_OK);
    assert_true(a.w[0][2] == 1 && a.b[0] == 127);
    in.norm_type = HBC_NORM_DATA_SCALE;
    assert_int_equal(hbc_pre_affine_of(&in, &a, err, sizeof err), HBG_OK);
    assert_true(a.w[0][2] == 0.5 && a.b[0] == 64);
}

static void test_refusals(void **state)
{
    (void)state;
    hbc_pre_affine a;
    char err[256];
    hbc_cfg_input in = image_input(HBC_IT_GRAY, HBC_IT_GRAY);
    in.norm_type = HBC_NORM_DATA_MEAN;
    in.mean = (hbc_cfg_floats){3, mean3};
    assert_int_equal(hbc_pre_affine_of(&in, &a, err, sizeof err), HBG_E_INVALID);
    assert_non_null(
        strstr(err, "input data: mean_value has 3 values; input_type_train gray needs 1"));
    in.mean = (hbc_cfg_floats){1, one};
    assert_int_equal(hbc_pre_affine_of(&in, &a, err, sizeof err), HBG_OK);
    assert_int_equal(a.channels, 1);
    assert_true(a.w[0][0] == 1 && a.b[0] == 127);
    in = image_input(HBC_IT_FEATUREMAP, HBC_IT_FEATUREMAP);
    assert_int_equal(hbc_pre_affine_of(&in, &a, err, sizeof err), HBG_E_INVALID);
    assert_non_null(strstr(err, "featuremap inputs get no preprocess node"));
    in = image_input(HBC_IT_RGB, HBC_IT_YUV444);
    assert_int_equal(hbc_pre_affine_of(&in, &a, err, sizeof err), HBG_E_INVALID);
    assert_non_null(strstr(err, "input_type_train 'yuv444' is not supported transform to "
                                "input_type_rt 'rgb'"));
}

/* data (shape dims) -> Relu -> out. */
static hbg_graph *relu_graph(const int64_t *dims)
{
    hbg_graph *g = hbg_graph_create();
    const char *in[1] = {"data"}, *out[1] = {"out"};
    assert_non_null(g);
    int x = hbg_graph_tensor(g, "data");
    assert_int_equal(hbg_tensor_set_shape(g->tensors[x], HBG_DT_F32, 4, dims), HBG_OK);
    assert_int_equal(hbg_graph_add_input(g, x), HBG_OK);
    assert_int_equal(hbg_graph_add_opset(g, "", 11), HBG_OK);
    assert_int_equal(hbg_graph_add_node(g, "Relu", "", "relu", 1, in, 1, out, NULL), HBG_OK);
    assert_int_equal(hbg_graph_add_output(g, hbg_graph_find_tensor(g, "out")), HBG_OK);
    return g;
}

/* Insert the node for nv12 -> rgb with mean/scale into data -> Relu, run it, and compare with
 * relu(affine(x)) computed here, for both layouts. */
static void run_inserted(hbc_layout layout)
{
    int nhwc = layout == HBC_LAYOUT_NHWC;
    int64_t dims[4] = {1, nhwc ? 2 : 3, nhwc ? 4 : 2, nhwc ? 3 : 4}; /* H=2, W=4, C=3 */
    hbg_graph *g = relu_graph(dims);
    hbg_exec *e = NULL;
    hbc_pre_affine a;
    char err[256];
    hbc_cfg_input in = image_input(HBC_IT_NV12, HBC_IT_RGB);
    in.layout_train = layout;
    in.norm_type = HBC_NORM_DATA_MEAN_AND_SCALE;
    in.mean = (hbc_cfg_floats){3, mean3};
    in.scale = (hbc_cfg_floats){3, scale3};
    assert_int_equal(hbc_pre_affine_of(&in, &a, err, sizeof err), HBG_OK);
    assert_int_equal(hbc_pre_insert(g, 0, &in, err, sizeof err), HBG_OK);
    assert_int_equal(g->n_inputs, 1);
    assert_string_equal(g->tensors[g->inputs[0]]->name, "data");
    assert_true(hbg_graph_find_tensor(g, "HZ_PREPROCESS_FOR_data_output") >= 0);
    int found = 0;
    for (int i = 0; i < g->n_nodes; i++)
        found += strcmp(g->nodes[i].name, "HZ_PREPROCESS_FOR_data") == 0 &&
                 strcmp(g->nodes[i].op_type, nhwc ? "MatMul" : "Conv") == 0;
    assert_int_equal(found, 1);
    assert_int_equal(hbg_exec_create(g, &e), HBG_OK);
    float *x = g->tensors[g->inputs[0]]->data;
    const float *y = g->tensors[g->outputs[0]]->data;
    for (int i = 0; i < 24; i++)
        x[i] = (float)((i * 37) % 256 - 128);
    assert_int_equal(hbg_exec_run(e), HBG_OK);
    for (int p = 0; p < 8; p++) {
        double v[3], r[3];
        for (int c = 0; c < 3; c++)
            v[c] = x[nhwc ? p * 3 + c : c * 8 + p];
        apply(&a, v, r);
        for (int c = 0; c < 3; c++) {
            double want = r[c] > 0 ? r[c] : 0, got = y[nhwc ? p * 3 + c : c * 8 + p];
            assert_true(fabs(got - want) <= 1e-5 * (1 + fabs(want)));
        }
    }
    hbg_exec_free(e);
    hbg_graph_free(g);
}

static void test_insert_nchw(void **state)
{
    (void)state;
    run_inserted(HBC_LAYOUT_NCHW);
}

static void test_insert_nhwc(void **state)
{
    (void)state;
    run_inserted(HBC_LAYOUT_NHWC);
}

static void test_insert_refusals(void **state)
{
    (void)state;
    char err[256];
    int64_t odd[4] = {1, 3, 3, 4}, gray[4] = {1, 1, 4, 4};
    hbc_cfg_input in = image_input(HBC_IT_NV12, HBC_IT_RGB);
    hbg_graph *g = relu_graph(odd);
    assert_int_equal(hbc_pre_insert(g, 0, &in, err, sizeof err), HBG_E_INVALID);
    assert_non_null(strstr(err, "input data: Invalid nv12 input shape: H x W = 3 x 4"));
    hbg_graph_free(g);
    g = relu_graph(gray);
    assert_int_equal(hbc_pre_insert(g, 0, &in, err, sizeof err), HBG_E_INVALID);
    assert_non_null(strstr(err, "needs a 4-D shape with C = 3"));
    assert_int_equal(hbc_pre_insert(g, 1, &in, err, sizeof err), HBG_E_INVALID);
    hbg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yuv_full_range_exact),
        cmocka_unit_test(test_yuv_full_range_reference_formula),
        cmocka_unit_test(test_yuv_video_range_reference_formula),
        cmocka_unit_test(test_swap_mean_scale),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_insert_nchw),
        cmocka_unit_test(test_insert_nhwc),
        cmocka_unit_test(test_insert_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
