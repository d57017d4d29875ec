import Foundation
import TestSupport

/// Runs the built `driftqctl` as a real process, the way users and scripts do.
struct CLIProcess {
  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
  }

  /// The binary next to the test bundle (SwiftPM builds it with the tests), or $DRIFTQCTL_BIN.
  static let binary: String = {
    if let path = ProcessInfo.processInfo.environment["DRIFTQCTL_BIN"] { return path }
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    if directory.pathExtension == "xctest" { directory.deleteLastPathComponent() }
    return directory.appendingPathComponent("driftqctl").path
  }()

  let walDirectory: String
  /// XDG_CONFIG_HOME of every process run: profiles stay in the test's directory, never the
  /// user's (a test's `environment` may name another).
  let configDirectory: String
  /// Kept so the directory lives as long as the runner.
  private let scratch: TemporaryDirectory

  init(_ directory: TemporaryDirectory) {
    scratch = directory
    walDirectory = directory.appending("data")
    configDirectory = directory.appending("config")
  }

  /// The process environment: ours without DRIFTQ_* variables, the test's config directory,
  /// then `extra`.
  func environment(_ extra: [String: String]) -> [String: String] {
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DRIFTQ_") }
    env["XDG_CONFIG_HOME"] = configDirectory
    env.merge(extra) { $1 }
    return env
  }

  /// The face: `--wal-dir DIR` unless the arguments name a server (both is a usage error) or
  /// a directory (or DriftQ-Core file) of their own.
  func face(_ arguments: [String]) -> [String] {
    let named = arguments.contains { $0 == "--base-url" || $0.hasPrefix("--base-url=") || $0 == "--wal-dir" || $0.hasPrefix("--wal-dir=") }
    return named ? arguments : ["--wal-dir", walDirectory] + arguments
  }

  /// Runs `driftqctl --wal-dir DIR args…` to completion with `input` on stdin (without
  /// `--wal-dir DIR` when `namingDirectory` is false: the face comes from elsewhere).
  @discardableResult
  func run(_ arguments: [String], input: String = "", environment: [String: String] = [:], namingDirectory: Bool = true) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.binary)
    process.arguments = namingDirectory ? face(arguments) : arguments
    process.environment = self.environment(environment)
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("driftq-io-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let inPath = scratch.appendingPathComponent("in"), outPath = scratch.appendingPathComponent("out"), errPath = scratch.appendingPathComponent("err")
    try Data(input.utf8).write(to: inPath)
    _ = FileManager.default.createFile(atPath: outPath.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath.path, contents: nil)
    process.standardInput = try FileHandle(forReadingFrom: inPath)
    process.standardOutput = try FileHandle(forWritingTo: outPath)
    process.standardError = try FileHandle(forWritingTo: errPath)
    try process.run()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus,
      stdout: String(decoding: try Data(contentsOf: outPath), as: UTF8.self),
      stderr: String(decoding: try Data(contentsOf: errPath), as: UTF8.self))
  }

  /// Reads `stream` until it has given at least `count` complete lines (or ends); returns them.
  static func readLines(_ stream: FileHandle, atLeast count: Int) -> [String] {
    var text = ""
    while text.split(separator: "\n", omittingEmptySubsequences: false).count <= count {
      let data = stream.availableData
      if data.isEmpty { break }
      text += String(decoding: data, as: UTF8.self)
    }
    return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
  }

  /// Starts `driftqctl` with pipes, for tests that stream or kill it.
  func start(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, stdin: FileHandle, stdout: FileHandle) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.binary)
    process.arguments = face(arguments)
    process.environment = self.environment(environment)
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    return (process, input.fileHandleForWriting, output.fileHandleForReading)
  }
}
