/* Counters as JSON (bpu_counters_json). */
#include <stdio.h>
#include <string.h>

#include "sim_internal.h"

size_t bpu_counters_json(const bpu_counters *c, char *buf, size_t len)
{
    static const char *const qn[BPU_Q_COUNT] = {"load", "exec", "store"};
    char tmp[160];
    size_t need = 0;
    /* append with snprintf semantics: keep counting when buf is full */
#define APPEND(...)                                                                                \
    do {                                                                                           \
        int w_ = snprintf(tmp, sizeof(tmp), __VA_ARGS__);                                          \
        size_t n_ = w_ > 0 ? (size_t)w_ : 0;                                                       \
        if (len > 0 && need < len - 1) {                                                           \
            size_t room_ = len - 1 - need;                                                         \
            memcpy(buf + need, tmp, n_ < room_ ? n_ : room_);                                      \
            buf[need + (n_ < room_ ? n_ : room_)] = '\0';                                          \
        }                                                                                          \
        need += n_;                                                                                \
    } while (0)
    if (len > 0)
        buf[0] = '\0';
    APPEND("{\"clock_mhz\":%u,\"cycles\":%llu,\"queue_busy\":{", c->clock_mhz,
           (unsigned long long)c->cycles);
    for (uint32_t q = 0; q < BPU_Q_COUNT; q++)
        APPEND("%s\"%s\":%llu", q ? "," : "", qn[q], (unsigned long long)c->queue_busy[q]);
    APPEND("},\"ops\":{");
    int first = 1;
    for (uint32_t op = 1; op < BPU_OP_COUNT; op++) {
        if (!c->op_count[op])
            continue;
        APPEND("%s\"%s\":{\"count\":%llu,\"cycles\":%llu}", first ? "" : ",", bpu_op_name(op),
               (unsigned long long)c->op_count[op], (unsigned long long)c->op_cycles[op]);
        first = 0;
    }
    APPEND("},\"macs\":%llu,\"ddr_load_bytes\":%llu,\"ddr_store_bytes\":%llu,\"sram_peak\":%llu,"
           "\"end_code\":%u}",
           (unsigned long long)c->macs, (unsigned long long)c->ddr_load_bytes,
           (unsigned long long)c->ddr_store_bytes, (unsigned long long)c->sram_peak, c->end_code);
#undef APPEND
    return need;
}
