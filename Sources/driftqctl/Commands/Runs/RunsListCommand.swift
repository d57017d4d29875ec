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
    // DriftQ's /debug/runs lists ids only; the NDJSON rows say more of each run.
    let rows: [JSONValue] = runs.map { run in
      var members: [(String, JSONValue)] = [("run_id", .string(run.runID))]
      if let workflow = run.workflowID { members.append(("workflow_id", .string(workflow))) }
      if let status = run.status { members.append(("status", .string(status))) }
      return .object(members)
    }
    let document = JSONValue.object([("ok", .bool(true)), ("count", .int(runs.count)), ("runs", .array(runs.map { .string($0.runID) }))])
    context.print(
      Answer(document: document, lines: rows) { runs.isEmpty ? "(no runs)\n" : Answer.lines(runs.map(\.runID)) }, as: globals.output)
    return .success
  }
}
