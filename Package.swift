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
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),

        // Durable files: atomic replace (temporary name, fsync, rename), directories, errors in words.
        .target(name: "Storage"),
        // Colour maths (CIELAB, lab8, network normalisation), RGB images, PNG, quality metrics.
        .target(name: "Imaging", dependencies: ["Storage", "CZlib"]),
        // Compute only: tensors, layers with hand-written backward passes, the GAN, Adam.
        .target(name: "Net", dependencies: ["CBLAS"]),
        // A thin, serialised Swift layer over the HDF5 C API (shards and checkpoints).
        .target(name: "HDF5Kit", dependencies: ["HDF5Shim"]),
        // Decode (ffmpeg), scene cuts, HDF5 shards and the data-set index.
        .target(name: "DataPrep", dependencies: ["HDF5Kit", "Imaging", "Storage"]),
        // Model files: checkpoints, safetensors, the model loader, convert. No MPI.
        .target(name: "ModelFiles", dependencies: ["Net", "HDF5Kit", "Storage"]),
        // Data-parallel training: ranks and collectives (MPI/), sampling and loading (Data/), the trainer.
        .target(name: "Distributed", dependencies: ["Net", "DataPrep", "ModelFiles", "Imaging", "HDF5Kit", "MPIShim", "Storage"]),
        // From a model file to a coloured film: colorize, eval, quickstart. No MPI.
        .target(name: "Colorize", dependencies: ["Net", "DataPrep", "ModelFiles", "Imaging", "Storage", "HDF5Kit"]),
        .executableTarget(
            name: "vcolor",
            dependencies: [
                "Net", "DataPrep", "Distributed", "ModelFiles", "Imaging", "HDF5Kit", "Colorize", "CBLAS", "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .testTarget(name: "NetTests", dependencies: ["Net", "ModelFiles"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DataPrepTests", dependencies: ["DataPrep", "Imaging", "HDF5Kit"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "ModelFiles", "Imaging", "Net", "DataPrep", "HDF5Kit"]),
        .testTarget(name: "ColorizeTests", dependencies: ["Colorize", "ModelFiles", "Imaging", "Net", "DataPrep"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VcolorTests", dependencies: ["vcolor", "DataPrep"]),
    ],
    swiftLanguageModes: [.v5]
)
