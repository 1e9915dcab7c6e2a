/* The static performance report of BPU programs: JSON and HTML (perf_report.h). */
#include "perf_report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_bin/layer_map.h"

#define SCHEMA "hb_perf/1"
#define MB     1e6 /* bytes per MB in every figure */

/* Bar charts: width of the label column and of the longest bar, height of one row (pixels). */
#define BAR_LABEL_W 220
#define BAR_W       420
#define BAR_ROW_H   20

static const char *const queue_names[BPU_Q_COUNT + 1] = {[BPU_Q_LOAD] = "load",
                                                         [BPU_Q_EXEC] = "exec",
                                                         [BPU_Q_STORE] = "store",
                                                         [BPU_Q_BARRIER] = "barrier"};

static void fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int hbperf_sub_estimate(const uint8_t *program, size_t len, bpu_march_id march, hbperf_sub *s,
                        char *err, size_t errlen)
{
    bpu_program *p = NULL;
    bpu_error e = {0};
    if (bpu_program_load(program, len, march, &p, &e) != BPU_OK) {
        fail(err, errlen, "%s: the BPU program does not load: instruction %lld: %s", s->name,
             (long long)e.insn, e.msg);
        return -1;
    }
    s->insns = bpu_program_size(p);
    s->est = *bpu_program_estimate(p);
    bpu_program_free(p);
    return 0;
}

/* Trace callback state: the layer of each instruction and the rows being summed. */
typedef struct layer_acc {
    const hbbin_layer_map *lm;
    hbperf_layer *rows;
    uint64_t events; /* instructions seen */
} layer_acc;

static void on_insn(void *user, const bpu_trace_event *ev)
{
    layer_acc *a = user;
    if (ev->index < 0 || (uint64_t)ev->index >= a->lm->insn_count)
        return; /* cannot happen for a loaded program; the event count check catches it */
    hbperf_layer *l = &a->rows[a->lm->insn_layer[ev->index]];
    l->insns++;
    if (ev->queue < BPU_Q_COUNT) {
        if (ev->queue == BPU_Q_LOAD) {
            if (!l->has_load || ev->start < l->load_start)
                l->load_start = ev->start;
            l->has_load = 1;
        } else {
            if (!l->has_compute || ev->start < l->start)
                l->start = ev->start;
            l->has_compute = 1;
        }
        if (!l->has_span || ev->end > l->end)
            l->end = ev->end;
        l->has_span = 1;
        l->busy[ev->queue] += ev->end - ev->start;
    } else {
        l->barrier_cycles += ev->end - ev->start;
    }
    l->macs += ev->macs;
    if (ev->opcode == BPU_OP_LOAD)
        l->ddr_load_bytes += ev->ddr_bytes;
    else if (ev->opcode == BPU_OP_STORE)
        l->ddr_store_bytes += ev->ddr_bytes;
    a->events++;
}

void hbperf_sub_free(hbperf_sub *s)
{
    free(s->layers);
    free(s->layer_text);
    s->layers = NULL;
    s->layer_text = NULL;
    s->n_layers = 0;
}

