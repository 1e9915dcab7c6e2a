/* Element-type helpers shared by the elementwise kernels (private to kernels/).
 *
 * Float-to-integer conversion is defined here once for every kernel that stores a computed value
 * into an integer element (Cast, Pow with an integer base, integer Reduce*, Clip's
 * attribute bounds): truncation toward zero, saturation at the target type's limits, NaN to 0.
 * C leaves out-of-range conversions undefined; this choice is what aarch64's FCVTZS/FCVTZU do
 * natively, so x86 and the board agree bit for bit.
 */
#ifndef HBG_KERNELS_ELEM_H
#define HBG_KERNELS_ELEM_H

#include <stdint.h>

#include "hbg/graph.h"

/* Size of tables indexed by hbg_dtype value (HBG_DT_F64 is the largest id the core holds). */
#define HBG_DT_SLOTS (HBG_DT_F64 + 1)

/* Saturating, truncating conversions from double (NaN -> 0). */
static inline int8_t hbg_f64_to_i8(double v)
{
    return v != v ? 0 : v <= -128.0 ? INT8_MIN : v >= 127.0 ? INT8_MAX : (int8_t)v;
}
static inline uint8_t hbg_f64_to_u8(double v)
{
    return v != v ? 0 : v <= 0.0 ? 0 : v >= 255.0 ? UINT8_MAX : (uint8_t)v;
}
static inline int32_t hbg_f64_to_i32(double v)
{
    return v != v ? 0 : v <= -2147483648.0 ? INT32_MIN : v >= 2147483647.0 ? INT32_MAX : (int32_t)v;
}
static inline int64_t hbg_f64_to_i64(double v)
{
    /* 2^63 is the first double above INT64_MAX; -2^63 is exactly INT64_MIN */
    return v != v                        ? 0
           : v <= -9223372036854775808.0 ? INT64_MIN
           : v >= 9223372036854775808.0  ? INT64_MAX
                                         : (int64_t)v;
}

/* Store v into element i of an array of type dt (numeric types and bool). */
static inline void hbg_elem_set_f64(void *p, hbg_dtype dt, int64_t i, double v)
{
    switch (dt) {
    case HBG_DT_F32:
        ((float *)p)[i] = (float)v;
        break;
    case HBG_DT_F64:
        ((double *)p)[i] = v;
        break;
    case HBG_DT_I8:
        ((int8_t *)p)[i] = hbg_f64_to_i8(v);
        break;
    case HBG_DT_U8:
        ((uint8_t *)p)[i] = hbg_f64_to_u8(v);
        break;
    case HBG_DT_I32:
        ((int32_t *)p)[i] = hbg_f64_to_i32(v);
        break;
    case HBG_DT_I64:
        ((int64_t *)p)[i] = hbg_f64_to_i64(v);
        break;
    case HBG_DT_BOOL:
        ((uint8_t *)p)[i] = v != 0.0;
        break;
    case HBG_DT_UNDEF:
        break;
    }
}

#endif /* HBG_KERNELS_ELEM_H */
