/* hb_conformance: run ONNX's backend test data (Debian libonnx-testdata) through the ONNX loader
 * and the float executor, and classify every case as PASS, FAIL or SKIP.
 *
 * usage: hb_conformance [--table PATH] [--check PATH] [--tolerances FILE] [--filter TEXT]
 *                       DATA_ROOT
 *
 * DATA_ROOT is e.g. /usr/share/libonnx-testdata/data; its suites node/, pytorch-converted/,
 * pytorch-operator/ and simple/ hold one directory per case with model.onnx and
 * test_data_set_N/{input_K.pb,output_K.pb}. Outputs match when |got - want| <= atol + rtol * |want|
 * (rtol 1e-3, atol 1e-7; NaN matches NaN; integer and bool outputs exactly); --tolerances gives
 * per-case values. A case is SKIPped when the loader, the executor's prepare step or a kernel at
 * run time reports HBG_E_UNSUPPORTED (the reason is that message); any other error or mismatch
 * is a FAIL.
 * When the executor refuses because it needs the value of a tensor at prepare time (Reshape's
 * shape, ...) and graph inputs feed that tensor, those inputs are bound as constants holding the
 * data set's values and the model is prepared again (a fresh copy per data set); the table
 * names them. --table writes the markdown table (docs/conformance-table.md); --check compares each
 * case's result with such a table and fails when they differ.
 * Prints one line per case and "N passed, N failed, N skipped"; exit status 1 if any case
 * failed or the checked table is stale, 2 on a usage or I/O error.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hbc/onnx_io.h"
#include "hbg/exec.h"
#include "hbg/kernel.h"

#define DEFAULT_RTOL 1e-3
#define DEFAULT_ATOL 1e-7
#define MAX_IO       64 /* inputs/outputs per data set; the largest ONNX test case has < 20 */

static const char *const suites[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};

typedef enum { R_PASS, R_FAIL, R_SKIP } result;
static const char *const result_names[] = {"PASS", "FAIL", "SKIP"};

typedef struct tolerance {
    char *id; /* "suite/case" */
    double rtol, atol;
    char *reason;
} tolerance;

typedef struct row {
    char *suite, *name;
    result r;
    char *reason;
} row;

typedef struct runner {
    tolerance *tol;
    int n_tol;
    row *rows;
    int n_rows, cap_rows;
    int count[3];
} runner;

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fprintf(stderr, "hb_conformance: out of memory\n");
        exit(2);
    }
    return d;
}

/* Formatted message into why (truncated to wn: a long reason is still readable). */
static void say(char *why, size_t wn, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *why, size_t wn, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, wn, fmt, ap);
    va_end(ap);
}

/* dst = a "/" b; a path that does not fit is a usage error. */
static void path_join(char *dst, size_t n, const char *a, const char *b)
{
    if ((size_t)snprintf(dst, n, "%s/%s", a, b) >= n) {
        fprintf(stderr, "hb_conformance: path too long: %s/%s\n", a, b);
        exit(2);
    }
}

static int is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Sorted names of the entries of dir that start with prefix (all when prefix is ""). */
static int list_dir(const char *dir, const char *prefix, char ***out)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort), k = 0;
    char **names;
    if (n < 0)
        return -1;
    names = calloc((size_t)n + 1, sizeof *names);
    if (!names) {
        fprintf(stderr, "hb_conformance: out of memory\n");
        exit(2);
    }
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (nm[0] != '.' && strncmp(nm, prefix, strlen(prefix)) == 0)
            names[k++] = xstrdup(nm);
        free(ents[i]);
    }
    free(ents);
    *out = names;
    return k;
}

