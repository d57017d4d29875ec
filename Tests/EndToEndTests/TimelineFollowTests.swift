import Foundation
import Testing
import TestSupport

/// `runs timeline --follow` through the real binary.
@Suite struct TimelineFollowTests {
  /// `--follow` on a run that fails prints its failed attempts and the run's line, and exits
  /// 1 (it once printed only the header and exited 0); on one that succeeds, 0.
  @Test func followingARunEndsWithItsOutcome() throws {
    let dir = TemporaryDirectory("e2e-follow")
    let cli = CLIProcess(dir)
    let failing = dir.write(#"{"id":"wf","nodes":[{"id":"a","run":"sleep 0.3; echo oops >&2; exit 3","retry":{"max_attempts":2}}]}"#, to: "spec.json")
    #expect(try cli.run(["runs", "start", "--workflow", failing, "--run-id", "bad", "--detach"]).status == 0)
    let followed = try cli.run(["runs", "timeline", "--run-id", "bad", "--follow"])
    #expect(followed.status == 1, "\(followed.stdout)\(followed.stderr)")
    let failed = followed.lines.filter { $0.contains("\tfailed\t") }
    #expect(failed.count == 2 && failed.allSatisfy { $0.contains("exit status 3: oops") }, "\(followed.stdout)")
    #expect(followed.lines.last?.hasPrefix("run bad failed after ") == true)
    let json = try cli.run(["runs", "timeline", "--run-id", "bad", "--follow", "-o", "json"])
    #expect(json.status == 1 && json.stdout.contains(#""run":{"run_id":"bad","status":"failed""#))

    let fine = dir.write(#"{"id":"wf","nodes":[{"id":"a","run":"sleep 0.2; echo 1"}]}"#, to: "ok.json")
    #expect(try cli.run(["runs", "start", "--workflow", fine, "--run-id", "good", "--detach"]).status == 0)
    let good = try cli.run(["runs", "timeline", "--run-id", "good", "--follow"])
    #expect(good.status == 0 && good.lines.contains { $0.hasPrefix("1\ta\tfalse\t") && $0.contains("\tsucceeded\t") })
  }
}
