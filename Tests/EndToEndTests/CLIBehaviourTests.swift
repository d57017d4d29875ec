import Foundation
import Testing
import TestSupport

/// Exit codes, streams and messages of the real binary.
@Suite struct CLIBehaviourTests {
  @Test func helpAndVersionExitZeroOnStdout() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e"))
    let help = try cli.run(["--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("USAGE: driftqctl"))
    #expect(help.stderr.isEmpty)
    let sub = try cli.run(["consume", "--help"])
    #expect(sub.status == 0 && sub.stdout.contains("--lease-ms"))
    let group = try cli.run(["wal", "--help"])
    #expect(group.status == 0 && group.stdout.contains("wal verify"))
    let version = try cli.run(["--version"])
    #expect(version.status == 0 && version.stdout.hasPrefix("driftqctl "))
  }

  @Test(arguments: [
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["topic", "list"], "did you mean 'topics'"),
    (["topics"], "needs a subcommand"),
    (["topics", "create"], "missing required option --name"),
    (["topics", "create", "--name", "t", "--partitions", "zero"], "invalid value \"zero\" for --partitions"),
    (["topics", "create", "--name", "t", "--partitions", "0"], "for --partitions"),
    (["consume", "--topic", "t", "--group", "g", "--owner", "o", "--lease-ms", "-5"], "--lease-ms"),
    (["consume", "--topic", "t", "--group", "g", "--owner", "o", "--bogus"], "unknown option --bogus"),
    (["publish", "--topic", "t"], "missing --value"),
    (["-o", "yaml", "topics", "list"], "one of text, json, ndjson"),
    (["ack", "--topic", "t", "--group", "g", "--owner", "o"], "missing --partition and --offset"),
    (["topics", "list", "--frobnicate", "5s"], "unknown option --frobnicate"),
    (["--base-url", "ftp://x", "topics", "list"], "unsupported scheme \"ftp\" (expected http:// or https://)"),
    (["--base-url", "localhost:8080", "topics", "list"], "has no scheme: write it as http://HOST:PORT"),
    (["--base-url", "http://me:secret@localhost:8080", "topics", "list"], "must not carry user info"),
    (["--base-url", "http://[::1:8080", "topics", "list"], "unclosed [ in the IPv6 address"),
    (["--base-url", "http://::1:8080", "topics", "list"], "an IPv6 address goes in brackets"),
    (["--base-url", "http://localhost:99999", "topics", "list"], "invalid port \"99999\""),
    (["--base-url", "http://localhost:1", "--wal-dir", "d", "topics", "list"], "give --wal-dir or --base-url, not both"),
    (["--base-url", "http://localhost:1", "wal", "verify"], "works on a local WAL directory only"),
    (["--token", "a", "--token-file", "f", "topics", "list"], "give --token or --token-file, not both"),
    (["--token=", "--base-url", "http://localhost:1", "topics", "list"], "the token is empty"),
    (["consume", "--topic", "t", "--group", "g", "--owner", "o", "--follow", "--timeout", "5s"], "use --wait DURATION"),
    (["groups", "seek", "--group", "g", "--topic", "t", "--to", "@yesterday"], "expected @RFC3339 time"),
    (["topics", "list", "--at", "@2262-04-11T23:47:16.9Z"], "expected @RFC3339 time"),
    (["wal", "dump", "--from", "10", "--to", "5"], "--from is after --to"),
    (["serve", "--idle-timeout", "0s"], "--idle-timeout must be at least 100ms"),
    (["serve", "--addr", "0.0.0.0:0"], "beyond loopback, needs --token"),
    (["serve", "--max-header-bytes", "0"], "--max-header-bytes must be at least 1KiB"),
  ] as [([String], String)])
  func usageErrorsExitTwoWithOneLine(arguments: [String], message: String) throws {
    let result = try CLIProcess(TemporaryDirectory("e2e")).run(arguments)
    #expect(result.status == 2, "\(arguments): \(result.stderr)")
    #expect(result.stdout.isEmpty)
    #expect(result.stderr.hasPrefix("driftqctl: error: "))
    #expect(result.stderr.contains(message), "\(result.stderr)")
  }

  /// Deleting the first segment is damage, not a shorter log: `wal verify` says where.
  @Test func aMissingFirstSegmentIsCorruption() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-first-segment"))
    try cli.run(["--segment-size", "64KiB", "topics", "create", "--name", "t"])
    let lines = (0..<400).map { _ in #"{"value":""# + String(repeating: "x", count: 300) + #""}"# }.joined(separator: "\n") + "\n"
    #expect(try cli.run(["--segment-size", "64KiB", "publish", "--topic", "t", "--batch"], input: lines).status == 0)
    #expect(try cli.run(["wal", "verify"]).status == 0)
    try FileManager.default.removeItem(atPath: cli.walDirectory + "/wal/00000000000000000001.seg")
    let verified = try cli.run(["wal", "verify"])
    #expect(verified.status == 3 && verified.stdout.contains("LSNs 1..") && verified.stdout.contains("the segments before this one are gone"), "\(verified.stdout)")
  }

