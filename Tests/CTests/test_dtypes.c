/* The dtype codes of the header through the C ABI: tensors of each of the nine types made from
 * exact bytes and read back, casts (float16 checked against a conversion written here, every
 * half bit pattern and every 8-bit integer), the result types of mixed-type ops (NumPy's
 * promotion table), float16 gradients, and the errors for unknown codes and for optimizers of
 * float16 parameters. The golden cases (Tests/Golden/dtypes.txt) cover the values of the ops. */
#include "check.h"

#include <stdlib.h>

/* Every dtype code with its item size and name. */
static const struct {
    int32_t code;
    size_t size;
    const char *name;
} dtypes[] = {
    {GS_DTYPE_FLOAT32, 4, "float32"}, {GS_DTYPE_FLOAT64, 8, "float64"}, {GS_DTYPE_INT64, 8, "int64"},
    {GS_DTYPE_BOOL, 1, "bool"},       {GS_DTYPE_FLOAT16, 2, "float16"}, {GS_DTYPE_INT32, 4, "int32"},
    {GS_DTYPE_INT16, 2, "int16"},     {GS_DTYPE_INT8, 1, "int8"},       {GS_DTYPE_UINT8, 1, "uint8"},
};
#define NDTYPES ((int)(sizeof dtypes / sizeof *dtypes))

static const int64_t s6[] = {6}, s23[] = {2, 3};

/* The dtype code of a tensor (-1 when it cannot be described). */
static int32_t dtype_of(gs_tensor t) {
    int32_t dtype = -1, ndim = -1;
    int64_t shape[8];
    return gs_tensor_describe(t, &dtype, &ndim, shape, 8) == GS_OK ? dtype : -1;
}

/* CHECK_BYTES(t, dtype, bytes, n): t has this dtype and its n bytes are exactly these. */
#define CHECK_BYTES(t, dtype, bytes, n) check_bytes_((t), (dtype), (bytes), (n), __FILE__, __LINE__)
static void check_bytes_(gs_tensor t, int32_t dtype, const void *want, size_t n, const char *file, int line) {
    unsigned char *got = malloc(n + 1);
    int32_t d = dtype_of(t);
    int32_t st = gs_tensor_copy_data(t, got, (int64_t)n);
    bool ok = d == dtype && st == GS_OK && memcmp(got, want, n) == 0;
    if (!check_(ok, "dtype and bytes", file, line)) {
        fprintf(stderr, "  dtype %d (expected %d), copy status %d, bytes:", (int)d, (int)dtype, (int)st);
        for (size_t i = 0; i < n && i < 32; i++)
            fprintf(stderr, " %02x/%02x", got[i], ((const unsigned char *)want)[i]);
        fprintf(stderr, " (got/expected)\n");
    }
    free(got);
}

/* A new tensor of `dtype` from raw elements; 0 (and a failed check) when creation fails. */
static gs_tensor make(int32_t dtype, const void *data, const int64_t *shape, int32_t ndim, bool requires_grad) {
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_new(data, dtype, shape, ndim, requires_grad, &t));
    return t;
}

/* `t` cast to `dtype` (checked call); `t` is released. */
static gs_tensor cast(gs_tensor t, int32_t dtype) {
    gs_tensor out = {0};
    CHECK_OK(gs_tensor_astype(t, dtype, &out));
    release(t);
    return out;
}

/* The value of an IEEE half-precision bit pattern, decoded here (not by the library). */
static double half_value(uint16_t h) {
    int sign = h >> 15, exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
    double magnitude = exponent == 0    ? ldexp(mantissa, -24)
                       : exponent == 31 ? (mantissa ? NAN : INFINITY)
                                        : ldexp(1024 + mantissa, exponent - 25);
    return sign ? -magnitude : magnitude;
}

