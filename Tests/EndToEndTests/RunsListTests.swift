import Foundation
import Testing
import TestSupport
import WALFormat

/// `runs list` past DriftQ's 500, filtered, on both faces.
@Suite struct RunsListTests {
  /// 1200 runs, listed a page of 1100 and then the rest, filtered, alike on both faces.
  @Test func listingsPageBeyondFiveHundredOnBothFaces() throws {
    let dir = TemporaryDirectory("e2e-list")
    let cli = CLIProcess(dir)
    try WALFixtureBuilder.makeDirectory(at: cli.walDirectory, records: RunFixtures.finishedRuns(count: 1200), batch: 600)
    let server = try ServeProcess(cli)
    let url = ["--base-url", "http://127.0.0.1:\(server.port)"]
    for face in [[], url] {
      let first = try cli.run(face + ["runs", "list", "--limit", "1100"])
      #expect(first.status == 0 && first.lines.count == 1100, "\(face): \(first.stderr)")
      #expect(first.lines.first == "run-1199" && first.lines.last == "run-0100")
      #expect(first.stderr.contains("the next page is 'driftqctl runs list --after run-0100'"))
      let rest = try cli.run(face + ["runs", "list", "--limit", "1100", "--after", "run-0100"])
      #expect(rest.lines.count == 100 && rest.lines.last == "run-0000" && rest.stderr.isEmpty)
      let failed = try cli.run(face + ["runs", "list", "--limit", "1000", "--status", "failed", "--workflow", "wf-a"])
      #expect(failed.lines.count == 200 && failed.lines.first == "run-1194")
      let long = try cli.run(face + ["runs", "list", "--long", "--limit", "2", "--since", "2026-11-18T11:26:00Z"])
      #expect(long.lines.count == 3 && long.lines[0].hasPrefix("RUN_ID"), "\(long.stdout)")
      #expect(long.lines.dropFirst().first?.split(separator: " ").map(String.init) == ["run-1199", "succeeded", "wf-b", "2026-11-18T11:26:39", "100ms", "0", "0", "0", "-"])
      let json = try cli.run(face + ["runs", "list", "--limit", "1", "-o", "json"])
      #expect(json.stdout.contains(#""next_after":"run-1199""#) && json.stdout.contains(#""replays":0"#))
      #expect(try cli.run(face + ["runs", "list", "--after", "nope"]).status == 4)
    }
    // As of a point in the log, the runs then (the first run had only been created at LSN 1).
    #expect(try cli.run(["runs", "list", "--long", "--at", "1"]).lines.last?.split(separator: " ").prefix(2) == ["run-0000", "queued"])
    #expect(server.stop() == 0)
  }
}
