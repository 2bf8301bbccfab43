import XCTest
@testable import GradSwift

/// Every backward rule is written with ops, so a backward run with grad mode on records the
/// gradients it computes, and they can be differentiated again. These tests check, for every
/// op of the `OpTable` and for every op with a fused backward (softmax, losses, linear,
/// convolution, pooling, normalization, embedding, indexing, ...), the first derivatives and
/// the derivatives of those (Hessian-vector products) against central finite differences in
/// float64.
final class DifferentiationTests: XCTestCase {
    func testOpTableNamesAreUnique() {
        XCTAssertEqual(Set(OpTable.all.map(\.name)).count, OpTable.all.count)
        XCTAssertNotNil(OpTable.named("tanh_backward"))
    }

    func testEveryTableOpTwiceOverSameAndBroadcastShapes() throws {
        // Inputs in 0.5...1.5, or where the op is smooth: inside the inverse functions' domains,
        // and between the jumps of the rounding functions.
        let domains: [String: ClosedRange<Double>] = [
            "asin": -0.8...0.8, "acos": -0.8...0.8, "atanh": -0.8...0.8, "acosh": 1.5...2.5,
            "floor": 0.2...0.4, "ceil": 0.2...0.4, "trunc": 0.2...0.4, "round": 0.2...0.4,
        ]
        for entry in OpTable.all where entry.differentiable {
            let shapes: [[[Int]]] = entry.arity == 1 ? [[[2, 3]]] : [[[2, 3], [2, 3]], [[2, 3], [3]], [[1, 3], [2, 1]]]
            for operandShapes in shapes {
                var random = Draws(seed: UInt64(entry.name.utf8.reduce(7) { $0 &* 31 &+ UInt64($1) }))
                let inputs = try operandShapes.map { try random.tensor($0, in: domains[entry.name] ?? 0.5...1.5) }
                try checkTwice(entry.name) { [try entry($0)] }(inputs)
            }
        }
    }

    func testFusedBackwardsTwice() throws {
        var r = Draws(seed: 11)
        let x = try r.tensor([3, 4]), w = try r.tensor([4]), b = try r.tensor([4])
        try checkTwice("softmax") { [try Ops.softmax($0[0], axis: 1)] }([x])
        try checkTwice("softmax over all") { [try Ops.softmax($0[0], axis: nil)] }([x])
        try checkTwice("log_softmax") { [try Ops.logSoftmax($0[0], axis: 0)] }([x])
        try checkTwice("layer_norm") { [try Ops.layerNorm($0[0], normalizedShape: [4], weight: $0[1], bias: $0[2], eps: 1e-5)] }([x, w, b])
        try checkTwice("rms_norm") { [try Ops.rmsNorm($0[0], normalizedShape: [4], weight: $0[1], eps: 1e-5)] }([x, w])
        let image = try r.tensor([2, 3, 2, 2]), scale = try r.tensor([3]), shift = try r.tensor([3])
        try checkTwice("batch_norm training") {
            [try Ops.batchNorm($0[0], runningMean: nil, runningVar: nil, weight: $0[1], bias: $0[2], training: true,
                               momentum: 0.1, eps: 1e-5)]
        }([image, scale, shift])
        try checkTwice("group_norm") {
            [try Ops.groupNorm($0[0], groups: 3, weight: $0[1], bias: $0[2], eps: 1e-5)]
        }([image, scale, shift])
        try checkTwice("instance_norm") {
            [try Ops.instanceNorm($0[0], runningMean: nil, runningVar: nil, weight: $0[1], bias: $0[2],
                                  useInputStatistics: true, momentum: 0.1, eps: 1e-5)]
        }([image, scale, shift])
        let (q, k, v) = (try r.tensor([2, 3, 4]), try r.tensor([2, 5, 4]), try r.tensor([2, 5, 3]))
        try checkTwice("scaled_dot_product_attention") {
            [try Ops.scaledDotProductAttention($0[0], $0[1], $0[2], mask: nil, dropoutP: 0, training: false,
                                               isCausal: false, scale: nil).output]
        }([q, k, v])
        let sequence = try r.tensor([3, 2, 4]), inWeight = try r.tensor([12, 4]), inBias = try r.tensor([12])
        let outWeight = try r.tensor([4, 4]), outBias = try r.tensor([4])
        try checkTwice("multi_head_attention") {
            let projections = Ops.MultiheadAttentionWeights(inProjWeight: $0[1], inProjBias: $0[2], outProjWeight: $0[3], outProjBias: $0[4])
            let attention = try Ops.multiheadAttention($0[0], $0[0], $0[0], heads: 2, projections, keyPaddingMask: nil, attnMask: nil,
                                                       needWeights: true, averageWeights: true, isCausal: false,
                                                       dropoutP: 0, training: false, batchFirst: false)
            return [attention.output, attention.weights!]
        }([sequence, inWeight, inBias, outWeight, outBias])
        let runningMean = try r.tensor([3]), runningVar = try r.tensor([3], in: 0.5...1.5)
        try checkTwice("batch_norm evaluation") {
            [try Ops.batchNorm($0[0], runningMean: runningMean, runningVar: runningVar, weight: $0[1], bias: $0[2],
                               training: false, momentum: 0.1, eps: 1e-5)]
        }([image, scale, shift])
    }

