#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vlq.h"

static void roundtrip(int32_t v, size_t want_size)
{
    uint8_t buf[VLQ_MAX_BYTES + 1] = {0};
    size_t n = vlq_encode(buf, v);
    assert_int_equal(n, want_size);
    assert_int_equal(vlq_size(v), want_size);
    /* Only the last byte lacks the continuation bit. */
    for (size_t i = 0; i + 1 < n; i++)
        assert_true(buf[i] & 0x80);
    assert_false(buf[n - 1] & 0x80);
    size_t pos = 0;
    uint32_t out = 0;
    assert_int_equal(vlq_decode(buf, n, &pos, &out), 0);
    assert_int_equal(pos, n);
    assert_int_equal((int32_t)out, v);
}

static void test_size_boundaries(void **state)
{
    (void)state;
    static const struct {
        int32_t v;
        size_t size;
    } cases[] = {
        {0, 1},         {1, 1},         {-1, 1},        {95, 1},        {96, 2},
        {-32, 1},       {-33, 2},       {12287, 2},     {12288, 3},     {-4096, 2},
        {-4097, 3},     {1572863, 3},   {1572864, 4},   {-524288, 3},   {-524289, 4},
        {201326591, 4}, {201326592, 5}, {-67108864, 4}, {-67108865, 5}, {INT32_MAX, 5},
        {INT32_MIN, 5},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        roundtrip(cases[i].v, cases[i].size);
}

static void test_known_bytes(void **state)
{
    (void)state;
    uint8_t b[VLQ_MAX_BYTES];
    assert_int_equal(vlq_encode(b, 0), 1);
    assert_int_equal(b[0], 0x00);
    assert_int_equal(vlq_encode(b, 95), 1);
    assert_int_equal(b[0], 0x5f);
    assert_int_equal(vlq_encode(b, 96), 2);
    assert_int_equal(b[0], 0x80);
    assert_int_equal(b[1], 0x60);
    assert_int_equal(vlq_encode(b, -1), 1);
    assert_int_equal(b[0], 0x7f);
    assert_int_equal(vlq_encode(b, -32), 1);
    assert_int_equal(b[0], 0x60);
    assert_int_equal(vlq_encode(b, -33), 2);
    assert_int_equal(b[0], 0xff);
    assert_int_equal(b[1], 0x5f);
    assert_int_equal(vlq_encode(b, 1000), 2);
    assert_int_equal(b[0], 0x87);
    assert_int_equal(b[1], 0x68);
    /* The top group of a five-byte negative number is sign-filled. */
    assert_int_equal(vlq_encode(b, INT32_MIN), 5);
    assert_int_equal(b[0], 0xf8);
    assert_int_equal(b[4], 0x00);
}

static void test_unsigned_patterns(void **state)
{
    (void)state;
    /* A %u above INT32_MAX travels as its 32-bit pattern. */
    uint32_t values[] = {0xffffffffu, 0x80000000u, 0xfffffff0u, 0xdeadbeefu, 4000000000u};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        uint8_t b[VLQ_MAX_BYTES];
        size_t n = vlq_encode(b, (int32_t)values[i]), pos = 0;
        uint32_t out;
        assert_int_equal(vlq_decode(b, n, &pos, &out), 0);
        assert_int_equal(out, values[i]);
    }
    uint8_t b[VLQ_MAX_BYTES];
    assert_int_equal(vlq_encode(b, (int32_t)0xffffffffu), 1);
}

static void test_sweep(void **state)
{
    (void)state;
    int32_t edges[] = {0, 95, -32, 12287, -4096, 1572863, -524288, 201326591, -67108864};
    for (size_t e = 0; e < sizeof(edges) / sizeof(edges[0]); e++) {
        for (int32_t d = -300; d <= 300; d++) {
            int64_t v = (int64_t)edges[e] + d;
            uint8_t b[VLQ_MAX_BYTES];
            size_t n = vlq_encode(b, (int32_t)v), pos = 0;
            uint32_t out;
            assert_int_equal(vlq_decode(b, n, &pos, &out), 0);
            assert_int_equal((int32_t)out, (int32_t)v);
        }
    }
    uint32_t x = 12345;
    for (int i = 0; i < 100000; i++) {
        x = x * 1664525u + 1013904223u;
        uint8_t b[VLQ_MAX_BYTES];
        size_t n = vlq_encode(b, (int32_t)x), pos = 0;
        uint32_t out;
        assert_int_equal(vlq_decode(b, n, &pos, &out), 0);
        assert_int_equal(out, x);
        assert_int_equal(pos, n);
    }
}

