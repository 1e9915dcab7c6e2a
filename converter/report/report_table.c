/* The framed tables of the report (interface notes 3.3) and the sensitivity ranking. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_priv.h"

#define NAME_COL_MAX 40 /* longer node names are cut on the left with "..." */
#define CELL         48 /* bytes of one formatted cell */
#define MAX_COLS     8

void hbc_rbuf_printf(hbc_rbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || b->failed)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->len + (size_t)n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *hbc_rbuf_take(hbc_rbuf *b)
{
    if (b->failed || !b->p) {
        free(b->p);
        return b->failed ? NULL : calloc(1, 1);
    }
    return b->p;
}

/* A cell of a name column: names longer than NAME_COL_MAX keep their last characters. */
static void name_cell(char *cell, const char *name)
{
    size_t n = strlen(name);
    if (n > NAME_COL_MAX)
        snprintf(cell, CELL, "...%s", name + n - (NAME_COL_MAX - 3));
    else
        snprintf(cell, CELL, "%s", name);
}

static void fig_cell(char *cell, double v)
{
    if (isfinite(v))
        snprintf(cell, CELL, "%.6f", v);
    else
        snprintf(cell, CELL, "--");
}

/* rows x cols cells (row 0 the header) -> framed text: '=' line, header, '-' line, rows;
 * left-aligned columns two spaces apart, the last one not padded. */
static char *frame(char (*cells)[MAX_COLS][CELL], int rows, int cols)
{
    hbc_rbuf b = {0};
    int w[MAX_COLS] = {0}, width = 0;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            int l = (int)strlen(cells[r][c]);
            w[c] = l > w[c] ? l : w[c];
        }
    for (int c = 0; c < cols; c++)
        width += w[c] + (c + 1 < cols ? 2 : 0);
    for (int i = 0; i < width; i++)
        hbc_rbuf_printf(&b, "=");
    for (int r = 0; r < rows; r++) {
        hbc_rbuf_printf(&b, "\n");
        for (int c = 0; c < cols; c++) {
            if (c + 1 < cols)
                hbc_rbuf_printf(&b, "%-*s  ", w[c], cells[r][c]);
            else
                hbc_rbuf_printf(&b, "%s", cells[r][c]);
        }
        if (r == 0) {
            hbc_rbuf_printf(&b, "\n");
            for (int i = 0; i < width; i++)
                hbc_rbuf_printf(&b, "-");
        }
    }
    return hbc_rbuf_take(&b);
}

char *hbc_report_node_table(const hbc_report *r)
{
    static const char *const head[] = {
        "Node", "ON", "Subgraph", "Type", "Cosine Similarity", "Threshold", "In/Out DataType"};
    char(*cells)[MAX_COLS][CELL] = calloc((size_t)r->n_nodes + 1, sizeof *cells);
    char *text;
    if (!cells)
        return NULL;
    for (int c = 0; c < 7; c++)
        snprintf(cells[0][c], CELL, "%s", head[c]);
    for (int i = 0; i < r->n_nodes; i++) {
        const hbc_report_node *n = &r->nodes[i];
        char(*row)[CELL] = cells[i + 1];
        name_cell(row[0], n->name);
        snprintf(row[1], CELL, "%s", n->on_bpu ? "BPU" : "CPU");
        if (n->subgraph >= 0)
            snprintf(row[2], CELL, "id(%d)", n->subgraph);
        else
            snprintf(row[2], CELL, "--");
        snprintf(row[3], CELL, "%s", n->type);
        fig_cell(row[4], n->cosine);
        fig_cell(row[5], n->threshold);
        snprintf(row[6], CELL, "%s/%s", n->dtype_in, n->dtype_out);
    }
    text = frame(cells, r->n_nodes + 1, 7);
    free(cells);
    return text;
}

char *hbc_report_output_table(const hbc_report *r)
{
    static const char *const head[] = {"Output", "Cosine Similarity", "L1 Distance", "L2 Distance",
                                       "Chebyshev Distance"};
    char(*cells)[MAX_COLS][CELL] = calloc((size_t)r->n_outputs + 1, sizeof *cells);
    char *text;
    if (!cells)
        return NULL;
    for (int c = 0; c < 5; c++)
        snprintf(cells[0][c], CELL, "%s", head[c]);
    for (int i = 0; i < r->n_outputs; i++) {
        const hbc_report_output *o = &r->outputs[i];
        name_cell(cells[i + 1][0], o->name);
        fig_cell(cells[i + 1][1], o->sim.cosine);
        fig_cell(cells[i + 1][2], o->sim.l1);
        fig_cell(cells[i + 1][3], o->sim.l2);
        fig_cell(cells[i + 1][4], o->sim.chebyshev);
    }
    text = frame(cells, r->n_outputs + 1, 5);
    free(cells);
    return text;
}

int *hbc_report_ranking(const hbc_report *r, int *n)
{
    int *idx = malloc(((size_t)r->n_nodes + 1) * sizeof *idx), k = 0;
    *n = 0;
    if (!idx)
        return NULL;
    for (int i = 0; i < r->n_nodes; i++)
        if (r->nodes[i].on_bpu && isfinite(r->nodes[i].isolated))
            idx[k++] = i;
    /* Insertion sort: stable, so ties keep graph order; tables have at most a few hundred rows. */
    for (int a = 1; a < k; a++) {
        int v = idx[a], b = a;
        while (b > 0 && r->nodes[idx[b - 1]].isolated > r->nodes[v].isolated) {
            idx[b] = idx[b - 1];
            b--;
        }
        idx[b] = v;
    }
    if (k == 0) {
        free(idx);
        return NULL;
    }
    *n = k;
    return idx;
}

char *hbc_report_ranking_table(const hbc_report *r, int k)
{
    static const char *const head[] = {"Rank", "Node", "Type", "Isolated Cosine",
                                       "Accumulated Cosine"};
    int n = 0, *idx = hbc_report_ranking(r, &n);
    n = n < k ? n : k;
    char(*cells)[MAX_COLS][CELL] = calloc((size_t)n + 1, sizeof *cells);
    char *text = NULL;
    if (!cells)
        goto out;
    for (int c = 0; c < 5; c++)
        snprintf(cells[0][c], CELL, "%s", head[c]);
    for (int i = 0; i < n; i++) {
        const hbc_report_node *nd = &r->nodes[idx[i]];
        snprintf(cells[i + 1][0], CELL, "%d", i + 1);
        name_cell(cells[i + 1][1], nd->name);
        snprintf(cells[i + 1][2], CELL, "%s", nd->type);
        fig_cell(cells[i + 1][3], nd->isolated);
        fig_cell(cells[i + 1][4], nd->cosine);
    }
    text = frame(cells, n + 1, 5);
out:
    free(cells);
    free(idx);
    return text;
}
