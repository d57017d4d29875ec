import WALFormat

/// How one attempt of a step went, as an operator reads it: `reused` for an output taken from
/// an earlier attempt, `interrupted` for one whose process stopped, `delayed` for one that
/// asked to wait (DriftQ's node statuses say `succeeded` and `failed` or `canceled` for them).
public enum AttemptOutcome: String, Sendable {
  case running, waiting, succeeded, reused, failed, interrupted, delayed, canceled

  /// Whether the attempt is over.
  public var isFinal: Bool { self != .running && self != .waiting }
}

/// One attempt of one step on a run's timeline.
public struct TimelineEntry: Sendable, Equatable {
  public var nodeID: String
  public var attempt: Int
  public var outcome: AttemptOutcome
  public var startedAt: WALTimestamp?
  public var endedAt: WALTimestamp?
  /// What the attempt spent (a reused output spends nothing).
  public var usage: Usage
  /// What a reused output had cost when it was made: what reusing it saved.
  public var saved: Usage
  public var cachedAttempt: Int?
  public var workerMs: Int64?
  /// Why it failed or was canceled, what it reused, and whether it was retried.
  public var detail: String
  /// The attempt comes from before the run's latest replay.
  public var superseded: Bool
  /// The replays the run had had when the attempt began (0: the first execution).
  public var generation: Int

  /// Nanoseconds from start to end, when both are known.
  public var duration: Int64? {
    guard let s = startedAt, let e = endedAt else { return nil }
    return e.nanoseconds - s.nanoseconds
  }
}

/// Every attempt of a run in the order they began, with how each ended, and what stopped the
/// run when a budget did: the view `runs timeline` prints, `--follow` streams and
/// `runs report` draws. Built from the folded run alone, so both faces give the same one.
public struct RunTimeline: Sendable {
  public var entries: [TimelineEntry]
  /// The run's budget stop: `tokens (used 40, limit 25)`, when a budget ended it.
  public var budgetStop: String?
  /// When the first attempt began (or the run started) and when the last one ended.
  public var start: WALTimestamp?
  public var end: WALTimestamp?

  public init(_ run: WorkflowRun) {
    var entries: [TimelineEntry] = []
    let budgetReason = run.terminalReason == "budget_exceeded" ? Self.budgetText(run.terminalMeta) : nil
    for (index, e) in run.executions.enumerated() {
      let later = run.executions[(index + 1)...].first { $0.nodeID == e.nodeID && $0.generation == e.generation }
      var outcome: AttemptOutcome
      switch e.status {
      case .queued, .running: outcome = .running
      case .waiting: outcome = .waiting
      case .succeeded: outcome = e.usedCachedOutput ? .reused : .succeeded
      case .failed: outcome = e.interrupted ? .interrupted : .failed
      case .canceled: outcome = e.delayed ? .delayed : .canceled
      }
      var parts: [String] = []
      switch outcome {
      case .reused:
        parts.append("output of attempt \(e.cachedAttempt.map(String.init) ?? "?")")
        if e.costBasis.dollars > 0 { parts.append("saved \(Money.text(e.costBasis.dollars)) dollars") }
      case .failed, .interrupted, .delayed:
        if let error = e.error, !error.isEmpty { parts.append(error) }
      case .canceled:
        if e.error == "budget_exceeded", let budgetReason { parts.append("budget exceeded: \(budgetReason)") }
        else if let error = e.error, !error.isEmpty { parts.append(error) }
      case .waiting:
        if let timer = run.timers.last(where: { $0.nodeID == e.nodeID && $0.attempt == e.attempt && $0.status == "scheduled" }) {
          parts.append("waiting until \(RFC3339.format(timer.fireAt)): \(timer.reason)")
        }
      case .running, .succeeded: break
      }
      if outcome == .failed || outcome == .interrupted, let later {
        var retry = "retried as attempt \(later.attempt)"
        if let timer = run.timers.last(where: { $0.nodeID == e.nodeID && $0.attempt == e.attempt }), let ended = e.endedAt {
          retry += " after " + Self.milliseconds(timer.fireAt.nanoseconds - ended.nanoseconds)
        }
        parts.append(retry)
      }
      entries.append(TimelineEntry(
        nodeID: e.nodeID, attempt: e.attempt, outcome: outcome, startedAt: e.startedAt ?? e.endedAt, endedAt: e.endedAt,
        usage: e.usage, saved: e.usedCachedOutput ? e.costBasis : Usage(), cachedAttempt: e.cachedAttempt, workerMs: e.workerMs,
        detail: parts.joined(separator: "; "), superseded: run.isSuperseded(e), generation: e.generation))
    }
    // In the order they began; attempts that began together keep the order they were written.
    let order = entries.enumerated().sorted { a, b in
      let (x, y) = (a.element.startedAt?.nanoseconds ?? .max, b.element.startedAt?.nanoseconds ?? .max)
      return x != y ? x < y : a.offset < b.offset
    }
    self.entries = order.map(\.element)
    budgetStop = budgetReason
    start = self.entries.compactMap(\.startedAt).min() ?? run.startedAt
    end = ([run.endedAt] + self.entries.map(\.endedAt)).compactMap { $0 }.max()
  }

  /// `tokens (used 40, limit 25)` from DriftQ's `budget_exceeded` payload.
  static func budgetText(_ meta: JSONValue?) -> String {
    let reason = meta?["reason"]?.stringValue ?? "budget"
    func first(_ value: JSONValue?) -> String? {
      guard case .object(let members)? = value, let (_, v) = members.first else { return nil }
      return JSONWriter.encode(v)
    }
    guard let used = first(meta?["used"]), let limit = first(meta?["limit"]) else { return reason }
    return "\(reason) (used \(used), limit \(limit))"
  }

  /// `250ms`, `1.5s`: a short wait for people.
  static func milliseconds(_ nanoseconds: Int64) -> String {
    let ms = max(0, nanoseconds / 1_000_000)
    return ms < 1000 ? "\(ms)ms" : Money.text(Double(ms) / 1000) + "s"
  }
}
