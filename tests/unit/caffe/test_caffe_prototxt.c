/* The protobuf text-format parser (converter/caffe/prototxt.c) over the Caffe schema: every
 * syntax form, value kinds and ranges, lenient skipping, and errors with their positions. The
 * expected values are the literals written in the texts below. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "caffe_subset.pb-c.h"
#include "prototxt.h"

static const ProtobufCMessageDescriptor *const lenient[] = {
    &caffe__net_parameter__descriptor, &caffe__layer_parameter__descriptor,
    &caffe__v1_layer_parameter__descriptor, NULL};

static Caffe__NetParameter *parse_ok(const char *text)
{
    ProtobufCMessage *m = NULL;
    char err[512];
    if (hbc_prototxt_parse(text, strlen(text), "t.prototxt", &caffe__net_parameter__descriptor,
                           lenient, &m, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    assert_non_null(m);
    return (Caffe__NetParameter *)m;
}

/* Parse text expecting failure with status st and exactly the message msg. */
static void parse_fails(const char *text, hbg_status st, const char *msg)
{
    ProtobufCMessage *m = (ProtobufCMessage *)(uintptr_t)1;
    char err[512];
    hbg_status got =
        hbc_prototxt_parse(text, strlen(text), "t.prototxt", &caffe__net_parameter__descriptor,
                           lenient, &m, err, sizeof err);
    assert_int_equal(got, st);
    assert_null(m);
    assert_string_equal(err, msg);
}

static void test_syntax_forms(void **state)
{
    (void)state;
    Caffe__NetParameter *n =
        parse_ok("# a comment\n"
                 "name: \"net\"  # trailing comment\n"
                 "input: 'x' input: \"y\";\n"
                 "input_dim: [1, 3, 0x10, 010], input_dim: 5\n"
                 "layer { name: \"c\" type: \"Convolution\"\n"
                 "  convolution_param < num_output: 8 kernel_size: [3, 5] >\n"
                 "}\n"
                 "layer: { name: 'p' pooling_param: { pool: AVE stride: 2 } }\n"
                 "layer [ { name: \"l1\" }, { name: \"l2\" } ]\n");
    assert_string_equal(n->name, "net");
    assert_int_equal(n->n_input, 2);
    assert_string_equal(n->input[0], "x");
    assert_string_equal(n->input[1], "y");
    assert_int_equal(n->n_input_dim, 5);
    assert_int_equal(n->input_dim[0], 1);
    assert_int_equal(n->input_dim[2], 16);
    assert_int_equal(n->input_dim[3], 8);
    assert_int_equal(n->input_dim[4], 5);
    assert_int_equal(n->n_layer, 4);
    const Caffe__ConvolutionParameter *c = n->layer[0]->convolution_param;
    assert_non_null(c);
    assert_true(c->has_num_output);
    assert_int_equal(c->num_output, 8);
    assert_int_equal(c->n_kernel_size, 2);
    assert_int_equal(c->kernel_size[1], 5);
    assert_false(c->has_group);
    assert_int_equal(c->group, 1); /* the schema's default */
    assert_true(c->bias_term);
    const Caffe__PoolingParameter *p = n->layer[1]->pooling_param;
    assert_int_equal(p->pool, CAFFE__POOLING_PARAMETER__POOL_METHOD__AVE);
    assert_true(p->has_stride);
    assert_int_equal(p->stride, 2);
    assert_string_equal(n->layer[2]->name, "l1");
    assert_string_equal(n->layer[3]->name, "l2");
    caffe__net_parameter__free_unpacked(n, NULL);
}