int hbperf_sub_layers(hbperf_sub *s, const uint8_t *program, size_t len, bpu_march_id march,
                      const uint8_t *map, size_t map_len, char *err, size_t errlen)
{
    bpu_program *p = NULL;
    hbbin_layer_map *lm = NULL;
    hbperf_layer *rows = NULL;
    char *text = NULL, msg[256];
    bpu_error e = {0};
    bpu_counters c;
    int rc = -1;
    hbperf_sub_free(s);
    if (bpu_program_load(program, len, march, &p, &e) != BPU_OK) {
        fail(err, errlen, "%s: the BPU program does not load: instruction %lld: %s", s->name,
             (long long)e.insn, e.msg);
        goto out;
    }
    if (hbbin_layer_map_parse(map, map_len, bpu_program_size(p), &lm, msg, sizeof msg) !=
        HBBIN_OK) {
        fail(err, errlen, "%s: %s", s->name, msg);
        goto out;
    }
    size_t text_n = 0;
    for (uint32_t l = 0; l < lm->layer_count; l++)
        text_n += strlen(lm->names[l]) + strlen(lm->op_types[l]) + 2;
    rows = calloc(lm->layer_count, sizeof *rows);
    text = malloc(text_n);
    if (!rows || !text) {
        fail(err, errlen, "%s: out of memory", s->name);
        goto out;
    }
    char *t = text;
    for (uint32_t l = 0; l < lm->layer_count; l++) {
        size_t n = strlen(lm->names[l]) + 1, k = strlen(lm->op_types[l]) + 1;
        rows[l].name = memcpy(t, lm->names[l], n);
        rows[l].op_type = memcpy(t + n, lm->op_types[l], k);
        t += n + k;
    }
    layer_acc acc = {lm, rows, 0};
    if (bpu_program_trace(p, on_insn, &acc, &c, &e) != BPU_OK) {
        fail(err, errlen, "%s: the schedule replay failed: instruction %lld: %s", s->name,
             (long long)e.insn, e.msg);
        goto out;
    }
    const bpu_counters *est = bpu_program_estimate(p);
    if (acc.events != bpu_program_size(p) || c.cycles != est->cycles || c.macs != est->macs ||
        c.ddr_load_bytes != est->ddr_load_bytes || c.ddr_store_bytes != est->ddr_store_bytes) {
        fail(err, errlen,
             "%s: the traced schedule (%llu of %zu instructions, %llu cycles) "
             "differs from the static estimate (%llu cycles)",
             s->name, (unsigned long long)acc.events, bpu_program_size(p),
             (unsigned long long)c.cycles, (unsigned long long)est->cycles);
        goto out;
    }
    for (uint32_t l = 0; l < lm->layer_count; l++)
        if (rows[l].has_load && !rows[l].has_compute)
            rows[l].start = rows[l].load_start;
    s->insns = bpu_program_size(p);
    s->est = *est;
    s->n_layers = (int)lm->layer_count;
    s->layers = rows;
    s->layer_text = text;
    rows = NULL;
    text = NULL;
    rc = 0;
out:
    free(rows);
    free(text);
    hbbin_layer_map_free(lm);
    bpu_program_free(p);
    return rc;
}

void hbperf_model_total(const hbperf_model *m, bpu_counters *t)
{
    memset(t, 0, sizeof *t);
    t->clock_mhz = bpu_march_get(m->march)->clock_mhz;
    for (int i = 0; i < m->n_sub; i++) {
        const bpu_counters *c = &m->sub[i].est;
        t->cycles += c->cycles;
        for (int q = 0; q < BPU_Q_COUNT; q++)
            t->queue_busy[q] += c->queue_busy[q];
        for (int o = 0; o < BPU_OP_COUNT; o++) {
            t->op_cycles[o] += c->op_cycles[o];
            t->op_count[o] += c->op_count[o];
        }
        t->macs += c->macs;
        t->ddr_load_bytes += c->ddr_load_bytes;
        t->ddr_store_bytes += c->ddr_store_bytes;
        if (c->sram_peak > t->sram_peak)
            t->sram_peak = c->sram_peak;
    }
}

double hbperf_ms(uint64_t cycles, bpu_march_id march)
{
    return (double)cycles / ((double)bpu_march_get(march)->clock_mhz * 1000.0);
}

double hbperf_mac_utilisation(const bpu_counters *c, bpu_march_id march)
{
    const bpu_march *m = bpu_march_get(march);
    if (!c->cycles)
        return 0.0;
    return (double)c->macs / ((double)c->cycles * (double)m->k_atom * (double)m->c_atom);
}

static double fps_of(uint64_t cycles, bpu_march_id march)
{
    return cycles ? 1000.0 / hbperf_ms(cycles, march) : 0.0;
}

void hbperf_summary_line(const hbperf_model *m, char *buf, size_t len)
{
    bpu_counters t;
    hbperf_model_total(m, &t);
    snprintf(buf, len, "FPS=%.2f, latency = %.1f us, DDR = %llu bytes", fps_of(t.cycles, m->march),
             hbperf_ms(t.cycles, m->march) * 1000.0,
             (unsigned long long)(t.ddr_load_bytes + t.ddr_store_bytes));
}

