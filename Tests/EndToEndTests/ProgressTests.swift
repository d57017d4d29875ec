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
}