    func testLossesTwice() throws {
        var r = Draws(seed: 12)
        let logits = try r.tensor([3, 4]), labels = try integers([1, 0, 3], [3])
        let probabilities = try Ops.softmax(try r.tensor([3, 4]), axis: 1)
        try probabilities.setRequiresGrad(true)
        for reduction in [Reduction.mean, .sum, .none] {
            try checkTwice("cross_entropy \(reduction.name)") { [try Ops.crossEntropy($0[0], labels, reduction: reduction)] }([logits])
            try checkTwice("cross_entropy probabilities \(reduction.name)") {
                [try Ops.crossEntropy($0[0], $0[1], reduction: reduction)]
            }([logits, probabilities])
            try checkTwice("nll_loss \(reduction.name)") { [try Ops.nllLoss($0[0], labels, reduction: reduction)] }([logits])
            try checkTwice("mse_loss \(reduction.name)") { [try Ops.mseLoss($0[0], $0[1], reduction: reduction)] }([logits, probabilities])
        }
    }

    func testLinearAlgebraAndLayersTwice() throws {
        var r = Draws(seed: 13)
        let a = try r.tensor([2, 3, 4]), b = try r.tensor([4, 2]), v = try r.tensor([4])
        try checkTwice("matmul batched") { [try Ops.matmul($0[0], $0[1])] }([a, b])
        try checkTwice("matmul vector") { [try Ops.matmul($0[0], $0[1])] }([a, v])
        let x = try r.tensor([2, 3, 4]), weight = try r.tensor([4, 5]), bias = try r.tensor([5])
        try checkTwice("linear") { [try Ops.linear($0[0], weight: $0[1], bias: $0[2])] }([x, weight, bias])
        let image = try r.tensor([2, 2, 4, 4]), kernel = try r.tensor([3, 2, 2, 2]), channelBias = try r.tensor([3])
        try checkTwice("conv2d") { [try Ops.conv2d($0[0], $0[1], bias: $0[2], stride: 2, padding: 1)] }([image, kernel, channelBias])
        let line = try r.tensor([2, 2, 5]), kernel1d = try r.tensor([3, 2, 2])
        try checkTwice("conv1d") { [try Ops.conv1d($0[0], $0[1], stride: 1, padding: 1)] }([line, kernel1d])
        try checkTwice("max_pool2d") { [try Ops.maxPool2d($0[0], kernel: 2, stride: 2)] }([image])
        try checkTwice("avg_pool2d") { [try Ops.avgPool2d($0[0], kernel: 2, stride: 1, padding: 1)] }([image])
        let wide = try r.tensor([2, 2, 5, 7])
        try checkTwice("adaptive_max_pool2d") { [try Ops.adaptiveMaxPool2d($0[0], outputSize: (3, nil))] }([wide])
        try checkTwice("adaptive_avg_pool2d") { [try Ops.adaptiveAvgPool2d($0[0], outputSize: (3, 4))] }([wide])
        try checkTwice("adaptive_max_pool1d") { [try Ops.adaptiveMaxPool1d($0[0], outputSize: 3)] }([line])
        try checkTwice("adaptive_avg_pool1d") { [try Ops.adaptiveAvgPool1d($0[0], outputSize: 7)] }([line])
        try checkTwice("interpolate bilinear") {
            [try Ops.interpolate($0[0], size: nil, scaleFactor: [1.5, 2], mode: .bilinear)]
        }([image])
        try checkTwice("interpolate nearest") { [try Ops.interpolate($0[0], size: [5, 3], scaleFactor: nil, mode: .nearest)] }([image])
        try checkTwice("interpolate linear") {
            [try Ops.interpolate($0[0], size: [8], scaleFactor: nil, mode: .linear, alignCorners: true)]
        }([line])
        let transposedKernel = try r.tensor([2, 3, 3, 2])
        try checkTwice("conv_transpose2d") {
            [try Ops.convTranspose2d($0[0], $0[1], bias: $0[2], stride: (2, 1), padding: (1, 0), outputPadding: (1, 0))]
        }([image, transposedKernel, channelBias])
        let transposedKernel1d = try r.tensor([2, 3, 2])
        try checkTwice("conv_transpose1d") {
            [try Ops.convTranspose1d($0[0], $0[1], stride: 2, padding: 1, outputPadding: 1)]
        }([line, transposedKernel1d])
        let table = try r.tensor([5, 3]), rows = try integers([4, 0, 4, 2], [2, 2])
        // (With a padding row that occurs, the forward reads the row but its gradient is zero
        // by definition, so finite differences do not apply.)
        try checkTwice("embedding") { [try Ops.embedding(rows, weight: $0[0], paddingIndex: 3)] }([table])
    }