static void free_list(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Tolerance file: "suite/case rtol atol reason...", '#' comments; the reason is required. */
static int read_tolerances(runner *R, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int lineno = 0;
    if (!f) {
        fprintf(stderr, "hb_conformance: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        char id[512];
        double rtol, atol;
        int used = 0;
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        const char *p = line + strspn(line, " \t");
        if (!*p || *p == '#')
            continue;
        if (sscanf(p, "%511s %lf %lf %n", id, &rtol, &atol, &used) != 3 || !p[used] ||
            !(rtol >= 0) || !(atol >= 0)) {
            fprintf(stderr, "hb_conformance: %s:%d: want 'suite/case rtol atol reason'\n", path,
                    lineno);
            fclose(f);
            return -1;
        }
        tolerance *t = realloc(R->tol, (size_t)(R->n_tol + 1) * sizeof *t);
        if (!t) {
            fclose(f);
            return -1;
        }
        R->tol = t;
        R->tol[R->n_tol++] = (tolerance){xstrdup(id), rtol, atol, xstrdup(p + used)};
    }
    fclose(f);
    return 0;
}

static const tolerance *find_tolerance(const runner *R, const char *id)
{
    for (int i = 0; i < R->n_tol; i++)
        if (strcmp(R->tol[i].id, id) == 0)
            return &R->tol[i];
    return NULL;
}

/* Compare one output; on mismatch write the first difference into why and return 0. */
static int compare(const hbg_tensor *got, const hbg_tensor *want, int k, double rtol, double atol,
                   char *why, size_t n)
{
    char sg[128], sw[128];
    int64_t numel = hbg_tensor_numel(want);
    if (got->dtype != want->dtype) {
        say(why, n, "output %d '%s': type %s, expected %s", k, got->name,
            hbg_dtype_name(got->dtype), hbg_dtype_name(want->dtype));
        return 0;
    }
    int same = got->rank == want->rank;
    for (int d = 0; same && d < want->rank; d++)
        same = got->dims[d] == want->dims[d];
    if (!same) {
        say(why, n, "output %d '%s': shape %s, expected %s", k, got->name,
            hbg_shape_str(got, sg, sizeof sg), hbg_shape_str(want, sw, sizeof sw));
        return 0;
    }
    int is_float = want->dtype == HBG_DT_F32 || want->dtype == HBG_DT_F64;
    for (int64_t i = 0; i < numel; i++) {
        if (is_float) {
            double a = hbg_tensor_get_double(got, i), b = hbg_tensor_get_double(want, i);
            if (a == b || (isnan(a) && isnan(b)))
                continue;
            if (!isinf(a) && !isinf(b) && fabs(a - b) <= atol + rtol * fabs(b))
                continue;
            say(why, n, "output %d '%s' [%lld]: got %.9g, expected %.9g", k, got->name,
                (long long)i, a, b);
            return 0;
        }
        int64_t a = hbg_tensor_get_int(got, i), b = hbg_tensor_get_int(want, i);
        if (a != b) {
            say(why, n, "output %d '%s' [%lld]: got %lld, expected %lld", k, got->name,
                (long long)i, (long long)a, (long long)b);
            return 0;
        }
    }
    return 1;
}

/* Load <dir>/<prefix>K.pb for K = 0, 1, ... until one is missing. */
static result load_tensors(const char *dir, const char *prefix, hbg_tensor **t, int *n, char *why,
                           size_t wn)
{
    char path[1024], err[1024];
    *n = 0;
    for (int k = 0; k < MAX_IO; k++) {
        snprintf(path, sizeof path, "%s/%s%d.pb", dir, prefix, k);
        if (!exists(path))
            return R_PASS;
        hbg_status st = hbc_onnx_load_tensor_file(path, &t[k], err, sizeof err);
        if (st != HBG_OK) {
            /* Keep the message free of the machine's path: name the file from the case dir. */
            const char *msg = strstr(err, ".pb: ");
            say(why, wn, "%s%d.pb: %s", prefix, k, msg ? msg + 5 : err);
            return st == HBG_E_UNSUPPORTED ? R_SKIP : R_FAIL;
        }
        *n = k + 1;
    }
    say(why, wn, "more than %d %s files", MAX_IO, prefix);
    return R_FAIL;
}

/* Load the case's model; on failure the reason (without this machine's directories) is in why. */
static result load_model(const char *dir, hbg_graph **g, char *why, size_t wn)
{
    char path[1024], err[1024];
    hbg_status st;
    path_join(path, sizeof path, dir, "model.onnx");
    if ((st = hbc_onnx_load_file(path, g, err, sizeof err)) != HBG_OK) {
        const char *msg = strstr(err, "model.onnx: ");
        say(why, wn, "%s", msg ? msg : err);
        return st == HBG_E_UNSUPPORTED ? R_SKIP : R_FAIL;
    }
    return R_PASS;
}

/* Make graph input tensor t a constant holding v: the model is then prepared as if the data set's
 * value were an initializer. Returns 0, or -1 when the graph refuses the value. */
static int bind_input(hbg_graph *g, int t, const hbg_tensor *v)
{
    int k = 0;
    if (hbg_graph_set_const(g, t, v->dtype, v->rank, v->dims, v->data,
                            (size_t)hbg_tensor_nbytes(v)) != HBG_OK)
        return -1;
    for (int i = 0; i < g->n_inputs; i++)
        if (g->inputs[i] != t)
            g->inputs[k++] = g->inputs[i];
    g->n_inputs = k;
    g->tensors[t]->is_input = 0;
    return 0;
}

/* The executor needed the value of tensor `need` at prepare time: bind every graph input it is
 * computed from (walking producers back) to the data set's value. Returns how many inputs were
 * bound; their names are appended to bound (comma separated). */
static int bind_needed(hbg_graph *g, int need, const int *in_idx, hbg_tensor *const *in, int n_in,
                       char *bound, size_t bn)
{
    int *stack = malloc(((size_t)g->n_tensors + 1) * sizeof *stack);
    char *seen = calloc((size_t)g->n_tensors + 1, 1);
    int sp = 0, n_bound = 0;
    if (!stack || !seen) {
        fprintf(stderr, "hb_conformance: out of memory\n");
        exit(2);
    }
    stack[sp++] = need;
    seen[need] = 1;
    while (sp > 0) {
        int t = stack[--sp];
        const hbg_tensor *x = g->tensors[t];
        if (x->is_input) {
            for (int i = 0; i < n_in; i++) {
                if (in_idx[i] != t || bind_input(g, t, in[i]) != 0)
                    continue;
                size_t used = strlen(bound);
                snprintf(bound + used, bn - used, "%s'%s'", used ? ", " : "", x->name);
                n_bound++;
            }
            continue;
        }
        if (x->producer < 0)
            continue;
        const hbg_node *n = &g->nodes[x->producer];
        for (int j = 0; j < n->n_in; j++)
            if (n->in[j] >= 0 && !seen[n->in[j]]) {
                seen[n->in[j]] = 1;
                stack[sp++] = n->in[j];
            }
    }
    free(stack);
    free(seen);
    return n_bound;
}

/* One test_data_set directory: a fresh copy of the model, since inputs may be bound as constants.
 * bound collects the names of inputs bound as constants. */
static result run_data_set(const char *dir, const char *set, double rtol, double atol, char *why,
                           size_t wn, char *bound, size_t bn)
{
    hbg_tensor *in[MAX_IO] = {0}, *out[MAX_IO] = {0};
    int in_idx[MAX_IO], n_in = 0, n_out = 0, need;
    hbg_graph *g = NULL;
    hbg_exec *e = NULL;
    char path[1024];
    hbg_status st;
    result r;

    path_join(path, sizeof path, dir, set);
    if ((r = load_model(dir, &g, why, wn)) != R_PASS ||
        (r = load_tensors(path, "input_", in, &n_in, why, wn)) != R_PASS ||
        (r = load_tensors(path, "output_", out, &n_out, why, wn)) != R_PASS)
        goto done;
    r = R_FAIL;
    if (n_in != g->n_inputs || n_out != g->n_outputs) {
        say(why, wn, "%s: %d inputs and %d outputs, the model has %d and %d", set, n_in, n_out,
            g->n_inputs, g->n_outputs);
        goto done;
    }
    for (int i = 0; i < n_in; i++) {
        hbg_tensor *t = g->tensors[g->inputs[i]];
        in_idx[i] = g->inputs[i];
        if (t->dtype != HBG_DT_UNDEF && t->dtype != in[i]->dtype) {
            say(why, wn, "%s: input %d '%s' is %s in the data, %s in the model", set, i, t->name,
                hbg_dtype_name(in[i]->dtype), hbg_dtype_name(t->dtype));
            goto done;
        }
        t->dtype = in[i]->dtype;
        t->rank = in[i]->rank;
        memcpy(t->dims, in[i]->dims, sizeof t->dims);
    }
    for (;;) {
        g->err[0] = '\0';
        if ((st = hbg_exec_create_ex(g, &e, &need)) == HBG_OK)
            break;
        /* Only a value the executor asked for is bound, and only if a graph input feeds it. */
        if (st == HBG_E_UNSUPPORTED && need >= 0 &&
            bind_needed(g, need, in_idx, in, n_in, bound, bn))
            continue;
        say(why, wn, "%s", g->err);
        r = st == HBG_E_UNSUPPORTED ? R_SKIP : R_FAIL;
        goto done;
    }
    for (int i = 0; i < n_in; i++) {
        hbg_tensor *t = g->tensors[in_idx[i]];
        int64_t nb = hbg_tensor_nbytes(in[i]);
        if (t->is_input && nb > 0)
            memcpy(t->data, in[i]->data, (size_t)nb);
    }
    if ((st = hbg_exec_run(e)) != HBG_OK) {
        /* A kernel may refuse a value only known at run time (Dropout's training_mode). */
        say(why, wn, "run: %s", g->err);
        r = st == HBG_E_UNSUPPORTED ? R_SKIP : R_FAIL;
        goto done;
    }
    for (int i = 0; i < n_out; i++)
        if (!compare(g->tensors[g->outputs[i]], out[i], i, rtol, atol, why, wn))
            goto done;
    r = R_PASS;
done:
    hbg_exec_free(e);
    hbg_graph_free(g);
    for (int i = 0; i < MAX_IO; i++) {
        hbg_tensor_free(in[i]);
        hbg_tensor_free(out[i]);
    }
    return r;
}

static result run_case(const runner *R, const char *dir, const char *id, char *why, size_t wn)
{
    const tolerance *tl = find_tolerance(R, id);
    double rtol = tl ? tl->rtol : DEFAULT_RTOL, atol = tl ? tl->atol : DEFAULT_ATOL;
    char bound[512] = "";
    hbg_graph *g = NULL;
    char **sets = NULL;
    int n_sets;
    result r;

    /* Load once up front so a model the loader refuses is reported even without data sets. */
    if ((r = load_model(dir, &g, why, wn)) != R_PASS)
        return r;
    const int64_t opset = hbg_graph_opset(g, "");
    hbg_graph_free(g);
    if ((n_sets = list_dir(dir, "test_data_set_", &sets)) <= 0) {
        say(why, wn, "no test_data_set_* directory");
        free_list(sets, n_sets < 0 ? 0 : n_sets);
        return R_SKIP;
    }
    for (int i = 0; i < n_sets; i++) {
        /* Every data set feeds the same inputs: the first one's bound names stand for all. */
        char set_bound[512] = "";
        if ((r = run_data_set(dir, sets[i], rtol, atol, why, wn, set_bound, sizeof set_bound)) !=
            R_PASS)
            goto done;
        if (!bound[0])
            memcpy(bound, set_bound, sizeof bound);
    }
    if (bound[0])
        say(why, wn, "%s %s bound as constant%s (value needed at prepare time)%s",
            strchr(bound, ',') ? "inputs" : "input", bound, strchr(bound, ',') ? "s" : "",
            tl ? "; " : "");
    if (tl) {
        size_t used = strlen(why);
        snprintf(why + used, wn - used, "rtol %g atol %g: %s", tl->rtol, tl->atol, tl->reason);
    }
    if (opset >= 1 && opset < 7) { /* accepted node by node: docs/conformance.md */
        size_t used = strlen(why);
        snprintf(why + used, wn - used, "%sopset %lld model", used ? "; " : "", (long long)opset);
    }
done:
    free_list(sets, n_sets);
    return r;
}

static void add_row(runner *R, const char *suite, const char *name, result r, const char *why)
{
    if (R->n_rows == R->cap_rows) {
        int nc = R->cap_rows ? R->cap_rows * 2 : 256;
        row *p = realloc(R->rows, (size_t)nc * sizeof *p);
        if (!p) {
            fprintf(stderr, "hb_conformance: out of memory\n");
            exit(2);
        }
        R->rows = p;
        R->cap_rows = nc;
    }
    R->rows[R->n_rows++] = (row){xstrdup(suite), xstrdup(name), r, xstrdup(why)};
    R->count[r]++;
}

/* Markdown cell text: '|' escaped, no newlines. */
static void put_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else
            fputc(*s == '\n' ? ' ' : *s, f);
    }
}

