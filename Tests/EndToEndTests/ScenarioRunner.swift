import Foundation
import TestSupport

/// Runs a scenario's steps in order, filling each placeholder from the files it names or from
/// what an earlier step printed (in any output format), so the parity and output tests run
/// the same command lines.
struct ScenarioRunner {
  /// One step: its words as the scenario wrote them, and what it did.
  struct Step {
    var words: [String]
    var result: CLIProcess.Result
    var line: String { words.joined(separator: " ") }
  }

  let cli: CLIProcess
  /// Arguments put before every step (a face: `--base-url URL`).
  var extra: [String] = []
  /// Fixed placeholders: BINARY, SPEC, CORE_WAL, ARTIFACTS.
  var files: [String: String] = [:]
  /// Changes a step's filled-in arguments before it runs (a test's own `-o`, say).
  var rewrite: ([String]) -> [String] = { $0 }

  /// Where each published key landed, the last demo run, the first artifact listed.
  private var places: [String: (partition: String, offset: String)] = [:]
  private var demo = ""
  private var artifact = "none"

  init(_ cli: CLIProcess) {
    self.cli = cli
  }

  mutating func run(_ steps: [[String]]) throws -> [Step] {
    try steps.map { try run($0) }
  }

  mutating func run(_ step: [String]) throws -> Step {
    let arguments = step.map(fill)
    let input = step.contains("--batch") ? ParityScenarios.batchInput[step[0]] ?? "" : ""
    let result = try cli.run(extra + rewrite(arguments), input: input)
    remember(step, result.stdout)
    return Step(words: step, result: result)
  }

  private func fill(_ word: String) -> String {
    if word.hasPrefix("PART_") { return places[String(word.dropFirst(5))]?.partition ?? "0" }
    if word.hasPrefix("OFF_") { return places[String(word.dropFirst(4))]?.offset ?? "0" }
    switch word {
    case "DEMO": return demo
    case "ARTIFACT": return artifact
    default: return files[word] ?? word
    }
  }

  private mutating func remember(_ step: [String], _ stdout: String) {
    if step[0] == "publish", let key = step.firstIndex(of: "--key").map({ step[$0 + 1] }) {
      places[key] = (Self.number(after: "partition", in: stdout), Self.number(after: "offset", in: stdout))
    }
    if step.starts(with: ["runs", "demo"]), let id = Self.runID(in: stdout) { demo = id }
    if step.starts(with: ["runs", "artifacts"]) {
      // The first 64-hex-digit id in the listing.
      artifact = stdout.split(whereSeparator: { !$0.isHexDigit }).first { $0.count == 64 }.map(String.init) ?? "none"
    }
  }

  /// The digits after the first `name` in `text` (`partition=1` and `"partition":1` alike).
  static func number(after name: String, in text: String) -> String {
    String(text.components(separatedBy: name).dropFirst().first?.drop { !$0.isNumber }.prefix { $0.isNumber } ?? "0")
  }

  /// The first run id in `text`: `run_id=ID` or `"run_id":"ID"`.
  static func runID(in text: String) -> String? {
    guard let found = text.range(of: #"run_id(=|":")[A-Za-z0-9._:-]+"#, options: .regularExpression) else { return nil }
    let match = text[found]
    return String(match.drop { $0 != "=" && $0 != ":" }.drop { $0 == "=" || $0 == ":" || $0 == "\"" })
  }
}