    func testShapeAndIndexingOpsTwice() throws {
        var r = Draws(seed: 14)
        let x = try r.tensor([3, 4]), y = try r.tensor([3, 2])
        try checkTwice("index") { [try Ops.index($0[0], [.tensor(try integers([2, 0, 2], [3])), .slice(start: 1, stop: nil, step: 2)])] }([x])
        try checkTwice("concat and split") { v in try Ops.split(try Ops.concat([v[0], v[1]], axis: 1), boundaries: [1, 5], axis: 1) }([x, y])
        try checkTwice("transpose") { [try Ops.transpose($0[0], axes: nil)] }([x])
        try checkTwice("reductions") {
            [try Ops.sum($0[0], axes: [0]), try Ops.mean($0[0], axes: [1], keepDims: true), try Ops.reduce(.max, $0[0], axes: [1], keepDims: false)]
        }([x])
        try checkTwice("leaky_relu") { [try Ops.leakyRelu($0[0], slope: 0.1)] }([try r.tensor([2, 3], in: -1.5...(-0.5))])
        try checkTwice("where") { v in [try Ops.where(try Ops.gt(v[0], v[1]), v[0], v[1])] }([x, try r.tensor([4])])
        try checkTwice("clamp") { v in [try Ops.clamp(v[0], min: v[1], max: v[2])] }([x, try r.tensor([4]), try r.tensor([3, 1])])
        try checkTwice("lerp") { v in [try Ops.lerp(v[0], v[1], weight: v[2])] }([x, try r.tensor([4]), try r.tensor([3, 1])])
    }

    func testLayoutOpsTwice() throws {
        // Each op's output is squared, so the second derivative is nonzero and goes through the
        // op's backward and the backward of that.
        var r = Draws(seed: 23)
        let x = try r.tensor([2, 3]), y = try r.tensor([2, 3]), cube = try r.tensor([1, 2, 3])
        func squared(_ name: String, _ op: @escaping ([Tensor]) throws -> Tensor) -> ([Tensor]) throws -> Void {
            checkTwice(name) { v in let out = try op(v); return [try out * out] }
        }
        try squared("stack") { try Ops.stack([$0[0], $0[1]], axis: 1) }([x, y])
        try squared("flatten unflatten") { try Ops.unflatten(try Ops.flatten($0[0]), axis: 0, sizes: [3, -1]) }([x])
        try squared("expand") { try Ops.expand($0[0], sizes: [2, -1, -1]) }([x])
        try squared("movedim") { try Ops.moveAxes($0[0], source: [0], destination: [2]) }([cube])
        try squared("tile") { try Ops.tile($0[0], reps: [2, 1, 2]) }([x])
        try squared("repeat") { try Ops.repeatTensor($0[0], [1, 3]) }([x])
        try squared("repeat_interleave") { try Ops.repeatInterleave($0[0], repeats: 2, axis: 1) }([x])
        try squared("repeat_interleave tensor") {
            try Ops.repeatInterleave($0[0], repeats: try integers([0, 2, 1], [3]), axis: -1)
        }([x])
        try squared("flip") { try Ops.flip($0[0], axes: [0, 1]) }([x])
        try squared("roll") { try Ops.roll($0[0], shifts: [1, -2], axes: [0, 1]) }([x])
        try checkTwice("chunk") { v in try Ops.chunk(v[0], chunks: 2, axis: 1).map { try $0 * $0 } }([x])
        try squared("tril") { try Ops.tril($0[0], diagonal: 0) }([x])
        try squared("triu") { try Ops.triu($0[0], diagonal: 1) }([x])
        for mode in [PadMode.constant, .reflect, .replicate, .circular] {
            try squared("pad \(mode.name)") { try Ops.pad($0[0], [2, 1, -1, 1], mode: mode, value: 0.5) }([cube])
        }
    }

