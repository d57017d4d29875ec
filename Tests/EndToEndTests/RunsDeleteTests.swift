import Foundation
import Testing
import TestSupport

/// `runs delete` keeps what it must, with the reason, and compaction reclaims the rest, on
/// the built binary (runs execute in real time).
@Suite struct RunsDeleteTests {
  @Test func runsDeleteKeepsPromotedRunsAndCompactionReclaimsTheRest() throws {
    let cli = CLIProcess(TemporaryDirectory("runs-delete"))
    for _ in 0..<3 { #expect(try cli.run(["runs", "demo", "--workflow", "ai-news"]).status == 0) }
    let ids = try cli.run(["runs", "list"]).stdout.split(separator: "\n").map(String.init)
    #expect(ids.count == 3)
    #expect(try cli.run(["runs", "promote", "--run-id", ids[1], "--version", "v1"]).status == 0)
    #expect(try cli.run(["runs", "delete", "--before", "1h"]).stdout.hasPrefix("would delete 0 runs"))
    let dry = try cli.run(["runs", "delete", "--before", "0s"])
    #expect(dry.status == 0)
    #expect(dry.stdout.contains("would delete 2 runs") && dry.stdout.contains("kept \(ids[1]): it was promoted as index version v1"), "\(dry.stdout)")
    #expect(try cli.run(["runs", "list"]).stdout.split(separator: "\n").count == 3, "a dry run deleted runs")
    let artifacts = try cli.run(["runs", "artifacts", "--run-id", ids[0], "-o", "json"]).stdout
    #expect(try cli.run(["runs", "delete", "--before", "0s", "--execute"]).status == 0)
    #expect(try cli.run(["runs", "list"]).stdout == ids[1] + "\n")
    #expect(try cli.run(["runs", "status", "--run-id", ids[0]]).status == 4)
    let compacted = try cli.run(["wal", "compact", "-o", "json"]).stdout
    #expect(compacted.contains(ids[0]) && compacted.contains(ids[2]) && !compacted.contains(ids[1]), "\(compacted)")
    #expect(try !cli.run(["wal", "dump", "-o", "ndjson"]).stdout.contains(ids[0]))
    #expect(try cli.run(["runs", "timeline", "--run-id", ids[1]]).status == 0)
    #expect(try cli.run(["wal", "verify"]).status == 0)
    // The kept run's artifacts are all still there (content-addressed: shared ones stay).
    #expect(!artifacts.isEmpty)
    #expect(try cli.run(["runs", "report", "--run-id", ids[1]]).status == 0)
  }
}
