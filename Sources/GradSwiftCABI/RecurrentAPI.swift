import CHandles
import GradSwift

// The recurrent layers: constructors of RNN, LSTM, GRU and their cells, and access to a
// layer's cells. Forward goes through gs_module_forward: inputs x and optionally the initial
// state(s); outputs [output, h_n] (LSTM [output, h_n, c_n]) for the layers, [h] (LSTMCell
// [h, c]) for the cells.

/// Reads an RNN non-linearity code (0 tanh, 1 relu).
private func nonlinearity(_ code: Int32, _ op: String) throws -> RecurrentNonlinearity {
    guard let value = RecurrentNonlinearity(rawValue: code) else {
        throw CallError.invalid("\(op): unknown nonlinearity code \(code) (0 tanh, 1 relu)")
    }
    return value
}

/// A multi-layer Elman RNN (PyDyNet's layout): cells "rnn_l" (and "rrnn_l" when
/// `bidirectional`) with parameters Wx (in, H), Wh (H, H) and, when `bias`, bias (H,), all
/// U(-1/sqrt(H), 1/sqrt(H)); `nonlinearity` 0 is tanh, 1 relu; sizes and num_layers >= 1;
/// `dtype` float16, float32 or float64. Forward: x (T, B, in) ((B, T, in) with `batch_first`) or
/// (T, in), optional h0 (L·D, B, H); outputs output and h_n ((B, L·D, H) with batch_first). The caller
/// owns `*result` (a module handle).
@c(gs_rnn_new)
public func gsRNNNew(_ inputSize: Int64, _ hiddenSize: Int64, _ numLayers: Int64, _ nonlinearity: Int32, _ bias: Bool,
                     _ batchFirst: Bool, _ bidirectional: Bool, _ dtype: Int32,
                     _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_rnn_new", result) {
        let op = "gs_rnn_new"
        return try RNN(inputSize: Int(inputSize), hiddenSize: Int(hiddenSize), numLayers: Int(numLayers),
                       nonlinearity: try GradSwiftCABI.nonlinearity(nonlinearity, op), bias: bias, batchFirst: batchFirst,
                       bidirectional: bidirectional, dtype: try GradSwiftCABI.dtype(dtype, op))
    }
}

/// A multi-layer LSTM (PyDyNet's layout, gate order f, i, o, g): cells "lstm_l" (and
/// "rlstm_l") with Wx (in, 4H), Wh (H, 4H), bias (4H,). Forward: x and optionally both h0 and
/// c0 (L·D, B, H); outputs output, h_n and c_n. Otherwise as gs_rnn_new. The caller owns
/// `*result` (a module handle).
@c(gs_lstm_new)
public func gsLSTMNew(_ inputSize: Int64, _ hiddenSize: Int64, _ numLayers: Int64, _ bias: Bool, _ batchFirst: Bool,
                      _ bidirectional: Bool, _ dtype: Int32, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_lstm_new", result) {
        try LSTM(inputSize: Int(inputSize), hiddenSize: Int(hiddenSize), numLayers: Int(numLayers), bias: bias,
                 batchFirst: batchFirst, bidirectional: bidirectional, dtype: try GradSwiftCABI.dtype(dtype, "gs_lstm_new"))
    }
}

/// A multi-layer GRU (PyDyNet's form): cells "gru_l" (and "rgru_l") with Wx1 (in, 2H),
/// Wh1 (H, 2H), Wx2 (in, H), Wh2 (H, H), bias1 (2H,), bias2 (H,). Forward as gs_rnn_new.
/// The caller owns `*result` (a module handle).
@c(gs_gru_new)
public func gsGRUNew(_ inputSize: Int64, _ hiddenSize: Int64, _ numLayers: Int64, _ bias: Bool, _ batchFirst: Bool,
                     _ bidirectional: Bool, _ dtype: Int32, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_gru_new", result) {
        try GRU(inputSize: Int(inputSize), hiddenSize: Int(hiddenSize), numLayers: Int(numLayers), bias: bias,
                batchFirst: batchFirst, bidirectional: bidirectional, dtype: try GradSwiftCABI.dtype(dtype, "gs_gru_new"))
    }
}

/// An RNNCell: parameters Wx (in, H), Wh (H, H), bias (H,) when `bias`; `nonlinearity` 0 tanh,
/// 1 relu. Forward: x (B, in) or (in,), optional h (B, H) or (H,); output h'. The caller owns
/// `*result` (a module handle).
@c(gs_rnn_cell_new)
public func gsRNNCellNew(_ inputSize: Int64, _ hiddenSize: Int64, _ bias: Bool, _ nonlinearity: Int32, _ dtype: Int32,
                         _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_rnn_cell_new", result) {
        let op = "gs_rnn_cell_new"
        return try RNNCell(inputSize: Int(inputSize), hiddenSize: Int(hiddenSize), bias: bias,
                           nonlinearity: try GradSwiftCABI.nonlinearity(nonlinearity, op), dtype: try GradSwiftCABI.dtype(dtype, op))
    }
}

/// An LSTMCell: parameters Wx (in, 4H), Wh (H, 4H), bias (4H,). Forward: x and optionally both
/// h and c; outputs h' and c'. The caller owns `*result` (a module handle).
@c(gs_lstm_cell_new)
public func gsLSTMCellNew(_ inputSize: Int64, _ hiddenSize: Int64, _ bias: Bool, _ dtype: Int32,
                          _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_lstm_cell_new", result) {
        try LSTMCell(inputSize: Int(inputSize), hiddenSize: Int(hiddenSize), bias: bias,
                     dtype: try GradSwiftCABI.dtype(dtype, "gs_lstm_cell_new"))
    }
}

/// A GRUCell: parameters Wx1 (in, 2H), Wh1 (H, 2H), Wx2 (in, H), Wh2 (H, H), bias1 (2H,),
/// bias2 (H,). Forward: x and optionally h; output h'. The caller owns `*result` (a module handle).
@c(gs_gru_cell_new)
public func gsGRUCellNew(_ inputSize: Int64, _ hiddenSize: Int64, _ bias: Bool, _ dtype: Int32,
                         _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_gru_cell_new", result) {
        try GRUCell(inputSize: Int(inputSize), hiddenSize: Int(hiddenSize), bias: bias,
                    dtype: try GradSwiftCABI.dtype(dtype, "gs_gru_cell_new"))
    }
}

/// A new handle to the cell of layer `layer` (0-based) of an RNN, LSTM or GRU module, in the
/// forward or (`reverse`, bidirectional only) reverse direction. The cell is shared with the
/// layer: its parameters are the layer's. The caller owns `*result` (a module handle).
@c(gs_recurrent_cell)
public func gsRecurrentCell(_ module: gs_module, _ layer: Int64, _ reverse: Bool, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_recurrent_cell", result) {
        let op = "gs_recurrent_cell"
        guard let network = try GradSwiftCABI.module(module, op) as? RecurrentLayer else {
            throw CallError.invalid("\(op): module is not an RNN, LSTM or GRU")
        }
        guard let cell = network.cell(layer: Int(layer), reverse: reverse) else {
            throw CallError(status: .indexError, message: "\(op): \(network.kind) has no \(reverse ? "reverse " : "")layer \(layer) (num_layers \(network.numLayers), bidirectional \(network.bidirectional ? "True" : "False"))")
        }
        return cell
    }
}
