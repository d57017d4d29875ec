import ReplayEngine
import WALFormat

/// `runs delete --before`: removes finished runs that ended before a time; a dry run that
/// lists them (and those it keeps, with why) unless `--execute`.
struct RunsDeleteCommand: Command {
  static let before = OptionSpec(
    "before", placeholder: "DURATION|TIME", help: "Runs that ended before this (30d: thirty days ago; or RFC 3339).", required: true)

  static let spec = CommandSpec(
    ["runs", "delete"], abstract: "Delete finished runs that ended before a time; a dry run unless --execute.",
    discussion: """
      Lists the runs that go, oldest first, and those ended before the cutoff that stay: a run that
      has not ended (cancel it first) and a run promoted as an index version (a rollback may go
      back to it). With --execute one run_deleted event is written per run: the run is gone at once,
      and 'wal compact' reclaims its events and the artifacts no other run uses.
      """,
    options: [before, .execute],
    examples: ["driftqctl runs delete --before 30d", "driftqctl runs delete --before 2026-11-01T00:00:00Z --execute"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let cutoffText: String
  let execute: Bool

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    cutoffText = try args.required(Self.before)
    if ValueParsers.pastTime(cutoffText, now: .now()) == nil {
      throw UsageError("invalid value \"\(cutoffText)\" for --before: expected a duration (30d, 12h) or an RFC 3339 time", command: Self.spec.path)
    }
    execute = args.flag(.execute)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    guard let cutoff = ValueParsers.pastTime(cutoffText, now: context.clock()) else { return .usage }
    let deletion = try RunsFace.open(globals, context).delete(before: cutoff, execute: execute)
    func row(_ e: RunDeletion.Entry) -> JSONValue {
      var members: [(String, JSONValue)] = [
        ("run_id", .string(e.runID)), ("workflow_id", .string(e.workflowID)), ("status", .string(e.status)), ("ended_at", .string(RFC3339.format(e.at))),
      ]
      if let why = e.keptBecause { members.append(("kept_because", .string(why))) }
      return .object(members)
    }
    let document: JSONValue = .object([
      ("before", .string(RFC3339.format(deletion.before))), ("executed", .bool(execute)),
      ("deleted", .array(deletion.deleted.map(row))), ("kept", .array(deletion.kept.map(row))),
    ])
    context.print(
      .object(document) {
        var text = ""
        if !deletion.deleted.isEmpty {
          var table = TableRenderer(["RUN_ID", "WORKFLOW", "STATUS", "ENDED_AT"])
          for e in deletion.deleted { table.add([e.runID, e.workflowID, e.status, RFC3339.format(e.at)]) }
          text = table.render()
        }
        text += "\(execute ? "deleted" : "would delete") \(deletion.deleted.count) runs that ended before \(RFC3339.format(deletion.before))\n"
        for e in deletion.kept { text += "kept \(e.runID): \(e.keptBecause ?? "")\n" }
        return text + DryRun.removalFooter(executed: execute, reclaims: "their events", action: "delete")
      }, as: globals.output)
    return .success
  }
}
