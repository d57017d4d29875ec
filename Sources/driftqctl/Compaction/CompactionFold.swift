import ReplayEngine
import WALFormat

extension Compactor {
  /// The log folded to the end of the sealed prefix, plus what the records after it demand:
  /// the offsets they act on bound the trimmed prefixes, and runs with later events stay.
  struct Folded {
    var broker = BrokerState()
    var runs = RunsState()
    /// Every run, the tail's included (for the artifacts still in use).
    var allRuns = RunsState()
    /// Per partition, the lowest offset a record after the prefix refers to.
    var tailFloors: [CompactionPlan.Slot: Int64] = [:]
    var pinnedRuns: Set<String> = []
    /// What the prefix's deletions removed.
    var deletions = CompactionDeletions()
    /// The last LSN of the sealed prefix.
    let prefixEnd: UInt64

    /// Reads `log` to its end, folding records up to `last`, with the message rows moved out
    /// of memory by `spill`.
    init(reading log: WALLog, through last: UInt64, spill: RowSpill) throws {
      prefixEnd = last
      var inTail = false
      while let logged = try log.next() {
        let record = logged.record
        if record.lsn <= last {
          try deletions.note(record, before: broker)
          try LogFold.apply(record, at: logged.position, broker: &broker, runs: &runs)
          try spill.folded(into: &broker)
        } else if !inTail {
          inTail = true
          allRuns = runs  // the tail's run records fold on from here
        }
        try note(record)
      }
      if !inTail { allRuns = runs }
    }

    /// What bounds the plan in any record: offsets the records after the prefix refer to
    /// (a group that consumes later, or seeks back, needs them), index pointers, run events.
    private mutating func note(_ record: WALRecord) throws {
      switch record.kind {
      case .topicCreated, .messagePublished, .runEvent, .indexPointer, .logCompacted:
        break
      default:
        guard record.lsn > prefixEnd, let event = try EventCodec.decode(record) else { return }
        for origin in event.offsetsReferred {
          let slot = CompactionPlan.Slot(topic: origin.topic, partition: origin.partition)
          tailFloors[slot] = min(tailFloors[slot] ?? .max, origin.offset)
        }
      }
      switch record.kind {
      case .indexPointer:
        if record.lsn > prefixEnd { try allRuns.apply(record) }
        if let runID = (try? JSONParser.parse(bytes: record.payload))?["run_id"]?.stringValue { pinnedRuns.insert(runID) }
      case .runEvent where record.lsn > prefixEnd:
        try allRuns.apply(record)
        // A run with events after the prefix is live at the prefix's end: whatever its
        // status there, its history stays.
        if let runID = try? RunEvent(decoding: record.payload).runID, runs.runs[runID] != nil {
          pinnedRuns.insert(runID)
        }
      default: break
      }
    }

    /// Reads what was appended since planning (the caller holds the writer lock) and refuses
    /// to go on if any of it needs a record the plan drops.
    func readTail(of log: WALLog, conflictingWith plan: CompactionPlan) throws {
      while let logged = try log.next() {
        if try plan.conflicts(with: logged.record) {
          throw CommandFailure(.unavailable, "compaction stopped, the log is unchanged: LSN \(logged.record.lsn), written meanwhile, needs records it would drop; run it again")
        }
      }
    }

    /// Artifacts named by every run not dropped.
    func artifactsInUse(besides dropped: Set<String>) -> Set<String> {
      var ids: Set<String> = []
      for (id, run) in allRuns.runs where !dropped.contains(id) { ids.formUnion(run.referencedArtifacts) }
      return ids
    }
  }
}
