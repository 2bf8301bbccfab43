// swift-tools-version:6.0
import PackageDescription

// The engine never aliases mutable state across threads; the runtime's dynamic exclusivity
// checks cost about a tenth of a small op, so release builds skip them.
let uncheckedExclusivity: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "gradswift",
    products: [
        // The shared library that C programs and the Python package load: libgradswift.so.
        .library(name: "gradswift", type: .dynamic, targets: ["GradSwiftCABI"]),
    ],
    targets: [
        // OpenBLAS through its C header (libopenblas-dev).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        // The engine: tensors, ops with their backward rules, autograd. Plain Swift.
        .target(
            name: "GradSwift",
            dependencies: ["CBLAS"],
            swiftSettings: uncheckedExclusivity
        ),
        // The C ABI's handle types (one-field structs, one per kind of object), in C.
        .systemLibrary(name: "CHandles", path: "Sources/CHandles"),
        // The C ABI: handle table, status codes and @c entry points. No math.
        .target(name: "GradSwiftCABI", dependencies: ["GradSwift", "CHandles"], swiftSettings: uncheckedExclusivity),
        .testTarget(name: "GradSwiftTests", dependencies: ["GradSwift"]),
    ],
    swiftLanguageModes: [.v5]
)
