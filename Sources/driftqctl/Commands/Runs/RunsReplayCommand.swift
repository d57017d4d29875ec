import ReplayEngine
import WALFormat

/// `runs replay`: re-runs a run in place, reusing what it may.
struct RunsReplayCommand: Command {
  static let fromStep = OptionSpec("from-step", placeholder: "NODE", help: "Replay this step and everything downstream; reuse what is upstream.")
  static let mode = OptionSpec(
    "mode", placeholder: "MODE",
    help: "live (re-run the replayed steps) or time-travel (reuse every output whose step's definition and input are unchanged).",
    default: "time-travel", values: .choices(["time-travel", "live"]))
  static let auto = OptionSpec.flag("auto", help: "Re-run exactly the steps whose definition or resolved input changed.")
  static let workflow = OptionSpec("workflow", placeholder: "FILE", help: "A changed spec to replay with (same run, new definitions).")
  static let explain = OptionSpec.flag("explain", help: "Say, per step, why it was reused or re-run.")

  static let spec = CommandSpec(
    ["runs", "replay"], abstract: "Replay a run in place: from a step (time-travel or live), or --auto by step keys.",
    discussion: """
      History is kept: earlier attempts keep their status and new attempts are added. With --auto each
      step is keyed by a hash of its definition and its resolved input; it re-runs only if its key
      changed, and a re-run whose output is byte-identical leaves downstream keys unchanged, so the
      change stops there (early cutoff). Reused steps record node_finished with used_cached_output
      and cached_attempt, and cost nothing. Prints the Go tool's lines: replay started run_id=…
      from_step=… mode=…, then next: hints.
      """,
    options: [.runID, fromStep, mode, auto, workflow, explain],
    examples: ["driftqctl runs replay --run-id ai-news-1 --auto --workflow news-v2.json --explain"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let runID: String
  let from: String?
  let replayMode: String
  let specPath: String?
  let explaining: Bool

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    runID = try args.name(.runID)
    from = args.value(Self.fromStep)
    let modeText = args.value(Self.mode)
    let automatic = args.flag(Self.auto)
    if automatic {
      guard modeText == nil else { throw UsageError("--auto decides per step; it does not take --mode", command: Self.spec.path) }
      guard from == nil else { throw UsageError("--auto decides per step; it does not take --from-step", command: Self.spec.path) }
      replayMode = "auto"
    } else {
      switch modeText ?? "time-travel" {
      case "time-travel", "timetravel", "tt", "time_travel": replayMode = "time_travel"
      case "live": replayMode = "live"
      case let other: throw UsageError("runs replay: invalid --mode \"\(other)\" (use: time-travel|live)", command: Self.spec.path)
      }
    }
    specPath = args.value(Self.workflow)
    explaining = args.flag(Self.explain)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let newSpec = try specPath.map(RunsSupport.loadSpec)
    let replay = try RunsFace.open(globals, context).replay(runID, from: from, mode: replayMode, newSpec: newSpec)
    let answer = Self.report(
      run: replay.run, before: replay.before, explanations: explaining ? replay.explanations : [], mode: replayMode, from: from)
    context.print(answer, as: globals.output)
    return replay.status
  }

  /// The Go tool's three lines (or one JSON object), after any `--explain` lines.
  static func report(run: WorkflowRun, before: WorkflowRun, explanations: [(node: String, reason: String)], mode: String, from: String?) -> Answer {
    let spent = run.usage.dollars - before.usage.dollars
    let saved = run.saved.dollars - before.saved.dollars
    let document = JSONValue.object([
      ("ok", .bool(run.status == .succeeded)), ("run_id", .string(run.runID)), ("from_step", .string(from ?? "")), ("mode", .string(mode)),
      ("status", .string(run.status.rawValue)), ("dollars", .number(Money.text(spent))), ("saved_dollars", .number(Money.text(saved))),
      ("explain", .array(explanations.map { .object([("node", .string($0.node)), ("decision", .string($0.reason))]) })),
    ])
    return .object(document) {
      Answer.lines(explanations.map { "\($0.node): \($0.reason)" } + [
        "replay started run_id=\(run.runID) from_step=\(from ?? "") mode=\(mode)",
        "status=\(run.status.rawValue) dollars=\(Money.text(spent)) saved_dollars=\(Money.text(saved))",
        "next: driftqctl runs status --run-id \(run.runID)",
        "next: driftqctl runs timeline --run-id \(run.runID)",
      ])
    }
  }
}