static void bytes_round_trip(void) {
    const uint16_t halves[] = {0x3C00, 0xC000, 0x7C00, 0x7E00, 0x0001, 0x7BFF}; /* 1 -2 inf nan 2^-24 65504 */
    const int32_t i32[] = {INT32_MIN, -1, 0, 1, INT32_MAX, 123456};
    const int16_t i16[] = {INT16_MIN, -1, 0, 1, INT16_MAX, 1234};
    const int8_t i8[] = {INT8_MIN, -1, 0, 1, INT8_MAX, 42};
    const uint8_t u8[] = {0, 1, 127, 128, 255, 42};
    const struct {
        int32_t dtype;
        const void *data;
        size_t size;
    } cases[] = {{GS_DTYPE_FLOAT16, halves, 2}, {GS_DTYPE_INT32, i32, 4}, {GS_DTYPE_INT16, i16, 2},
                 {GS_DTYPE_INT8, i8, 1}, {GS_DTYPE_UINT8, u8, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        gs_tensor t = make(cases[k].dtype, cases[k].data, s23, 2, false);
        CHECK_META(t, cases[k].dtype, s23, 2);
        CHECK_BYTES(t, cases[k].dtype, cases[k].data, 6 * cases[k].size);
        /* the byte count must be the element count times the item size */
        unsigned char big[64];
        CHECK_ERROR(gs_tensor_copy_data(t, big, (int64_t)(6 * cases[k].size + 1)), GS_ERR_INVALID_ARGUMENT);
        CHECK_ERROR(gs_tensor_copy_data(t, big, (int64_t)(6 * cases[k].size - 1)), GS_ERR_INVALID_ARGUMENT);
        release(t);
    }
    /* filled tensors of every dtype */
    for (int k = 0; k < NDTYPES; k++) {
        gs_tensor t = make_full(dtypes[k].code, s23, 2, 1.0);
        unsigned char want[6 * 8] = {0};
        for (int i = 0; i < 6; i++) {
            unsigned char *e = want + (size_t)i * dtypes[k].size;
            switch (dtypes[k].code) {
            case GS_DTYPE_FLOAT16: e[1] = 0x3C; break;
            case GS_DTYPE_FLOAT32: memcpy(e, &(float){1}, 4); break;
            case GS_DTYPE_FLOAT64: memcpy(e, &(double){1}, 8); break;
            default: e[0] = 1; break; /* little-endian integers and bool */
            }
        }
        CHECK_BYTES(t, dtypes[k].code, want, 6 * dtypes[k].size);
        release(t);
    }
    /* gradients are for the float types only */
    gs_tensor t = {0};
    CHECK_OK(gs_tensor_full(GS_DTYPE_FLOAT16, s6, 1, 0.5, true, &t));
    release(t);
    for (int32_t dtype = GS_DTYPE_INT32; dtype <= GS_DTYPE_UINT8; dtype++)
        CHECK_ERROR(gs_tensor_full(dtype, s6, 1, 0.0, true, &t), GS_ERR_DTYPE);
}

/* 256 one-byte values of `dtype` come back unchanged through float16; cast to the other
   one-byte type `other`, they become `as_other`. */
static void byte_values_through_half_and_across(int32_t dtype, const void *values, int32_t other,
                                                const void *as_other) {
    const int64_t s256[] = {256};
    gs_tensor t = cast(cast(make(dtype, values, s256, 1, false), GS_DTYPE_FLOAT16), dtype);
    CHECK_BYTES(t, dtype, values, 256);
    t = cast(t, other);
    CHECK_BYTES(t, other, as_other, 256);
    release(t);
}

static void casts(void) {
    /* float64 to float16: rounding to nearest even, overflow to infinity, NaN kept */
    const double d[] = {1.5, -2.25, 65504, 1e5, 1.0 / 3, NAN};
    gs_tensor h = cast(make(GS_DTYPE_FLOAT64, d, s6, 1, false), GS_DTYPE_FLOAT16);
    uint16_t bits[6] = {0};
    CHECK_OK(gs_tensor_copy_data(h, bits, sizeof bits));
    CHECK(bits[0] == 0x3E00 && bits[1] == 0xC080 && bits[2] == 0x7BFF && bits[3] == 0x7C00 && bits[4] == 0x3555);
    CHECK((bits[5] & 0x7C00) == 0x7C00 && (bits[5] & 0x03FF) != 0);
    h = cast(h, GS_DTYPE_FLOAT64);
    CHECK_F64(h, s6, 1, (const double[]){1.5, -2.25, 65504, INFINITY, 0.333251953125, NAN});
    release(h);

    /* every half bit pattern: to float32 as decoded here, and back to the same bits (NaNs stay NaN) */
    uint16_t *all = malloc(65536 * sizeof *all), *back = malloc(65536 * sizeof *back);
    float *wide = malloc(65536 * sizeof *wide);
    for (int i = 0; i < 65536; i++)
        all[i] = (uint16_t)i;
    gs_tensor f = cast(make(GS_DTYPE_FLOAT16, all, (const int64_t[]){65536}, 1, false), GS_DTYPE_FLOAT32);
    CHECK_OK(gs_tensor_copy_data(f, wide, 65536 * sizeof *wide));
    int wrong = 0, unkept = 0;
    for (int i = 0; i < 65536; i++) {
        double want = half_value((uint16_t)i);
        wrong += isnan(want) ? !isnan(wide[i]) : (wide[i] != want || !signbit(wide[i]) != !signbit(want));
    }
    f = cast(f, GS_DTYPE_FLOAT16);
    CHECK_OK(gs_tensor_copy_data(f, back, 65536 * sizeof *back));
    for (int i = 0; i < 65536; i++)
        unkept += isnan(half_value((uint16_t)i)) ? !isnan(half_value(back[i])) : back[i] != all[i];
    if (!CHECK(wrong == 0 && unkept == 0))
        fprintf(stderr, "  %d half values decoded wrong, %d not kept through float32\n", wrong, unkept);
    release(f);
    free(all);
    free(back);
    free(wide);

    /* every int8 and uint8 value through float16 and back, and between the two (wrapping) */
    int8_t i8[256], i8back[256];
    uint8_t u8[256], u8back[256];
    for (int i = 0; i < 256; i++) {
        i8[i] = (int8_t)(i - 128);
        u8[i] = (uint8_t)i;
    }
    for (int i = 0; i < 256; i++) {
        u8back[i] = (uint8_t)i8[i];
        i8back[i] = (int8_t)u8[i];
    }
    byte_values_through_half_and_across(GS_DTYPE_INT8, i8, GS_DTYPE_UINT8, u8back);
    byte_values_through_half_and_across(GS_DTYPE_UINT8, u8, GS_DTYPE_INT8, i8back);

    /* int64 to the narrow integers wraps, and widening back keeps the sign */
    const int64_t wide_ints[] = {300, -129, 255, -1, 70000, -32769};
    gs_tensor w = make_i64(wide_ints, s6, 1);
    gs_tensor n8 = {0}, n16 = {0}, n32 = {0}, nu8 = {0};
    CHECK_OK(gs_tensor_astype(w, GS_DTYPE_INT8, &n8));
    CHECK_OK(gs_tensor_astype(w, GS_DTYPE_INT16, &n16));
    CHECK_OK(gs_tensor_astype(w, GS_DTYPE_INT32, &n32));
    CHECK_OK(gs_tensor_astype(w, GS_DTYPE_UINT8, &nu8));
    CHECK_BYTES(n8, GS_DTYPE_INT8, ((const int8_t[]){44, 127, -1, -1, 112, -1}), 6);
    CHECK_BYTES(n16, GS_DTYPE_INT16, ((const int16_t[]){300, -129, 255, -1, 4464, 32767}), 12);
    CHECK_BYTES(n32, GS_DTYPE_INT32, ((const int32_t[]){300, -129, 255, -1, 70000, -32769}), 24);
    CHECK_BYTES(nu8, GS_DTYPE_UINT8, ((const uint8_t[]){44, 127, 255, 255, 112, 255}), 6);
    const gs_tensor narrow[] = {cast(n8, GS_DTYPE_INT64), cast(nu8, GS_DTYPE_INT64), cast(n16, GS_DTYPE_INT64),
                                cast(n32, GS_DTYPE_INT64)};
    CHECK_I64(narrow[0], s6, 1, (const int64_t[]){44, 127, -1, -1, 112, -1});
    CHECK_I64(narrow[1], s6, 1, (const int64_t[]){44, 127, 255, 255, 112, 255});
    CHECK_I64(narrow[2], s6, 1, (const int64_t[]){300, -129, 255, -1, 4464, 32767});
    CHECK_I64(narrow[3], s6, 1, wide_ints);
    for (int i = 0; i < 4; i++)
        release(narrow[i]);
    /* floats to integers truncate toward zero; nonzero to bool is true */
    gs_tensor t = cast(make_f64((const double[]){2.9, -2.9, 0.5, -0.5, 100.7, 0}, s6, 1, false), GS_DTYPE_INT8);
    CHECK_BYTES(t, GS_DTYPE_INT8, ((const int8_t[]){2, -2, 0, 0, 100, 0}), 6);
    t = cast(t, GS_DTYPE_BOOL);
    CHECK_BOOL(t, s6, 1, (const uint8_t[]){1, 1, 0, 0, 1, 0});
    t = cast(t, GS_DTYPE_UINT8);
    CHECK_BYTES(t, GS_DTYPE_UINT8, ((const uint8_t[]){1, 1, 0, 0, 1, 0}), 6);
    release(t);
    release(w);
}

/* The dtype of op(a, b) for tensors of dtypes ta and tb (-1 when the op fails). */
static int32_t result_type(int32_t (*op)(gs_tensor, gs_tensor, gs_tensor *), int32_t ta, int32_t tb) {
    gs_tensor a = make_full(ta, s23, 2, 2.0), b = make_full(tb, (const int64_t[]){3}, 1, 1.0), out = {0};
    int32_t st = op(a, b, &out), dtype = -1;
    if (CHECK_OK(st)) {
        dtype = dtype_of(out);
        release(out);
    }
    release(a);
    release(b);
    return dtype;
}

static void promotion(void) {
    enum { F32 = GS_DTYPE_FLOAT32, F64 = GS_DTYPE_FLOAT64, I64 = GS_DTYPE_INT64, BOOL = GS_DTYPE_BOOL,
           F16 = GS_DTYPE_FLOAT16, I32 = GS_DTYPE_INT32, I16 = GS_DTYPE_INT16, I8 = GS_DTYPE_INT8, U8 = GS_DTYPE_UINT8 };
    static const struct {
        int32_t (*op)(gs_tensor, gs_tensor, gs_tensor *);
        const char *name;
        int32_t a, b, want;
    } table[] = {
        {gs_add, "add", U8, I8, I16},   {gs_add, "add", I8, U8, I16},   {gs_mul, "mul", I8, F16, F16},
        {gs_add, "add", I32, F32, F64}, {gs_sub, "sub", I32, F16, F64}, {gs_add, "add", I16, F16, F32},
        {gs_mul, "mul", U8, U8, U8},    {gs_add, "add", BOOL, I8, I8},  {gs_add, "add", I64, U8, I64},
        {gs_sub, "sub", F16, F32, F32}, {gs_mul, "mul", F16, F64, F64}, {gs_add, "add", I16, I32, I32},
        {gs_add, "add", U8, I16, I16},  {gs_add, "add", U8, I32, I32},  {gs_div, "div", I8, I8, F64},
        {gs_div, "div", F16, I8, F16},  {gs_div, "div", U8, U8, F64},   {gs_eq, "eq", U8, I8, BOOL},
        {gs_eq, "eq", F16, F32, BOOL},  {gs_maximum, "maximum", U8, I8, I16},
        {gs_maximum, "maximum", I8, I8, I8}, {gs_add, "add", BOOL, F16, F16}, {gs_add, "add", I32, I64, I64},
        {gs_mul, "mul", BOOL, BOOL, BOOL},
    };
    for (size_t k = 0; k < sizeof table / sizeof *table; k++) {
        int32_t got = result_type(table[k].op, table[k].a, table[k].b);
        if (!CHECK(got == table[k].want))
            fprintf(stderr, "  %s of dtypes %d and %d gave dtype %d, expected %d\n", table[k].name, (int)table[k].a,
                    (int)table[k].b, (int)got, (int)table[k].want);
    }

    /* values: uint8 + int8 is computed in int16; int8 + int8 wraps */
    gs_tensor a = make(U8, (const uint8_t[]){200, 255, 0}, (const int64_t[]){3}, 1, false);
    gs_tensor b = make(I8, (const int8_t[]){100, -128, -1}, (const int64_t[]){3}, 1, false), out = {0};
    CHECK_OK(gs_add(a, b, &out));
    CHECK_BYTES(out, I16, ((const int16_t[]){300, 127, -1}), 6);
    release(out);
    CHECK_OK(gs_add(b, b, &out));
    CHECK_BYTES(out, I8, ((const int8_t[]){-56, 0, -2}), 3);
    release(out);

    /* float functions: float16 for int8, uint8 and bool, float32 for int16, float64 for int32 */
    const struct {
        int32_t in, want;
    } functions[] = {{I8, F16}, {U8, F16}, {BOOL, F16}, {F16, F16}, {I16, F32}, {I32, F64}, {I64, F64}};
    for (size_t k = 0; k < sizeof functions / sizeof *functions; k++) {
        gs_tensor x = make_full(functions[k].in, s23, 2, 1.0);
        CHECK_OK(gs_sin(x, &out));
        if (!CHECK(dtype_of(out) == functions[k].want))
            fprintf(stderr, "  sin of dtype %d gave dtype %d\n", (int)functions[k].in, (int)dtype_of(out));
        release(out);
        release(x);
    }
    /* reductions: integer sums int64, integer means float64, max keeps the type */
    gs_tensor x = make_full(I8, s23, 2, 100.0);
    CHECK_OK(gs_sum(x, NULL, -1, false, &out));
    CHECK_I64(out, NULL, 0, (const int64_t[]){600});
    release(out);
    CHECK_OK(gs_mean(x, NULL, -1, false, &out));
    CHECK_F64(out, NULL, 0, (const double[]){100});
    release(out);
    CHECK_OK(gs_max(x, NULL, -1, false, &out));
    CHECK_BYTES(out, I8, ((const int8_t[]){100}), 1);
    release(out);
    /* Python scalars promote weakly: an int keeps int8, a float makes float64, float16 stays */
    CHECK_OK(gs_binary_scalar(GS_BINARY_OP_MUL, x, 3, GS_SCALAR_KIND_INT, false, &out));
    CHECK_BYTES(out, I8, ((const int8_t[]){44, 44, 44, 44, 44, 44}), 6); /* 300 wraps to 44 */
    release(out);
    CHECK_OK(gs_binary_scalar(GS_BINARY_OP_MUL, x, 0.5, GS_SCALAR_KIND_FLOAT, false, &out));
    CHECK(dtype_of(out) == F64);
    release(out);
    release(x);
    x = make_full(F16, s23, 2, 1.5);
    CHECK_OK(gs_binary_scalar(GS_BINARY_OP_ADD, x, 0.25, GS_SCALAR_KIND_FLOAT, true, &out));
    CHECK_BYTES(out, F16, ((const uint16_t[]){0x3F00, 0x3F00, 0x3F00, 0x3F00, 0x3F00, 0x3F00}), 12); /* 1.75 */
    release(out);
    release(x);
    release(a);
    release(b);
}

static void float16_gradients(void) {
    /* d sum(x * x) / dx = 2x, in float16 */
    gs_tensor x = make(GS_DTYPE_FLOAT16, (const uint16_t[]){0x3C00, 0x4000, 0x4200}, (const int64_t[]){3}, 1, true);
    gs_tensor y = {0}, s = {0}, g = {0};
    CHECK_OK(gs_mul(x, x, &y));
    CHECK_OK(gs_sum(y, NULL, -1, false, &s));
    CHECK(dtype_of(s) == GS_DTYPE_FLOAT16);
    CHECK_OK(gs_backward(s, false));
    CHECK_OK(gs_tensor_grad(x, &g));
    CHECK_BYTES(g, GS_DTYPE_FLOAT16, ((const uint16_t[]){0x4000, 0x4400, 0x4600}), 6); /* 2 4 6 */
    release(g);
    release(s);
    release(y);

    /* through a cast to float64 and a product with int8 (float16 result): still a float16 gradient */
    gs_tensor k = make(GS_DTYPE_INT8, (const int8_t[]){3, -1, 2}, (const int64_t[]){3}, 1, false);
    gs_tensor wide = {0}, p = {0}, s2 = {0}, total = {0};
    CHECK_OK(gs_tensor_zero_grad(x));
    CHECK_OK(gs_mul(x, k, &p));
    CHECK(dtype_of(p) == GS_DTYPE_FLOAT16);
    CHECK_OK(gs_tensor_astype(x, GS_DTYPE_FLOAT64, &wide));
    CHECK_OK(gs_sum(p, NULL, -1, false, &s));
    CHECK_OK(gs_sum(wide, NULL, -1, false, &s2));
    CHECK_OK(gs_add(s, s2, &total));
    CHECK(dtype_of(total) == GS_DTYPE_FLOAT64);
    CHECK_OK(gs_backward(total, false));
    CHECK_OK(gs_tensor_grad(x, &g));
    CHECK_BYTES(g, GS_DTYPE_FLOAT16, ((const uint16_t[]){0x4400, 0x0000, 0x4200}), 6); /* 4 0 3 */
    release(g);
    release(total);
    release(s2);
    release(s);
    release(p);
    release(wide);
    release(k);
    release(x);
}

static void errors(void) {
    const double v[6] = {0};
    gs_tensor out = {0}, x = make_full(GS_DTYPE_FLOAT32, s23, 2, 1.0);
    const int32_t bad[] = {9, -1, 100, INT32_MIN};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        CHECK_ERROR(gs_tensor_new(v, bad[k], s23, 2, false, &out), GS_ERR_DTYPE);
        CHECK(strstr(gs_last_error(), "dtype") != NULL);
        CHECK_ERROR(gs_tensor_full(bad[k], s23, 2, 0.0, false, &out), GS_ERR_DTYPE);
        CHECK_ERROR(gs_tensor_astype(x, bad[k], &out), GS_ERR_DTYPE);
        CHECK(strstr(gs_last_error(), "dtype") != NULL);
        CHECK_ERROR(gs_tensor_set_data(x, v, bad[k], s23, 2), GS_ERR_DTYPE);
    }
    CHECK_F32(x, s23, 2, (const float[]){1, 1, 1, 1, 1, 1}); /* untouched by the failed set_data */
    release(x);

    /* optimizers refuse float16 parameters, with a message saying so; float32 ones are fine */
    gs_tensor p = {0}, q = {0};
    CHECK_OK(gs_tensor_full(GS_DTYPE_FLOAT16, s6, 1, 0.5, true, &p));
    CHECK_OK(gs_tensor_full(GS_DTYPE_FLOAT32, s6, 1, 0.5, true, &q));
    gs_optimizer opt = {0};
    gs_tensor both[] = {q, p};
    int32_t st = gs_sgd_new(both, 2, 0.1, 0.0, 0.0, false, &opt);
    if (CHECK(st != GS_OK && st != GS_ERR_INTERNAL))
        CHECK(strstr(gs_last_error(), "float16") != NULL);
    st = gs_adam_new(&p, 1, 1e-3, 0.9, 0.999, 1e-8, 0.0, &opt);
    if (CHECK(st != GS_OK && st != GS_ERR_INTERNAL))
        CHECK(strstr(gs_last_error(), "float16") != NULL);
    CHECK_OK(gs_sgd_new(&q, 1, 0.1, 0.0, 0.0, false, &opt));
    CHECK_OK(gs_optim_release(opt));
    release(p);
    release(q);
}

void test_dtypes(void) {
    int64_t live = live_handles();
    bytes_round_trip();
    casts();
    promotion();
    float16_gradients();
    errors();
    if (!CHECK(live_handles() == live))
        fprintf(stderr, "test_dtypes: %lld handles at start, %lld at the end\n", (long long)live,
                (long long)live_handles());
}
