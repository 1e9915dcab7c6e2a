/* Similarity metrics (hbc/metrics.h) on hand-derived cases. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hbc/metrics.h"

static void test_known_values(void **state)
{
    (void)state;
    /* a = (3, 4), b = (4, 3): dot 24, |a| = |b| = 5 -> cosine 24/25; diffs (1, 1): L1 1, L2 1,
     * Chebyshev 1. */
    const float a[] = {3.0f, 4.0f}, b[] = {4.0f, 3.0f};
    hbc_similarity s = hbc_similarity_f32(a, b, 2);
    assert_true(fabs(s.cosine - 0.96) < 1e-12);
    assert_true(fabs(s.l1 - 1.0) < 1e-12);
    assert_true(fabs(s.l2 - 1.0) < 1e-12);
    assert_true(fabs(s.chebyshev - 1.0) < 1e-12);
    /* c = (1, -2, 2), d = (1, 0, 0): dot 1, |c| 3, |d| 1 -> 1/3; diffs (0, 2, 2): L1 4/3,
     * L2 sqrt(8/3), Chebyshev 2. */
    const float c[] = {1.0f, -2.0f, 2.0f}, d[] = {1.0f, 0.0f, 0.0f};
    s = hbc_similarity_f32(c, d, 3);
    assert_true(fabs(s.cosine - 1.0 / 3.0) < 1e-12);
    assert_true(fabs(s.l1 - 4.0 / 3.0) < 1e-12);
    assert_true(fabs(s.l2 - sqrt(8.0 / 3.0)) < 1e-12);
    assert_true(fabs(s.chebyshev - 2.0) < 1e-12);
    /* Opposite vectors: cosine -1. */
    const float e[] = {1.0f, 2.0f}, f[] = {-1.0f, -2.0f};
    assert_true(fabs(hbc_similarity_f32(e, f, 2).cosine + 1.0) < 1e-12);
}

static void test_edge_cases(void **state)
{
    (void)state;
    const float z[] = {0.0f, 0.0f}, one[] = {1.0f, 0.0f};
    assert_true(hbc_similarity_f32(z, z, 2).cosine == 1.0);
    assert_true(hbc_similarity_f32(z, one, 2).cosine == 0.0);
    hbc_similarity s = hbc_similarity_f32(NULL, NULL, 0);
    assert_true(s.cosine == 1.0 && s.l1 == 0.0 && s.chebyshev == 0.0);
    const float bad[] = {NAN, 1.0f};
    s = hbc_similarity_f32(bad, one, 2);
    assert_true(isnan(s.cosine) && isnan(s.l1) && isnan(s.l2) && isnan(s.chebyshev));
    const float inf[] = {INFINITY, 1.0f};
    assert_true(isnan(hbc_similarity_f32(one, inf, 2).cosine));
    /* Identical vectors: exactly 1 even where rounding would give 1 + ulp. */
    const float v[] = {0.1f, 0.7f, 0.3f};
    assert_true(hbc_similarity_f32(v, v, 3).cosine <= 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
