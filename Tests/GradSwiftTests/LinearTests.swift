import XCTest
@testable import GradSwift

final class LinearTests: XCTestCase {
    func testLinearForwardAndFusedBackward() throws {
        let x = try tensor([1, 2, 3, 4, 5, 6], [2, 1, 3], requiresGrad: true)
        let w = try tensor([1, 0, 0, 1, 1, 1], [3, 2], requiresGrad: true)
        let b = try tensor([0.5, -1], [1, 2], requiresGrad: true)
        let y = try Ops.linear(x, weight: w, bias: b)
        XCTAssertEqual(y.shape, [2, 1, 2])
        assertClose(values(y), [4.5, 4, 10.5, 10])
        try Ops.sum(y).backward()
        assertClose(values(x.grad!), [1, 1, 2, 1, 1, 2])
        assertClose(values(w.grad!), [5, 5, 7, 7, 9, 9])
        XCTAssertEqual(b.grad!.shape, [1, 2])
        assertClose(values(b.grad!), [2, 2])
    }

    func testLinearRejectsBadOperands() throws {
        let x = try tensor([1, 2, 3, 4, 5, 6], [2, 3])
        let w = try tensor([1, 2, 3, 4, 5, 6], [3, 2])
        XCTAssertThrowsError(try Ops.linear(x, weight: try tensor([1, 2, 3, 4], [2, 2]), bias: nil)) { error in
            guard case EngineError.shapeMismatch(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("in_features = 2"), message)
        }
        XCTAssertThrowsError(try Ops.linear(try Ops.cast(x, to: .int64), weight: w, bias: nil)) { error in
            guard case EngineError.dtype = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try Ops.linear(x, weight: try Ops.cast(w, to: .int64), bias: nil))
        // float32 weights meeting a float64 input compute in float64; the weight's gradient stays float32
        let w32 = try Ops.cast(w, to: .float32)
        try w32.setRequiresGrad(true)
        let mixed = try Ops.linear(x, weight: w32, bias: nil)
        XCTAssertEqual(mixed.dtype, .float64)
        try Ops.sum(mixed).backward()
        XCTAssertEqual(w32.grad?.dtype, .float32)
        XCTAssertThrowsError(try Ops.linear(x, weight: w, bias: try tensor([1, 2, 3], [3])))
    }

    func testEmbeddingGathersAndScattersSkippingPadding() throws {
        let table = try tensor([0, 1, 2, 3, 4, 5], [3, 2], requiresGrad: true)
        let indices = try integers([2, 0, 2, 1], [2, 2])
        let y = try Ops.embedding(indices, weight: table, paddingIndex: -3)
        XCTAssertEqual(y.shape, [2, 2, 2])
        assertClose(values(y), [4, 5, 0, 1, 4, 5, 2, 3])
        try Ops.sum(y).backward()
        assertClose(values(table.grad!), [0, 0, 1, 1, 2, 2])
        XCTAssertThrowsError(try Ops.embedding(try integers([3], [1]), weight: table, paddingIndex: nil)) { error in
            guard case EngineError.index = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try Ops.embedding(indices, weight: table, paddingIndex: 3))
    }

    func testDropoutMaskScaleAndIdentity() throws {
        let x = try tensor(Array(repeating: 1, count: 1000), [1000], requiresGrad: true)
        RandomGenerator.shared.seed(1)
        let y = try Ops.dropout(x, p: 0.5, training: true)
        let kept = values(y).filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { $0 == 2 })
        XCTAssertTrue((400...600).contains(kept.count))
        try Ops.sum(y).backward()
        XCTAssertEqual(values(x.grad!), values(y))
        RandomGenerator.shared.seed(1)
        XCTAssertEqual(values(try Ops.dropout(x, p: 0.5, training: true)), values(y))
        XCTAssertTrue(try Ops.dropout(x, p: 0.5, training: false) === x)
        XCTAssertThrowsError(try Ops.dropout(x, p: 1.5, training: true))
    }

    func testLayersInitialiseAndDescribeThemselves() throws {
        let linear = try Linear(inFeatures: 6, outFeatures: 4, bias: true, dtype: .float64)
        XCTAssertEqual(linear.description, "Linear(in_features=6, out_features=4, bias=True)")
        let bound = (2.0 * 3 / 6).squareRoot()
        XCTAssertTrue(values(linear.parameter("weight")!).allSatisfy { abs($0) <= bound })
        XCTAssertTrue(values(linear.parameter("bias")!).allSatisfy { abs($0) <= 1 / 6.0.squareRoot() })
        let embedding = try Embedding(numEmbeddings: 4, embeddingDim: 2, paddingIndex: 1)
        XCTAssertEqual(Array(values(embedding.parameter("weight")!)[2..<4]), [0, 0])
        XCTAssertEqual(embedding.description, "Embedding(4, 2, padding_idx=1)")
        XCTAssertEqual(try Dropout(p: 0.5).description, "Dropout(p=0.5)")
        XCTAssertThrowsError(try Linear(inFeatures: -1, outFeatures: 2))
        XCTAssertThrowsError(try Embedding(numEmbeddings: 2, embeddingDim: 2, paddingIndex: 2))
    }
}
