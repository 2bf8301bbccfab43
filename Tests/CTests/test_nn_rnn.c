/* The recurrent layers through the C ABI: a GRU forward and backward with known weights
 * (values from a NumPy reference of PyDyNet's GRU cell), the cells of a layer, and the error
 * paths of the constructors, of gs_recurrent_cell and of gs_module_forward misuse. */
#include "check.h"

/* Sets parameter `name` of `module` to a float32 tensor of the given shape and values. */
static void set_param(gs_module module, const char *name, const float *data, const int64_t *shape, int32_t ndim) {
    gs_tensor t = make_f32(data, shape, ndim, false);
    CHECK_OK(gs_module_set_parameter(module, name, t));
    release(t);
}

/* Whether the module's description is exactly `want`. */
static bool describes(gs_module module, const char *want) {
    char buffer[160];
    int64_t length = 0;
    CHECK_OK(gs_module_describe(module, buffer, sizeof buffer, &length));
    return CHECK(strcmp(buffer, want) == 0) && CHECK(length == (int64_t)strlen(want));
}

/* GRU(1, 2) with fixed weights over x = [1, -2] (seq_len 2, batch 1). */
static void gru_values(void) {
    gs_module gru = {0};
    CHECK_OK(gs_gru_new(1, 2, 1, true, false, false, GS_DTYPE_FLOAT32, &gru));
    CHECK(describes(gru, "GRU(1, 2, num_layers=1, bias=True, batch_first=False, bidirectional=False)"));
    int64_t count = 0;
    CHECK_OK(gs_module_parameter_count(gru, &count));
    CHECK(count == 6);
    char name[32];
    int64_t length = 0;
    CHECK_OK(gs_module_parameter_name(gru, 0, name, sizeof name, &length));
    CHECK(strcmp(name, "gru_0.Wx1") == 0);
    CHECK_OK(gs_module_parameter_name(gru, 5, name, sizeof name, &length));
    CHECK(strcmp(name, "gru_0.bias2") == 0);

    set_param(gru, "gru_0.Wx1", (const float[]){0.5f, -0.3f, 0.2f, 0.1f}, INTS(1, 4), 2);
    set_param(gru, "gru_0.Wh1", (const float[]){0.1f, 0.2f, -0.1f, 0.3f, 0.0f, -0.2f, 0.4f, 0.1f}, INTS(2, 4), 2);
    set_param(gru, "gru_0.Wx2", (const float[]){0.7f, -0.5f}, INTS(1, 2), 2);
    set_param(gru, "gru_0.Wh2", (const float[]){0.3f, -0.1f, 0.2f, 0.5f}, INTS(2, 2), 2);
    set_param(gru, "gru_0.bias1", (const float[]){0.1f, 0, -0.1f, 0.2f}, INTS(4), 1);
    set_param(gru, "gru_0.bias2", (const float[]){0.05f, -0.05f}, INTS(2), 1);

    gs_tensor x = make_f32((const float[]){1, -2}, INTS(2, 1, 1), 3, true);
    gs_tensor out[3] = {0};
    int32_t n = 0;
    CHECK_OK(gs_module_forward(gru, &x, 1, out, 3, &n));
    CHECK(n == 2);
    CHECK_F32(out[0], INTS(2, 1, 2), 3, (const float[]){0.41008793f, -0.21300012f, 0.02945558f, 0.40626017f});
    CHECK_F32(out[1], INTS(1, 1, 2), 3, (const float[]){0.02945558f, 0.40626017f});

    /* d sum(output) / dx, and the gradient of bias2 (a parameter handle shares the module's) */
    gs_tensor s = {0};
    CHECK_OK(gs_sum(out[0], NULL, -1, false, &s));
    CHECK_OK(gs_backward(s, false));
    CHECK_GRAD(x, INTS(2, 1, 1), 3, (const float[]){0.41550529f, -0.31335969f});
    gs_tensor bias2 = {0};
    CHECK_OK(gs_module_parameter(gru, "gru_0.bias2", &bias2));
    CHECK_GRAD(bias2, INTS(2), 1, (const float[]){0.73113745f, 0.7780053f});
    release(bias2);
    release(s);
    release(out[0]);
    release(out[1]);

    /* with an initial state (num_layers, batch, hidden) */
    gs_tensor inputs[2] = {x, make_f32((const float[]){0.5f, -0.5f}, INTS(1, 1, 2), 3, false)};
    CHECK_OK(gs_module_forward(gru, inputs, 2, out, 3, &n));
    CHECK(n == 2);
    CHECK_F32(out[0], INTS(2, 1, 2), 3, (const float[]){0.59250197f, -0.55635692f, 0.15028723f, 0.28704833f});
    release(out[0]);
    release(out[1]);

    /* the layer's cell shares its parameters and runs one step on its own */
    gs_module cell = {0};
    CHECK_OK(gs_recurrent_cell(gru, 0, false, &cell));
    CHECK(describes(cell, "GRUCell(1, 2, bias=True)"));
    gs_tensor step[2] = {make_f32((const float[]){1}, INTS(1, 1), 2, false), {0}};
    CHECK_OK(gs_module_forward(cell, step, 1, out, 3, &n));
    CHECK(n == 1);
    CHECK_F32(out[0], INTS(1, 2), 2, (const float[]){0.41008793f, -0.21300012f});
    release(out[0]);

    /* forward misuse */
    gs_tensor x4 = make_full(GS_DTYPE_FLOAT32, INTS(2, 1, 1, 1), 4, 0);
    CHECK_ERROR(gs_module_forward(gru, &x4, 1, out, 3, &n), GS_ERR_INVALID_ARGUMENT); /* rank */
    gs_tensor wide = make_full(GS_DTYPE_FLOAT32, INTS(2, 1, 3), 3, 0);
    CHECK_ERROR(gs_module_forward(gru, &wide, 1, out, 3, &n), GS_ERR_SHAPE_MISMATCH); /* features */
    CHECK(strstr(gs_last_error(), "input_size 1") != NULL);
    gs_tensor xint = make_full(GS_DTYPE_INT64, INTS(2, 1, 1), 3, 0);
    CHECK_ERROR(gs_module_forward(gru, &xint, 1, out, 3, &n), GS_ERR_DTYPE); /* int input */
    gs_tensor empty = make_full(GS_DTYPE_FLOAT32, INTS(0, 1, 1), 3, 0);
    CHECK_ERROR(gs_module_forward(gru, &empty, 1, out, 3, &n), GS_ERR_INVALID_ARGUMENT); /* seq_len 0 */
    gs_tensor bad_h[2] = {x, make_full(GS_DTYPE_FLOAT32, INTS(1, 2, 2), 3, 0)};
    CHECK_ERROR(gs_module_forward(gru, bad_h, 2, out, 3, &n), GS_ERR_SHAPE_MISMATCH);
    CHECK(mentions_shape(gs_last_error(), INTS(1, 1, 2), 3));
    gs_tensor three[3] = {x, inputs[1], inputs[1]};
    CHECK_ERROR(gs_module_forward(gru, three, 3, out, 3, &n), GS_ERR_INVALID_ARGUMENT); /* arity */
    CHECK_ERROR(gs_module_forward(gru, &x, 1, out, 1, &n), GS_ERR_INVALID_ARGUMENT);   /* capacity */
    CHECK_ERROR(gs_module_forward(cell, &x, 1, out, 3, &n), GS_ERR_INVALID_ARGUMENT);  /* cell takes 1-D/2-D */

    /* gs_recurrent_cell errors */
    CHECK_ERROR(gs_recurrent_cell(gru, 1, false, &cell), GS_ERR_INDEX);
    CHECK_ERROR(gs_recurrent_cell(gru, -1, false, &cell), GS_ERR_INDEX);
    CHECK_ERROR(gs_recurrent_cell(gru, 0, true, &cell), GS_ERR_INDEX); /* not bidirectional */
    CHECK_ERROR(gs_recurrent_cell(cell, 0, false, &cell), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_recurrent_cell((gs_module){x.id}, 0, false, &cell), GS_ERR_INVALID_HANDLE); /* a tensor */
    CHECK_ERROR(gs_recurrent_cell(gru, 0, false, NULL), GS_ERR_INVALID_ARGUMENT);

    CHECK_OK(gs_module_release(cell));
    release(step[0]);
    release(x4);
    release(wide);
    release(xint);
    release(empty);
    release(bad_h[1]);
    release(inputs[1]);
    release(x);
    CHECK_OK(gs_module_release(gru));
}

