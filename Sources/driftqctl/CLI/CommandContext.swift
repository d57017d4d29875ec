#if canImport(Glibc)
import Glibc
#endif
import WALFormat

/// Everything a command may touch of the world, injected so commands run in tests without a
/// process: streams, environment, standard input, clock.
final class CommandContext: @unchecked Sendable {
  // Invariant: a context serves one command run at a time.
  let stdout: OutputStream
  let stderr: OutputStream
  let environment: [String: String]
  let stdin: LineReader
  let clock: () -> WALTimestamp
  /// The format errors are also printed in (`-o json|ndjson`: a JSON line after the text);
  /// set once from the command line before the command runs.
  var errorFormat: OutputFormat = .text

  init(stdout: OutputStream, stderr: OutputStream, environment: [String: String], stdin: LineReader, clock: @escaping () -> WALTimestamp = WALTimestamp.now) {
    self.stdout = stdout
    self.stderr = stderr
    self.environment = environment
    self.stdin = stdin
    self.clock = clock
  }

  /// The real process: fds 0, 1 and 2, the real environment and clock.
  static func live() -> CommandContext {
    var environment: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
      let text = String(cString: entry)
      if let eq = text.firstIndex(of: "=") {
        environment[String(text[..<eq])] = String(text[text.index(after: eq)...])
      }
      pointer += 1
    }
    return CommandContext(
      stdout: OutputStream(fd: 1), stderr: OutputStream(fd: 2), environment: environment,
      stdin: LineReader(fd: 0))
  }

  /// Prints `driftqctl: warning: …` on stderr.
  func warn(_ message: String) {
    stderr.line("driftqctl: warning: " + message)
    stderr.flush()
  }

  func note(_ message: String) {
    stderr.line("driftqctl: " + message)
    stderr.flush()
  }
}
