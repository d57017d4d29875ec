@testable import driftqctl
import Foundation
import Testing
import TestSupport

/// `runs timeline` in-process.
@Suite struct TimelineCommandTests {
  /// A run whose steps only failed has a timeline of its failures (it once answered exit 4,
  /// "couldn't find node_finished events").
  @Test func theTimelineOfARunThatOnlyFailed() throws {
    let cli = try RunFixture(#"{"id":"wf","nodes":[{"id":"A","run":"echo nope >&2; exit 3","retry":{"max_attempts":2}}]}"#)
    let timeline = cli.run(["runs", "timeline", "--run-id", "r"])
    #expect(timeline.status == 0, "\(timeline.stderr)")
    let lines = timeline.stdout.split(separator: "\n")
    #expect(lines.count == 4)
    #expect(lines[1].hasPrefix("1\tA\tfalse\t0\t0\t") && lines[1].hasSuffix("\tfailed\t\(lines[1].split(separator: "\t")[10])\t0\t0\texit status 3: nope; retried as attempt 2"))
    #expect(lines[2].contains("\tfailed\t") && lines[2].hasSuffix("\texit status 3: nope"))
    #expect(lines[3].hasPrefix("run r failed after ") && lines[3].hasSuffix(": step A failed; attempts=2 tokens=0 dollars=0 saved_dollars=0"))
    let json = cli.run(["runs", "timeline", "--run-id", "r", "-o", "json"]).stdout
    #expect(json.hasPrefix(#"{"rows":[{"attempt":1,"step":"A""#) && json.contains(#""run":{"run_id":"r","status":"failed""#))
  }
}
