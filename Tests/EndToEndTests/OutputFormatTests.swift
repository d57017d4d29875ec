import Foundation
import Testing
import TestSupport

/// Every command prints its answer through one output path: `-o json` is exactly one compact
/// JSON object, `-o ndjson` one JSON object per line. The scenarios run locally with
/// each step's own `-o` replaced, and every command `driftqctl --help` lists must have
/// answered in them (or be exempt, with the reason).
@Suite struct OutputFormatTests {
  enum Format: String, CaseIterable, Sendable { case json, ndjson }

  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/driftq-core").path

  /// `arguments` with their own `-o X` (or `--output X`) dropped and `-o format` appended.
  static func reformatted(_ arguments: [String], _ format: Format) -> [String] {
    var kept: [String] = []
    var skipNext = false
    for word in arguments {
      if skipNext { skipNext = false; continue }
      if word == "-o" || word == "--output" { skipNext = true; continue }
      if word.hasPrefix("-o") && word.count > 2 || word.hasPrefix("--output=") { continue }
      kept.append(word)
    }
    return kept + ["-o", format.rawValue]
  }

  /// What is wrong with `stdout` as `format` output, or nil.
  static func problem(_ stdout: String, _ format: Format) -> String? {
    func object(_ text: Substring) -> Bool {
      (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] != nil
    }
    switch format {
    case .json:
      // Compact: a streamed document puts each row on a line of its own, never indents.
      if stdout.split(separator: "\n").contains(where: { $0.first?.isWhitespace == true }) { return "pretty-printed, not compact" }
      return object(Substring(stdout)) ? nil : "not exactly one JSON object"
    case .ndjson:
      for (index, line) in stdout.split(separator: "\n").enumerated() where !object(line) {
        return "line \(index + 1) is not a JSON object: \(line.prefix(120))"
      }
      return nil
    }
  }

  @Test func theCheckTellsOneDocumentFromSeveral() {
    #expect(Self.problem(#"{"a":[1]}"# + "\n", .json) == nil)
    #expect(Self.problem("{\"rows\":[\n{\"a\":1},\n{\"a\":2}\n]}\n", .json) == nil)
    #expect(Self.problem("{}\n{}\n", .json) != nil)
    #expect(Self.problem("[{}]\n", .json) != nil)
    #expect(Self.problem("{\n  \"a\": 1\n}\n", .json) != nil)
    #expect(Self.problem("{}\n{}\n", .ndjson) == nil)
    #expect(Self.problem("{}\n(empty)\n", .ndjson) != nil)
  }

  /// A dump that stops at corruption (exit 3) still prints one document of what it read.
  @Test func aDumpCutShortByCorruptionIsStillOneDocument() throws {
    let cli = CLIProcess(TemporaryDirectory("output-corrupt"))
    try cli.run(["topics", "create", "--name", "t"])
    for i in 0..<5 { try cli.run(["publish", "--topic", "t", "--value", "message \(i)"]) }
    let segment = cli.walDirectory + "/wal/00000000000000000001.seg"
    var bytes = FileBytes.read(segment)
    bytes[100] ^= 0x40
    FileBytes.write(segment, bytes)
    let dump = try cli.run(["wal", "dump", "-o", "json"])
    #expect(dump.status == 3 && dump.stderr.contains("corruption"))
    #expect(Self.problem(dump.stdout, .json) == nil, "\(dump.stdout)")
    let records = (try? JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])?["records"] as? [Any]
    #expect(records?.count == 1, "only the record before the damage: \(dump.stdout)")
  }

  /// The broker, runs and local scenarios, run in fresh directories with `-o format`.
  func steps(_ format: Format) throws -> [ScenarioRunner.Step] {
    let files = TemporaryDirectory("output-files")
    let binary = files.appending("value.bin")
    try Data([0xff, 0xfe, 0x00, 0x80]).write(to: URL(fileURLWithPath: binary))
    let spec = files.appending("wf.json")
    try Data(#"{"id":"wf","nodes":[{"id":"A","topic":"noop"},{"id":"B","topic":"fail_once","deps":["A"]}]}"#.utf8).write(to: URL(fileURLWithPath: spec))
    var all: [ScenarioRunner.Step] = []
    for (label, scenario) in [("broker", ParityScenarios.broker), ("runs", ParityScenarios.runs), ("local", OutputScenarios.local)] {
      let cli = CLIProcess(TemporaryDirectory("output-\(label)-\(format)"))
      var runner = ScenarioRunner(cli)
      runner.files = [
        "BINARY": binary, "SPEC": spec, "LOGSPEC": files.write(LogSpec.text, to: "logs.json"), "CORE_WAL": Self.fixtures + "/wal1-transcripts.wal", "ARTIFACTS": cli.walDirectory + "/artifacts",
      ]
      runner.rewrite = { arguments in
        // An artifact goes to a file of the test's, not the working directory.
        guard arguments.starts(with: ["runs", "artifact-get"]) else { return Self.reformatted(arguments, format) }
        var own = Self.reformatted(arguments, format)
        if let at = own.firstIndex(of: "--out") { own.removeSubrange(at...at + 1) }
        return own + ["--out", files.appending("artifact")]
      }
      all += try runner.run(scenario)
    }
    return all
  }

  /// The commands `driftqctl --help` lists ("topics create", "publish", …).
  static func commands() throws -> [String] {
    let help = try CLIProcess(TemporaryDirectory("output-help")).run(["--help"]).stdout
    guard let start = help.range(of: "COMMANDS:\n") else { return [] }
    return help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }
      .compactMap { $0.dropFirst(2).components(separatedBy: "  ").first }
  }

  /// The command a step runs: the longest command name its words start with.
  static func command(of words: [String], among commands: [String]) -> String? {
    commands.filter { words.starts(with: $0.split(separator: " ").map(String.init)) }.max { $0.count < $1.count }
  }

  @Test(arguments: Format.allCases) func everyAnswerIsOneDocumentOrOneObjectPerLine(_ format: Format) throws {
    let commands = try Self.commands()
    #expect(commands.contains("topics create") && commands.contains("wal import"), "cannot read the command list from --help")
    var answered: Set<String> = []
    // A step that fails after printing (a batch with a bad line) must print well-formed output too.
    for step in try steps(format) where !step.result.stdout.isEmpty {
      if step.result.status == 0, let command = Self.command(of: step.words, among: commands) { answered.insert(command) }
      if let problem = Self.problem(step.result.stdout, format) {
        Issue.record("'\(step.line)' -o \(format.rawValue) (exit \(step.result.status)): \(problem)\n\(step.result.stdout.prefix(400))")
      }
    }
    for command in commands where OutputScenarios.exempt[command] == nil {
      #expect(answered.contains(command), "no scenario step of '\(command)' answered (exit 0, some output) in -o \(format.rawValue)")
    }
  }
}
