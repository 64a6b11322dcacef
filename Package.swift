// swift-tools-version:6.0
import PackageDescription

// C libraries are reached through system-library targets (pkg-config finds the
// headers and libraries; a small shim header wraps the macros Swift cannot import).
let package = Package(
    name: "vcolor",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vcolor", targets: ["vcolor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "MPIShim", path: "Sources/MPIShim", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(
            name: "HDF5Shim", path: "Sources/HDF5Shim", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),

        // Tensors, layers with hand-written backward passes, the GAN, Adam.
        .target(name: "Net", dependencies: ["CBLAS"]),
        // A thin, serialised Swift layer over the HDF5 C API (shards and checkpoints).
        .target(name: "HDF5Kit", dependencies: ["HDF5Shim"]),
        // Decode (ffmpeg), CIELAB, scene cuts, HDF5 shards and the data-set index.
        .target(name: "DataPrep", dependencies: ["HDF5Kit"]),
        // Ranks, all-reduce, sampling, data loading, checkpoints, the trainer.
        .target(name: "Distributed", dependencies: ["Net", "DataPrep", "HDF5Kit", "MPIShim"]),
        // From a checkpoint to a coloured film: colorize, eval metrics, convert, quickstart.
        .target(name: "Colorize", dependencies: ["Net", "DataPrep", "Distributed", "HDF5Kit"]),
        .executableTarget(
            name: "vcolor",
            dependencies: [
                "Net", "DataPrep", "Distributed", "HDF5Kit", "Colorize",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Helpers the test targets share (and only they depend on): finding the
        // built `vcolor`, running a process with a deadline, mpirun, ffmpeg test media.
        .target(name: "TestSupport", path: "Tests/TestSupport"),

        .testTarget(name: "NetTests", dependencies: ["Net"], resources: [.copy("Fixtures")]),
        .testTarget(name: "HDF5KitTests", dependencies: ["HDF5Kit"]),
        .testTarget(name: "DataPrepTests", dependencies: ["DataPrep", "HDF5Kit", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Net", "DataPrep", "HDF5Kit", "TestSupport"]),
        .testTarget(name: "ColorizeTests", dependencies: ["Colorize", "Net", "DataPrep"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VcolorTests", dependencies: ["vcolor", "DataPrep", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