/* A JSON string: the characters JSON requires escaped, control characters as \u00XX. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* The figures of one counter set, as members of an open JSON object (indent: its spaces). */
static void json_figures(FILE *f, const bpu_counters *c, bpu_march_id march, const char *ind)
{
    fprintf(f, "%s\"latency (ms)\": %.6f,\n", ind, hbperf_ms(c->cycles, march));
    fprintf(f, "%s\"cycles\": %llu,\n", ind, (unsigned long long)c->cycles);
    fprintf(f, "%s\"FPS\": %.2f,\n", ind, fps_of(c->cycles, march));
    fprintf(f, "%s\"DDR megabytes per frame\": %.6f,\n", ind,
            (double)(c->ddr_load_bytes + c->ddr_store_bytes) / MB);
    fprintf(f, "%s\"loaded bytes per frame\": %llu,\n", ind, (unsigned long long)c->ddr_load_bytes);
    fprintf(f, "%s\"stored bytes per frame\": %llu,\n", ind,
            (unsigned long long)c->ddr_store_bytes);
    fprintf(f, "%s\"BPU OPs per frame (effective)\": %llu,\n", ind,
            (unsigned long long)(2 * c->macs));
    fprintf(f, "%s\"MACs per frame\": %llu,\n", ind, (unsigned long long)c->macs);
    fprintf(f, "%s\"MAC utilisation\": %.6f,\n", ind, hbperf_mac_utilisation(c, march));
    fprintf(f, "%s\"SRAM peak bytes\": %llu", ind, (unsigned long long)c->sram_peak);
}

/* 1 when every subgraph has layer rows (a model without BPU subgraphs has none to miss). */
static int has_layers(const hbperf_model *m)
{
    for (int i = 0; i < m->n_sub; i++)
        if (m->sub[i].n_layers <= 0)
            return 0;
    return 1;
}

/* The layer rows of m as a JSON array. Spans are in cycles from the start of m's BPU work: the
 * subgraphs run one after the other, so subgraph i's start at the sum of the cycles before it. */
static void json_layers(FILE *f, const hbperf_model *m)
{
    uint64_t base = 0;
    int first = 1;
    fputc('[', f);
    for (int i = 0; i < m->n_sub; i++) {
        const hbperf_sub *s = &m->sub[i];
        for (int l = 0; l < s->n_layers; l++) {
            const hbperf_layer *r = &s->layers[l];
            fprintf(f, "%s\n    {\"name\": ", first ? "" : ",");
            json_str(f, r->name);
            fprintf(f, ", \"op type\": ");
            json_str(f, r->op_type);
            fprintf(f, ", \"subgraph\": ");
            json_str(f, s->name);
            fprintf(f, ", \"instructions\": %llu,\n     ", (unsigned long long)r->insns);
            if (r->has_span)
                fprintf(f,
                        "\"start cycle\": %llu, \"end cycle\": %llu, \"span (ms)\": %.6f,\n     ",
                        (unsigned long long)(base + r->start), (unsigned long long)(base + r->end),
                        hbperf_ms(r->end - r->start, m->march));
            else
                fprintf(f,
                        "\"start cycle\": null, \"end cycle\": null, \"span (ms)\": null,\n     ");
            if (r->has_load)
                fprintf(f, "\"first load cycle\": %llu, ",
                        (unsigned long long)(base + r->load_start));
            else
                fprintf(f, "\"first load cycle\": null, ");
            fprintf(f, "\"busy cycles\": {");
            for (int q = 0; q < BPU_Q_COUNT; q++)
                fprintf(f, "%s\"%s\": %llu", q ? ", " : "", queue_names[q],
                        (unsigned long long)r->busy[q]);
            fprintf(f,
                    "}, \"barrier cycles\": %llu, \"MACs\": %llu, \"BPU OPs\": %llu,\n"
                    "     \"loaded bytes\": %llu, \"stored bytes\": %llu, \"DDR megabytes\": %.6f}",
                    (unsigned long long)r->barrier_cycles, (unsigned long long)r->macs,
                    (unsigned long long)(2 * r->macs), (unsigned long long)r->ddr_load_bytes,
                    (unsigned long long)r->ddr_store_bytes,
                    (double)(r->ddr_load_bytes + r->ddr_store_bytes) / MB);
            first = 0;
        }
        base += s->est.cycles;
    }
    fprintf(f, "\n  ]");
}

