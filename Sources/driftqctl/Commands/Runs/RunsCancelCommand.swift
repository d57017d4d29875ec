import ReplayEngine
import WALFormat

/// `runs cancel`: ends a run as canceled; a process executing it stops its steps.
struct RunsCancelCommand: Command {
  static let reason = OptionSpec("reason", placeholder: "TEXT", help: "Why (stored in run_finished).", default: "canceled by driftqctl")

  static let spec = CommandSpec(
    ["runs", "cancel"], abstract: "Cancel a run (a process executing it stops its steps).",
    discussion: "Prints the Go tool's line: canceled run_id=<id>. Canceling a finished run changes nothing and says so\n(DriftQ answers canceled:true either way).",
    options: [.runID, reason])

  let globals: GlobalOptions
  let runID: String
  let why: String

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    runID = try args.name(.runID)
    why = args.value(Self.reason) ?? "canceled by driftqctl"
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let backend = try LocalBackend.open(globals, context: context)
    let changed = try backend.commitAll { _, runs, _ in
      guard let run = runs.runs[runID] else { throw CommandFailure(.notFound, "run not found: \(runID)") }
      guard let event = RunDecider.cancel(run, reason: why) else { return ([LogEvent](), false) }
      return ([.run(event)], true)
    }
    switch globals.output {
    case .text: context.stdout.line(changed ? "canceled run_id=\(runID)" : "run_id=\(runID) had already finished (\(backend.runs.runs[runID]?.status.rawValue ?? "?")); nothing to cancel")
    case .json, .ndjson:
      context.stdout.line(JSONWriter.encode(.object([("ok", .bool(true)), ("run_id", .string(runID)), ("canceled", .bool(changed))])))
    }
    return .success
  }
}
