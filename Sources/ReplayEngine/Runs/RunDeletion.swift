import WALFormat

/// What `runs delete --before` removes: finished runs that ended before the cutoff. Runs that
/// have not ended, and runs promoted as an index version (a rollback may go back to them),
/// stay, each with the reason. Compaction reclaims a deleted run's events and the artifacts
/// no other run uses.
public struct RunDeletion: Sendable, Equatable {
  public struct Entry: Sendable, Equatable {
    public var runID: String
    public var workflowID: String
    public var status: String
    /// When it ended (or, for a run that did not, its last event).
    public var at: WALTimestamp
    /// Why it stays; nil for a run deleted.
    public var keptBecause: String?

    public init(runID: String, workflowID: String, status: String, at: WALTimestamp, keptBecause: String? = nil) {
      self.runID = runID
      self.workflowID = workflowID
      self.status = status
      self.at = at
      self.keptBecause = keptBecause
    }
  }

  public var before: WALTimestamp
  /// Oldest first.
  public var deleted: [Entry]
  public var kept: [Entry]

  public init(before: WALTimestamp, deleted: [Entry], kept: [Entry]) {
    self.before = before
    self.deleted = deleted
    self.kept = kept
  }

  /// The runs of `runs` a deletion before `cutoff` takes, and one `run_deleted` event each.
  public static func plan(_ runs: RunsState, before cutoff: WALTimestamp) -> (plan: RunDeletion, events: [RunEvent]) {
    var deleted: [Entry] = []
    var kept: [Entry] = []
    for id in runs.order {
      guard let run = runs.runs[id] else { continue }
      let at = run.endedAt ?? run.events.last?.at ?? run.createdAt
      guard at < cutoff else { continue }
      var entry = Entry(runID: id, workflowID: run.workflowID, status: run.status.rawValue, at: at)
      if !run.status.isTerminal {
        entry.keptBecause = "it has not ended (\(run.status.rawValue)): cancel it first"
      } else if let version = runs.promotedRuns[id] {
        entry.keptBecause = "it was promoted as index version \(version)"
      }
      if entry.keptBecause == nil { deleted.append(entry) } else { kept.append(entry) }
    }
    deleted.sort { ($0.at, $0.runID) < ($1.at, $1.runID) }
    kept.sort { ($0.at, $0.runID) < ($1.at, $1.runID) }
    let events = deleted.map { RunEvent(runID: $0.runID, type: RunEventType.runDeleted) }
    return (RunDeletion(before: cutoff, deleted: deleted, kept: kept), events)
  }
}
