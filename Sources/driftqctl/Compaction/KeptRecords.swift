import ReplayEngine
import WALFormat

extension Compactor {
  /// Which records of the prefix stay, decided once (decoding each record) so that copying
  /// them needs no decoding, and where the `log_compacted` records go: the plan's summary
  /// at the first record dropped, and its group activity again at the last one, since a
  /// kept `groups seek` between the two resets the last delivery time the dropped
  /// deliveries after it had set.
  struct KeptRecords {
    private var bits: [UInt64]
    private let base: UInt64
    private(set) var summaries: [UInt64: WALRecord] = [:]
    private(set) var dropped = 0
    /// The size of the compacted segment these records make, header included.
    private(set) var bytes = SegmentHeader.size

    init(_ log: WALLog, prefix: Prefix, plan: CompactionPlan) throws {
      base = prefix.first
      bits = Array(repeating: 0, count: Int((prefix.last - prefix.first) / 64) + 1)
      var first: WALRecord?, last: WALRecord?
      while let logged = try log.next(), logged.record.lsn <= prefix.last {
        let record = logged.record
        if try plan.keeps(record) {
          let index = Int(record.lsn - base)
          bits[index / 64] |= 1 << UInt64(index % 64)
          bytes += RecordFrame.frameLength(payloadLength: record.payload.count)
        } else {
          dropped += 1
          if first == nil { first = record }
          last = record
        }
      }
      guard !plan.summary.starts.isEmpty, let first, let last else { return }
      add(plan.summary, at: first)
      if last.lsn != first.lsn { add(LogCompacted(groups: plan.summary.groups), at: last) }
    }

    private mutating func add(_ summary: LogCompacted, at place: WALRecord) {
      let (kind, payload) = EventCodec.encode(.logCompacted(summary))
      summaries[place.lsn] = WALRecord(lsn: place.lsn, kind: kind, timestamp: place.timestamp, payload: payload)
      bytes += RecordFrame.frameLength(payloadLength: payload.count)
    }

    /// What goes into the compacted segment at `record`'s place: itself, a summary, or nothing.
    func replacement(for record: WALRecord) -> WALRecord? {
      let index = Int(record.lsn - base)
      if bits[index / 64] & (1 << UInt64(index % 64)) != 0 { return record }
      return summaries[record.lsn]
    }
  }
}
