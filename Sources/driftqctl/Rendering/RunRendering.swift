import ReplayEngine
import WALFormat

/// DriftQ's run JSON shapes (Run, NodeExecution, RunEvent, Timer) and the Go driftqctl's
/// text conventions (durations as Go prints them, times cut to 19 characters).
enum RunRendering {
  static func time(_ t: WALTimestamp?) -> JSONValue? { t.map { .string(RFC3339.format($0)) } }

  static func run(_ r: WorkflowRun, directory: String?) -> JSONValue {
    var m: [(String, JSONValue)] = [("run_id", .string(r.runID)), ("workflow_id", .string(r.workflowID)), ("status", .string(displayStatus(r, directory: directory)))]
    if let t = time(r.startedAt) { m.append(("started_at", t)) }
    if let t = time(r.endedAt) { m.append(("ended_at", t)) }
    m += [("spec", r.spec.json), ("initial_input", r.input)]
    if let reason = r.terminalReason { m.append(("terminal_reason", .string(reason))) }
    if let meta = r.terminalMeta { m.append(("terminal_meta", meta)) }
    if let node = r.failedNode { m.append(("failed_node", .string(node))) }
    m.append(("run_budget", r.spec.budget.json))
    let wall = r.startedAt.map { ((r.endedAt ?? WALTimestamp.now()).nanoseconds - $0.nanoseconds) / 1_000_000 } ?? 0
    m.append(("budget_usage", .object([
      ("tokens", .int(r.usage.tokens)), ("dollars", .number(Money.text(r.usage.dollars))), ("attempts", .int(r.attempts)), ("wall_clock_ms", .int(wall)),
    ])))
    m.append(("saved_by_reuse", .object([("tokens", .int(r.saved.tokens)), ("dollars", .number(Money.text(r.saved.dollars)))])))
    return .object(m)
  }

  /// `running` for a run no process executes any more is shown as `interrupted` (known only
  /// with the run's directory at hand; a server's runs show as it reports them).
  static func displayStatus(_ r: WorkflowRun, directory: String?) -> String {
    if let directory, r.status == .running || r.status == .waiting, !RunLocks.isHeld(directory: directory, runID: r.runID) { return "interrupted" }
    return r.status.rawValue
  }

  /// A node execution's status for people: `reused` for an output taken from an earlier
  /// attempt (DriftQ says `succeeded`, with `used_cached_output`).
  static func status(_ e: NodeExecution) -> String {
    e.status == .succeeded && e.usedCachedOutput ? "reused" : e.status.rawValue
  }

  static func execution(_ e: NodeExecution, run: WorkflowRun) -> JSONValue {
    var m: [(String, JSONValue)] = [
      ("run_id", .string(run.runID)), ("workflow_id", .string(run.workflowID)), ("node_id", .string(e.nodeID)),
      ("attempt", .int(e.attempt)), ("status", .string(e.status.rawValue)),
    ]
    if let t = time(e.startedAt) { m.append(("started_at", t)) }
    if let t = time(e.endedAt) { m.append(("ended_at", t)) }
    if let input = e.input { m.append(("input", input)) }
    switch e.output {
    case .inline(let value)?: m.append(("output", value))
    case .artifact(let id, _)?: m.append(("artifact_ref", .object([("artifact_id", .string(id))])))
    case nil: break
    }
    if let error = e.error { m.append(("error", .string(error))) }
    if e.usedCachedOutput {
      m.append(("used_cached_output", .bool(true)))
      if let a = e.cachedAttempt { m.append(("cached_attempt", .int(a))) }
    }
    if e.usage.tokens > 0 || e.usage.dollars > 0 { m.append(("usage", e.usage.json)) }
    // Ours: an attempt from before the run's latest replay (DriftQ marks those canceled).
    if run.isSuperseded(e) { m.append(("superseded", .bool(true))) }
    return .object(m)
  }

  static func event(_ e: RunEventRecord, run: WorkflowRun) -> JSONValue {
    var m: [(String, JSONValue)] = [
      ("run_id", .string(run.runID)), ("seq", .int(e.seq)), ("type", .string(e.event.type)), ("at", .string(RFC3339.format(e.at))),
      ("workflow_id", .string(run.workflowID)),
    ]
    if let node = e.event.nodeID { m.append(("node_id", .string(node))) }
    if let attempt = e.event.attempt { m.append(("attempt", .int(attempt))) }
    if let payload = e.event.payload { m.append(("payload", payload)) }
    return .object(m)
  }