    func testParametricActivationsTwice() throws {
        // Both sides of each kink (the inputs avoid the kinks themselves).
        var r = Draws(seed: 15)
        let negative = try r.tensor([2, 3], in: -2.5...(-0.5)), positive = try r.tensor([2, 3], in: 0.5...2.5)
        for x in [negative, positive] {
            try checkTwice("elu") { [try Ops.elu($0[0], alpha: 1.5)] }([x])
            try checkTwice("celu") { [try Ops.celu($0[0], alpha: 0.5)] }([x])
            try checkTwice("softplus") { [try Ops.softplus($0[0], beta: 2, threshold: 3)] }([x])
            try checkTwice("hardtanh") { [try Ops.hardtanh($0[0], min: -2.7, max: 2.7)] }([x])
            try checkTwice("relu6") { [try Ops.relu6($0[0])] }([x])
            try checkTwice("gelu tanh") { [try Ops.gelu($0[0], approximateTanh: true)] }([x])
        }
    }

    func testStatisticsScansAndSortingTwice() throws {
        var r = Draws(seed: 19)
        let x = try r.tensor([3, 4], in: 0.5...1.5), y = try r.tensor([2, 3, 2])
        let withZeros = try tensor([0.7, 0, 1.2, -0.5, 0, 0.9, 0, 1.1, -1.3, 0.6, 0.8, 0], [3, 4])
        try checkTwice("prod") { [try Ops.prod($0[0], axes: [1])] }([x])
        try checkTwice("prod with zeros") { [try Ops.prod($0[0], axes: [1], keepDims: true), try Ops.prod($0[0])] }([withZeros])
        try checkTwice("cumprod") { [try Ops.cumprod($0[0], axis: 0)] }([y])
        try checkTwice("cumprod with zeros") { [try Ops.cumprod($0[0], axis: 1), try Ops.cumprod($0[0], axis: 0)] }([withZeros])
        try checkTwice("cumsum") { [try Ops.cumsum($0[0], axis: -1)] }([y])
        try checkTwice("var std") {
            [try Ops.variance($0[0], axes: [0, 2]), try Ops.standardDeviation($0[0], axes: [1], correction: 0, keepDims: true)]
        }([y])
        try checkTwice("logsumexp") { [try Ops.logsumexp($0[0], axes: [1]), try Ops.logsumexp($0[0])] }([y])
        try checkTwice("norm") {
            [try Ops.norm($0[0]), try Ops.norm($0[0], p: 3, axes: [1]), try Ops.norm($0[0], p: .infinity, axes: [0]),
             try Ops.norm($0[0], p: 1, axes: [1])]
        }([x])
        try checkTwice("sort topk max") {
            [try Ops.sort($0[0], axis: 1, descending: true).values, try Ops.topk($0[0], k: 2, axis: 0).values,
             try Ops.extremum(.max, $0[0], axis: 1, keepDims: false).values]
        }([y])
    }

