/* hb_mapper infer (interface notes 3.4): run one ONNX artifact of makertbin (original, optimized
 * or calibrated float model on the float executor; the quantized model on the integer reference
 * executor) on one file per input and dump every output as <output-dir>/<name>.npy and
 * <name>.txt (one value per line, %.9g). The files are input_type_train data converted exactly as
 * calibration data is (hbc_calset_load, docs/preprocess.md): an image (.jpg/.jpeg/.png/.bmp) is
 * decoded and resized as with preprocess_on, a .npy or raw file (cal_data_type, default uint8)
 * is read in input_layout_train. The library reads folders, so each file is linked into a private
 * temporary folder inside the output directory for the duration of the load. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hbc/onnx_io.h"
#include "hbc/prep.h"
#include "hbc/quant.h"
#include "hbg/exec.h"
#include "hbg/npy.h"
#include "mapper.h"
#include "mapper_plugins.h"

/* 1 when path names an image file the decoders read (by its extension). */
static int is_image(const char *path)
{
    static const char *const ext[] = {".jpg", ".jpeg", ".png", ".bmp",
                                      ".JPG", ".JPEG", ".PNG", ".BMP"};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof ext / sizeof ext[0]; i++)
        if (strcmp(dot, ext[i]) == 0)
            return 1;
    return 0;
}

/* path made absolute against the current directory (the link target must not depend on where
 * the link is). */
static int absolute(const char *path, char *buf, size_t size)
{
    char cwd[PATH_MAX];
    if (path[0] == '/')
        return (size_t)snprintf(buf, size, "%s", path) < size ? 0 : -1;
    if (!getcwd(cwd, sizeof cwd))
        return -1;
    return (size_t)snprintf(buf, size, "%s/%s", cwd, path) < size ? 0 : -1;
}

/* The --image-file of graph input name, or NULL after an ERROR listing the inputs. */
static const char *file_of(const mapper_args *a, const hbg_graph *g, const char *name,
                           const hbc_logger *lg)
{
    for (int p = 0; p < a->n_pairs[OPT_IMAGE_FILE]; p++)
        if (strcmp(a->pairs[OPT_IMAGE_FILE][p][0], name) == 0)
            return a->pairs[OPT_IMAGE_FILE][p][1];
    HBC_LOGE(lg,
             "--image-file: no file for model input '%s' (give --image-file %s FILE; the "
             "inputs are:",
             name, name);
    for (int i = 0; i < g->n_inputs; i++)
        HBC_LOGE(lg, "  %s", g->tensors[g->inputs[i]]->name);
    return NULL;
}

/* Point the config's inputs at one-file folders under tmp and load them as a calibration set of
 * one sample. links[i] receives each link made (freed by the caller). */
