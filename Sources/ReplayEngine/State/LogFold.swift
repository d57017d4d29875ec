import WALFormat

/// Routes a record to the fold that owns its kind: run events and the index pointer to the
/// runs, everything else to the broker. Every reader of a whole log folds through this.
public enum LogFold {
  public static func apply(_ record: WALRecord, at position: RecordPosition, broker: inout BrokerState, runs: inout RunsState) throws(ReplayError) {
    switch record.kind {
    case .runEvent, .indexPointer: try runs.apply(record)
    case .lostRecord: broker.lastLostRecord = position  // what damage destroyed; a salvage left its LSN
    default: try broker.apply(record, at: position)
    }
  }

  /// Folds what `log` reads from where it stands, up to and including record `last` (or to
  /// the end of what is written).
  public static func fold(_ log: WALLog, through last: UInt64 = .max, broker: inout BrokerState, runs: inout RunsState) throws {
    while let logged = try log.next(), logged.record.lsn <= last {
      try apply(logged.record, at: logged.position, broker: &broker, runs: &runs)
    }
  }
}
