import Foundation

/// The repository's root in the source tree (this file is Tests/TestSupport/Fixtures.swift):
/// tests that check the docs and scripts read them from here.
public let repositoryDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// A file of the PyTorch-made colorize fixture (tools/make_colorize_fixture.py):
/// tiny models and their expected outputs, which the colorize, model-file and
/// CLI tests share, read from Tests/ColorizeTests/Fixtures/colorize in the source tree.
public func colorizeFixture(_ name: String) -> String {
    sharedFixture("ColorizeTests", "colorize/" + name).path
}

/// Tests/TARGET/Fixtures/PATH: a fixture of one test target that another one reads too.
public func sharedFixture(_ target: String, _ path: String) -> URL {
    repositoryDirectory.appendingPathComponent("Tests").appendingPathComponent(target)
        .appendingPathComponent("Fixtures").appendingPathComponent(path)
}
