import ReplayEngine
import WALFormat

/// `runs list`: run ids, newest first, as DriftQ's `/debug/runs`.
struct RunsListCommand: Command {
  static let limit = OptionSpec("limit", placeholder: "N", help: "At most N runs (1-500).", default: "50")
  static let spec = CommandSpec(["runs", "list"], abstract: "List run ids, newest first (or (no runs)).", options: [limit, AsOf.option])

  static let worksRemotely = true
  let globals: GlobalOptions
  let count: Int
  let at: LogPosition?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    count = Int(try args.integer(Self.limit, in: 1...500) ?? 50)
    at = try AsOf.parse(&args, command: Self.spec.path)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let runs = try RunsFace.open(globals, context, asOf: at).list(limit: count)
    switch globals.output {
    case .text:
      if runs.isEmpty { context.stdout.line("(no runs)") }
      for run in runs { context.stdout.line(run.runID) }
    case .json:
      context.stdout.line(JSONWriter.encode(.object([("ok", .bool(true)), ("count", .int(runs.count)), ("runs", .array(runs.map { .string($0.runID) }))])))
    case .ndjson:
      for run in runs {
        var members: [(String, JSONValue)] = [("run_id", .string(run.runID))]
        if let workflow = run.workflowID { members.append(("workflow_id", .string(workflow))) }
        if let status = run.status { members.append(("status", .string(status))) }
        context.stdout.line(JSONWriter.encode(.object(members)))
      }
    }
    return .success
  }
}
