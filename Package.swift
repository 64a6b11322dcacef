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
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // ONNX models and TensorBoard event files are protobuf: the messages are generated once
        // from the published schemas by tools/generate-protos.sh (no protoc plugin in the build).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
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
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev"])]),
        .systemLibrary(
            name: "CDeflate", path: "Sources/CDeflate", pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]),

        // Durable files: atomic replace (temporary name, fsync, rename), directories, errors in words;
        // the scalar-escaping loop that HTML and JSON text written to files share.
        .target(name: "Storage"),
        // What goes to stderr: the one log handler (swift-log) and the one progress line.
        .target(name: "Console", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // Colour maths (CIELAB, lab8, network normalisation), RGB images, PNG, quality metrics.
        .target(name: "Imaging", dependencies: ["Storage", "CZlib"]),
        // ffmpeg (decoding, encoding) and libavformat (probing): tool lookup, frame reader and writer, media paths, scene cuts.
        .target(name: "Media", dependencies: ["Storage", "CFFmpeg"]),
        // Compute only: tensors, layers with hand-written backward passes, the GAN, Adam.
        .target(name: "Net", dependencies: ["CBLAS"]),
        // A thin, serialised Swift layer over the HDF5 C API (shards and checkpoints).
        .target(name: "HDF5Kit", dependencies: ["HDF5Shim", "CDeflate"]),
        // Decode (ffmpeg), scene cuts, HDF5 shards and the data-set index.
        .target(name: "DataPrep", dependencies: ["HDF5Kit", "Imaging", "Media", "Storage", "Console", "Net"]),
        // Model files: checkpoints, safetensors, ONNX, the model loader, convert. No MPI.
        .target(name: "ModelFiles", dependencies: ["Net", "HDF5Kit", "Storage",
                                                   .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // TensorBoard event files: a run's metrics, sample strips and configuration for TensorBoard.
        .target(name: "TensorBoard", dependencies: ["Storage", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // Data-parallel training: ranks and collectives (MPI/), sampling and loading (Data/), the trainer.
        .target(name: "Distributed", dependencies: ["Net", "DataPrep", "ModelFiles", "Imaging", "Media", "MPIShim", "Console", "Storage", "TensorBoard"]),
        // From a model file to a coloured film: colorize, eval, quickstart. No MPI.
        .target(name: "Colorize", dependencies: ["Net", "DataPrep", "ModelFiles", "Imaging", "Media", "Storage", "Console"]),
        .executableTarget(
            name: "vcolor",
            dependencies: [
                "Net", "DataPrep", "Distributed", "ModelFiles", "Colorize", "Console", "Media", "Storage", "TensorBoard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Helpers the test targets share (and only they depend on): finding the
        // built `vcolor`, running a process with a deadline, mpirun, ffmpeg test
        // media, a scratch directory per test, fixtures shared across targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // Files made for reader and trainer tests: a tiny data set written
        // straight to HDF5, seeded byte damage and the fuzz loop that runs
        // `vcolor` on it. Apart from TestSupport so tests that need neither
        // HDF5 nor Net do not link them.
        .target(name: "TestFiles", dependencies: ["HDF5Kit", "Net", "TestSupport"], path: "Tests/TestFiles"),

        // One test target per code target, each depending on what it tests and
        // little else; only DistributedTests (and VcolorTests, through the
        // executable) links MPI.
        .testTarget(name: "StorageTests", dependencies: ["Storage"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MediaTests", dependencies: ["Media", "TestSupport"]),
        .testTarget(name: "NetTests", dependencies: ["Net", "ModelFiles"], resources: [.copy("Fixtures")]),
        .testTarget(name: "HDF5KitTests", dependencies: ["HDF5Kit", "TestSupport"]),
        .testTarget(name: "DataPrepTests", dependencies: ["DataPrep", "Media", "Imaging", "HDF5Kit", "Net", "TestSupport", "TestFiles"]),
        .testTarget(name: "ModelFilesTests", dependencies: ["ModelFiles", "Net", "HDF5Kit", "TestSupport", "TestFiles"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Console", "ModelFiles", "Imaging", "Net", "DataPrep", "HDF5Kit", "TestSupport", "TestFiles"]),
        // Its Fixtures are read from the source tree (TestSupport.colorizeFixture): the model-file and CLI tests share them.
        .testTarget(name: "ColorizeTests", dependencies: ["Colorize", "Media", "ModelFiles", "Imaging", "Net", "DataPrep", "TestSupport"],
                    exclude: ["Fixtures"]),
        // The ONNX export and TensorBoard event files (ONNX Runtime, tbparse: tools/setup-export-venv.sh).
        .testTarget(name: "ExportTests", dependencies: ["ModelFiles", "Net", "TensorBoard", "Storage", "Imaging", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "VcolorTests", dependencies: ["vcolor", "DataPrep", "TestSupport", "TestFiles"]),
    ],
    swiftLanguageModes: [.v5]
)