static int load_inputs(const mapper_args *a, hbc_cfg *cfg, const hbg_graph *g, const char *tmp,
                       char **links, hbc_calset *cs, const hbc_logger *lg)
{
    const hbg_tensor **t = calloc((size_t)g->n_inputs + 1, sizeof *t);
    char err[1024], abs[PATH_MAX];
    int rc = -1, images = 0;
    if (!t) {
        HBC_LOGE(lg, "infer: out of memory");
        return -1;
    }
    for (int p = 0; p < a->n_pairs[OPT_IMAGE_FILE]; p++) {
        const char *name = a->pairs[OPT_IMAGE_FILE][p][0];
        if (hbg_graph_find_tensor(g, name) < 0 ||
            !g->tensors[hbg_graph_find_tensor(g, name)]->is_input) {
            HBC_LOGE(lg, "--image-file %s: the model has no input named '%s'", name, name);
            goto out;
        }
    }
    for (int i = 0; i < g->n_inputs; i++) {
        const hbg_tensor *x = g->tensors[g->inputs[i]];
        const char *file = file_of(a, g, x->name, lg);
        const char *base;
        char dir[PATH_MAX];
        hbc_cfg_input *in = NULL;
        t[i] = x;
        if (!file)
            goto out;
        for (int k = 0; k < cfg->n_inputs; k++)
            if ((cfg->inputs[k].name && strcmp(cfg->inputs[k].name, x->name) == 0) ||
                (!cfg->inputs[k].name && cfg->n_inputs == 1))
                in = &cfg->inputs[k];
        if (!in) {
            HBC_LOGE(lg, "%s: no input_parameters entry for model input '%s'", cfg->path, x->name);
            goto out;
        }
        if (absolute(file, abs, sizeof abs) != 0 || access(abs, R_OK) != 0) {
            HBC_LOGE(lg, "--image-file %s: cannot read '%s': %s", x->name, file, strerror(errno));
            goto out;
        }
        images += is_image(file);
        if (a->val[OPT_INPUT_LAYOUT] && !is_image(file) && in->layout_train != HBC_LAYOUT_NONE &&
            strcmp(a->val[OPT_INPUT_LAYOUT],
                   hbc_cfg_enum_name(HBC_ENUM_LAYOUT, (int)in->layout_train)) != 0) {
            HBC_LOGE(lg,
                     "--input-layout %s: %s is read in input_layout_train %s; converting the "
                     "layout of a data file is not supported, give it in %s",
                     a->val[OPT_INPUT_LAYOUT], file,
                     hbc_cfg_enum_name(HBC_ENUM_LAYOUT, (int)in->layout_train),
                     hbc_cfg_enum_name(HBC_ENUM_LAYOUT, (int)in->layout_train));
            goto out;
        }
        snprintf(dir, sizeof dir, "%s/%d", tmp, i);
        base = strrchr(abs, '/');
        base = base ? base + 1 : abs;
        if (mapper_make_dirs(dir) != 0) {
            HBC_LOGE(lg, "infer: cannot create %s: %s", dir, strerror(errno));
            goto out;
        }
        if (!(links[i] = malloc(strlen(dir) + strlen(base) + 2))) {
            HBC_LOGE(lg, "infer: out of memory");
            goto out;
        }
        sprintf(links[i], "%s/%s", dir, base);
        if (symlink(abs, links[i]) != 0) {
            HBC_LOGE(lg, "infer: cannot link %s to %s: %s", links[i], abs, strerror(errno));
            free(links[i]);
            links[i] = NULL;
            goto out;
        }
        free(in->cal_data_dir);
        if (!(in->cal_data_dir = strdup(dir))) {
            HBC_LOGE(lg, "infer: out of memory");
            goto out;
        }
        if (in->cal_data_type == HBC_CALDT_NONE)
            in->cal_data_type = HBC_CALDT_UINT8;
    }
    if (images && images != g->n_inputs) {
        HBC_LOGE(lg, "--image-file: give either images for every input or data files for every "
                     "input");
        goto out;
    }
    cfg->preprocess_on = images > 0;
    if (hbc_calset_load(cfg, (const hbg_tensor *const *)t, g->n_inputs, lg, cs, err, sizeof err) !=
        HBG_OK) {
        HBC_LOGE(lg, "%s", err);
        goto out;
    }
    rc = 0;
out:
    free(t);
    return rc;
}

