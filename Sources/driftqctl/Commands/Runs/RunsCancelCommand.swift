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
    if let client = try globals.remote() {
      // DriftQ answers canceled:true even for a finished run: the run's status says.
      let remote = RemoteRuns(client: client)
      let before = try remote.run(runID)
      try remote.cancel(runID, reason: why)
      let after = try remote.run(runID)
      report(changed: !before.status.isTerminal && after.status == .canceled, status: after.status.rawValue, context)
      return .success
    }
    let backend = try LocalBackend.open(globals, context: context)
    let changed = try backend.commitAll { _, runs, _ in
      let run = try RunsSupport.run(runID, in: runs)
      guard let event = RunDecider.cancel(run, reason: why) else { return ([LogEvent](), false) }
      return ([.run(event)], true)
    }
    report(changed: changed, status: backend.runs.runs[runID]?.status.rawValue ?? "?", context)
    return .success
  }

  private func report(changed: Bool, status: String, _ context: CommandContext) {
    switch globals.output {
    case .text: context.stdout.line(changed ? "canceled run_id=\(runID)" : "run_id=\(runID) had already finished (\(status)); nothing to cancel")
    case .json, .ndjson:
      context.stdout.line(JSONWriter.encode(.object([("ok", .bool(true)), ("run_id", .string(runID)), ("canceled", .bool(changed))])))
    }
  }
}
