@testable import driftqctl
import Foundation
import Testing
import TestSupport

/// Views as of a point in the log say what stood then, and what they count over the whole log.
@Suite struct AsOfRunViewsTests {
  /// The LSN of the first event of `type` for run r.
  func lsn(_ cli: RunFixture, of type: String) -> String? {
    cli.run(["wal", "dump", "--kind", "run_event"]).stdout.split(separator: "\n").first { $0.contains("\"type\":\"\(type)\"") }
      .flatMap { $0.split(separator: ",").first?.split(separator: ":").last.map(String.init) }
  }

  /// As of a point where the run was running, it shows as running: whether a process holds
  /// its lock now says nothing about then (it once showed `interrupted`).
  @Test func statusAsOfAPastPointShowsARunningRunAsRunning() throws {
    let cli = try RunFixture()
    let started = try #require(lsn(cli, of: "node_started"))
    #expect(cli.run(["runs", "status", "--run-id", "r", "--at", started]).stdout.hasPrefix("run_id=r workflow_id=wf status=running\n"))
    #expect(cli.run(["runs", "status", "--run-id", "r", "--at", started, "-o", "json"]).stdout.contains(#""status":"running""#))
    #expect(cli.run(["runs", "status", "--run-id", "r"]).stdout.hasPrefix("run_id=r workflow_id=wf status=succeeded\n"))
  }

  @Test func walInspectAtSaysWhichCountsAreOfThePast() throws {
    let cli = try RunFixture()
    let text = cli.run(["wal", "inspect", "--at", "2"]).stdout
    #expect(text.contains("as of      LSN 2: the topics and groups below; segments, records, times and kinds are the whole log"))
    #expect(cli.run(["wal", "inspect", "--at", "2", "-o", "json"]).stdout.contains(#""state_as_of":{"lsn":2}"#))
    #expect(!cli.run(["wal", "inspect"]).stdout.contains("as of"))
  }
}
