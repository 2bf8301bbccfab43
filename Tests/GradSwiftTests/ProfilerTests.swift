import XCTest
@testable import GradSwift

/// The profiler: rows of a known sequence of scopes, self and total time of nested scopes,
/// nothing recorded while off, and the start/stop states.
final class ProfilerTests: XCTestCase {
    override func tearDown() {
        if Profiler.isEnabled { _ = try? Profiler.stop() }
        super.tearDown()
    }

    /// The row called `name` in `rows` (fails the test when absent).
    private func row(_ rows: [Profiler.Record], _ name: String, file: StaticString = #filePath, line: UInt = #line) -> Profiler.Record? {
        let found = rows.first { $0.name == name }
        XCTAssertNotNil(found, "no row \(name) in \(rows.map(\.name))", file: file, line: line)
        return found
    }

    func testNestedScopesSplitSelfFromTotal() throws {
        try Profiler.start()
        Profiler.scope("outer") {
            Profiler.scope("inner") { _ = (0..<1000).reduce(0, +) }
            Profiler.scope("inner") { Profiler.scope("innermost") {} }
        }
        let rows = try Profiler.stop()
        XCTAssertEqual(Set(rows.map(\.name)), ["outer", "inner", "innermost"])
        let outer = try XCTUnwrap(row(rows, "outer")), inner = try XCTUnwrap(row(rows, "inner"))
        let innermost = try XCTUnwrap(row(rows, "innermost"))
        XCTAssertEqual([outer.count, inner.count, innermost.count], [1, 2, 1])
        for r in rows { XCTAssertLessThanOrEqual(r.selfNanoseconds, r.totalNanoseconds) }
        // outer's total is its self time plus its children's totals; inner's likewise.
        XCTAssertEqual(outer.totalNanoseconds, outer.selfNanoseconds + inner.totalNanoseconds)
        XCTAssertEqual(inner.totalNanoseconds, inner.selfNanoseconds + innermost.totalNanoseconds)
        XCTAssertEqual(rows.reduce(0) { $0 + $1.selfNanoseconds }, outer.totalNanoseconds)
        XCTAssertEqual(Profiler.lastProfile, rows)
        // by self time, largest first
        XCTAssertEqual(rows.map(\.selfNanoseconds), rows.map(\.selfNanoseconds).sorted(by: >))
    }

    func testBackwardRulesAndLayersAreRows() throws {
        let x = try Tensor.full(2, dtype: .float32, shape: [3])
        try x.setRequiresGrad(true)
        let layer = try Linear(inFeatures: 3, outFeatures: 2, dtype: .float32)
        try Profiler.start()
        let y = try Ops.mul(x, x)
        let out = try layer([y])[0]
        try Ops.sum(out, axes: nil).backward()
        let rows = try Profiler.stop()
        XCTAssertEqual(row(rows, "Linear")?.count, 1)
        XCTAssertEqual(row(rows, "mul backward")?.count, 1)
        XCTAssertEqual(row(rows, "sum backward")?.count, 1)
        XCTAssertNil(rows.first { $0.name == "mul" }, "engine ops are timed at the C entry points, not here")
    }

    func testOffRecordsNothingAndStatesAreChecked() throws {
        XCTAssertFalse(Profiler.isEnabled)
        XCTAssertThrowsError(try Profiler.stop())
        try Profiler.start()
        XCTAssertThrowsError(try Profiler.start())
        XCTAssertEqual(try Profiler.stop(), [])
        Profiler.scope("while off") {}
        XCTAssertEqual(Profiler.lastProfile, [])
        try Profiler.start()
        XCTAssertEqual(try Profiler.stop(), [], "a new profile starts empty")
    }

    func testScopeOpenAcrossStopIsNotCounted() throws {
        try Profiler.start()
        try Profiler.scope("spanning") {
            try Profiler.stop()
            try Profiler.start()
        }
        XCTAssertEqual(try Profiler.stop(), [])
    }
}
