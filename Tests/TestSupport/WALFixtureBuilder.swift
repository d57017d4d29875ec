import WALFormat

/// Builds WAL directories and segment bytes for tests: random records, written through the
/// real writer, plus helpers to damage files (truncate, flip a bit, append garbage).
public enum WALFixtureBuilder {
  public static func randomRecords(count: Int, maxPayload: Int = 200, using rng: inout SeededRandom) -> [PendingRecord] {
    (0..<count).map { i in
      PendingRecord(
        kind: RecordKind(rawValue: UInt8.random(in: 1...40, using: &rng)),
        timestamp: WALTimestamp(nanoseconds: 1_700_000_000_000_000_000 + Int64(i) * 1_000_003),
        payload: rng.bytes(Int.random(in: 0...maxPayload, using: &rng)))
    }
  }

  /// Creates a WAL directory at `path` holding `records`, appended in batches of `batch`.
  @discardableResult
  public static func makeDirectory(
    at path: String, records: [PendingRecord], segmentSize: Int = 64 << 20, batch: Int = 7
  ) throws -> [WALRecord] {
    let (directory, _) = try WALDirectory.openOrCreate(path)
    var options = WALOptions()
    options.segmentSize = segmentSize
    let log = WALLog(directory: directory, options: options)
    try log.lockExclusive()
    while try log.next() != nil {}
    var written: [WALRecord] = []
    var index = 0
    while index < records.count {
      let chunk = Array(records[index..<min(index + batch, records.count)])
      written += try log.append(chunk).map(\.record)
      index += batch
    }
    log.unlock()
    return written
  }

  /// Every record a fresh reader sees, stopping at the end (or a torn tail).
  public static func readAll(_ path: String) throws -> [WALRecord] {
    let log = WALLog(directory: try WALDirectory.open(path))
    var records: [WALRecord] = []
    while let logged = try log.next() { records.append(logged.record) }
    return records
  }
}