static void test_values(void **state)
{
    (void)state;
    Caffe__NetParameter *n = parse_ok(
        "name: \"a\\tb\\n\\\\\\'\\\"\\x41\\101\\x4a\" 'cd'\n"
        "layer { name: \"v\"\n"
        "  relu_param { negative_slope: -1.5e-1 engine: 2 }\n"
        "  power_param { power: .5 scale: 2.f shift: -inf }\n"
        "  lrn_param { alpha: nan beta: 3 k: 1E2 norm_region: WITHIN_CHANNEL }\n"
        "  batch_norm_param { use_global_stats: t }\n"
        "  inner_product_param { bias_term: False transpose: 1 axis: -2 }\n"
        "  reshape_param { shape { dim: -9223372036854775808 dim: 9223372036854775807 } }\n"
        "  concat_param { concat_dim: 4294967295 axis: -2147483648 }\n"
        "  phase: TEST\n"
        "}\n");
    assert_string_equal(n->name, "a\tb\n\\'\"AAJcd");
    const Caffe__LayerParameter *l = n->layer[0];
    assert_true(l->relu_param->negative_slope == -0.15f);
    assert_int_equal(l->relu_param->engine, CAFFE__RE_LUPARAMETER__ENGINE__CUDNN);
    assert_true(l->power_param->power == 0.5f);
    assert_true(l->power_param->scale == 2.0f);
    assert_true(isinf(l->power_param->shift) && l->power_param->shift < 0);
    assert_true(isnan(l->lrn_param->alpha));
    assert_true(l->lrn_param->beta == 3.0f);
    assert_true(l->lrn_param->k == 100.0f);
    assert_int_equal(l->lrn_param->norm_region, CAFFE__LRNPARAMETER__NORM_REGION__WITHIN_CHANNEL);
    assert_true(l->batch_norm_param->has_use_global_stats && l->batch_norm_param->use_global_stats);
    assert_true(l->inner_product_param->has_bias_term && !l->inner_product_param->bias_term);
    assert_true(l->inner_product_param->transpose);
    assert_int_equal(l->inner_product_param->axis, -2);
    assert_true(l->reshape_param->shape->dim[0] == INT64_MIN);
    assert_true(l->reshape_param->shape->dim[1] == INT64_MAX);
    assert_true(l->concat_param->concat_dim == UINT32_MAX);
    assert_true(l->concat_param->axis == INT32_MIN);
    assert_int_equal(l->phase, CAFFE__PHASE__TEST);
    caffe__net_parameter__free_unpacked(n, NULL);
}

/* Unknown fields of NetParameter and the layer messages are skipped, whatever their form. */
static void test_lenient(void **state)
{
    (void)state;
    Caffe__NetParameter *n =
        parse_ok("force_backward: true\n"
                 "state { phase: TEST stage: \"a\" nested { deeper < x: -1 > } }\n"
                 "layer { name: \"c\" param { lr_mult: 1 decay_mult: 0 } loss_weight: [1, 2]\n"
                 "        transform_param: { mean_file: \"m\" \"n\" crop_size: 1e3 } top: \"t\" }\n"
                 "layers { name: \"v1\" type: CONVOLUTION blobs_lr: 1 weight_decay: -inf }\n");
    assert_int_equal(n->n_layer, 1);
    assert_string_equal(n->layer[0]->top[0], "t");
    assert_int_equal(n->n_layers, 1);
    assert_int_equal(n->layers[0]->type, CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__CONVOLUTION);
    caffe__net_parameter__free_unpacked(n, NULL);
}

static void test_empty(void **state)
{
    (void)state;
    Caffe__NetParameter *n = parse_ok("  # nothing\n");
    assert_int_equal(n->n_layer, 0);
    assert_null(n->name);
    caffe__net_parameter__free_unpacked(n, NULL);
}

