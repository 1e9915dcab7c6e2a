/* makertbin's calibration stage: the calibration data set (hbc_calset_load, docs/preprocess.md),
 * the configured calibration method (hbc_calibrate, docs/calibration.md) and, once the integer
 * model exists, the calibrated model <prefix>_calibrated_model.onnx (hbc_calib_build_qdq_graph
 * following it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbc/calib.h"
#include "hbc/prep.h"
#include "hbc/quant.h"
#include "hbg/npy.h"
#include "mapper.h"
#include "mapper_stages.h"

/* calibration_type -> calibration method, and whether the method needs calibration data. */
static const struct {
    hbc_calib_method method;
    int needs_data;
} methods[] = {
    [HBC_CAL_DEFAULT] = {HBC_CALIB_DEFAULT, 1}, [HBC_CAL_MIX] = {HBC_CALIB_MIX, 1},
    [HBC_CAL_KL] = {HBC_CALIB_KL, 1},           [HBC_CAL_MAX] = {HBC_CALIB_MAX, 1},
    [HBC_CAL_LOAD] = {HBC_CALIB_LOAD, 0},       [HBC_CAL_SKIP] = {HBC_CALIB_SKIP, 0},
};

/* The calibration data of every input, or none when the method needs none and no input has a
 * cal_data_dir. */
static int load_data(const hbc_cfg *cfg, const hbg_graph *g, hbc_calset *cs, const hbc_logger *lg)
{
    int have = 0, rc = -1;
    const hbg_tensor **t = calloc((size_t)g->n_inputs + 1, sizeof *t);
    char err[1024];
    if (!t) {
        HBC_LOGE(lg, "calibration data: out of memory");
        return -1;
    }
    for (int i = 0; i < cfg->n_inputs; i++)
        have += cfg->inputs[i].cal_data_dir != NULL;
    if (!methods[cfg->calibration_type].needs_data && have == 0) {
        HBC_LOGI(lg, "calibration_type %s without cal_data_dir: no calibration data is loaded",
                 hbc_cfg_enum_name(HBC_ENUM_CAL_TYPE, (int)cfg->calibration_type));
        rc = 0;
        goto out;
    }
    for (int i = 0; i < g->n_inputs; i++)
        t[i] = g->tensors[g->inputs[i]];
    if (hbc_calset_load(cfg, (const hbg_tensor *const *)t, g->n_inputs, lg, cs, err, sizeof err) !=
        HBG_OK) {
        HBC_LOGE(lg, "%s", err);
        HBC_LOGE(lg, "load cal data failed; check calibration_parameters.cal_data_dir and the "
                     "files in it");
        goto out;
    }
    for (int i = 0; i < cs->n_inputs; i++)
        HBC_LOGI(lg, "input name: %s,  number_of_samples: %d", cs->names[i], cs->n_samples);
    HBC_LOGI(lg, "There are %d samples in the data set.", cs->n_samples);
    rc = 0;
out:
    free(t);
    return rc;
}

/* debug_mode dump_calibration_data (interface notes 1.2): every sample of every input as
 * <working_dir>/calibration_data/<input>/<i>.npy (float32, the sample's shape; i from 0 in the
 * order calibration uses them; characters of the input name other than [A-Za-z0-9._-] become
 * '_'): the tensors the original float model, with its HZ_PREPROCESS node, takes in calibration,
 * which hb_mapper infer takes too. Each file is written to a temporary name and renamed. */
