/* Internals of hbc_report shared by its files. */
#ifndef HBC_REPORT_PRIV_H
#define HBC_REPORT_PRIV_H

#include <stddef.h>

#include "hbc_report.h"

/* printf into err (when errlen > 0). */
void hbc_report_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fill r->nodes[i].isolated for every BPU node of in->fg (report_isolated.c). in->fg must hold
 * the values of a float run of the sample (its executor still alive). Failures leave NaN. */
void hbc_report_isolated(const hbc_report_input *in, hbc_report *r);

/* The Relu/Clip node that hbc_quantize folded into node i of fg (the only reader of i's first
 * output, which the quantized graph qg then does not have), or -1. */
int hbc_report_folded_act(const hbg_graph *fg, const hbg_graph *qg, int i);
/* 1 when node i of fg is such a folded Relu/Clip. */
int hbc_report_is_folded(const hbg_graph *fg, const hbg_graph *qg, int i);

/* A growing text buffer; failed is set (and the text cut) when an allocation fails. */
typedef struct hbc_rbuf {
    char *p;
    size_t len, cap;
    int failed;
} hbc_rbuf;
void hbc_rbuf_printf(hbc_rbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (caller frees), or NULL after a failed allocation (the buffer is released). */
char *hbc_rbuf_take(hbc_rbuf *b);

#endif /* HBC_REPORT_PRIV_H */