/* LSTM outputs (output, h_n, c_n), a bidirectional two-layer RNN's shapes, and the cells. */
static void other_layers(void) {
    gs_module lstm = {0};
    gs_tensor out[3] = {0};
    int32_t n = 0;
    CHECK_OK(gs_lstm_new(3, 4, 2, true, true, true, GS_DTYPE_FLOAT64, &lstm));
    CHECK(describes(lstm, "LSTM(3, 4, num_layers=2, bias=True, batch_first=True, bidirectional=True)"));
    gs_tensor x = make_full(GS_DTYPE_FLOAT64, INTS(5, 6, 3), 3, 0.5); /* (batch, seq, features) */
    CHECK_OK(gs_module_forward(lstm, &x, 1, out, 3, &n));
    CHECK(n == 3);
    CHECK_META(out[0], GS_DTYPE_FLOAT64, INTS(5, 6, 8), 3);
    CHECK_META(out[1], GS_DTYPE_FLOAT64, INTS(5, 4, 4), 3); /* PyDyNet: (batch, L*D, H) */
    CHECK_META(out[2], GS_DTYPE_FLOAT64, INTS(5, 4, 4), 3);
    for (int i = 0; i < 3; i++)
        release(out[i]);
    gs_tensor h_only[2] = {x, make_full(GS_DTYPE_FLOAT64, INTS(4, 5, 4), 3, 0)};
    CHECK_ERROR(gs_module_forward(lstm, h_only, 2, out, 3, &n), GS_ERR_INVALID_ARGUMENT);
    gs_module reverse_cell = {0};
    CHECK_OK(gs_recurrent_cell(lstm, 1, true, &reverse_cell));
    CHECK(describes(reverse_cell, "LSTMCell(4, 4, bias=True)"));
    CHECK_OK(gs_module_release(reverse_cell));
    release(h_only[1]);
    release(x);
    CHECK_OK(gs_module_release(lstm));

    gs_module rnn = {0};
    CHECK_OK(gs_rnn_new(2, 3, 2, 1, false, false, true, GS_DTYPE_FLOAT32, &rnn));
    CHECK(describes(rnn, "RNN(2, 3, num_layers=2, nonlinearity=relu, bias=False, batch_first=False, bidirectional=True)"));
    x = make_full(GS_DTYPE_FLOAT32, INTS(4, 2), 2, 1); /* unbatched (seq, features) */
    CHECK_OK(gs_module_forward(rnn, &x, 1, out, 3, &n));
    CHECK(n == 2);
    CHECK_META(out[0], GS_DTYPE_FLOAT32, INTS(4, 6), 2);
    CHECK_META(out[1], GS_DTYPE_FLOAT32, INTS(4, 3), 2);
    release(out[0]);
    release(out[1]);
    release(x);
    CHECK_OK(gs_module_release(rnn));

    gs_module cell = {0};
    CHECK_OK(gs_rnn_cell_new(2, 3, true, 0, GS_DTYPE_FLOAT32, &cell));
    CHECK(describes(cell, "RNNCell(2, 3, bias=True, nonlinearity=tanh)"));
    CHECK_OK(gs_module_release(cell));
    CHECK_OK(gs_lstm_cell_new(2, 3, false, GS_DTYPE_FLOAT64, &cell));
    x = make_full(GS_DTYPE_FLOAT64, INTS(2), 1, 1); /* unbatched step */
    CHECK_OK(gs_module_forward(cell, &x, 1, out, 3, &n));
    CHECK(n == 2);
    CHECK_META(out[0], GS_DTYPE_FLOAT64, INTS(3), 1);
    CHECK_META(out[1], GS_DTYPE_FLOAT64, INTS(3), 1);
    release(out[0]);
    release(out[1]);
    release(x);
    CHECK_OK(gs_module_release(cell));
    CHECK_OK(gs_gru_cell_new(2, 3, true, GS_DTYPE_FLOAT32, &cell));
    CHECK(describes(cell, "GRUCell(2, 3, bias=True)"));
    CHECK_OK(gs_module_release(cell));
}