  @Test func atMustNameAPointTheLogHasReached() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-at"))
    try cli.run(["topics", "create", "--name", "a"])
    try cli.run(["publish", "--topic", "a", "--value", "x"])
    let past = try cli.run(["topics", "list", "--at", "999"])
    #expect(past.status == 2 && past.stderr.contains("--at 999 is past the end of the log (its last LSN is 2)"))
    let future = try cli.run(["topics", "list", "--at", "@2099-01-01T00:00:00Z"])
    #expect(future.status == 2 && future.stderr.contains("is in the future"))
    #expect(try cli.run(["topics", "list", "--at", "2"]).stdout == "a\n")
    #expect(try cli.run(["topics", "list", "--at", "@-1m"]).status == 0)
  }

  @Test func globalOptionsWorkBeforeAndAfterTheCommandAndFromTheEnvironment() throws {
    let dir = TemporaryDirectory("e2e")
    let cli = CLIProcess(dir)
    try cli.run(["topics", "create", "--name", "a"])
    #expect(try cli.run(["-o", "json", "topics", "list"]).stdout.contains("\"name\":\"a\""))
    #expect(try cli.run(["topics", "list", "--output", "json"]).stdout.contains("\"name\":\"a\""))
    #expect(try cli.run(["topics", "list"], environment: ["DRIFTQ_OUTPUT": "json"]).stdout.contains("\"name\":\"a\""))
  }

  @Test func readsNeverCreateTheDirectory() throws {
    let dir = TemporaryDirectory("e2e")
    let cli = CLIProcess(dir)
    let result = try cli.run(["topics", "list"])
    #expect(result.status == 4)
    #expect(result.stderr.contains("no WAL directory"))
    #expect(!FileManager.default.fileExists(atPath: cli.walDirectory))
    #expect(try cli.run(["wal", "verify"]).status == 4)
    let created = try cli.run(["topics", "create", "--name", "t"])
    #expect(created.stderr.contains("created WAL directory"))
    #expect(created.stdout == "created topic \"t\" partitions=1\n")
  }

  @Test func brokerRejectionsExitOneAndWriteNothing() throws {
    let dir = TemporaryDirectory("e2e")
    let cli = CLIProcess(dir)
    try cli.run(["topics", "create", "--name", "t"])
    try cli.run(["publish", "--topic", "t", "--value", "v"])
    try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "alice"])
    let before = try cli.run(["wal", "dump"]).lines.count
    let notOwner = try cli.run(["ack", "--topic", "t", "--group", "g", "--owner", "bob", "--partition", "0", "--offset", "0"])
    #expect(notOwner.status == 1 && notOwner.stderr.contains("not owner"))
    let notInFlight = try cli.run(["ack", "--topic", "t", "--group", "g", "--owner", "alice", "--partition", "0", "--offset", "5"])
    #expect(notInFlight.status == 1 && notInFlight.stderr.contains("not in-flight"))
    let noTopic = try cli.run(["nack", "--topic", "nope", "--group", "g", "--owner", "alice", "--partition", "0", "--offset", "0"])
    #expect(noTopic.status == 1 && noTopic.stderr.contains("topic does not exist"))
    let noPublish = try cli.run(["publish", "--topic", "nope", "--value", "v"])
    #expect(noPublish.status == 1)
    #expect(try cli.run(["wal", "dump"]).lines.count == before)
  }

  @Test func consumeAckNackRoundTripWithDriftQShapes() throws {
    let dir = TemporaryDirectory("e2e")
    let cli = CLIProcess(dir)
    try cli.run(["topics", "create", "--name", "jobs"])
    let published = try cli.run(["publish", "--topic", "jobs", "--key", "k", "--value", "<v&>", "--run-id", "r1", "--retry-max-attempts", "3", "-o", "json"])
    #expect(published.stdout == "{\"status\":\"produced\",\"topic\":\"jobs\",\"partition\":0,\"offset\":0}\n")
    let first = try cli.run(["consume", "--topic", "jobs", "--group", "g", "--owner", "a"])
    #expect(first.stdout == #"{"partition":0,"offset":0,"attempts":1,"key":"k","value":"\u003cv\u0026\u003e","last_error":"","envelope":{"run_id":"r1","retry_policy":{"max_attempts":3}}}"# + "\n")
    #expect(try cli.run(["nack", "--topic", "jobs", "--group", "g", "--owner", "a", "--partition", "0", "--offset", "0", "--error", "boom"]).status == 0)
    let second = try cli.run(["consume", "--topic", "jobs", "--group", "g", "--owner", "b"])
    #expect(second.stdout.contains(#""attempts":2"#) && second.stdout.contains(#""last_error":"boom""#))
    let acked = try cli.run(["ack", "--batch", "--topic", "jobs", "--group", "g", "--owner", "b"], input: second.stdout)
    #expect(acked.status == 0)
    #expect(acked.stdout == "acked=1 failed=0\n")
    #expect(try cli.run(["consume", "--topic", "jobs", "--group", "g", "--owner", "b"]).stdout.isEmpty)
  }

  @Test func anExpiredLeaseGoesToAnotherOwnerWhoWaitsForIt() throws {
    let dir = TemporaryDirectory("e2e")
    let cli = CLIProcess(dir)
    try cli.run(["topics", "create", "--name", "t"])
    try cli.run(["publish", "--topic", "t", "--value", "v"])
    #expect(try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "a", "--lease-ms", "300"]).lines.count == 1)
    // b follows until the lease expires; the broker's own wake-up is the synchronisation.
    let b = try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "b", "--follow", "--max", "1", "--wait", "20s"])
    #expect(b.status == 0)
    #expect(b.stdout.contains(#""attempts":2"#) && b.stdout.contains(#""last_error":"ack_timeout""#))
    #expect(try cli.run(["ack", "--topic", "t", "--group", "g", "--owner", "a", "--partition", "0", "--offset", "0"]).status == 1)
  }

  @Test func followTimesOutWithExitFiveWhenMaxIsNotReached() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e"))
    try cli.run(["topics", "create", "--name", "t"])
    let result = try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "a", "--follow", "--max", "1", "--wait", "200ms"])
    #expect(result.status == 5)
    #expect(result.stderr.contains("timed out"))
  }

  @Test func binaryValuesAreShownAsMarkedBase64() throws {
    let dir = TemporaryDirectory("e2e")
    let cli = CLIProcess(dir)
    try cli.run(["topics", "create", "--name", "t"])
    let file = dir.appending("blob")
    FileBytes.write(file, [0xff, 0x00, 0x01])
    try cli.run(["publish", "--topic", "t", "--value-file", file])
    let item = try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "a"]).stdout
    #expect(item.contains(#""value":"/wAB""#) && item.contains(#""value_encoding":"base64""#))
    #expect(try cli.run(["wal", "dump", "--kind", "message_published"]).stdout.contains(#""value_encoding":"base64""#))
  }

  @Test func foreignFilesAndCorruptionGetClearErrors() throws {
    let dir = TemporaryDirectory("e2e")
    let cli = CLIProcess(dir)
    try cli.run(["topics", "create", "--name", "t"])
    for i in 0..<5 { try cli.run(["publish", "--topic", "t", "--value", "message \(i)"]) }
    FileBytes.write(cli.walDirectory + "/wal/stray.txt", Array("x".utf8))
    let foreign = try cli.run(["topics", "list"])
    #expect(foreign.status == 1 && foreign.stderr.contains("stray.txt"))
    FileBytes.remove(cli.walDirectory + "/wal/stray.txt")
    let segment = cli.walDirectory + "/wal/00000000000000000001.seg"
    var bytes = FileBytes.read(segment)
    bytes[100] ^= 0x40
    FileBytes.write(segment, bytes)
    let verify = try cli.run(["wal", "verify"])
    #expect(verify.status == 3)
    #expect(verify.stdout.contains("corruption: 00000000000000000001.seg at byte"))
    #expect(verify.stdout.contains("stored 0x"))
    let read = try cli.run(["topics", "list"])
    #expect(read.status == 3 && read.stderr.contains("corruption"))
    #expect(try cli.run(["wal", "repair"]).status == 3)
    let forced = try cli.run(["wal", "repair", "--force"])
    #expect(forced.status == 0 && forced.stdout.contains("kept a copy"))
    #expect(try cli.run(["wal", "verify"]).status == 0)
  }

  @Test func repairCutsATornTailAndKeepsACopy() throws {
    let dir = TemporaryDirectory("e2e")
    let cli = CLIProcess(dir)
    try cli.run(["topics", "create", "--name", "t"])
    try cli.run(["publish", "--topic", "t", "--value", "v"])
    let segment = cli.walDirectory + "/wal/00000000000000000001.seg"
    FileBytes.write(segment, FileBytes.read(segment) + [9, 9, 9])
    let verify = try cli.run(["wal", "verify"])
    #expect(verify.status == 0 && verify.stdout.contains("torn tail"))
    let repaired = try cli.run(["wal", "repair"])
    #expect(repaired.status == 0 && repaired.stdout.contains("cut a torn tail"))
    #expect(FileManager.default.fileExists(atPath: segment + ".broken"))
    #expect(try cli.run(["wal", "verify"]).stdout.contains("result: ok\n"))
  }
}