/* Skip categories for the table's summary, matched against the reason in this order. */
typedef enum category {
    CAT_OP,
    CAT_TYPE,
    CAT_NON_TENSOR,
    CAT_SUBGRAPH,
    CAT_DOMAIN,
    CAT_TRAINING,
    CAT_OTHER,
    CAT_COUNT
} category;

static const struct {
    const char *pattern; /* substring of the reason; NULL matches anything */
    const char *label;
} categories[CAT_COUNT] = {
    [CAT_OP] = {"op type '", "op not implemented by the float executor"},
    [CAT_TYPE] = {"element type ", "element type the graph core does not hold"},
    [CAT_NON_TENSOR] = {"only tensor types", "sequence, map or optional value"},
    [CAT_SUBGRAPH] = {"graph attributes", "subgraph (If, Loop, Scan)"},
    [CAT_DOMAIN] = {"domain '", "op of another domain (training ops)"},
    [CAT_TRAINING] = {"training", "training mode (random dropout, batch statistics)"},
    [CAT_OTHER] = {NULL, "other"},
};

static category category_of(const char *reason)
{
    int c = 0;
    while (categories[c].pattern && !strstr(reason, categories[c].pattern))
        c++;
    return (category)c;
}

static int write_table(const runner *R, const char *path)
{
    char tmp[1100];
    int by_suite[sizeof suites / sizeof suites[0]][3] = {{0}}, by_cat[CAT_COUNT] = {0};
    FILE *f;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        fprintf(stderr, "hb_conformance: %s: path too long\n", path);
        return -1;
    }
    if (!(f = fopen(tmp, "w"))) {
        fprintf(stderr, "hb_conformance: %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    for (int i = 0; i < R->n_rows; i++) {
        for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++)
            if (strcmp(R->rows[i].suite, suites[s]) == 0)
                by_suite[s][R->rows[i].r]++;
        if (R->rows[i].r == R_SKIP)
            by_cat[category_of(R->rows[i].reason)]++;
    }
    fprintf(f,
            "# ONNX conformance table\n\n"
            "Every case of ONNX's backend test data (Debian libonnx-testdata, ONNX 1.12) through "
            "the ONNX loader and the float executor. Generated from the repository root by\n\n"
            "    build/tests/conformance/hb_conformance --tolerances "
            "tests/conformance/tolerances.txt --table docs/conformance-table.md "
            "/usr/share/libonnx-testdata/data\n\n"
            "Do not edit by hand: the ctest `conformance` fails when a case's result differs from "
            "this table. The rules (tolerances, SKIP, inputs bound as constants, opset 1..6 "
            "models) are in [conformance.md](conformance.md).\n\n"
            "**%d cases: %d passed, %d failed, %d skipped**\n\n"
            "| suite | passed | failed | skipped |\n|---|---|---|---|\n",
            R->n_rows, R->count[R_PASS], R->count[R_FAIL], R->count[R_SKIP]);
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++)
        fprintf(f, "| %s | %d | %d | %d |\n", suites[s], by_suite[s][R_PASS], by_suite[s][R_FAIL],
                by_suite[s][R_SKIP]);
    fputs("\n| skip reason | cases |\n|---|---|\n", f);
    for (int c = 0; c < CAT_COUNT; c++)
        if (by_cat[c])
            fprintf(f, "| %s | %d |\n", categories[c].label, by_cat[c]);
    fputs("\n| suite | case | result | reason / note |\n|---|---|---|---|\n", f);
    for (int i = 0; i < R->n_rows; i++) {
        const row *w = &R->rows[i];
        fprintf(f, "| %s | %s | %s | ", w->suite, w->name, result_names[w->r]);
        put_cell(f, w->reason);
        fputs(" |\n", f);
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "hb_conformance: %s: write error\n", path);
        remove(tmp);
        return -1;
    }
    return 0;
}