static void constructor_errors(void) {
    gs_module m = {0};
    CHECK_ERROR(gs_gru_new(1, 0, 1, true, false, false, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_gru_new(0, 2, 1, true, false, false, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_lstm_new(1, 2, 0, true, false, false, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_lstm_new(1, 2, -3, true, false, false, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_rnn_new(1, 2, 1, 2, true, false, false, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_rnn_new(1, 2, 1, 0, true, false, false, GS_DTYPE_INT64, &m), GS_ERR_DTYPE);
    CHECK_ERROR(gs_gru_new(1, 2, 1, true, false, false, 9, &m), GS_ERR_DTYPE);
    CHECK_ERROR(gs_gru_new(1, 2, 1, true, false, false, GS_DTYPE_FLOAT32, NULL), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_lstm_new(1, INT64_MAX, 1, true, false, false, GS_DTYPE_FLOAT32, &m), GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_gru_new(1, 1 << 20, INT64_MAX, true, false, false, GS_DTYPE_FLOAT32, &m), GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_rnn_cell_new(1, 2, true, -1, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_rnn_cell_new(-1, 2, true, 0, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_lstm_cell_new(1, 2, true, GS_DTYPE_BOOL, &m), GS_ERR_DTYPE);
    CHECK_ERROR(gs_lstm_cell_new(INT64_MAX, 2, true, GS_DTYPE_FLOAT64, &m), GS_ERR_OUT_OF_MEMORY);
    CHECK_ERROR(gs_gru_cell_new(1, -2, true, GS_DTYPE_FLOAT32, &m), GS_ERR_INVALID_ARGUMENT);
    CHECK_ERROR(gs_gru_cell_new(1, 2, true, GS_DTYPE_FLOAT32, NULL), GS_ERR_INVALID_ARGUMENT);
}

void test_nn_rnn(void) {
    gru_values();
    other_layers();
    constructor_errors();
}
