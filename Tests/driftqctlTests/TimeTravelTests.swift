@testable import driftqctl
import Testing
import TestSupport
import WALFormat

/// `--at`: an answer as of a point in the log equals the answer given at that point.
@Suite struct TimeTravelTests {
  /// The views `--at` serves, as JSON (text for the tables).
  static let views: [[String]] = [
    ["topics", "list", "-o", "json"], ["topics", "lag", "--group", "g", "-o", "json"], ["groups", "describe", "--group", "g", "--topic", "t"],
    ["dlq", "list", "--topic", "t", "-o", "json"], ["runs", "list"],
  ]

  @Test func answersAsOfAnyPointEqualTheAnswersGivenThen() throws {
    let seed = TestSeed.current
    var random = SeededRandom(seed: seed)
    let directory = TemporaryDirectory("time-travel")
    var cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": directory.appending("d")])
    #expect(cli.run(["topics", "create", "--name", "t", "--partitions", "2"]).status == 0)
    var snapshots: [(lsn: String, time: WALTimestamp, answers: [String])] = []
    var offsets: [(Int, Int)] = []
    for step in 0..<30 {
      cli.now = cli.now.adding(milliseconds: 1000)
      switch Int.random(in: 0..<4, using: &random) {
      case 0, 1:
        _ = cli.run(["publish", "--topic", "t", "--key", "k\(step)", "--value", "v\(step)", "--retry-max-attempts", "1"])
      case 2:
        let out = cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "w", "--max", "1", "--lease-ms", "600000"]).stdout
        if let p = Int(out.split(separator: ",").first?.split(separator: ":").last ?? ""),
          let o = Int(out.split(separator: ",").dropFirst().first?.split(separator: ":").last ?? "") { offsets.append((p, o)) }
      default:
        guard !offsets.isEmpty else { continue }
        let (p, o) = offsets.removeFirst()
        _ = cli.run([Bool.random(using: &random) ? "ack" : "nack", "--topic", "t", "--group", "g", "--owner", "w", "--partition", String(p), "--offset", String(o)])
      }
      let inspect = cli.run(["wal", "inspect", "-o", "json"]).stdout
      let lsn = inspect.split(separator: "\"last_lsn\":").dropFirst().first?.prefix { $0.isNumber } ?? ""
      // A step that wrote nothing leaves the LSN where it was; the answer "as of" an LSN is
      // the answer at the moment it was written, so only those moments are kept.
      guard String(lsn) != snapshots.last?.lsn else { continue }
      snapshots.append((String(lsn), cli.now, Self.views.map { cli.run($0).stdout }))
    }
    cli.now = cli.now.adding(milliseconds: 60_000)
    for snapshot in snapshots {
      for (view, answer) in zip(Self.views, snapshot.answers) {
        #expect(cli.run(view + ["--at", snapshot.lsn]).stdout == answer, "seed \(seed): \(view.joined(separator: " ")) --at \(snapshot.lsn)")
        #expect(cli.run(view + ["--at", "@" + RFC3339.format(snapshot.time)]).stdout == answer, "seed \(seed): \(view.joined(separator: " ")) at \(snapshot.time)")
      }
    }
    // @-DURATION counts back from now: 61 s ago is the last snapshot.
    if let last = snapshots.last { #expect(cli.run(Self.views[0] + ["--at", "@-60s"]).stdout == last.answers[0]) }
  }

  @Test func atIsReadOnlyAndLocal() {
    let directory = TemporaryDirectory("time-travel-refuse")
    let cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": directory.appending("d")])
    #expect(cli.run(["topics", "create", "--name", "t"]).status == 0)
    #expect(cli.run(["topics", "list", "--at", "1", "--base-url", "http://127.0.0.1:1"]).status == 2)
    #expect(cli.run(["runs", "timeline", "--run-id", "r", "--follow", "--at", "1"]).status == 2)
    #expect(cli.run(["topics", "list", "--at", "@yesterday"]).status == 2)
    #expect(cli.run(["topics", "list", "--at", "0"]).stdout == "(no topics)\n")
  }
}
