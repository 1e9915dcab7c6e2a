/* hb_quant_fixture: makes the quantized-model fixtures of tests/data/quant and reports how close
 * the integer model is to the float one.
 *
 *   hb_quant_fixture -o out_quantized.onnx [--output-int8] [--optimize] [--cpu NODE]... MODEL
 *       -- IN.npy...
 *
 * MODEL is a float .onnx, or a .prototxt followed by its .caffemodel; --optimize runs the graph
 * passes (hbc_optimize) first, as hb_mapper does. The calibration thresholds
 * are the absolute maximum of every float activation over the given inputs (one per run, for a
 * single-input model), run through the float executor. The quantized graph is saved, loaded back
 * through the ONNX loader, run by the integer executor on each input, and the cosine similarity
 * of each dequantised output with the float output is printed. Exit status 0 on success. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbc/caffe_io.h"
#include "hbc/onnx_io.h"
#include "hbc/passes.h"
#include "hbc/quant.h"
#include "hbg/exec.h"
#include "hbg/npy.h"

#define MAX_IN  16
#define MAX_CPU 16

typedef struct args {
    const char *out, *model, *caffemodel;
    const char *inputs[MAX_IN];
    const char *cpu[MAX_CPU];
    int n_in, n_cpu, output_int8, optimize;
} args;

static int parse(int argc, char **argv, args *a)
{
    int i = 1, models = 0;
    memset(a, 0, sizeof *a);
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            a->out = argv[++i];
        else if (!strcmp(argv[i], "--output-int8"))
            a->output_int8 = 1;
        else if (!strcmp(argv[i], "--optimize"))
            a->optimize = 1;
        else if (!strcmp(argv[i], "--cpu") && i + 1 < argc && a->n_cpu < MAX_CPU)
            a->cpu[a->n_cpu++] = argv[++i];
        else if (models == 0 && ++models)
            a->model = argv[i];
        else if (models == 1 && ++models)
            a->caffemodel = argv[i];
        else
            return -1;
    }
    for (i++; i < argc && a->n_in < MAX_IN; i++)
        a->inputs[a->n_in++] = argv[i];
    return a->out && a->model && a->n_in > 0 ? 0 : -1;
}

static hbg_status load(const args *a, hbg_graph **g, char *err, size_t n)
{
    if (a->caffemodel)
        return hbc_caffe_load(a->model, a->caffemodel, g, err, n);
    return hbc_onnx_load_file(a->model, g, err, n);
}

/* Run the float graph on every input and keep each float activation's absolute maximum. */
static hbg_status calibrate(hbg_graph *g, const args *a, hbc_calib_table *tab, char *err, size_t n)
{
    hbg_exec *e = NULL;
    hbg_status st;
    double *amax = calloc((size_t)g->n_tensors, sizeof *amax);
    if (!amax)
        return HBG_E_NOMEM;
    if ((st = hbg_exec_create(g, &e)) != HBG_OK) {
        snprintf(err, n, "%s", g->err);
        goto out;
    }
    for (int r = 0; r < a->n_in; r++) {
        hbg_tensor *x = NULL;
        hbg_tensor *in = g->tensors[g->inputs[0]];
        if ((st = hbg_npy_load(a->inputs[r], "x", &x, err, n)) != HBG_OK)
            goto out;
        if (hbg_tensor_nbytes(x) != hbg_tensor_nbytes(in) || x->dtype != in->dtype) {
            snprintf(err, n, "%s: size or type does not match input '%s'", a->inputs[r], in->name);
            hbg_tensor_free(x);
            st = HBG_E_SHAPE;
            goto out;
        }
        memcpy(in->data, x->data, (size_t)hbg_tensor_nbytes(x));
        hbg_tensor_free(x);
        if ((st = hbg_exec_run(e)) != HBG_OK) {
            snprintf(err, n, "%s", g->err);
            goto out;
        }
        for (int t = 0; t < g->n_tensors; t++) {
            const hbg_tensor *v = g->tensors[t];
            if (v->is_const || v->dtype != HBG_DT_F32 || !v->data)
                continue;
            const float *f = v->data;
            for (int64_t i = 0; i < hbg_tensor_numel(v); i++)
                if (fabs((double)f[i]) > amax[t])
                    amax[t] = fabs((double)f[i]);
        }
    }
    for (int t = 0; t < g->n_tensors; t++)
        if (!g->tensors[t]->is_const && g->tensors[t]->dtype == HBG_DT_F32 &&
            (st = hbc_calib_table_set(tab, g->tensors[t]->name, amax[t] > 0 ? amax[t] : 1.0,
                                      HBC_CALIB_MAX)) != HBG_OK)
            goto out;
out:
    hbg_exec_free(e);
    free(amax);
    return st;
}

