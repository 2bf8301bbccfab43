// swift-tools-version:6.0
import PackageDescription

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
            dependencies: ["CBLAS"]
        ),
        // The C ABI: handle table, status codes and @c entry points. No math.
        .target(name: "GradSwiftCABI", dependencies: ["GradSwift"]),
        .testTarget(name: "GradSwiftTests", dependencies: ["GradSwift"]),
    ],
    swiftLanguageModes: [.v5]
)
