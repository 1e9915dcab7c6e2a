/* libdnn helpers shared by the samples: loading a model, allocating its tensors, running one
 * inference, reading an output as floats and ranking classes. Every function returns 0, or a
 * non-zero status with a message in err naming the call that failed. */
#ifndef SAMPLE_DNN_H
#define SAMPLE_DNN_H

#include <stddef.h>
#include <stdint.h>

#include "dnn/hb_dnn.h"

#define SAMPLE_MAX_IO 16 /* inputs, and outputs, a sample handles */

typedef struct sample_model {
    hbPackedDNNHandle_t packed;
    hbDNNHandle_t dnn;
    const char *name; /* the model's name (owned by libdnn) */
    int32_t n_in, n_out;
} sample_model;

/* One set of tensors for an inference (inputs and outputs in BPU-visible cached memory). */
typedef struct sample_io {
    hbDNNTensor in[SAMPLE_MAX_IO];
    hbDNNTensor out[SAMPLE_MAX_IO];
    int32_t n_in, n_out;
} sample_io;

/* Load the .bin file and pick model `name` (NULL: the first model of the file). */
int sample_model_open(sample_model *m, const char *path, const char *name, char *err, size_t errsz);
void sample_model_close(sample_model *m);

/* Allocate the tensors of m: each input alignedByteSize bytes (an image input: its image bytes,
 * with alignedShape = validShape), each output alignedByteSize bytes. */
int sample_io_alloc(const sample_model *m, sample_io *io, char *err, size_t errsz);
void sample_io_free(sample_io *io);

/* Flush the inputs (CLEAN), run one inference and wait, invalidate the outputs. *bpu_us: the
 * modelled BPU time of the task (hbDNNGetTaskEstimateTime, microseconds); may be NULL. */
int sample_infer(const sample_model *m, sample_io *io, int32_t *bpu_us, char *err, size_t errsz);

/* Output o of io as n floats in validShape order (F32 copied; S8/S32/U8 with quantiType SCALE
 * dequantised along quantizeAxis; NONE: the integer values). *vals is malloc'ed. */
int sample_output_floats(const sample_io *io, int o, float **vals, size_t *n, char *err,
                         size_t errsz);

/* Probabilities from the class scores: kept when they already are (each in [0, 1], sum 1 within
 * 1e-3), else softmax (in double). Returns 1 when softmax was applied. */
int sample_probabilities(float *v, size_t n);

/* The k best classes (ties: the smaller index first) into idx[0..k-1]; k <= n. */
void sample_topk(const float *v, size_t n, size_t k, size_t *idx);

/* Monotonic host time in seconds. */
double sample_now(void);

#endif