/* A file name from a tensor name: characters other than [A-Za-z0-9_.-] become '_'. */
static void file_name(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s", name);
    for (char *s = buf; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            *s = '_';
}

/* <dir>/<name>.npy and <dir>/<name>.txt, each through a temporary name. */
static int dump(const hbg_tensor *t, const char *dir, const hbc_logger *lg)
{
    char name[512], path[PATH_MAX], tmp[PATH_MAX + 8], err[1024], shape[128];
    int64_t n = hbg_tensor_numel(t);
    FILE *f;
    file_name(name, sizeof name, t->name);
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (hbg_npy_save(tmp, t, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "infer: %s", err);
        remove(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        HBC_LOGE(lg, "infer: cannot rename %s to %s: %s", tmp, path, strerror(errno));
        remove(tmp);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s.txt", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(f = fopen(tmp, "w"))) {
        HBC_LOGE(lg, "infer: cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    int bad = 0;
    for (int64_t i = 0; i < n && !bad; i++)
        bad = fprintf(f, "%.9g\n", hbg_tensor_get_double(t, i)) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        HBC_LOGE(lg, "infer: cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    HBC_LOGI(lg, "output %s: shape %s, %s -> %s/%s.npy, .txt", t->name,
             hbg_shape_str(t, shape, sizeof shape), hbg_dtype_name(t->dtype), dir, name);
    return 0;
}

/* Run g (quantized: the integer reference executor) on the sample and dump its outputs. */
static int run(hbg_graph *g, const hbc_calset *cs, const char *dir, const hbc_logger *lg)
{
    int quantized = hbg_graph_opset(g, HBC_QUANT_DOMAIN) > 0, rc = -1;
    hbg_exec *e = NULL;
    hbc_qexec *q = NULL;
    hbg_status st = quantized ? hbc_qexec_create(g, &q) : hbg_exec_create(g, &e);
    if (st != HBG_OK) {
        HBC_LOGE(lg, "infer: %s", g->err);
        goto out;
    }
    for (int i = 0; i < g->n_inputs; i++) {
        hbg_tensor *x = g->tensors[g->inputs[i]];
        if (x->dtype != HBG_DT_F32 || hbg_tensor_numel(x) != cs->numel[i]) {
            HBC_LOGE(lg, "infer: model input %s is not a float tensor of %lld elements", x->name,
                     (long long)cs->numel[i]);
            goto out;
        }
        memcpy(x->data, cs->data[i], (size_t)cs->numel[i] * sizeof(float));
    }
    HBC_LOGI(lg, "Run the %s model on the %s executor.", quantized ? "quantized" : "float",
             quantized ? "integer reference" : "float");
    st = quantized ? hbc_qexec_run(q) : hbg_exec_run(e);
    if (st != HBG_OK) {
        HBC_LOGE(lg, "infer: %s", g->err);
        goto out;
    }
    for (int i = 0; i < g->n_outputs; i++)
        if (dump(g->tensors[g->outputs[i]], dir, lg) != 0)
            goto out;
    rc = 0;
out:
    hbc_qexec_free(q);
    hbg_exec_free(e);
    return rc;
}

int mapper_infer(const mapper_args *a, const hbc_logger *lg)
{
    mapper_model_type mt;
    hbc_cfg *cfg = NULL;
    hbg_graph *g = NULL;
    hbc_calset cs = {0};
    char **links = NULL, tmp[PATH_MAX] = "", err[1024];
    const char *dir = a->val[OPT_OUTPUT_DIR];
    int rc = mapper_load_config(a, lg, &mt, &cfg);
    if (rc != MAPPER_OK)
        goto done;
    rc = MAPPER_USAGE;
    if (!a->val[OPT_MODEL_FILE] || !dir || a->n_pairs[OPT_IMAGE_FILE] == 0) {
        HBC_LOGE(lg, "infer needs --model-file FILE.onnx, --image-file NAME FILE (per input) and "
                     "--output-dir DIR (see hb_mapper infer --help)");
        goto done;
    }
    if (a->val[OPT_INPUT_LAYOUT] && strcmp(a->val[OPT_INPUT_LAYOUT], "NCHW") != 0 &&
        strcmp(a->val[OPT_INPUT_LAYOUT], "NHWC") != 0) {
        HBC_LOGE(lg, "--input-layout '%s' is not allowed; allowed: NCHW, NHWC",
                 a->val[OPT_INPUT_LAYOUT]);
        goto done;
    }
    rc = MAPPER_FAILED;
    if (mapper_load_plugins(&(mapper_stage){.cfg = cfg}, lg) != 0)
        goto done;
    if (hbc_onnx_load_file(a->val[OPT_MODEL_FILE], &g, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "%s", err);
        goto done;
    }
    if (!(links = calloc((size_t)g->n_inputs + 1, sizeof *links))) {
        HBC_LOGE(lg, "infer: out of memory");
        goto done;
    }
    if (mapper_make_dirs(dir) != 0 ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.hb_infer_XXXXXX", dir) >= sizeof tmp ||
        !mkdtemp(tmp)) {
        HBC_LOGE(lg, "infer: cannot create a folder in the output directory %s: %s", dir,
                 strerror(errno));
        tmp[0] = '\0';
        goto done;
    }
    if (load_inputs(a, cfg, g, tmp, links, &cs, lg) != 0 || run(g, &cs, dir, lg) != 0)
        goto done;
    rc = MAPPER_OK;
done:
    for (int i = 0; links && g && i < g->n_inputs; i++) {
        if (links[i])
            remove(links[i]);
        free(links[i]);
        if (tmp[0]) {
            char sub[PATH_MAX + 16];
            snprintf(sub, sizeof sub, "%s/%d", tmp, i);
            rmdir(sub);
        }
    }
    if (tmp[0])
        rmdir(tmp);
    free(links);
    hbc_calset_free(&cs);
    hbg_graph_free(g);
    hbc_cfg_free(cfg);
    return rc;
}
