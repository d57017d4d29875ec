@testable import driftqctl
import Foundation
import Testing
import TestSupport

/// What the views say after a replay.
@Suite struct ReplayViewsTests {
  /// After a replay, what succeeded before still says so, and a reused output says `reused`
  /// in the status and step tables, not `succeeded 0s`.
  @Test func replayedRunsShowReuseAndKeepEarlierSuccesses() throws {
    let cli = try RunFixture()
    #expect(cli.run(["runs", "replay", "--run-id", "r", "--auto"]).status == 0)
    let status = cli.run(["runs", "status", "--run-id", "r"]).stdout
    #expect(status.contains("A\t1\tsucceeded\t") && status.contains("A\t2\treused\t"), "\(status)")
    #expect(!status.contains("canceled"))
    let step = cli.run(["runs", "step", "--run-id", "r", "--node-id", "B"]).stdout
    #expect(step.contains("\n1\tsucceeded\t") && step.contains("\n2\treused\t"), "\(step)")
    let json = cli.run(["runs", "step", "--run-id", "r", "--node-id", "B", "-o", "json"]).stdout
    #expect(json.contains(#""status":"succeeded""#) && json.contains(#""superseded":true"#) && json.contains(#""cached_attempt":1"#))
  }
}
