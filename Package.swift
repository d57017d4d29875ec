// swift-tools-version: 6.1
// driftqctl: a command-line toolkit for DriftQ, the durable broker and replayable workflow
// runtime. One binary; every command works on a local WAL directory or over HTTP.
import PackageDescription

let package = Package(
  name: "driftq",
  products: [.executable(name: "driftqctl", targets: ["driftqctl"])],
  dependencies: [],  // policy: toolchain only (stdlib, Foundation, Dispatch, Glibc, Testing)
  targets: [
    // Small C helpers: hardware CRC32C, SHA-256, flock(2) and a signal-safe stop flag.
    .target(name: "CDriftQ"),
    // Bytes on disk: frames, checksums, segments, reader/writer, lock, recovery rules.
    .target(name: "WALFormat", dependencies: ["CDriftQ"]),
    // Records -> state: event codec, broker state as a pure fold, decisions.
    .target(name: "ReplayEngine", dependencies: ["WALFormat"]),
    // The CLI: parsing, help, output, local backend.
    .executableTarget(name: "driftqctl", dependencies: ["ReplayEngine", "WALFormat", "CDriftQ"]),

    // Shared test helpers: temporary directories, seeded randomness, fixtures.
    .target(name: "TestSupport", dependencies: ["WALFormat"], path: "Tests/TestSupport"),
    .testTarget(name: "WALFormatTests", dependencies: ["WALFormat", "TestSupport"]),
    .testTarget(name: "ReplayEngineTests", dependencies: ["ReplayEngine", "TestSupport"]),
    .testTarget(name: "driftqctlTests", dependencies: ["driftqctl", "TestSupport"]),
    // Runs the built driftqctl binary as a separate process.
    .testTarget(name: "EndToEndTests", dependencies: ["TestSupport"]),
  ],
  swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system && target.name != "CDriftQ" {
  var settings = target.swiftSettings ?? []
  settings.append(.enableUpcomingFeature("ExistentialAny"))
  settings.append(.enableUpcomingFeature("MemberImportVisibility"))
  target.swiftSettings = settings
}
