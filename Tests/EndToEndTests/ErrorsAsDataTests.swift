import Foundation
import Testing
import TestSupport

/// With -o json or ndjson, an error is also one JSON object on stderr, after the human line;
/// `help CMD` and `version` are `CMD --help` and `--version`.
@Suite struct ErrorsAsDataTests {
  /// The "error" member of stderr's last line.
  func error(_ result: CLIProcess.Result) -> [String: Any]? {
    guard let last = result.stderr.split(separator: "\n").last else { return nil }
    return ((try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any])?["error"] as? [String: Any]
  }

  @Test func eachKindOfErrorHasItsCodeAndExitStatus() throws {
    let cli = CLIProcess(TemporaryDirectory("errors-data"))
    try cli.run(["topics", "create", "--name", "t"])
    try cli.run(["publish", "--topic", "t", "--value", "v"])
    try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "w1", "--lease-ms", "60000"])
    for (arguments, code, status) in [
      (["topics", "create", "--partitions", "x"], "usage", Int32(2)),
      (["--wal-dir", "/nonexistent/driftq", "topics", "list"], "not_found", 4),
      (["ack", "--topic", "t", "--group", "g", "--owner", "w2", "--partition", "0", "--offset", "0"], "failure", 1),
    ] {
      for format in ["json", "ndjson"] {
        let result = try cli.run(arguments + ["-o", format])
        #expect(result.status == status, "\(arguments): \(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("driftqctl: error: ") == true, "the human line stays: \(result.stderr)")
        let error = error(result)
        #expect(error?["code"] as? String == code && error?["exit"] as? Int == Int(status), "\(arguments) -o \(format): \(result.stderr)")
        #expect((error?["message"] as? String).map { lines.first?.hasSuffix($0) == true } == true)
      }
    }
    let refused = try cli.run(["ack", "--topic", "t", "--group", "g", "--owner", "w2", "--partition", "0", "--offset", "0", "-o", "json"])
    #expect(error(refused)?["rejection"] as? String == "not_owner", "\(refused.stderr)")
    let text = try cli.run(["ack", "--topic", "t", "--group", "g", "--owner", "w2", "--partition", "0", "--offset", "0"])
    #expect(text.status == 1 && !text.stderr.contains("{"), "text mode prints no JSON")
  }

  @Test func aBatchLineErrorIsDataWithItsLine() throws {
    let cli = CLIProcess(TemporaryDirectory("errors-batch"))
    try cli.run(["topics", "create", "--name", "t"])
    let result = try cli.run(["publish", "--batch", "--topic", "t", "-o", "ndjson"], input: "{\"value\":\"ok\"}\nnot json\n")
    #expect(result.status == 1)
    let error = error(result)
    #expect(error?["line"] as? Int == 2 && error?["code"] as? String == "failure", "\(result.stderr)")
  }

  @Test func helpAndVersionWorkAsWords() throws {
    let cli = CLIProcess(TemporaryDirectory("errors-help"))
    #expect(try cli.run(["help", "consume"]).stdout == (try cli.run(["consume", "--help"])).stdout)
    #expect(try cli.run(["help"]).stdout == (try cli.run(["--help"])).stdout)
    #expect(try cli.run(["version"]).stdout == (try cli.run(["--version"])).stdout)
    #expect(try cli.run(["version", "-o", "json"]).stdout.hasPrefix(#"{"version":""#))
    let unknown = try cli.run(["help", "cosume"])
    #expect(unknown.status == 2 && unknown.stderr.contains("did you mean 'consume'?"))
  }
}