static void test_errors(void **state)
{
    (void)state;
    parse_fails("layer {\n  convolution_param { kernal_size: 3 }\n}\n", HBG_E_FORMAT,
                "t.prototxt:2:23: unknown field 'kernal_size' in caffe.ConvolutionParameter");
    parse_fails("layer { name: \"a\"\n", HBG_E_FORMAT,
                "t.prototxt:2:1: missing '}' at the end of the text");
    parse_fails("layer { pooling_param { pool: MAXX } }", HBG_E_FORMAT,
                "t.prototxt:1:31: 'MAXX' is not a value of enum caffe.PoolingParameter.PoolMethod "
                "(field 'pool')");
    parse_fails("layer { pooling_param { pool: 7 } }", HBG_E_FORMAT,
                "t.prototxt:1:31: 7 is not a value of enum caffe.PoolingParameter.PoolMethod "
                "(field 'pool')");
    parse_fails("name: \"abc\n\"", HBG_E_FORMAT, "t.prototxt:1:7: unterminated string");
    parse_fails("layer { convolution_param { num_output: -1 } }", HBG_E_FORMAT,
                "t.prototxt:1:41: -1 is out of range for field 'num_output'");
    parse_fails("input_dim: 2147483648", HBG_E_FORMAT,
                "t.prototxt:1:12: 2147483648 is out of range for field 'input_dim'");
    parse_fails("input_dim: -2147483649", HBG_E_FORMAT,
                "t.prototxt:1:12: -2147483649 is out of range for field 'input_dim'");
    parse_fails("layer { power_param { power: 1e39 } }", HBG_E_FORMAT,
                "t.prototxt:1:30: 1e+39 is out of range for float field 'power'");
    parse_fails("input_dim: 1.5", HBG_E_FORMAT,
                "t.prototxt:1:12: field 'input_dim' takes an integer, not '1.5'");
    parse_fails("name: 3", HBG_E_FORMAT, "t.prototxt:1:7: field 'name' takes a string, not '3'");
    parse_fails("name: \"a\" name: \"b\"", HBG_E_FORMAT,
                "t.prototxt:1:11: field 'name' is given twice");
    parse_fails("layer { relu_param { } relu_param { } }", HBG_E_FORMAT,
                "t.prototxt:1:24: field 'relu_param' is given twice");
    parse_fails("name: [\"a\"]", HBG_E_FORMAT,
                "t.prototxt:1:7: field 'name' is not repeated: a list is not allowed");
    parse_fails("input_dim: [1 2]", HBG_E_FORMAT,
                "t.prototxt:1:15: expected ',' or ']' in the list of 'input_dim', not '2'");
    parse_fails("layer { batch_norm_param { use_global_stats: yes } }", HBG_E_FORMAT,
                "t.prototxt:1:46: field 'use_global_stats' takes true or false, not 'yes'");
    parse_fails("layer \"x\"", HBG_E_FORMAT,
                "t.prototxt:1:7: expected '{' after message field 'layer', not '\"x\"'");
    parse_fails("name { }", HBG_E_FORMAT,
                "t.prototxt:1:6: field 'name' is not a message: expected ':'");
    parse_fails("input_dim 3", HBG_E_FORMAT,
                "t.prototxt:1:11: expected ':' after field 'input_dim', not '3'");
    parse_fails("name: \"a\\qb\"", HBG_E_FORMAT,
                "t.prototxt:1:9: invalid escape '\\q' in a string");
    parse_fails("name: \"a\\400\"", HBG_E_FORMAT,
                "t.prototxt:1:9: octal escape \\400 is above 255");
    parse_fails("name: \"a\\0b\"", HBG_E_FORMAT,
                "t.prototxt:1:7: string for field 'name' contains a NUL byte");
    parse_fails("name: \"a\" @", HBG_E_FORMAT, "t.prototxt:1:11: unexpected character '@'");
    parse_fails("}", HBG_E_FORMAT, "t.prototxt:1:1: expected a field name, not '}'");
    parse_fails("[caffe.ext]: 1", HBG_E_UNSUPPORTED,
                "t.prototxt:1:1: extension and Any fields ([...]) are not supported");
    parse_fails("layer { unknown_thing: }", HBG_E_FORMAT,
                "t.prototxt:1:24: expected a value for field 'unknown_thing', not '}'");
}

/* Input that is not text at all, and nesting deep enough to exhaust a naive parser's stack. */
static void test_hostile(void **state)
{
    (void)state;
    static char deep[4096];
    const char bin[] = {'n', 'a', 'm', 'e', ':', ' ', '\x01', '\0'};
    ProtobufCMessage *m = NULL;
    char err[256];
    assert_int_equal(hbc_prototxt_parse(bin, sizeof bin, "b", &caffe__net_parameter__descriptor,
                                        lenient, &m, err, sizeof err),
                     HBG_E_FORMAT);
    assert_string_equal(err, "b:1:7: unexpected byte 0x01");
    size_t o = (size_t)snprintf(deep, sizeof deep, "layer { ");
    for (int i = 0; i < 150; i++)
        o += (size_t)snprintf(deep + o, sizeof deep - o, "x { ");
    parse_fails(deep, HBG_E_FORMAT, "t.prototxt:1:407: messages nested deeper than 100");
    /* exactly the limit parses (unknown fields of a layer are skipped, however nested) */
    o = (size_t)snprintf(deep, sizeof deep, "layer { ");
    for (int i = 0; i < 99; i++)
        o += (size_t)snprintf(deep + o, sizeof deep - o, "x { ");
    for (int i = 0; i < 100; i++)
        o += (size_t)snprintf(deep + o, sizeof deep - o, "} ");
    Caffe__NetParameter *n = parse_ok(deep);
    assert_int_equal(n->n_layer, 1);
    caffe__net_parameter__free_unpacked(n, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syntax_forms), cmocka_unit_test(test_values),
        cmocka_unit_test(test_lenient),      cmocka_unit_test(test_empty),
        cmocka_unit_test(test_errors),       cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
