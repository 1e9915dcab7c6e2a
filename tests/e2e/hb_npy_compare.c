/* hb_npy_compare: compare an output tensor with its reference, elementwise.
 *
 *   hb_npy_compare GOT.npy REF.npy [--rtol R] [--atol-rel A]
 *
 * Passes (exit 0) when both have the same dtype and shape and every element satisfies
 *   |got - ref| <= atol + rtol * |ref|,  atol = A * max|ref|
 * (numpy.allclose with an absolute tolerance relative to the reference's range; defaults
 * R = 1e-4, A = 1e-5). NaN matches only NaN, an infinity only the same infinity. Prints the maximum
 * absolute error, the maximum relative error (over elements with |ref| >= atol), the cosine
 * similarity (over the elements finite in both), and the worst element (largest error relative to
 * its tolerance). Exit 1 on a mismatch or an unreadable file, 2 on bad usage. A file ending in .pb
 * is read as a serialised ONNX TensorProto (the output_N.pb of ONNX test data).
 */
#include "hbc/onnx_io.h"
#include "hbg/npy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: hb_npy_compare GOT.npy REF.npy [--rtol R] [--atol-rel A]\n"
               "  passes when |got - ref| <= A * max|ref| + R * |ref| everywhere, with the same\n"
               "  dtype and shape (defaults R = 1e-4, A = 1e-5); .pb files are read as ONNX\n"
               "  TensorProto\n");
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static hbg_tensor *load(const char *path, const char *name)
{
    char err[600];
    hbg_tensor *t = NULL;
    hbg_status st = ends_with(path, ".pb") ? hbc_onnx_load_tensor_file(path, &t, err, sizeof err)
                                           : hbg_npy_load(path, name, &t, err, sizeof err);
    if (st != HBG_OK) {
        fprintf(stderr, "hb_npy_compare: %s\n", err);
        hbg_tensor_free(t);
        return NULL;
    }
    return t;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= 0) || isinf(v))
        return -1;
    *out = v;
    return 0;
}

/* "[i0, i1, ...]" of flat index i in a C-order tensor. */
static void index_str(const hbg_tensor *t, int64_t i, char *buf, size_t size)
{
    int64_t idx[HBG_MAX_RANK];
    for (int d = t->rank - 1; d >= 0; d--) {
        idx[d] = t->dims[d] ? i % t->dims[d] : 0;
        i = t->dims[d] ? i / t->dims[d] : 0;
    }
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < t->rank && used < size; d++)
        used +=
            (size_t)snprintf(buf + used, size - used, "%s%lld", d ? ", " : "", (long long)idx[d]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
}

int main(int argc, char **argv)
{
    const char *paths[2] = {NULL, NULL};
    int n_paths = 0;
    double rtol = 1e-4, atol_rel = 1e-5;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if ((!strcmp(a, "--rtol") || !strcmp(a, "--atol-rel")) && i + 1 < argc) {
            double *dst = !strcmp(a, "--rtol") ? &rtol : &atol_rel;
            if (parse_double(argv[++i], dst) != 0) {
                fprintf(stderr, "hb_npy_compare: %s needs a finite non-negative number, not '%s'\n",
                        a, argv[i]);
                return 2;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "hb_npy_compare: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (n_paths < 2) {
            paths[n_paths++] = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (n_paths != 2) {
        usage(stderr);
        return 2;
    }

    int rc = 1;
    hbg_tensor *got = load(paths[0], "got");
    hbg_tensor *ref = got ? load(paths[1], "ref") : NULL;
    if (!got || !ref)
        goto done;

    char s1[128], s2[128];
    if (got->dtype != ref->dtype) {
        printf("FAIL dtype: %s is %s, %s is %s\n", paths[0], hbg_dtype_name(got->dtype), paths[1],
               hbg_dtype_name(ref->dtype));
        goto done;
    }
    int same_shape = got->rank == ref->rank;
    for (int d = 0; same_shape && d < got->rank; d++)
        same_shape = got->dims[d] == ref->dims[d];
    if (!same_shape) {
        printf("FAIL shape: %s is %s, %s is %s\n", paths[0], hbg_shape_str(got, s1, sizeof s1),
               paths[1], hbg_shape_str(ref, s2, sizeof s2));
        goto done;
    }

    int64_t n = hbg_tensor_numel(ref);
    double ref_max = 0;
    for (int64_t i = 0; i < n; i++) {
        double r = fabs(hbg_tensor_get_double(ref, i));
        if (isfinite(r) && r > ref_max)
            ref_max = r;
    }
    double atol = atol_rel * ref_max;
    double max_abs = 0, max_rel = 0, dot = 0, gg = 0, rr = 0, worst_ratio = -1;
    int64_t worst = -1, n_bad = 0;
    for (int64_t i = 0; i < n; i++) {
        double g = hbg_tensor_get_double(got, i), r = hbg_tensor_get_double(ref, i);
        double diff, ratio;
        int bad;
        if (isnan(g) || isnan(r) || isinf(g) || isinf(r)) {
            bad = !((isnan(g) && isnan(r)) || g == r);
            diff = bad ? INFINITY : 0;
            ratio = bad ? INFINITY : 0;
        } else {
            diff = fabs(g - r);
            double tol = atol + rtol * fabs(r);
            bad = diff > tol;
            ratio = tol > 0 ? diff / tol : (bad ? INFINITY : 0);
            dot += g * r;
            gg += g * g;
            rr += r * r;
            if (fabs(r) >= atol && fabs(r) > 0 && diff / fabs(r) > max_rel)
                max_rel = diff / fabs(r);
        }
        if (diff > max_abs)
            max_abs = diff;
        n_bad += bad;
        if (ratio > worst_ratio) {
            worst_ratio = ratio;
            worst = i;
        }
    }
    double cosine = (gg == 0 && rr == 0) ? 1.0 : (gg == 0 || rr == 0) ? 0.0 : dot / sqrt(gg * rr);

    printf("%s vs %s: %s %s, %lld elements, max|ref| %.6g\n", paths[0], paths[1],
           hbg_dtype_name(ref->dtype), hbg_shape_str(ref, s1, sizeof s1), (long long)n, ref_max);
    printf("  max abs error %.6g, max rel error %.6g, cosine similarity %.9f\n", max_abs, max_rel,
           cosine);
    if (worst >= 0) {
        index_str(ref, worst, s2, sizeof s2);
        printf("  worst element %s (flat %lld): got %.9g ref %.9g, error/tolerance %.4g\n", s2,
               (long long)worst, hbg_tensor_get_double(got, worst),
               hbg_tensor_get_double(ref, worst), worst_ratio);
    }
    if (n_bad) {
        printf("FAIL: %lld of %lld elements outside rtol %g + atol %g (atol-rel %g)\n",
               (long long)n_bad, (long long)n, rtol, atol, atol_rel);
        goto done;
    }
    printf("PASS (rtol %g, atol %g = atol-rel %g * max|ref|)\n", rtol, atol, atol_rel);
    rc = 0;
done:
    hbg_tensor_free(got);
    hbg_tensor_free(ref);
    return rc;
}
