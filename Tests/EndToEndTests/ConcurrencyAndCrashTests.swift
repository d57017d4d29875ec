import Foundation
import Testing
import TestSupport

/// Several processes on one directory, and a writer killed mid-stream.
@Suite struct ConcurrencyAndCrashTests {
  /// Two consumer processes of one group race for the same messages: every message is leased
  /// to exactly one of them.
  @Test func twoConsumerProcessesNeverHoldTheSameMessage() throws {
    let dir = TemporaryDirectory("e2e-two")
    let cli = CLIProcess(dir)
    try cli.run(["topics", "create", "--name", "t", "--partitions", "4"])
    let input = (0..<3000).map { #"{"key":"k\#($0)","value":"v\#($0)"}"# }.joined(separator: "\n") + "\n"
    #expect(try cli.run(["publish", "--topic", "t", "--batch"], input: input).status == 0)
    let consumers = try ["alice", "bob"].map { owner in
      try cli.start(["consume", "--topic", "t", "--group", "g", "--owner", owner, "--lease-ms", "600000", "--max", "3000", "--max-inflight", "0"])
    }
    var seen: [String: String] = [:]
    var duplicates: [String] = []
    for ((process, stdin, stdout), owner) in zip(consumers, ["alice", "bob"]) {
      try stdin.close()
      let text = String(decoding: stdout.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      #expect(process.terminationStatus == 0)
      for line in text.split(separator: "\n") {
        let place = line.split(separator: ",").prefix(2).joined(separator: ",")
        if let other = seen[place] { duplicates.append("\(place) by \(other) and \(owner)") }
        seen[place] = owner
      }
    }
    #expect(duplicates.isEmpty, "\(duplicates.prefix(5))")
    #expect(seen.count == 3000)
  }

  /// `publish --batch` is killed with SIGKILL while streaming: every message it reported as
  /// written is in the log afterwards, and `wal verify` exits 0.
  @Test func killedBatchPublishLosesNothingItAcknowledged() throws {
    let dir = TemporaryDirectory("e2e-kill")
    let cli = CLIProcess(dir)
    try cli.run(["topics", "create", "--name", "t", "--partitions", "2"])
    // Writing to the killed process's stdin must fail with EPIPE, not kill the test runner.
    signal(SIGPIPE, SIG_IGN)
    let (process, stdin, stdout) = try cli.start(["publish", "--topic", "t", "--batch", "--segment-size", "64KiB", "-o", "ndjson"])
    let writer = Thread {
      var i = 0
      while true {
        let chunk = (0..<200).map { n in #"{"key":"k\#(i + n)","value":"value-\#(i + n)-\#(String(repeating: "x", count: 100))"}"# }.joined(separator: "\n") + "\n"
        do { try stdin.write(contentsOf: Data(chunk.utf8)) } catch { return }
        i += 200
      }
    }
    writer.start()
    // Only whole lines count as acknowledged; a line cut by the kill was never complete.
    let lines = CLIProcess.readLines(stdout, atLeast: 5000)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal)
    #expect(lines.count >= 5000)
    let verify = try cli.run(["wal", "verify"])
    #expect(verify.status == 0, "\(verify.stdout)")
    let dumped = Set(try cli.run(["wal", "dump", "--kind", "message_published"]).lines.map { line -> String in
      let parts = line.components(separatedBy: "\"partition\":")[1].components(separatedBy: ",\"key\"")[0]
      return parts
    })
    var missing: [String] = []
    for line in lines {
      let place = line.components(separatedBy: "\"partition\":")[1].dropLast()
      if !dumped.contains(String(place)) { missing.append(String(place)) }
    }
    #expect(missing.isEmpty, "acknowledged but missing: \(missing.prefix(5))")
    // A new writer recovers whatever tail the kill left and continues.
    #expect(try cli.run(["publish", "--topic", "t", "--value", "after"]).status == 0)
    #expect(try cli.run(["wal", "verify"]).status == 0)
  }
}
