import Testing
import TestSupport
import WALFormat

/// The sparse per-segment index: seeks land where a scan from the start would, whether the
/// index files are fresh, missing, damaged, swapped, or behind a segment that grew.
@Suite struct SeekIndexTests {
  /// Records with timestamps that mostly rise but sometimes go back (imports keep the times
  /// their source recorded), over several segments.
  private func makeLog(_ dir: TemporaryDirectory, count: Int, rng: inout SeededRandom) throws -> [WALRecord] {
    var records = WALFixtureBuilder.randomRecords(count: count, maxPayload: 400, using: &rng)
    for i in records.indices where Int.random(in: 0..<10, using: &rng) == 0 {
      records[i].timestamp = WALTimestamp(nanoseconds: records[i].timestamp.nanoseconds - Int64.random(in: 0...2_000_000_000, using: &rng))
    }
    return try WALFixtureBuilder.makeDirectory(at: dir.path, records: records, segmentSize: 300 << 10, batch: 50)
  }

  /// Checks random LSN and time seeks against what a scan from the start finds.
  private func checkSeeks(_ dir: TemporaryDirectory, _ written: [WALRecord], rng: inout SeededRandom, _ label: String) throws {
    for _ in 0..<60 {
      let lsn = UInt64.random(in: 0...UInt64(written.count + 2), using: &rng)
      let log = WALLog(directory: try WALDirectory.open(dir.path))
      try log.seek(toLSN: lsn)
      #expect(try log.next()?.record == written.first { $0.lsn >= lsn }, "seed \(TestSeed.current), \(label), LSN \(lsn)")

      let pick = written[Int.random(in: 0..<written.count, using: &rng)].timestamp.nanoseconds + Int64.random(in: -1...1, using: &rng)
      let time = WALTimestamp(nanoseconds: pick)
      let timed = WALLog(directory: try WALDirectory.open(dir.path))
      try timed.seek(toTime: time)
      #expect(try timed.next()?.record == written.first { $0.timestamp >= time }, "seed \(TestSeed.current), \(label), time \(pick)")
    }
  }

  private func indexFiles(_ dir: TemporaryDirectory) throws -> [String] {
    try Syscalls.listDirectory(dir.appending("index")).filter { $0.hasSuffix(".idx") }.sorted().map { dir.appending("index/" + $0) }
  }

  @Test func seeksMatchAScanWhateverStateTheIndexIsIn() throws {
    var rng = TestSeed.generator(for: "seek-index")
    let dir = TemporaryDirectory("seek")
    var written = try makeLog(dir, count: 4000, rng: &rng)
    #expect(try WALDirectory.open(dir.path).segments().count >= 3)
    try checkSeeks(dir, written, rng: &rng, "no index files yet")
    // Random seeks may miss a small segment (some seeds did): one seek into each makes sure
    // every segment has been sought once.
    for segment in try WALDirectory.open(dir.path).segments() {
      try WALLog(directory: try WALDirectory.open(dir.path)).seek(toLSN: segment.baseLSN)
    }
    let files = try indexFiles(dir)
    #expect(files.count == (try WALDirectory.open(dir.path).segments().count), "an index per segment was saved")
    try checkSeeks(dir, written, rng: &rng, "fresh index")

    // Damaged, swapped and lying index files: none is trusted over the log.
    let first = FileBytes.read(files[0])
    FileBytes.write(files[0], FileBytes.read(files[1]))
    FileBytes.write(files[1], Array(first.prefix(first.count / 2)))
    try checkSeeks(dir, written, rng: &rng, "swapped and truncated")
    var lying = try #require(SegmentIndex(decoding: FileBytes.read(files[0])))
    lying.entries = lying.entries.map { SegmentIndex.Entry(lsn: $0.lsn + 3, offset: $0.offset + 8, newestBefore: $0.newestBefore &- 1_000_000_000) }
    FileBytes.write(files[0], lying.encoded())
    var flipped = FileBytes.read(files[1])
    flipped[flipped.count - 3] ^= 0x10
    FileBytes.write(files[1], flipped)
    try checkSeeks(dir, written, rng: &rng, "lying and bit-flipped")
    #expect(SegmentIndex(decoding: FileBytes.read(files[1])) != nil, "a damaged index is rebuilt and saved")

    // The newest segment grows after its index was made: the index is extended.
    written += try WALFixtureBuilder.makeDirectory(at: dir.path, records: WALFixtureBuilder.randomRecords(count: 500, maxPayload: 400, using: &rng), segmentSize: 300 << 10)
    try checkSeeks(dir, written, rng: &rng, "after growth")

    // With every index file gone, seeks rebuild them.
    for file in try indexFiles(dir) { try Syscalls.unlink(file) }
    try checkSeeks(dir, written, rng: &rng, "no index files")
  }

  /// A seek past every record leaves the reader at the end, where a later append is read.
  @Test func seekPastTheEndWaitsThere() throws {
    var rng = TestSeed.generator(for: "seek-end")
    let dir = TemporaryDirectory("seek-end")
    let written = try makeLog(dir, count: 300, rng: &rng)
    let log = WALLog(directory: try WALDirectory.open(dir.path))
    let newest = try #require(written.map(\.timestamp).max())
    try log.seek(toTime: WALTimestamp(nanoseconds: newest.nanoseconds + 1))
    #expect(try log.next() == nil)
    let more = try WALFixtureBuilder.makeDirectory(at: dir.path, records: WALFixtureBuilder.randomRecords(count: 1, using: &rng))
    #expect(try log.next()?.record == more.first)
  }
}
