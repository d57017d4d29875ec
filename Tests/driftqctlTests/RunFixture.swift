@testable import driftqctl
import Foundation
import TestSupport

/// A directory with run `r` of `spec`, run to its end; the directory lives as long as this.
struct RunFixture {
  let directory = TemporaryDirectory("runs-cmd")
  let cli: TestCLI

  init(_ spec: String = #"{"id":"wf","nodes":[{"id":"A","topic":"noop"},{"id":"B","topic":"noop","deps":["A"]}]}"#) throws {
    let path = directory.appending("wf.json")
    try Data(spec.utf8).write(to: URL(fileURLWithPath: path))
    cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": directory.appending("d")])
    _ = cli.run(["runs", "start", "--workflow", path, "--run-id", "r"])
  }

  /// Runs a command on the directory (using the fixture keeps the directory alive).
  func run(_ arguments: [String]) -> (status: Int32, stdout: String, stderr: String) { cli.run(arguments) }
}
