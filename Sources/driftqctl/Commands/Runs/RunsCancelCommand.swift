import ReplayEngine
import WALFormat

/// `runs cancel`: ends a run as canceled; a process executing it stops its steps.
struct RunsCancelCommand: Command {
  static let reason = OptionSpec("reason", placeholder: "TEXT", help: "Why (stored in run_finished).", default: "canceled by driftqctl")

  static let spec = CommandSpec(
    ["runs", "cancel"], abstract: "Cancel a run (a process executing it stops its steps).",
    discussion: "Prints the Go tool's line: canceled run_id=<id>. Canceling a finished run changes nothing and says so\n(DriftQ answers canceled:true either way).",
    options: [.runID, reason])

  static let worksRemotely = true
  let globals: GlobalOptions
  let runID: String
  let why: String

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    runID = try args.name(.runID)
    why = args.value(Self.reason) ?? "canceled by driftqctl"
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let (changed, status) = try RunsFace.open(globals, context).cancel(runID, reason: why)
    context.print(
      .object(.object([("ok", .bool(true)), ("run_id", .string(runID)), ("canceled", .bool(changed))])) {
        (changed ? "canceled run_id=\(runID)" : "run_id=\(runID) had already finished (\(status)); nothing to cancel") + "\n"
      }, as: globals.output)
    return .success
  }
}
