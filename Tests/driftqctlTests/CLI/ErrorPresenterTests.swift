@testable import driftqctl
import Foundation
import ReplayEngine
import Testing

/// Errors as data: with -o json or ndjson, the human line and then one JSON object on stderr.
@Suite struct ErrorPresenterTests {
  /// The last stderr line as a JSON object's "error" member.
  func error(_ stderr: String) -> [String: Any]? {
    guard let last = stderr.split(separator: "\n").last else { return nil }
    return ((try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any])?["error"] as? [String: Any]
  }

  @Test(arguments: [["-o", "json"], ["-ondjson"], ["--output=json"]])
  func aUsageErrorIsAlsoAJSONLine(_ format: [String]) {
    let result = TestCLI().run(["topics", "create"] + format)
    #expect(result.status == 2)
    #expect(result.stderr.hasPrefix("driftqctl: error: missing required option --name\n"), "the human line comes first")
    let error = error(result.stderr)
    #expect(error?["code"] as? String == "usage" && error?["exit"] as? Int == 2)
    #expect(error?["message"] as? String == "missing required option --name")
  }

  @Test func textOutputPrintsNoJSON() {
    let result = TestCLI().run(["topics", "create"])
    #expect(result.status == 2 && !result.stderr.contains("{"))
  }

  @Test func theEnvironmentAsksForJSONToo() {
    let result = TestCLI(environment: ["DRIFTQ_OUTPUT": "json", "DRIFTQ_WAL_DIR": "/nonexistent/driftq"]).run(["topics", "list"])
    #expect(result.status == 4)
    #expect(error(result.stderr)?["code"] as? String == "not_found")
  }

  @Test func aBrokerRefusalCarriesItsCode() {
    let json = ErrorPresenter.json(BrokerRejection(.notOwner, "not owner"), status: .failure, message: "not owner")
    #expect(JSONWriter.encode(json) == #"{"error":{"code":"failure","message":"not owner","exit":1,"rejection":"not_owner"}}"#)
    let limit = ErrorPresenter.json(BrokerRejection(.resourceExhausted, "producer overload", reason: "partition_buffer_full"), status: .unavailable, message: "m")
    #expect(JSONWriter.encode(limit).contains(#""exit":5,"rejection":"resource_exhausted","reason":"partition_buffer_full""#))
  }

  @Test func everyStatusHasAStableName() {
    let names = [ExitStatus.failure, .usage, .corruption, .notFound, .unavailable].map(\.name)
    #expect(names == ["failure", "usage", "corruption", "not_found", "unavailable"])
  }
}
