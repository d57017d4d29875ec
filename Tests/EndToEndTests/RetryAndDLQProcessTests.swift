import Foundation
import Testing
import TestSupport

/// Retries, DLQ redrive and idempotency across real processes.
@Suite struct RetryAndDLQProcessTests {
  @Test func theMoneyDemoRunsWithShellCommandsOnly() throws {
    let dir = TemporaryDirectory("e2e-money")
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Scripts/money-demo.sh").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [script, CLIProcess.binary, dir.appending("data")]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(text)")
    #expect(text.contains("money demo: ok"))
  }

  /// Backoff is kept in the log: a new process waits out the backoff a previous one started.
  @Test func backoffSurvivesARestart() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-backoff"))
    try cli.run(["topics", "create", "--name", "t"])
    try cli.run(["publish", "--topic", "t", "--value", "v", "--retry-backoff-ms", "600"])
    try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "a"])
    try cli.run(["nack", "--topic", "t", "--group", "g", "--owner", "a", "--partition", "0", "--offset", "0"])
    let started = Date()
    #expect(try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "a"]).stdout.isEmpty)
    let waited = try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "b", "--follow", "--max", "1", "--wait", "20s"])
    #expect(waited.stdout.contains(#""attempts":2"#))
    #expect(Date().timeIntervalSince(started) >= 0.5)
  }

  /// Two processes publish the same idempotency key at once: one message.
  @Test func concurrentIdempotentPublishesWriteOneMessage() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-idem"))
    try cli.run(["topics", "create", "--name", "t", "--partitions", "3"])
    var processes: [(Process, FileHandle, FileHandle)] = []
    for key in 0..<8 {
      for _ in 0..<2 {
        processes.append(try cli.start(["publish", "--topic", "t", "--idempotency-key", "key-\(key)", "--value", "v\(key)", "-o", "json"]))
      }
    }
    var duplicates = 0
    for (process, stdin, stdout) in processes {
      try stdin.close()
      let line = String(decoding: stdout.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      #expect(process.terminationStatus == 0)
      if line.contains("\"duplicate\":true") { duplicates += 1 }
    }
    #expect(duplicates == 8)
    #expect(try cli.run(["wal", "dump", "--kind", "message_published"]).lines.count == 8)
  }

  /// `dlq redrive` is killed half-way and run again: every DLQ message is redriven once.
  @Test func aKilledRedriveResumesWithoutSendingTwice() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-redrive"))
    try cli.run(["topics", "create", "--name", "t", "--partitions", "2"])
    let input = (0..<150).map { #"{"key":"k\#($0)","value":"v\#($0)","envelope":{"retry_policy":{"max_attempts":1}}}"# }.joined(separator: "\n")
    try cli.run(["publish", "--topic", "t", "--batch"], input: input)
    let items = try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "w", "--max-inflight", "0"]).stdout
    #expect(try cli.run(["nack", "--batch", "--topic", "t", "--group", "g", "--owner", "w"], input: items).stdout == "nacked=150 failed=0\n")
    signal(SIGPIPE, SIG_IGN)
    let (process, stdin, stdout) = try cli.start(["dlq", "redrive", "--topic", "t", "--rate", "300/s", "-o", "ndjson"])
    try stdin.close()
    #expect(CLIProcess.readLines(stdout, atLeast: 30).count >= 30)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    let rest = try cli.run(["dlq", "redrive", "--topic", "t"])
    #expect(rest.status == 0)
    #expect(rest.stdout.hasSuffix("remaining=0\n"), "\(rest.stdout)")
    let redriven = try cli.run(["wal", "dump", "--kind", "message_redriven"]).lines
    #expect(redriven.count == 150)
    let sources = Set(redriven.map { $0.components(separatedBy: "\"from\":")[1].components(separatedBy: "}")[0] })
    #expect(sources.count == 150)
    #expect(try cli.run(["dlq", "redrive", "--topic", "t"]).stdout == "redriven=0 skipped=150 remaining=0\n")
    #expect(try cli.run(["wal", "verify"]).status == 0)
  }

  @Test func producerLimitsRefuseWithExitFive() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-limits"))
    try cli.run(["topics", "create", "--name", "t", "--max-buffered-msgs", "2"])
    try cli.run(["publish", "--topic", "t", "--value", "a"])
    try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "o"])
    try cli.run(["publish", "--topic", "t", "--value", "b"])
    let refused = try cli.run(["publish", "--topic", "t", "--value", "c"])
    #expect(refused.status == 5)
    #expect(refused.stderr.contains("partition_buffer_full"))
  }

  @Test func groupsSeekIsADryRunUnlessExecuted() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-seek"))
    try cli.run(["topics", "create", "--name", "t"])
    for i in 0..<3 { try cli.run(["publish", "--topic", "t", "--value", "v\(i)"]) }
    let items = try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "o"]).stdout
    try cli.run(["ack", "--batch", "--topic", "t", "--group", "g", "--owner", "o"], input: items)
    let dry = try cli.run(["groups", "seek", "--group", "g", "--topic", "t", "--to", "earliest"])
    #expect(dry.stdout.contains("dry run"))
    #expect(try cli.run(["topics", "lag", "--group", "g"]).stdout == "TOPIC\tPART\tHEAD\tCOMMIT\tINFLIGHT\tLAG\nt\t0\t3\t3\t0\t0\n")
    #expect(try cli.run(["groups", "seek", "--group", "g", "--topic", "t", "--to", "earliest", "--execute"]).status == 0)
    #expect(try cli.run(["topics", "lag", "--group", "g", "--topic", "t"]).stdout.contains("t\t0\t3\t0\t0\t3"))
    #expect(try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "o"]).lines.count == 3)
  }
}