    func testPointwiseLossesTwice() throws {
        var r = Draws(seed: 17)
        let x = try r.tensor([2, 3], in: -2...2), t = try r.tensor([2, 3], in: -2...2)
        let probabilities = try r.tensor([2, 3], in: 0.1...0.9), targets = try r.tensor([2, 3], in: 0...1)
        try checkTwice("l1_loss") { [try Ops.l1Loss($0[0], $0[1], reduction: .mean)] }([x, t])
        try checkTwice("smooth_l1_loss") { [try Ops.smoothL1Loss($0[0], $0[1], reduction: .sum, beta: 1.3)] }([x, t])
        try checkTwice("huber_loss") { [try Ops.huberLoss($0[0], $0[1], reduction: .none, delta: 0.6)] }([x, t])
        try checkTwice("binary_cross_entropy") {
            [try Ops.binaryCrossEntropy($0[0], $0[1], weight: nil, reduction: .mean)]
        }([probabilities, targets])
        try checkTwice("binary_cross_entropy_with_logits") {
            [try Ops.binaryCrossEntropyWithLogits($0[0], $0[1], weight: nil, posWeight: $0[2], reduction: .sum)]
        }([x, targets, try r.tensor([3], in: 0.5...2)])
        try checkTwice("kl_div") { [try Ops.klDiv($0[0], $0[1], reduction: .batchMean, logTarget: false)] }([x, probabilities])
        try checkTwice("kl_div log_target") { [try Ops.klDiv($0[0], $0[1], reduction: .mean, logTarget: true)] }([x, t])
    }

    func testIndexingAlongADimensionTwice() throws {
        // Each op is linear in its tensors, so the products below carry their second derivatives
        // through the op's backward (scatter-add, gather, the kept-element mask) and its backward.
        var r = Draws(seed: 23)
        let x = try r.tensor([3, 4], in: -2...2), src = try r.tensor([3, 2], in: -2...2), value = try r.tensor([], in: -2...2)
        let index = try integers([0, 3, 2, 1, 1, 0], [3, 2]), repeated = try integers([1, 1, 3, 1, 0, 0], [3, 2])
        let mask = try Ops.gt(try r.tensor([3, 4]), Tensor.scalar(0, dtype: .float64))
        func squared(_ t: Tensor) throws -> Tensor { try Ops.mul(t, t) }
        try checkTwice("gather") { [try squared(try Ops.gather($0[0], dim: 1, index: repeated))] }([x])
        try checkTwice("scatter") { [try squared(try Ops.scatter($0[0], dim: 1, index: index, src: $0[1]))] }([x, src])
        try checkTwice("scatter add") { [try squared(try Ops.scatter($0[0], dim: 1, index: repeated, src: $0[1], reduce: .add))] }([x, src])
        try checkTwice("scatter value") { [try squared(try Ops.scatter($0[0], dim: 1, index: index, value: 1.5))] }([x])
        try checkTwice("scatter_add") { [try Ops.mul(try Ops.scatterAdd($0[0], dim: 1, index: repeated, src: $0[1]), $0[0])] }([x, src])
        try checkTwice("index_select") {
            [try squared(try Ops.indexSelect($0[0], dim: 1, index: try integers([3, 0, 3], [3])))]
        }([x])
        try checkTwice("masked_fill") { [try squared(try Ops.maskedFill($0[0], mask: mask, value: $0[1]))] }([x, value])
        try checkTwice("take_along_dim") {
            [try squared(try Ops.takeAlongDim($0[0], indices: try integers([2, 0, 1, 1], [1, 4]), dim: 0))]
        }([x])
    }

    func testLinearAlgebraTwice() throws {
        var r = Draws(seed: 29)
        let a = try r.tensor([3, 4]), b = try r.tensor([4, 2]), c = try r.tensor([2, 3])
        let square = try r.tensor([3, 3]), batch = try r.tensor([2, 3, 4]), batch2 = try r.tensor([2, 4, 2])
        let u = try r.tensor([4]), v = try r.tensor([4])
        try checkTwice("einsum matmul") { [try Ops.einsum("ij,jk->ik", $0)] }([a, b])
        try checkTwice("einsum chain") { [try Ops.einsum("ij,jk,kl->il", $0)] }([a, b, c])
        try checkTwice("einsum diagonal") { [try Ops.einsum("ii,ij->j", [$0[0], $0[0]])] }([square])
        try checkTwice("einsum ellipsis") { [try Ops.einsum("...ij,...jk", $0)] }([batch, batch2])
        try checkTwice("einsum self") { [try Ops.einsum("i,i,j->j", [$0[0], $0[0], $0[0]])] }([u])
        try checkTwice("tensordot") { [try Ops.tensordot($0[0], $0[1], dimsA: [2, 1], dimsB: [0, 1])] }([batch, try r.tensor([4, 3, 2])])
        try checkTwice("outer") { [try Ops.outer($0[0], $0[1])] }([u, v])
        try checkTwice("dot") { [try Ops.dot($0[0], $0[1])] }([u, v])
        try checkTwice("bmm") { [try Ops.bmm($0[0], $0[1])] }([batch, batch2])
        try checkTwice("diag") { [try Ops.mul(try Ops.diag($0[0], k: 1), try Ops.diag($0[0], k: 1))] }([u])
        try checkTwice("diag of a matrix") { [try Ops.mul(try Ops.diag($0[0], k: -1), try Ops.diag($0[0], k: -1))] }([a])
        try checkTwice("diagonal") { [try Ops.mul(try Ops.diagonal($0[0], offset: 1, dim1: 2, dim2: 1), $0[1])] }([batch, try r.tensor([2, 2])])
        try checkTwice("trace") { [try Ops.mul(try Ops.trace($0[0]), try Ops.trace($0[0]))] }([square])
    }

