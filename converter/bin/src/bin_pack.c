/* hb_pack: several .bin files into one packed file. Every input is read (and so validated) by the
 * reader, then its models are re-added to a fresh builder; the writer validates the result. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin_writer_internal.h"
#include "hb_bin/bin_writer.h"

static hbbin_status perr(char *err, size_t errsz, hbbin_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static hbbin_status perr(char *err, size_t errsz, hbbin_status st, const char *fmt, ...)
{
    if (err && errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* Copy model m of an open file into the builder. */
static hbbin_status copy_model(hbbw *w, const hbbin_model *m, const char *path, char *err,
                               size_t errsz)
{
    uint32_t dst;
    hbbin_status st = hbbw_add_model(w, m->name, &dst);
    if (st == HBBIN_E_ARG)
        return perr(err, errsz, st,
                    "%s: model '%s' cannot be added: its name is already used "
                    "by another input, or the packed file would exceed %u models",
                    path, m->name, HBBIN_MAX_MODELS);
    for (uint32_t i = 0; st == HBBIN_OK && i < m->input_count; i++)
        st = hbbw_add_tensor(w, dst, 1, &m->inputs[i]);
    for (uint32_t i = 0; st == HBBIN_OK && i < m->output_count; i++)
        st = hbbw_add_tensor(w, dst, 0, &m->outputs[i]);
    for (uint32_t i = 0; st == HBBIN_OK && i < m->preprocess_count; i++)
        st = hbbw_add_preprocess(w, dst, &m->preprocess[i]);
    for (uint32_t i = 0; st == HBBIN_OK && i < m->param_count; i++)
        st = hbbw_add_param(w, dst, m->params[i].key, m->params[i].value);
    for (uint32_t i = 0; st == HBBIN_OK && i < m->blob_count; i++)
        st = hbbw_add_blob(w, dst, m->blobs[i].kind, m->blobs[i].id, m->blobs[i].data,
                           m->blobs[i].size);
    if (st != HBBIN_OK)
        return perr(err, errsz, st, "%s: copying model '%s' failed: %s", path, m->name,
                    hbbin_status_name(st));
    return HBBIN_OK;
}

hbbin_status hbbw_pack(const char *const *inputs, uint32_t count, const char *output,
                       const uint16_t toolchain[3], char *err, size_t errsz)
{
    hbbin_status st = HBBIN_OK;
    hbbin_file **files = NULL;
    hbbw *w = NULL;
    if (!inputs || !output || !toolchain || count < 2 || count > HBBIN_MAX_MODELS)
        return perr(err, errsz, HBBIN_E_ARG, "hb_pack: give 2 to %u input files and an output",
                    HBBIN_MAX_MODELS);
    files = calloc(count, sizeof *files);
    if (!files)
        return perr(err, errsz, HBBIN_E_NOMEM, "hb_pack: out of memory");
    for (uint32_t i = 0; i < count; i++) {
        st = hbbin_open_file(inputs[i], &files[i], err, errsz);
        if (st != HBBIN_OK)
            goto out;
        const hbbin_info *info = hbbin_file_info(files[i]);
        if (info->flags & HBBIN_FLAG_PACKED) {
            st = perr(err, errsz, HBBIN_E_ARG,
                      "model: %s is a packed model, it can not be packed again", inputs[i]);
            goto out;
        }
        if (info->march != hbbin_file_info(files[0])->march) {
            st = perr(err, errsz, HBBIN_E_ARG, "%s: march %s differs from %s of %s", inputs[i],
                      hbbin_march_name(info->march),
                      hbbin_march_name(hbbin_file_info(files[0])->march), inputs[0]);
            goto out;
        }
    }
    w = hbbw_create(hbbin_file_info(files[0])->march, toolchain);
    if (!w) {
        st = perr(err, errsz, HBBIN_E_NOMEM, "hb_pack: out of memory");
        goto out;
    }
    hbbw_set_flags(w, HBBIN_FLAG_PACKED);
    for (uint32_t i = 0; st == HBBIN_OK && i < count; i++)
        for (uint32_t m = 0; st == HBBIN_OK && m < hbbin_file_info(files[i])->model_count; m++)
            st = copy_model(w, hbbin_model_at(files[i], m), inputs[i], err, errsz);
    if (st == HBBIN_OK)
        st = hbbw_write(w, output, err, errsz);
out:
    hbbw_free(w);
    for (uint32_t i = 0; i < count; i++)
        hbbin_close(files[i]);
    free(files);
    return st;
}