/* Compare the committed table's per-case results ("| suite | case | RESULT |" rows, in order)
 * with this run's. Reasons are not compared: rewording a message does not make the table stale,
 * a case changing status or appearing/disappearing does. Returns the number of differences
 * (each printed), or -1 if the table cannot be read. */
static int check_table(const runner *R, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int i = 0, bad = 0;
    if (!f) {
        fprintf(stderr, "hb_conformance: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        char suite[64], name[512], res[8];
        if (sscanf(line, "| %63s | %511s | %7s |", suite, name, res) != 3 ||
            (strcmp(res, "PASS") && strcmp(res, "FAIL") && strcmp(res, "SKIP")))
            continue;
        if (i >= R->n_rows) {
            printf("stale table: %s/%s is in %s but not in this run\n", suite, name, path);
            bad++;
            continue;
        }
        const row *w = &R->rows[i++];
        if (strcmp(w->suite, suite) || strcmp(w->name, name)) {
            printf("stale table: %s has %s/%s where this run has %s/%s\n", path, suite, name,
                   w->suite, w->name);
            bad++;
            break; /* the rest is misaligned */
        }
        if (strcmp(result_names[w->r], res)) {
            printf("stale table: %s/%s is %s in %s, %s now\n", suite, name, res, path,
                   result_names[w->r]);
            bad++;
        }
    }
    fclose(f);
    if (!bad && i < R->n_rows) {
        printf("stale table: %s lacks %s/%s and %d more\n", path, R->rows[i].suite, R->rows[i].name,
               R->n_rows - i - 1);
        bad++;
    }
    return bad;
}

static void runner_free(runner *R)
{
    for (int i = 0; i < R->n_rows; i++) {
        free(R->rows[i].suite);
        free(R->rows[i].name);
        free(R->rows[i].reason);
    }
    free(R->rows);
    for (int i = 0; i < R->n_tol; i++) {
        free(R->tol[i].id);
        free(R->tol[i].reason);
    }
    free(R->tol);
}

int main(int argc, char **argv)
{
    runner R = {0};
    const char *table = NULL, *check = NULL, *filter = NULL, *root = NULL;
    int rc = 2, n_suites = 0, bad_usage = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--table") == 0 && i + 1 < argc)
            table = argv[++i];
        else if (strcmp(argv[i], "--check") == 0 && i + 1 < argc)
            check = argv[++i];
        else if (strcmp(argv[i], "--tolerances") == 0 && i + 1 < argc) {
            if (read_tolerances(&R, argv[++i]) != 0)
                goto out;
        } else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if (argv[i][0] != '-' && !root)
            root = argv[i];
        else
            bad_usage = 1;
    }
    if (bad_usage || !root || (check && filter)) { /* a filtered run cannot match the table */
        fprintf(stderr, "usage: hb_conformance [--table PATH] [--check PATH] [--tolerances FILE] "
                        "[--filter TEXT] DATA_ROOT\n");
        goto out;
    }
    if (!is_dir(root)) {
        fprintf(stderr, "hb_conformance: %s: not a directory\n", root);
        goto out;
    }
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
        char sdir[1024], **cases = NULL;
        path_join(sdir, sizeof sdir, root, suites[s]);
        int n = list_dir(sdir, "", &cases);
        if (n < 0)
            continue; /* a tree may hold only some suites */
        n_suites++;
        for (int c = 0; c < n; c++) {
            char dir[1024], id[600], why[1024] = "";
            path_join(dir, sizeof dir, sdir, cases[c]);
            snprintf(id, sizeof id, "%s/%s", suites[s], cases[c]);
            if ((filter && !strstr(id, filter)) || !is_dir(dir))
                continue;
            result r = run_case(&R, dir, id, why, sizeof why);
            printf("%s %s%s%s\n", result_names[r], id, why[0] ? ": " : "", why);
            fflush(stdout);
            add_row(&R, suites[s], cases[c], r, why);
        }
        free_list(cases, n);
    }
    if (!n_suites) {
        fprintf(stderr,
                "hb_conformance: %s: none of node/, pytorch-converted/, pytorch-operator/, "
                "simple/ found\n",
                root);
        goto out;
    }
    printf("%d passed, %d failed, %d skipped\n", R.count[R_PASS], R.count[R_FAIL], R.count[R_SKIP]);
    if (table && write_table(&R, table) != 0)
        goto out;
    int stale = 0;
    if (check && (stale = check_table(&R, check)) < 0)
        goto out;
    if (stale)
        printf("%d stale rows: regenerate %s (command at its top)\n", stale, check);
    rc = R.count[R_FAIL] || stale ? 1 : 0;
out:
    runner_free(&R);
    return rc;
}