    func testCompositeBackwardsToTheThirdOrder() throws {
        // Fused backward ops whose own backward is derived from a composite (Autograd.vjp) record
        // that derivation too when asked, so derivatives of any order go through them.
        var r = Draws(seed: 16)
        let x = try r.tensor([2, 3]), w = try r.tensor([3]), b = try r.tensor([3])
        try checkDerivatives("softmax", orders: 3) { [try Ops.softmax($0[0], axis: 1)] }([x])
        try checkDerivatives("layer_norm", orders: 3) {
            [try Ops.layerNorm($0[0], normalizedShape: [3], weight: $0[1], bias: $0[2], eps: 1e-5)]
        }([x, w, b])
        try checkDerivatives("cross_entropy", orders: 3) {
            [try Ops.crossEntropy($0[0], try integers([2, 0], [2]), reduction: .mean)]
        }([x])
    }

    func testRecordedGradientsAreFreedWithTheirGraph() throws {
        // The outputs of a several-output fused backward (layer norm's dx, dweight, dbias) hold
        // their node; its rule must not hold them back, or the recorded graph would leak.
        weak var gradient: Tensor?
        do {
            var r = Draws(seed: 17)
            let x = try r.tensor([2, 3]), w = try r.tensor([3]), b = try r.tensor([3])
            for t in [x, w, b] { try t.setRequiresGrad(true) }
            let loss = try Ops.sum(try Ops.layerNorm(x, normalizedShape: [3], weight: w, bias: b, eps: 1e-5) * r.tensor([2, 3]))
            let found = try Autograd.grad(of: [loss], withRespectTo: [x], createGraph: true)
            gradient = found[0]
            XCTAssertNotNil(gradient?.gradFn)
        }
        XCTAssertNil(gradient)
    }

    func testRecurrentSequencesTwice() throws {
        // The fused recurrence's recorded backward differentiates its step-by-step composite.
        var r = Draws(seed: 15)
        let x = try r.tensor([2, 2, 2]), h0 = try r.tensor([2, 3]), c0 = try r.tensor([2, 3])
        for cell in [RecurrentCell.rnnTanh, .lstm, .gru] {
            var weights = try cell.weightLayout.map { try r.tensor([$0.fromInput ? 2 : 3, $0.units * 3]) }
            weights += try cell.weightLayout.filter(\.fromInput).map { try r.tensor([$0.units * 3]) }
            for (reverse, batchFirst) in [(false, false), (true, true)] {
                try checkTwice("\(cell.name) reverse \(reverse)") { t in
                    let states = cell == .lstm ? [t[1], t[2]] : [t[1]]
                    let out = try Ops.recurrentSequence(cell, t[0], h0: states[0], c0: cell == .lstm ? states[1] : nil,
                                                        weights: Array(t.dropFirst(1 + states.count)),
                                                        reverse: reverse, batchFirst: batchFirst)
                    return [out.hidden] + (out.cell.map { [$0] } ?? [])
                }([x, h0] + (cell == .lstm ? [c0] : []) + weights)
            }
        }
    }

    // MARK: Checks

    /// `checkDerivatives` to the second order.
    private func checkTwice(_ name: String, file: StaticString = #filePath, line: UInt = #line,
                            _ f: @escaping ([Tensor]) throws -> [Tensor]) -> ([Tensor]) throws -> Void {
        checkDerivatives(name, orders: 2, file: file, line: line, f)
    }

