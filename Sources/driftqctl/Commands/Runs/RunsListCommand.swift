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
    if at == nil, let client = try globals.remote() {
      let ids = try RemoteRuns(client: client).list(limit: count)
      switch globals.output {
      case .text:
        if ids.isEmpty { context.stdout.line("(no runs)") }
        for id in ids { context.stdout.line(id) }
      case .json: context.stdout.line(JSONWriter.encode(.object([("ok", .bool(true)), ("count", .int(ids.count)), ("runs", .array(ids.map { .string($0) }))])))
      case .ndjson: for id in ids { context.stdout.line(JSONWriter.encode(.object([("run_id", .string(id))]))) }
      }
      return .success
    }
    let backend = try AsOf.open(at, globals, context)
    let runs = Array(backend.runs.newestFirst.prefix(count))
    switch globals.output {
    case .text:
      if runs.isEmpty { context.stdout.line("(no runs)") }
      for run in runs { context.stdout.line(run.runID) }
    case .json:
      context.stdout.line(JSONWriter.encode(.object([("ok", .bool(true)), ("count", .int(runs.count)), ("runs", .array(runs.map { .string($0.runID) }))])))
    case .ndjson:
      for run in runs {
        context.stdout.line(JSONWriter.encode(.object([("run_id", .string(run.runID)), ("workflow_id", .string(run.workflowID)), ("status", .string(RunRendering.displayStatus(run, directory: backend.directory.path)))])))
      }
    }
    return .success
  }
}