static double cosine(const float *a, const float *b, int64_t n)
{
    double ab = 0, aa = 0, bb = 0;
    for (int64_t i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : (aa == bb ? 1.0 : 0.0);
}

static int64_t argmax(const float *a, int64_t n)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (a[i] > a[best])
            best = i;
    return best;
}

/* Run both graphs on every input and print the cosine of each output. */
static hbg_status compare(hbg_graph *fg, hbg_graph *qg, const args *a, char *err, size_t n)
{
    hbg_exec *fe = NULL;
    hbc_qexec *qe = NULL;
    hbg_status st;
    if ((st = hbg_exec_create(fg, &fe)) != HBG_OK || (st = hbc_qexec_create(qg, &qe)) != HBG_OK) {
        snprintf(err, n, "%s", st == HBG_OK ? "" : (fe ? qg->err : fg->err));
        goto out;
    }
    for (int r = 0; r < a->n_in; r++) {
        hbg_tensor *x = NULL;
        if ((st = hbg_npy_load(a->inputs[r], "x", &x, err, n)) != HBG_OK)
            goto out;
        memcpy(fg->tensors[fg->inputs[0]]->data, x->data, (size_t)hbg_tensor_nbytes(x));
        memcpy(qg->tensors[qg->inputs[0]]->data, x->data, (size_t)hbg_tensor_nbytes(x));
        hbg_tensor_free(x);
        if ((st = hbg_exec_run(fe)) != HBG_OK || (st = hbc_qexec_run(qe)) != HBG_OK) {
            snprintf(err, n, "%s", st == HBG_OK ? "" : qg->err[0] ? qg->err : fg->err);
            goto out;
        }
        for (int o = 0; o < fg->n_outputs; o++) {
            const hbg_tensor *f = fg->tensors[fg->outputs[o]], *q = qg->tensors[qg->outputs[o]];
            printf("%s: output '%s' cosine %.6f, argmax float %lld quantized %lld\n", a->inputs[r],
                   f->name, cosine(f->data, q->data, hbg_tensor_numel(f)),
                   (long long)argmax(f->data, hbg_tensor_numel(f)),
                   (long long)argmax(q->data, hbg_tensor_numel(q)));
        }
    }
out:
    hbg_exec_free(fe);
    hbc_qexec_free(qe);
    return st;
}

int main(int argc, char **argv)
{
    args a;
    char err[1024] = "";
    hbg_graph *fg = NULL, *qg = NULL, *lg = NULL;
    hbc_calib_table tab = {0, 0, NULL};
    unsigned char *cpu = NULL;
    hbg_status st;
    int rc = 1;
    if (parse(argc, argv, &a) != 0) {
        fprintf(stderr,
                "usage: %s -o OUT.onnx [--output-int8] [--optimize] [--cpu NODE]... MODEL "
                "[CAFFEMODEL] -- IN.npy...\n",
                argv[0]);
        return 2;
    }
    if ((st = load(&a, &fg, err, sizeof err)) != HBG_OK)
        goto out;
    if (a.optimize && (st = hbc_optimize(fg, NULL, NULL)) != HBG_OK) {
        snprintf(err, sizeof err, "hbc_optimize: %s", fg->err);
        goto out;
    }
    if ((st = calibrate(fg, &a, &tab, err, sizeof err)) != HBG_OK)
        goto out;
    hbc_quant_opts o = {NULL, 0, a.output_int8, 0, 0};
    if (a.n_cpu) {
        if (!(cpu = calloc((size_t)fg->n_nodes, 1)))
            goto out;
        for (int i = 0; i < a.n_cpu; i++) {
            int found = 0;
            for (int j = 0; j < fg->n_nodes; j++)
                if (!strcmp(fg->nodes[j].name, a.cpu[i]))
                    cpu[j] = HBC_PLACE_CPU, found = 1;
            if (!found) {
                snprintf(err, sizeof err, "--cpu %s: no such node", a.cpu[i]);
                goto out;
            }
        }
        o.place = cpu;
        o.n_place = fg->n_nodes;
    }
    if ((st = hbc_quantize(fg, &tab, &o, &qg, err, sizeof err)) != HBG_OK ||
        (st = hbc_onnx_save_file(qg, a.out, err, sizeof err)) != HBG_OK ||
        (st = hbc_onnx_load_file(a.out, &lg, err, sizeof err)) != HBG_OK ||
        (st = compare(fg, lg, &a, err, sizeof err)) != HBG_OK)
        goto out;
    printf("%s: %d nodes -> %d nodes\n", a.out, fg->n_nodes, lg->n_nodes);
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "hb_quant_fixture: %s\n", err[0] ? err : "out of memory");
    free(cpu);
    hbc_calib_table_free(&tab);
    hbg_graph_free(fg);
    hbg_graph_free(qg);
    hbg_graph_free(lg);
    return rc;
}
