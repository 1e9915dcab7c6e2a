/* The report as JSON (schema: docs/report-json.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_priv.h"

#define SCHEMA "hb_mapper-report/1"

/* A JSON string: quotes, backslash and control characters escaped; NULL is null. */
static void jstr(hbc_rbuf *b, const char *s)
{
    if (!s) {
        hbc_rbuf_printf(b, "null");
        return;
    }
    hbc_rbuf_printf(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            hbc_rbuf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            hbc_rbuf_printf(b, "\\u%04x", *p);
        else
            hbc_rbuf_printf(b, "%c", *p);
    }
    hbc_rbuf_printf(b, "\"");
}

/* A number with enough digits to round-trip a float figure; NaN/Inf are null. */
static void jnum(hbc_rbuf *b, double v)
{
    if (isfinite(v))
        hbc_rbuf_printf(b, "%.9g", v);
    else
        hbc_rbuf_printf(b, "null");
}

static void json_nodes(hbc_rbuf *b, const hbc_report *r)
{
    hbc_rbuf_printf(b, "  \"nodes\": [");
    for (int i = 0; i < r->n_nodes; i++) {
        const hbc_report_node *n = &r->nodes[i];
        hbc_rbuf_printf(b, "%s\n    {\"name\": ", i ? "," : "");
        jstr(b, n->name);
        hbc_rbuf_printf(b, ", \"type\": ");
        jstr(b, n->type);
        hbc_rbuf_printf(b, ", \"on\": \"%s\", \"subgraph\": ", n->on_bpu ? "BPU" : "CPU");
        if (n->subgraph >= 0)
            hbc_rbuf_printf(b, "%d", n->subgraph);
        else
            hbc_rbuf_printf(b, "null");
        hbc_rbuf_printf(b, ", \"cosine\": ");
        jnum(b, n->cosine);
        hbc_rbuf_printf(b, ", \"isolated_cosine\": ");
        jnum(b, n->isolated);
        hbc_rbuf_printf(b, ", \"threshold\": ");
        jnum(b, n->threshold);
        hbc_rbuf_printf(b, ", \"dtype_in\": \"%s\", \"dtype_out\": \"%s\"}", n->dtype_in,
                        n->dtype_out);
    }
    hbc_rbuf_printf(b, "\n  ],\n");
}

static void json_outputs(hbc_rbuf *b, const hbc_report *r)
{
    hbc_rbuf_printf(b, "  \"outputs\": [");
    for (int i = 0; i < r->n_outputs; i++) {
        const hbc_report_output *o = &r->outputs[i];
        hbc_rbuf_printf(b, "%s\n    {\"name\": ", i ? "," : "");
        jstr(b, o->name);
        hbc_rbuf_printf(b, ", \"cosine\": ");
        jnum(b, o->sim.cosine);
        hbc_rbuf_printf(b, ", \"l1\": ");
        jnum(b, o->sim.l1);
        hbc_rbuf_printf(b, ", \"l2\": ");
        jnum(b, o->sim.l2);
        hbc_rbuf_printf(b, ", \"chebyshev\": ");
        jnum(b, o->sim.chebyshev);
        hbc_rbuf_printf(b, "}");
    }
    hbc_rbuf_printf(b, "\n  ],\n");
}

static void json_ranking(hbc_rbuf *b, const hbc_report *r)
{
    int n = 0, *idx = hbc_report_ranking(r, &n);
    hbc_rbuf_printf(b, "  \"sensitivity\": [");
    for (int i = 0; i < n; i++) {
        hbc_rbuf_printf(b, "%s\n    {\"rank\": %d, \"node\": ", i ? "," : "", i + 1);
        jstr(b, r->nodes[idx[i]].name);
        hbc_rbuf_printf(b, ", \"index\": %d, \"isolated_cosine\": ", idx[i]);
        jnum(b, r->nodes[idx[i]].isolated);
        hbc_rbuf_printf(b, ", \"cosine\": ");
        jnum(b, r->nodes[idx[i]].cosine);
        hbc_rbuf_printf(b, "}");
    }
    hbc_rbuf_printf(b, "%s]\n", n ? "\n  " : "");
    free(idx);
}

hbg_status hbc_report_write_json(const hbc_report *r, const hbc_report_meta *meta, const char *path,
                                 char *err, size_t errlen)
{
    hbc_rbuf b = {0};
    hbg_status st = HBG_E_IO;
    char tmp[4096];
    char *text = NULL;
    FILE *f = NULL;

    hbc_rbuf_printf(&b, "{\n  \"schema\": \"%s\",\n  \"model\": ", SCHEMA);
    jstr(&b, meta->model);
    hbc_rbuf_printf(&b, ",\n  \"march\": ");
    jstr(&b, meta->march);
    hbc_rbuf_printf(&b, ",\n  \"calibration_type\": ");
    jstr(&b, meta->method);
    hbc_rbuf_printf(&b, ",\n  \"calibration_samples\": %d,\n  \"sample\": ", meta->n_samples);
    jstr(&b, r->have_sample ? meta->sample_file : NULL);
    hbc_rbuf_printf(&b, ",\n");
    json_nodes(&b, r);
    json_outputs(&b, r);
    json_ranking(&b, r);
    hbc_rbuf_printf(&b, "}\n");
    if (!(text = hbc_rbuf_take(&b))) {
        hbc_report_fail(err, errlen, "%s: out of memory", path);
        return HBG_E_NOMEM;
    }
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        hbc_report_fail(err, errlen, "%s: path too long", path);
        st = HBG_E_INVALID;
        goto out;
    }
    if (!(f = fopen(tmp, "w"))) {
        hbc_report_fail(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    int bad = fputs(text, f) == EOF;
    bad |= fclose(f) != 0;
    f = NULL;
    if (bad) {
        hbc_report_fail(err, errlen, "%s: write error: %s", tmp, strerror(errno));
        remove(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        hbc_report_fail(err, errlen, "%s: cannot rename %s over it: %s", path, tmp,
                        strerror(errno));
        remove(tmp);
        goto out;
    }
    st = HBG_OK;
out:
    if (f)
        fclose(f);
    free(text);
    return st;
}
