import WALFormat

/// Routes a record to the fold that owns its kind: run events and the index pointer to the
/// runs, everything else to the broker. Every reader of a whole log folds through this.
public enum LogFold {
  public static func apply(_ record: WALRecord, at position: RecordPosition, broker: inout BrokerState, runs: inout RunsState) throws(ReplayError) {
    switch record.kind {
    case .runEvent, .indexPointer: try runs.apply(record)
    default: try broker.apply(record, at: position)
    }
  }
}
