@testable import driftqctl
import WALFormat

/// Runs commands in-process with captured streams and a fixed clock.
struct TestCLI {
  var environment: [String: String] = [:]
  var now = WALTimestamp(nanoseconds: 1_795_273_697_000_000_000)

  func run(_ arguments: [String], input: String = "") -> (status: Int32, stdout: String, stderr: String) {
    let context = CommandContext(
      stdout: OutputStream(), stderr: OutputStream(), environment: environment,
      stdin: LineReader(text: input), clock: { [now] in now })
    let status = CLI.run(arguments, in: context)
    context.stdout.flush()
    context.stderr.flush()
    return (status.rawValue, context.stdout.capturedText, context.stderr.capturedText)
  }
}

/// The package root, found from this file's path.
let packageRoot: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)  // Tests/driftqctlTests/<file>
  return parts.joined(separator: "/")
}()