/* The groups the encoder must write, computed the slow way: the size from
 * the signed range the first byte can express, then seven bits at a time
 * from the top with an arithmetic shift (so a negative five-byte value's
 * top group is sign-filled). */
static size_t reference_encode(uint8_t *out, int32_t v)
{
    int64_t w = v;
    size_t n = 1;
    while (n < VLQ_MAX_BYTES) {
        /* n bytes carry 7n bits; the first byte's bits 5-6 say the sign. */
        int64_t lo = -((int64_t)1 << (7 * n - 2)), hi = (int64_t)3 << (7 * n - 2);
        if (w >= lo && w < hi)
            break;
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        int shift = (int)(7 * (n - 1 - i));
        out[i] = (uint8_t)(((w >> shift) & 0x7f) | (i + 1 < n ? 0x80 : 0));
    }
    return n;
}

static void expect_reference_bytes(int32_t v)
{
    uint8_t want[VLQ_MAX_BYTES] = {0}, got[VLQ_MAX_BYTES + 1] = {0}, inl[VLQ_MAX_BYTES] = {0};
    size_t n = reference_encode(want, v);
    assert_int_equal(vlq_encode(got, v), n);
    assert_int_equal(vlq_put(inl, v), n);
    assert_int_equal(vlq_size(v), n);
    assert_memory_equal(got, want, n);
    assert_memory_equal(inl, want, n);
    /* Nothing past the value is touched. */
    assert_int_equal(got[n], 0);
}

/* Byte for byte against the reference, on both sides of every size
 * boundary, at every power of two and over random patterns. */
static void test_bytes_match_reference(void **state)
{
    (void)state;
    static const int64_t edges[] = {0x20,     0x60,      0x1000,    0x3000,    0x80000,
                                    0x180000, 0x4000000, 0xc000000, 0x7fffffff};
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        for (int64_t d = -3; d <= 3; d++) {
            int64_t pos = edges[i] + d, neg = -edges[i] + d;
            if (pos <= INT32_MAX)
                expect_reference_bytes((int32_t)pos);
            if (neg >= INT32_MIN)
                expect_reference_bytes((int32_t)neg);
        }
    for (int b = 0; b < 32; b++) {
        uint32_t p = 1u << b;
        expect_reference_bytes((int32_t)p);
        expect_reference_bytes((int32_t)(p - 1));
        expect_reference_bytes((int32_t)(0u - p));
        expect_reference_bytes((int32_t)(0u - p - 1));
    }
    expect_reference_bytes(INT32_MIN);
    expect_reference_bytes(INT32_MAX);
    uint32_t x = 0x9e3779b9u;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        /* Every size equally often: shift the pattern down by a random amount. */
        expect_reference_bytes((int32_t)x >> (x % 31));
    }
}

static void test_decode_errors(void **state)
{
    (void)state;
    uint32_t out = 0;
    size_t pos = 0;
    const uint8_t cont[] = {0x80};
    assert_int_equal(vlq_decode(cont, 1, &pos, &out), -1);
    assert_int_equal(pos, 0);
    assert_int_equal(vlq_decode(cont, 0, &pos, &out), -1);
    const uint8_t too_long[] = {0x81, 0x80, 0x80, 0x80, 0x80, 0x00};
    assert_int_equal(vlq_decode(too_long, sizeof(too_long), &pos, &out), -1);
    /* Several values back to back. */
    uint8_t buf[16];
    size_t n = vlq_encode(buf, 5);
    n += vlq_encode(buf + n, -5000);
    n += vlq_encode(buf + n, 300000);
    pos = 0;
    assert_int_equal(vlq_decode(buf, n, &pos, &out), 0);
    assert_int_equal(out, 5);
    assert_int_equal(vlq_decode(buf, n, &pos, &out), 0);
    assert_int_equal((int32_t)out, -5000);
    assert_int_equal(vlq_decode(buf, n, &pos, &out), 0);
    assert_int_equal(out, 300000);
    assert_int_equal(pos, n);
    assert_int_equal(vlq_decode(buf, n, &pos, &out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_boundaries),   cmocka_unit_test(test_known_bytes),
        cmocka_unit_test(test_unsigned_patterns), cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_decode_errors),     cmocka_unit_test(test_bytes_match_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