  static func timer(_ t: RunTimer, run: WorkflowRun) -> JSONValue {
    var m: [(String, JSONValue)] = [
      ("run_id", .string(run.runID)), ("workflow_id", .string(run.workflowID)), ("node_id", .string(t.nodeID)), ("attempt", .int(t.attempt)),
      ("status", .string(t.status)), ("fire_at", .string(RFC3339.format(t.fireAt))), ("created_at", .string(RFC3339.format(t.createdAt))),
    ]
    if let fired = time(t.firedAt) { m.append(("fired_at", fired)) }
    m.append(("reason", .string(t.reason)))
    return .object(m)
  }

  /// Every node execution, by node and attempt (the `nodes` of `/debug/run` and run-state).
  static func nodes(_ r: WorkflowRun) -> JSONValue {
    .array(r.executions.sorted { ($0.nodeID, $0.attempt) < ($1.nodeID, $1.attempt) }.map { execution($0, run: r) })
  }

  /// DriftQ's `/debug/run-state` document.
  static func state(_ r: WorkflowRun, directory: String?) -> JSONValue {
    .object([
      ("ok", .bool(true)), ("run", run(r, directory: directory)), ("nodes", nodes(r)),
      ("events", .array(r.events.map { event($0, run: r) })),
      ("timers", .array(r.timers.sorted { $0.fireAt < $1.fireAt }.map { timer($0, run: r) })),
    ])
  }

  /// Go's `time.Duration.String()`: `0s`, `25.313ms`, `1.2s`, `1m30s`, `2h0m0s`.
  static func goDuration(nanoseconds ns: Int64) -> String {
    if ns == 0 { return "0s" }
    let negative = ns < 0
    let v = abs(ns)
    var text: String
    if v < 1_000 { text = "\(v)ns" }
    else if v < 1_000_000 { text = fraction(v, 1_000) + "µs" }
    else if v < 1_000_000_000 { text = fraction(v, 1_000_000) + "ms" }
    else {
      let hours = v / 3_600_000_000_000
      let minutes = v / 60_000_000_000 % 60
      let seconds = fraction(v % 60_000_000_000, 1_000_000_000) + "s"
      text = hours > 0 ? "\(hours)h\(minutes)m\(seconds)" : minutes > 0 ? "\(minutes)m\(seconds)" : seconds
    }
    return (negative ? "-" : "") + text
  }

  private static func fraction(_ value: Int64, _ unit: Int64) -> String {
    let whole = value / unit
    var rest = String(value % unit)
    let width = String(unit).count - 1
    rest = String(repeating: "0", count: width - rest.count) + rest
    while rest.hasSuffix("0") { rest.removeLast() }
    return rest.isEmpty ? "\(whole)" : "\(whole).\(rest)"
  }

  /// A duration for people: Go's form, rounded to what matters (`84.32ms`, `2.068s`).
  static func shortDuration(nanoseconds ns: Int64) -> String {
    let unit: Int64 = abs(ns) >= 1_000_000_000 ? 1_000_000 : abs(ns) >= 1_000_000 ? 10_000 : 1_000
    return goDuration(nanoseconds: abs(ns) < 1_000 ? ns : (ns + (ns < 0 ? -unit : unit) / 2) / unit * unit)
  }

  static func duration(_ e: NodeExecution) -> String {
    guard let s = e.startedAt, let t = e.endedAt else { return "-" }
    return goDuration(nanoseconds: t.nanoseconds - s.nanoseconds)
  }

  /// The first 19 characters of an RFC 3339 time (`YYYY-MM-DDTHH:MM:SS`), or `-`.
  static func short(_ t: WALTimestamp?) -> String { t.map { String(RFC3339.format($0).prefix(19)) } ?? "-" }

  /// Cuts `text` to `limit` characters, ending with `...` when cut (the Go tool's rule).
  static func cut(_ text: String, over limit: Int) -> String {
    let trimmed = text.trimmingTrailingWhitespace()
    return trimmed.count > limit ? String(trimmed.prefix(limit - 3)) + "..." : trimmed
  }
}
