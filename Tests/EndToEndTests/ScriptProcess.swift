import Foundation

/// A helper script from `Tests/Scripts` run with python3 (a fake server, a TLS proxy), its
/// first line of output read (where it listens), and killed when the value goes away.
final class ScriptProcess {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Scripts").path

  let process = Process()
  /// The last word of the script's first line (`listening on PORT` gives the port).
  let announced: String

  init(_ script: String, arguments: [String] = []) throws {
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", Self.directory + "/" + script] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let line = CLIProcess.readLines(output.fileHandleForReading, atLeast: 1).first ?? ""
    announced = line.split(separator: " ").last.map(String.init) ?? ""
  }

  deinit {
    // SIGKILL: a child of the test runner inherits its blocked signals, SIGTERM among them.
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }
}