    /// Checks, against central differences and for every float input, the gradient of
    /// h1 = Σ w·f(inputs) (fixed random weights w), then of h2 = ⟨∇h1, v1⟩, h3 = ⟨∇h2, v2⟩... up
    /// to `orders` (fixed random directions v): derivatives of gradients that the engine records
    /// by running backward with grad mode on (a create_graph backward).
    private func checkDerivatives(_ name: String, orders: Int, file: StaticString = #filePath, line: UInt = #line,
                                  _ f: @escaping ([Tensor]) throws -> [Tensor]) -> ([Tensor]) throws -> Void {
        { inputs in
            let inputs = try inputs.map { t -> Tensor in
                let leaf = t.detached()
                if leaf.dtype.isFloatingPoint { try leaf.setRequiresGrad(true) }
                return leaf
            }
            var random = Draws(seed: 99)
            let weights = try f(inputs).map { try random.tensor($0.shape) }
            let directions = try (1..<max(orders, 1)).map { _ in try inputs.map { try random.tensor($0.shape) } }
            let zero = try Tensor.scalar(0, dtype: .float64)

            /// The gradients of the scalar `h` with respect to the float `xs`, recorded in the graph.
            func gradients(_ h: Tensor, _ xs: [Tensor]) throws -> [Tensor?] {
                guard h.requiresGrad else { return xs.map { _ in nil } }  // constant in the inputs
                let floats = xs.filter(\.requiresGrad)
                let found = try Autograd.grad(of: [h], withRespectTo: floats, createGraph: true, allowUnused: true)
                return xs.map { x in floats.firstIndex { $0 === x }.flatMap { found[$0] } }
            }
            /// h_order: h1 = Σ w·f(xs), h_{k+1} = ⟨∇h_k, v_k⟩.
            func scalar(_ order: Int, _ xs: [Tensor]) throws -> Tensor {
                var h = try zip(try f(xs), weights).map { try Ops.sum(try $0 * $1) }.reduce(zero, +)
                for k in 0..<(order - 1) {
                    h = try zip(try gradients(h, xs), directions[k]).compactMap { g, v in try g.map { try Ops.sum(try $0 * v) } }
                        .reduce(zero, +)
                }
                return h
            }

            for order in 1...orders {
                let analytic = try gradients(try scalar(order, inputs), inputs)
                for (i, x) in inputs.enumerated() where x.requiresGrad {
                    let numeric = try numericGradient(of: { try scalar(order, $0) }, inputs, i)
                    assertNear(analytic[i], numeric, "\(name): derivative of order \(order), input \(i)", file: file, line: line)
                }
            }
        }
    }
}

/// Central differences of the scalar `h` with respect to input `i`.
private func numericGradient(of h: ([Tensor]) throws -> Tensor, _ inputs: [Tensor], _ i: Int) throws -> [Double] {
    let x = inputs[i], p = x.pointer(Double.self), step = 1e-6
    return try (0..<x.count).map { k in
        let saved = p[k]
        p[k] = saved + step
        let up = values(try h(inputs))[0]
        p[k] = saved - step
        let down = values(try h(inputs))[0]
        p[k] = saved
        return (up - down) / (2 * step)
    }
}

private func assertNear(_ actual: Tensor?, _ expected: [Double], _ what: String, file: StaticString, line: UInt) {
    let got = actual.map(values) ?? Array(repeating: 0, count: expected.count)
    XCTAssertEqual(got.count, expected.count, what, file: file, line: line)
    let scale = max(1, expected.map(Swift.abs).max() ?? 0)
    for (a, e) in zip(got, expected) where Swift.abs(a - e) > 1e-5 * scale {
        XCTFail("\(what): \(got) vs numeric \(expected)", file: file, line: line)
        return
    }
}

/// Reproducible float64 tensors (a 64-bit LCG).
private struct Draws {
    var state: UInt64

    init(seed: UInt64) { state = seed &* 6_364_136_223_846_793_005 &+ 1 }

    mutating func next(in range: ClosedRange<Double>) -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return range.lowerBound + Double(state >> 11) / Double(1 << 53) * (range.upperBound - range.lowerBound)
    }

    mutating func tensor(_ shape: [Int], in range: ClosedRange<Double> = -1...1) throws -> Tensor {
        try GradSwiftTests.tensor((0..<shape.reduce(1, *)).map { _ in next(in: range) }, shape)
    }
}