static void write_json(FILE *f, const hbperf_model *m)
{
    bpu_counters t;
    const bpu_march *ma = bpu_march_get(m->march);
    hbperf_model_total(m, &t);
    fprintf(f, "{\n  \"schema\": \"%s\",\n  \"summary\": {\n    \"model name\": ", SCHEMA);
    json_str(f, m->name);
    fprintf(f, ",\n    \"march\": \"%s\",\n    \"clock (MHz)\": %u,\n", ma->name, ma->clock_mhz);
    fprintf(f, "    \"MAC per cycle\": %u,\n    \"BPU subgraphs\": %d,\n", ma->k_atom * ma->c_atom,
            m->n_sub);
    json_figures(f, &t, m->march, "    ");
    if (has_layers(m)) {
        fprintf(f, "\n  },\n  \"layer details\": ");
        json_layers(f, m);
        fprintf(f, ",\n  \"subgraphs\": [");
    } else {
        fprintf(f, "\n  },\n  \"layer details\": null,\n  \"layer details note\": \"the .bin has "
                   "no LAYER_MAP (which node each instruction belongs to); see instruction "
                   "classes\",\n  \"subgraphs\": [");
    }
    for (int i = 0; i < m->n_sub; i++) {
        const hbperf_sub *s = &m->sub[i];
        fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
        json_str(f, s->name);
        fprintf(f, ", \"instructions\": %llu, \"constant bytes\": %llu,\n",
                (unsigned long long)s->insns, (unsigned long long)s->const_bytes);
        json_figures(f, &s->est, m->march, "     ");
        fprintf(f, "}");
    }
    fprintf(f, "\n  ],\n  \"queues\": {");
    for (int q = 0; q < BPU_Q_COUNT; q++)
        fprintf(f, "%s\"%s busy cycles\": %llu", q ? ", " : "", queue_names[q],
                (unsigned long long)t.queue_busy[q]);
    fprintf(f, "},\n  \"instruction classes\": [");
    int first = 1;
    for (int o = 1; o < BPU_OP_COUNT; o++) {
        if (!t.op_count[o])
            continue;
        fprintf(f,
                "%s\n    {\"class\": \"%s\", \"queue\": \"%s\", \"count\": %llu, \"busy "
                "cycles\": %llu, \"busy (ms)\": %.6f}",
                first ? "" : ",", bpu_op_name((uint32_t)o), queue_names[bpu_op_queue((uint32_t)o)],
                (unsigned long long)t.op_count[o], (unsigned long long)t.op_cycles[o],
                hbperf_ms(t.op_cycles[o], m->march));
        first = 0;
    }
    fprintf(f, "\n  ]\n}\n");
}

