@testable import driftqctl
import Testing
import TestSupport

/// Commands run in-process against a temporary directory, with a fixed clock.
@Suite struct LocalCommandTests {
  @Test func publishBatchReportsEachLineAndSkipsBadOnes() {
    let dir = TemporaryDirectory("cmd")
    let cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": dir.appending("d")])
    #expect(cli.run(["topics", "create", "--name", "t", "--partitions", "2"]).status == 0)
    let input = """
      {"key":"a","value":"1"}
      {"value":"2","envelope":{"labels":{"x":"y"},"retry_policy":{"max_attempts":2}}}

      {"value":{"not":"a string"}}
      {"value":"3","envelope":{"bogus":1}}
      {"value":"/wAB","value_encoding":"base64"}
      """
    let result = cli.run(["publish", "--topic", "t", "--batch", "-o", "ndjson"], input: input)
    #expect(result.status == 1)
    #expect(result.stdout.split(separator: "\n").count == 3)
    #expect(result.stderr.contains("line 4: value must be a string"))
    #expect(result.stderr.contains("line 5: unknown field envelope.bogus"))
    let consumed = cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "o"])
    #expect(consumed.stdout.contains(#""labels":{"x":"y"}"#))
    #expect(consumed.stdout.contains(#""value":"/wAB","last_error":"","value_encoding":"base64""#) || consumed.stdout.contains(#""value_encoding":"base64""#))
  }

  @Test func nackBatchUsesEachLinesReason() {
    let dir = TemporaryDirectory("cmd")
    let cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": dir.appending("d")])
    _ = cli.run(["topics", "create", "--name", "t"])
    _ = cli.run(["publish", "--topic", "t", "--value", "v1"])
    _ = cli.run(["publish", "--topic", "t", "--value", "v2"])
    _ = cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "o"])
    let nacked = cli.run(["nack", "--batch", "--topic", "t", "--group", "g", "--owner", "o"], input: """
      {"partition":0,"offset":0,"reason":"first"}
      {"partition":0,"offset":1}
      {"partition":0,"offset":1}
      """)
    #expect(nacked.stdout == "nacked=2 failed=1\n")
    #expect(nacked.stderr.contains("line 3: message is not in-flight"))
    let again = cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "o"]).stdout
    #expect(again.contains(#""last_error":"first""#))
    #expect(again.contains(#""last_error":"nack""#))
  }

  @Test func topicsListShapes() {
    let dir = TemporaryDirectory("cmd")
    let cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": dir.appending("d")])
    _ = cli.run(["topics", "create", "--name", "b"])
    _ = cli.run(["topics", "create", "--name", "a", "--partitions", "2"])
    #expect(cli.run(["topics", "list"]).stdout == "a\nb\n")
    #expect(cli.run(["topics", "list", "-o", "json"]).stdout == #"{"topics":[{"name":"a","partitions":2,"messages":0},{"name":"b","partitions":1,"messages":0}]}"# + "\n")
  }

  @Test func walDumpFiltersByKindTopicAndLSN() {
    let dir = TemporaryDirectory("cmd")
    let cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": dir.appending("d")])
    _ = cli.run(["topics", "create", "--name", "a"])
    _ = cli.run(["topics", "create", "--name", "b"])
    _ = cli.run(["publish", "--topic", "a", "--value", "1"])
    _ = cli.run(["publish", "--topic", "b", "--value", "2"])
    #expect(cli.run(["wal", "dump", "--topic", "b"]).stdout.split(separator: "\n").count == 2)
    #expect(cli.run(["wal", "dump", "--kind", "message_published"]).stdout.split(separator: "\n").count == 2)
    #expect(cli.run(["wal", "dump", "--from", "3", "--to", "3"]).stdout.contains(#""lsn":3,"#))
    #expect(cli.run(["wal", "dump", "--kind", "nonsense"]).status == 2)
    #expect(cli.run(["wal", "dump", "--from", "@2026-11-21T00:00:00Z"]).status == 0)
  }
}
