import Foundation
import Testing
import TestSupport

/// Long commands show progress on stderr at a terminal, and never a byte of it otherwise.
@Suite struct ProgressTests {
  /// What `arguments` print when run at a terminal (Tests/Scripts/on-a-terminal.py).
  func atATerminal(_ cli: CLIProcess, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", ScriptProcess.directory + "/on-a-terminal.py", CLIProcess.binary] + cli.face(arguments)
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }

  @Test func verifyPublishAndRedriveShowProgressAtATerminalOnly() throws {
    let cli = CLIProcess(TemporaryDirectory("progress"))
    try cli.run(["topics", "create", "--name", "t", "--partitions", "1"])
    let input = (0..<2000).map { #"{"value":"\#($0)"}"# }.joined(separator: "\n") + "\n"
    let piped = try cli.run(["--segment-size", "16KiB", "publish", "--batch", "--topic", "t", "--group-size", "100"], input: input)
    #expect(piped.status == 0 && piped.stderr.isEmpty)
    let verified = try cli.run(["wal", "verify"])
    #expect(verified.status == 0 && !verified.stderr.contains("verifying"))

    let shown = try atATerminal(cli, ["wal", "verify"])
    #expect(shown.contains("\u{1B}[Kverifying: ") && shown.contains("/s"), "\(shown.debugDescription)")
    // The line is cleared before the answer.
    #expect(shown.contains("\r\u{1B}[Kchecked "), "\(shown.debugDescription)")
  }

  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/driftq-core").path

  @Test func importShowsProgressAtATerminalOnly() throws {
    let source = Self.fixtures + "/wal2-sample-300msgs.wal"
    let piped = CLIProcess(TemporaryDirectory("progress-import-piped"))
    let imported = try piped.run(["wal", "import", "--from", source])
    #expect(imported.status == 0, "\(imported.stderr)")
    #expect(!imported.stderr.contains("reading ") && !imported.stderr.contains("\u{1B}["), "\(imported.stderr.debugDescription)")

    let cli = CLIProcess(TemporaryDirectory("progress-import"))
    let shown = try atATerminal(cli, ["wal", "import", "--from", source])
    #expect(shown.contains("\u{1B}[Kreading wal2-sample-300msgs.wal: ") && shown.contains("/s"), "\(shown.debugDescription)")
    #expect(shown.contains("\u{1B}[Kcomparing messages: "), "\(shown.debugDescription)")
    #expect(shown.contains("\r\u{1B}[Kimported "), "\(shown.debugDescription)")
    #expect(try cli.run(["wal", "verify"]).status == 0)
  }

  @Test func checkpointShowsProgressAtATerminalOnly() throws {
    let cli = CLIProcess(TemporaryDirectory("progress-checkpoint"))
    try cli.run(["topics", "create", "--name", "t", "--partitions", "2"])
    let input = (0..<500).map { #"{"key":"k\#($0)","value":"\#($0)"}"# }.joined(separator: "\n") + "\n"
    #expect(try cli.run(["publish", "--batch", "--topic", "t"], input: input).status == 0)
    let piped = try cli.run(["wal", "checkpoint"])
    #expect(piped.status == 0 && piped.stdout.hasPrefix("checkpoint "), "\(piped.stdout) \(piped.stderr)")
    #expect(!piped.stderr.contains("\u{1B}["), "\(piped.stderr.debugDescription)")

    try cli.run(["publish", "--batch", "--topic", "t"], input: input)
    let shown = try atATerminal(cli, ["wal", "checkpoint"])
    #expect(shown.contains("\u{1B}[Kfolding the log: ") && shown.contains("/s"), "\(shown.debugDescription)")
    #expect(shown.contains("\u{1B}[Kstoring message rows: "), "\(shown.debugDescription)")
    #expect(shown.contains("\r\u{1B}[Kcheckpoint "), "\(shown.debugDescription)")
  }
}
