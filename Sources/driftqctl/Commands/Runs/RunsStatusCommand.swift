import ReplayEngine
import WALFormat

/// `runs status`: the Go tool's status line and node table, plus cost and what reuse saved.
struct RunsStatusCommand: RunReadCommand {
  static let spec = CommandSpec(
    ["runs", "status"], abstract: "Show a run: status, tokens, dollars, dollars saved by reuse, and each node attempt.",
    discussion: "Text: run_id=… workflow_id=… status=…, a cost line, then NODE ATT STATUS DUR IN OUT ERR (tab-separated).\nA run whose process stopped shows status=interrupted (finish it with 'driftqctl runs resume'); with\n--at, a run that was running then shows status=running. STATUS reused: the output of an earlier\nattempt, taken by a replay. Attempts from before a replay keep the status they ended with.",
    options: [.runID, AsOf.option])

  static let worksRemotely = true
  let globals: GlobalOptions
  let runID: String
  let at: LogPosition?


  func run(in context: CommandContext) throws -> ExitStatus {
    let (run, directory) = try RunsSupport.load(runID, globals: globals, context: context, asOf: at)
    let rows = run.executions.sorted { ($0.nodeID, $0.attempt) < ($1.nodeID, $1.attempt) }
    let nodes: [JSONValue] = rows.map { e in
      var m: [(String, JSONValue)] = [("node_id", .string(e.nodeID)), ("attempt", .int(e.attempt)), ("status", .string(e.status.rawValue))]
      if let t = RunRendering.time(e.startedAt) { m.append(("started_at", t)) }
      if let t = RunRendering.time(e.endedAt) { m.append(("ended_at", t)) }
      if let error = e.error { m.append(("error", .string(error))) }
      m += [("has_input", .bool(e.inputBytes != nil)), ("has_output", .bool(e.output != nil))]
      if let n = e.inputBytes { m.append(("input_bytes", .int(n))) }
      if let n = e.outputBytes { m.append(("output_bytes", .int(n))) }
      if e.usedCachedOutput {
        m.append(("used_cached_output", .bool(true)))
        if let a = e.cachedAttempt { m.append(("cached_attempt", .int(a))) }
      }
      if run.isSuperseded(e) { m.append(("superseded", .bool(true))) }
      return .object(m)
    }
    let document = JSONValue.object([("ok", .bool(true)), ("run", RunRendering.run(run, directory: directory)), ("nodes", .array(nodes))])
    context.print(
      .object(document) {
        var lines = [
          "run_id=\(run.runID) workflow_id=\(run.workflowID) status=\(RunRendering.displayStatus(run, directory: directory))",
          "tokens=\(run.usage.tokens) dollars=\(Money.text(run.usage.dollars)) saved_dollars=\(Money.text(run.saved.dollars)) attempts=\(run.attempts)",
        ]
        if rows.isEmpty { return Answer.lines(lines + ["(no node executions)"]) }
        lines.append("NODE\tATT\tSTATUS\tDUR\tIN\tOUT\tERR")
        for e in rows {
          lines.append("\(e.nodeID)\t\(e.attempt)\t\(RunRendering.status(e))\t\(RunRendering.duration(e))\t\(e.inputBytes ?? 0)\t\(e.outputBytes ?? 0)\t\(RunRendering.cut(e.error ?? "", over: 80))")
        }
        return Answer.lines(lines)
      }, as: globals.output)
    return .success
  }
}
