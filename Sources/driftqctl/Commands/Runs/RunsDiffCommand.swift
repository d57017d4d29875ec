import ReplayEngine
import WALFormat

/// `runs diff`: what changed between two attempts of a node (status, error, duration, input, output).
struct RunsDiffCommand: Command {
  static let from = OptionSpec("from", placeholder: "A", help: "The earlier attempt (default: the one before --to).")
  static let to = OptionSpec("to", placeholder: "B", help: "The later attempt (default: the last, or the one after --from).")
  static let spec = CommandSpec(["runs", "diff"], abstract: "Compare two attempts of a node: status, error, duration, input and output.", options: [.runID, .nodeID, from, to])

  static let worksRemotely = true
  let globals: GlobalOptions
  let runID: String
  let nodeID: String
  let fromAttempt: Int?
  let toAttempt: Int?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    runID = try args.name(.runID)
    nodeID = try args.name(.nodeID)
    fromAttempt = try args.integer(Self.from, in: 1...1_000_000).map { Int($0) }
    toAttempt = try args.integer(Self.to, in: 1...1_000_000).map { Int($0) }
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let runs = try RunsFace.open(globals, context)
    let run = try runs.run(runID)
    let attempts = run.executions(of: nodeID).sorted { $0.attempt < $1.attempt }
    guard attempts.count >= 2 else {
      throw CommandFailure(.failure, "runs diff: need at least 2 attempts for node=\(GoQuote.quote(nodeID)) (have \(attempts.count))")
    }
    func find(_ n: Int) throws -> NodeExecution {
      guard let e = attempts.first(where: { $0.attempt == n }) else { throw CommandFailure(.notFound, "runs diff: no attempt \(n) for node=\(GoQuote.quote(nodeID))") }
      return e
    }
    let a: NodeExecution, b: NodeExecution
    switch (fromAttempt, toAttempt) {
    case (nil, nil): (a, b) = (attempts[attempts.count - 2], attempts[attempts.count - 1])
    case (let f?, nil):
      a = try find(f)
      guard let next = attempts.first(where: { $0.attempt > f }) else { throw CommandFailure(.failure, "runs diff: no attempt after \(f)") }
      b = next
    case (nil, let t?):
      b = try find(t)
      guard let previous = attempts.last(where: { $0.attempt < t }) else { throw CommandFailure(.failure, "runs diff: no attempt before \(t)") }
      a = previous
    case (let f?, let t?): (a, b) = (try find(f), try find(t))
    }
    let outA = try runs.output(of: a)
    let outB = try runs.output(of: b)
    let document = JSONValue.object([
      ("run_id", .string(runID)), ("node_id", .string(nodeID)),
      ("from", RunRendering.execution(a, run: run)), ("to", RunRendering.execution(b, run: run)),
      ("input_changed", .bool(a.input != b.input)), ("output_changed", .bool(outA != outB)),
    ])
    context.print(
      .object(document) {
        Answer.lines([
          "run_id=\(runID) node_id=\(nodeID) attempts=\(a.attempt)->\(b.attempt)",
          "status: \(a.status.rawValue) -> \(b.status.rawValue)",
          "error:  \(a.error ?? "") -> \(b.error ?? "")",
          "dur:    \(RunRendering.duration(a)) -> \(RunRendering.duration(b))",
        ] + block("input", a.input, b.input) + block("output", outA, outB))
      }, as: globals.output)
    return .success
  }

  /// The Go tool's lines for one side of a diff: unchanged, or both values, indented.
  private func block(_ name: String, _ a: JSONValue?, _ b: JSONValue?) -> [String] {
    guard a != b else { return ["\(name): (unchanged)"] }
    var lines = ["\(name): changed"]
    for (label, value) in [("from", a), ("to", b)] {
      lines.append("  - \(label):")
      let text = value.map { JSONWriter.encodePretty($0) } ?? "<empty>"
      lines += text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
    }
    return lines
  }
}