static int dump_data(const mapper_stage *st, const hbc_calset *cs, const hbc_logger *lg)
{
    char dir[4096], path[4200], err[512];
    for (int i = 0; i < cs->n_inputs; i++) {
        int n = snprintf(dir, sizeof dir, "%s/calibration_data/", st->working_dir);
        for (const char *c = cs->names[i]; *c && n < (int)sizeof dir - 1; c++, n++) {
            int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                     (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-';
            dir[n] = ok ? *c : '_';
        }
        dir[n < (int)sizeof dir ? n : (int)sizeof dir - 1] = '\0';
        if (mapper_make_dirs(dir) != 0) {
            HBC_LOGE(lg, "debug_mode dump_calibration_data: cannot create %s", dir);
            return -1;
        }
        hbg_tensor t = {.name = cs->names[i], .dtype = HBG_DT_F32, .rank = cs->rank[i]};
        memcpy(t.dims, cs->dims[i], sizeof t.dims);
        for (int s = 0; s < cs->n_samples; s++) {
            t.data = cs->data[(size_t)s * (size_t)cs->n_inputs + (size_t)i];
            snprintf(path, sizeof path, "%s/%d.npy", dir, s);
            if (hbg_npy_save(path, &t, err, sizeof err) != HBG_OK) {
                HBC_LOGE(lg, "debug_mode dump_calibration_data: %s", err);
                return -1;
            }
        }
        HBC_LOGI(lg, "debug_mode dump_calibration_data: %d samples of input %s in %s",
                 cs->n_samples, cs->names[i], dir);
    }
    return 0;
}

/* Options of the method from calibration_parameters. */
static int options_of(const hbc_cfg *cfg, hbc_calib_options *o, const hbc_logger *lg)
{
    hbc_calib_options_init(o);
    o->method = methods[cfg->calibration_type].method;
    o->per_channel = cfg->per_channel;
    if (cfg->given[HBC_KEY_MAX_PERCENTILE]) {
        if (o->method == HBC_CALIB_MAX)
            o->max_percentile = cfg->max_percentile;
        else if (cfg->max_percentile != 1.0)
            HBC_LOGW(lg,
                     "%s: calibration_parameters.max_percentile %g applies to calibration_type "
                     "max only; ignored with %s",
                     cfg->path, cfg->max_percentile,
                     hbc_cfg_enum_name(HBC_ENUM_CAL_TYPE, (int)cfg->calibration_type));
    }
    return 0;
}

/* optimization channel_equalization: hbc_calib_equalize on the calibration samples, factors up
 * to MAPPER_EQ_MAX_SCALE (docs/calibration.md). Not with load (the QAT thresholds belong to the
 * unscaled tensors) nor skip (random data says nothing about the channels): a WARNING says so.
 * Returns 0 or -1 after an ERROR. */
#define MAPPER_EQ_MAX_SCALE 4.0
static int equalize(const hbc_cfg *cfg, hbg_graph *g, const hbc_calset *cs,
                    const float *const *const *samples, hbc_calib_method m, const hbc_logger *lg)
{
    char err[1024];
    int asked = 0;
    for (int i = 0; i < cfg->optimization.n; i++)
        asked |= cfg->optimization.v[i] == HBC_OPT_CHANNEL_EQUALIZATION;
    if (!asked)
        return 0;
    if (m == HBC_CALIB_LOAD || m == HBC_CALIB_SKIP || cs->n_samples <= 0) {
        HBC_LOGW(lg,
                 "%s: optimization channel_equalization needs calibration data; not done with "
                 "calibration_type %s",
                 cfg->path, hbc_calib_method_name(m));
        return 0;
    }
    if (hbc_calib_equalize(g, cs->n_samples, samples, MAPPER_EQ_MAX_SCALE, lg, NULL, err,
                           sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "channel_equalization failed: %s", err);
        return -1;
    }
    return 0;
}

int mapper_calibrate(const mapper_stage *st, hbg_graph *g, hbc_calset *cs, hbc_calib_table *tab,
                     const hbc_logger *lg)
{
    const hbc_cfg *cfg = st->cfg;
    hbc_calib_options opt;
    const float *const **samples = NULL;
    char err[1024];
    int rc = -1;

    if (load_data(cfg, g, cs, lg) != 0 || options_of(cfg, &opt, lg) != 0)
        goto out;
    if (cfg->given[HBC_KEY_DEBUG_MODE] && cfg->debug_mode == HBC_DEBUG_DUMP_CALIBRATION_DATA &&
        dump_data(st, cs, lg) != 0)
        goto out;
    HBC_LOGI(lg, "Start to calibrate the model.");
    if (!(samples = calloc((size_t)cs->n_samples + 1, sizeof *samples))) {
        HBC_LOGE(lg, "calibration: out of memory");
        goto out;
    }
    for (int s = 0; s < cs->n_samples; s++)
        samples[s] = (const float *const *)&cs->data[(size_t)s * (size_t)cs->n_inputs];
    if (equalize(cfg, g, cs, samples, opt.method, lg) != 0)
        goto out;
    HBC_LOGI(lg, "Run calibration model with %s method.", hbc_calib_method_name(opt.method));
    if (hbc_calibrate(g, cs->n_samples, samples, &opt, lg, tab, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "calibration failed: %s", err);
        goto out;
    }
    for (int i = 0; i < tab->n; i++)
        HBC_LOGD(lg, "threshold of %s: %.9g (%s)", tab->e[i].tensor, tab->e[i].threshold,
                 hbc_calib_method_name((hbc_calib_method)tab->e[i].method));
    HBC_LOGI(lg, "End to calibrate the model: %d thresholds.", tab->n);
    rc = 0;
out:
    free(samples);
    return rc;
}

int mapper_save_calibrated(const mapper_stage *st, hbg_graph *g, const hbc_calib_table *tab,
                           hbg_graph *qg, const hbc_logger *lg)
{
    hbg_graph *qdq = NULL;
    char err[1024];
    int rc = -1;
    if (hbc_quant_calibrated_graph(g, tab, qg, &qdq, err, sizeof err) != HBG_OK)
        HBC_LOGE(lg, "the calibrated model: %s", err);
    else
        rc = mapper_save_artifact(qdq, st, "calibrated_model", lg);
    hbg_graph_free(qdq);
    return rc;
}