/* Text with the HTML special characters escaped. */
static void html_str(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* One horizontal bar chart: n rows of label and value, bars scaled to the largest value. */
static void svg_bars(FILE *f, const char *title, int n, const char *const *labels,
                     const double *values, const char *unit, const char *colour)
{
    double max = 0.0;
    for (int i = 0; i < n; i++)
        if (values[i] > max)
            max = values[i];
    fprintf(f, "<h3>");
    html_str(f, title);
    fprintf(f, "</h3>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">\n",
            BAR_LABEL_W + BAR_W + 160, n * BAR_ROW_H + 4);
    for (int i = 0; i < n; i++) {
        int y = i * BAR_ROW_H + 2;
        double w = max > 0.0 ? values[i] / max * BAR_W : 0.0;
        fprintf(f, "<text x=\"0\" y=\"%d\" font-size=\"12\">", y + 14);
        html_str(f, labels[i]);
        fprintf(f,
                "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%d\" font-size=\"12\">%.4g %s</text>\n",
                BAR_LABEL_W, y, w, BAR_ROW_H - 4, colour, BAR_LABEL_W + w + 6, y + 14, values[i],
                unit);
    }
    fprintf(f, "</svg>\n");
}

/* Spans of the layers on one time axis (cycles from the start of m's BPU work, as in the JSON):
 * one row per layer, a bar from its first issue to its last retirement. */
static void svg_spans(FILE *f, const hbperf_model *m, uint64_t total)
{
    int n = 0;
    for (int i = 0; i < m->n_sub; i++)
        n += m->sub[i].n_layers;
    fprintf(f,
            "<h3>Latency span per layer</h3>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
            "width=\"%d\" height=\"%d\">\n",
            BAR_LABEL_W + BAR_W + 160, n * BAR_ROW_H + 4);
    uint64_t base = 0;
    int row = 0;
    for (int i = 0; i < m->n_sub; i++) {
        for (int l = 0; l < m->sub[i].n_layers; l++, row++) {
            const hbperf_layer *r = &m->sub[i].layers[l];
            int y = row * BAR_ROW_H + 2;
            double x0 = total ? (double)(base + r->start) / (double)total * BAR_W : 0.0;
            double w =
                total && r->has_span ? (double)(r->end - r->start) / (double)total * BAR_W : 0;
            fprintf(f, "<text x=\"0\" y=\"%d\" font-size=\"12\">", y + 14);
            html_str(f, r->name);
            fprintf(f,
                    "</text><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                    "fill=\"#2a9d8f\"/><text x=\"%d\" y=\"%d\" font-size=\"12\">%.4g ms</text>\n",
                    BAR_LABEL_W + x0, y, w, BAR_ROW_H - 4, BAR_LABEL_W + BAR_W + 6, y + 14,
                    r->has_span ? hbperf_ms(r->end - r->start, m->march) : 0.0);
        }
        base += m->sub[i].est.cycles;
    }
    fprintf(f, "</svg>\n");
}

/* The layer section of the page: span and DDR bars, then the table. */
static int html_layers(FILE *f, const hbperf_model *m, const bpu_counters *t)
{
    int n = 0, k = 0;
    for (int i = 0; i < m->n_sub; i++)
        n += m->sub[i].n_layers;
    const char **labels = malloc((n ? (size_t)n : 1) * sizeof *labels);
    double *values = malloc((n ? (size_t)n : 1) * sizeof *values);
    if (!labels || !values) {
        free(labels);
        free(values);
        return -1;
    }
    fprintf(f, "<h2>Layers</h2>\n<p>Each instruction belongs to the graph node the compiler "
               "emitted it for (weight loads prefetched during the previous node included). A "
               "layer's span runs from the issue of its first EXEC/STORE instruction (its first "
               "LOAD when it has none; weight loads may be prefetched several layers earlier, "
               "see \"first load cycle\" in the JSON) to the retirement of its last "
               "LOAD/EXEC/STORE one (its closing barrier, which waits for every queue, is left "
               "out); spans of neighbours overlap where the queues run in parallel. MACs, DDR "
               "bytes and busy cycles add up to the totals.</p>\n");
    svg_spans(f, m, t->cycles);
    for (int i = 0; i < m->n_sub; i++)
        for (int l = 0; l < m->sub[i].n_layers; l++, k++) {
            labels[k] = m->sub[i].layers[l].name;
            values[k] =
                (double)(m->sub[i].layers[l].ddr_load_bytes + m->sub[i].layers[l].ddr_store_bytes) /
                MB;
        }
    svg_bars(f, "DDR traffic per layer", n, labels, values, "MB", "#e76f51");
    fprintf(f, "<table>\n<tr><th>Layer</th><th>Op type</th><th>Subgraph</th><th>Instructions"
               "</th><th>Start cycle</th><th>End cycle</th><th>Span (ms)</th><th>LOAD busy</th>"
               "<th>EXEC busy</th><th>STORE busy</th><th>MACs</th><th>Loaded bytes</th>"
               "<th>Stored bytes</th></tr>\n");
    uint64_t base = 0;
    for (int i = 0; i < m->n_sub; i++) {
        for (int l = 0; l < m->sub[i].n_layers; l++) {
            const hbperf_layer *r = &m->sub[i].layers[l];
            fprintf(f, "<tr><td>");
            html_str(f, r->name);
            fprintf(f, "</td><td>");
            html_str(f, r->op_type);
            fprintf(f, "</td><td>");
            html_str(f, m->sub[i].name);
            fprintf(f, "</td><td>%llu</td>", (unsigned long long)r->insns);
            if (r->has_span)
                fprintf(f, "<td>%llu</td><td>%llu</td><td>%.6f</td>",
                        (unsigned long long)(base + r->start), (unsigned long long)(base + r->end),
                        hbperf_ms(r->end - r->start, m->march));
            else
                fprintf(f, "<td>-</td><td>-</td><td>-</td>");
            fprintf(f,
                    "<td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td>"
                    "<td>%llu</td></tr>\n",
                    (unsigned long long)r->busy[BPU_Q_LOAD],
                    (unsigned long long)r->busy[BPU_Q_EXEC],
                    (unsigned long long)r->busy[BPU_Q_STORE], (unsigned long long)r->macs,
                    (unsigned long long)r->ddr_load_bytes, (unsigned long long)r->ddr_store_bytes);
        }
        base += m->sub[i].est.cycles;
    }
    fprintf(f, "</table>\n");
    free(labels);
    free(values);
    return 0;
}

static int write_html(FILE *f, const hbperf_model *m)
{
    bpu_counters t;
    const bpu_march *ma = bpu_march_get(m->march);
    int cap = m->n_sub > BPU_OP_COUNT ? m->n_sub : BPU_OP_COUNT;
    const char **labels = malloc((size_t)cap * sizeof *labels);
    double *values = malloc((size_t)cap * sizeof *values);
    int rc = -1;
    if (!labels || !values)
        goto out;
    hbperf_model_total(m, &t);
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
    html_str(f, m->name);
    fprintf(f, " - hb_perf</title>\n<style>body{font-family:sans-serif}table{border-collapse:"
               "collapse}td,th{border:1px solid #999;padding:2px 8px;text-align:right}"
               "td:first-child,th:first-child{text-align:left}</style></head><body>\n");
    fprintf(f, "<h1>Model Performance Summary</h1>\n<table>\n<tr><td>Model Name</td><td>");
    html_str(f, m->name);
    fprintf(f, "</td></tr>\n<tr><td>BPU march</td><td>%s (%u MHz, %u MAC/cycle)</td></tr>\n",
            ma->name, ma->clock_mhz, ma->k_atom * ma->c_atom);
    fprintf(f, "<tr><td>Model Latency (ms)</td><td>%.6f</td></tr>\n",
            hbperf_ms(t.cycles, m->march));
    fprintf(f, "<tr><td>Cycles per frame</td><td>%llu</td></tr>\n", (unsigned long long)t.cycles);
    fprintf(f, "<tr><td>FPS (BPU only)</td><td>%.2f</td></tr>\n", fps_of(t.cycles, m->march));
    fprintf(f,
            "<tr><td>Total DDR (loaded+stored) bytes per frame (MB/frame)</td>"
            "<td>%.6f</td></tr>\n",
            (double)(t.ddr_load_bytes + t.ddr_store_bytes) / MB);
    fprintf(f, "<tr><td>Loaded Bytes per Frame</td><td>%llu</td></tr>\n",
            (unsigned long long)t.ddr_load_bytes);
    fprintf(f, "<tr><td>Stored Bytes per Frame</td><td>%llu</td></tr>\n",
            (unsigned long long)t.ddr_store_bytes);
    fprintf(f, "<tr><td>BPU OPs per frame (2 x MACs)</td><td>%llu</td></tr>\n",
            (unsigned long long)(2 * t.macs));
    fprintf(f, "<tr><td>MAC utilisation</td><td>%.2f%%</td></tr>\n</table>\n",
            100.0 * hbperf_mac_utilisation(&t, m->march));
    fprintf(f, "<h2>Details</h2>\n<table>\n<tr><th>Model Subgraph Name</th><th>Calculation Load "
               "(OPs per frame)</th><th>DDR Occupation (MB per frame)</th><th>Latency (ms)</th>"
               "<th>Instructions</th></tr>\n");
    for (int i = 0; i < m->n_sub; i++) {
        const hbperf_sub *s = &m->sub[i];
        fprintf(f, "<tr><td>");
        html_str(f, s->name);
        fprintf(f, "</td><td>%llu</td><td>%.6f</td><td>%.6f</td><td>%llu</td></tr>\n",
                (unsigned long long)(2 * s->est.macs),
                (double)(s->est.ddr_load_bytes + s->est.ddr_store_bytes) / MB,
                hbperf_ms(s->est.cycles, m->march), (unsigned long long)s->insns);
    }
    fprintf(f, "</table>\n");
    if (m->n_sub > 1) {
        for (int i = 0; i < m->n_sub; i++) {
            labels[i] = m->sub[i].name;
            values[i] = hbperf_ms(m->sub[i].est.cycles, m->march);
        }
        svg_bars(f, "Latency per subgraph", m->n_sub, labels, values, "ms", "#2a9d8f");
        for (int i = 0; i < m->n_sub; i++)
            values[i] = (double)(m->sub[i].est.ddr_load_bytes + m->sub[i].est.ddr_store_bytes) / MB;
        svg_bars(f, "DDR traffic per subgraph", m->n_sub, labels, values, "MB", "#e76f51");
    }
    int n = 0;
    for (int o = 1; o < BPU_OP_COUNT; o++) {
        if (!t.op_count[o])
            continue;
        labels[n] = bpu_op_name((uint32_t)o);
        values[n++] = hbperf_ms(t.op_cycles[o], m->march);
    }
    if (has_layers(m) && html_layers(f, m, &t) != 0)
        goto out;
    fprintf(f,
            "<h2>Instruction classes</h2>\n<p>%sBusy time of the classes overlaps (LOAD, EXEC "
            "and STORE queues run in parallel); the latency is the critical path.</p>\n",
            has_layers(m) ? ""
                          : "Layer Details: the .bin has no LAYER_MAP (which graph node each "
                            "instruction belongs to), so time is shown per instruction class. ");
    svg_bars(f, "Busy time per instruction class", n, labels, values, "ms", "#264653");
    labels[0] = "loaded";
    values[0] = (double)t.ddr_load_bytes / MB;
    labels[1] = "stored";
    values[1] = (double)t.ddr_store_bytes / MB;
    svg_bars(f, "DDR traffic per frame", 2, labels, values, "MB", "#e76f51");
    for (int q = 0; q < BPU_Q_COUNT; q++) {
        labels[q] = queue_names[q];
        values[q] = hbperf_ms(t.queue_busy[q], m->march);
    }
    svg_bars(f, "Busy time per queue", BPU_Q_COUNT, labels, values, "ms", "#8ab17d");
    fprintf(f, "<table>\n<tr><th>Class</th><th>Queue</th><th>Count</th><th>Busy cycles</th>"
               "</tr>\n");
    for (int o = 1; o < BPU_OP_COUNT; o++)
        if (t.op_count[o])
            fprintf(f, "<tr><td>%s</td><td>%s</td><td>%llu</td><td>%llu</td></tr>\n",
                    bpu_op_name((uint32_t)o), queue_names[bpu_op_queue((uint32_t)o)],
                    (unsigned long long)t.op_count[o], (unsigned long long)t.op_cycles[o]);
    fprintf(f, "</table>\n</body></html>\n");
    rc = 0;
out:
    free(labels);
    free(values);
    return rc;
}

/* Write through path.tmp, renamed over path when complete. */
static int write_file(const hbperf_model *m, const char *path, int html, char *err, size_t errlen)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        fail(err, errlen, "%s: path too long", path);
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fail(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
        return -1;
    }
    int bad = 0;
    if (html)
        bad = write_html(f, m) != 0;
    else
        write_json(f, m);
    bad |= ferror(f);
    bad |= fclose(f) != 0;
    if (bad) {
        fail(err, errlen, "%s: write error: %s", tmp, strerror(errno));
        remove(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        fail(err, errlen, "%s: cannot rename %s over it: %s", path, tmp, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

int hbperf_write_json(const hbperf_model *m, const char *path, char *err, size_t errlen)
{
    return write_file(m, path, 0, err, errlen);
}

int hbperf_write_html(const hbperf_model *m, const char *path, char *err, size_t errlen)
{
    return write_file(m, path, 1, err, errlen);
}
