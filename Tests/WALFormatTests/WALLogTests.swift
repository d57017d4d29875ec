import Testing
import TestSupport
import WALFormat

@Suite struct WALLogTests {
  /// A new directory's log, holding the writer lock and caught up, rolling segments at
  /// `segmentSize` bytes.
  func lockedWriter(in dir: TemporaryDirectory, segmentSize: Int) throws -> (WALDirectory, WALLog) {
    let (directory, _) = try WALDirectory.openOrCreate(dir.path)
    var options = WALOptions()
    options.segmentSize = segmentSize
    let log = WALLog(directory: directory, options: options)
    try log.lockExclusive()
    while try log.next() != nil {}
    return (directory, log)
  }

  @Test func appendedRecordsReadBackAcrossSegments() throws {
    let dir = TemporaryDirectory("log")
    var rng = TestSeed.generator(for: "log-roundtrip")
    let pending = WALFixtureBuilder.randomRecords(count: 120, using: &rng)
    let written = try WALFixtureBuilder.makeDirectory(at: dir.path, records: pending, segmentSize: 1024)
    #expect(written.map(\.lsn) == Array(1...120))
    let segments = try WALDirectory.open(dir.path).segments()
    #expect(segments.count > 5)
    #expect(segments.first?.baseLSN == 1)
    #expect(try WALFixtureBuilder.readAll(dir.path) == written)
    #expect(try !WALVerifier.verify(WALDirectory.open(dir.path)).isCorrupt)
  }

  @Test func aSecondWriterContinuesTheLSNs() throws {
    let dir = TemporaryDirectory("log")
    var rng = TestSeed.generator(for: "log-continue")
    let first = try WALFixtureBuilder.makeDirectory(at: dir.path, records: WALFixtureBuilder.randomRecords(count: 10, using: &rng), segmentSize: 512)
    let second = try WALFixtureBuilder.makeDirectory(at: dir.path, records: WALFixtureBuilder.randomRecords(count: 10, using: &rng), segmentSize: 512)
    #expect(second.map(\.lsn) == Array(11...20))
    #expect(try WALFixtureBuilder.readAll(dir.path) == first + second)
  }

  /// A first creation that stopped before FORMAT was renamed into place does not brick the
  /// directory: readers see no directory yet, and the next write creates it.
  @Test func anInterruptedCreationIsRecovered() throws {
    let dir = TemporaryDirectory("interrupted")
    try Syscalls.makeDirectory(dir.appending("wal"))
    FileBytes.write(dir.appending("FORMAT.tmp"), Array("driftq-wal".utf8))
    #expect { try WALDirectory.open(dir.path) } throws: { ($0 as? WALError)?.code == .missing }
    let (_, created) = try WALDirectory.openOrCreate(dir.path)
    #expect(created)
    #expect(try WALDirectory.open(dir.path).path == dir.path)
    // Anything else beside a missing FORMAT is still someone else's data.
    let other = TemporaryDirectory("not-ours")
    FileBytes.write(other.appending("notes.txt"), Array("x".utf8))
    #expect { try WALDirectory.open(other.path) } throws: { ($0 as? WALError)?.code == .foreignData }
  }

  /// With deferred syncs an append leaves its sync to the caller, once, and a segment is
  /// never sealed (rolled) with unsynced bytes: the writer syncs them itself first.
  @Test func deferredSyncsAreHandedOutOnceAndNeverOutliveTheirSegment() throws {
    let dir = TemporaryDirectory("deferred")
    let (directory, log) = try lockedWriter(in: dir, segmentSize: 4096)
    log.defersSync = true
    let record = PendingRecord(kind: RecordKind(rawValue: 1), timestamp: .now(), payload: [UInt8](repeating: 7, count: 100))
    try log.append([record])
    let pending = try #require(log.takeUnsynced())
    #expect(log.takeUnsynced() == nil)
    try pending.sync()
    try log.append([record])
    #expect(try log.sealSegment())
    #expect(log.takeUnsynced() == nil, "sealing synced the bytes before it")
    try log.append([PendingRecord](repeating: record, count: 60))  // rolls to new segments
    let last = try #require(log.takeUnsynced())
    #expect(last.path == (try directory.segments().last?.path))
    try log.append([record])
    try log.syncDeferred()
    #expect(log.takeUnsynced() == nil)
    log.unlock()
    #expect(try WALFixtureBuilder.readAll(dir.path).count == 63)
  }

  /// A writer that keeps zeros written ahead of its appends: readers end at its last
  /// record; another writer cuts the zeros off before it appends and the first goes on after
  /// it; sealed segments and a stopped writer's segment end at their last frame.
  @Test func preallocatedZerosAreTheEndOfTheLogForEveryReaderAndWriter() throws {
    let dir = TemporaryDirectory("preallocate")
    let (directory, first) = try lockedWriter(in: dir, segmentSize: 8 << 10)
    var options = WALOptions()
    options.segmentSize = 8 << 10
    options.preallocate = 4096
    let serving = WALLog(directory: directory, options: options)
    first.unlock()
    func record(_ n: Int) -> PendingRecord {
      PendingRecord(kind: RecordKind(rawValue: 1), timestamp: .now(), payload: Array("record \(n)".utf8) + [UInt8](repeating: 1, count: 100))
    }
    func append(_ log: WALLog, _ n: Int) throws {
      try log.lockExclusive()
      defer { log.unlock() }
      while try log.next() != nil {}
      try log.append([record(n)])
    }
    var expected: [String] = []
    for n in 0..<10 {
      try append(serving, n)
      expected.append("record \(n)")
    }
    let newest = try #require(try directory.segments().last)
    let size = try Syscalls.fileSize(atPath: newest.path)
    #expect(try WALFixtureBuilder.readAll(dir.path).count == 10)
    #expect(try WALVerifier.verify(directory).problems.isEmpty)
    // Another writer (no preallocation) cuts the zeros, appends; the first reads it and goes on.
    try append(first, 100)
    expected.append("record 100")
    #expect(try Syscalls.fileSize(atPath: newest.path) < size)
    for n in 10..<200 {  // rolls segments of 8 KiB
      try append(serving, n)
      expected.append("record \(n)")
    }
    try append(first, 200)
    expected.append("record 200")
    try serving.lockExclusive()
    while try serving.next() != nil {}
    try serving.cutPreallocation()
    serving.unlock()
    let read = try WALFixtureBuilder.readAll(dir.path)
    #expect(read.map { String(decoding: $0.payload.prefix(while: { $0 != 1 }), as: UTF8.self) } == expected)
    #expect(read.map(\.lsn) == Array(1...UInt64(expected.count)))
    let segments = try directory.segments()
    #expect(segments.count > 2)
    for segment in segments {
      // Every segment ends at its last frame: no zeros are left anywhere.
      guard case .success(let scanner) = SegmentScanner.open(segment) else { Issue.record("\(segment.name) does not open"); continue }
      while case .frame = try scanner.step() {}
      #expect(scanner.offset == (try Syscalls.fileSize(atPath: segment.path)), "\(segment.name) has bytes after its last frame")
    }
    #expect(try WALVerifier.verify(directory).problems.isEmpty)
  }

  @Test func appendWithoutTheLockIsRefused() throws {
    let dir = TemporaryDirectory("log")
    let (directory, _) = try WALDirectory.openOrCreate(dir.path)
    let log = WALLog(directory: directory)
    #expect(throws: WALError.self) {
      try log.append([PendingRecord(kind: RecordKind(rawValue: 1), timestamp: .now(), payload: [1])])
    }
  }

  @Test func theLockExcludesASecondOpener() throws {
    let dir = TemporaryDirectory("log")
    let (directory, _) = try WALDirectory.openOrCreate(dir.path)
    let holder = WALLog(directory: directory)
    try holder.lockExclusive()
    var options = WALOptions()
    options.lockTimeoutMilliseconds = 30
    let other = WALLog(directory: directory, options: options)
    let error = #expect(throws: WALError.self) { try other.lockExclusive() }
    #expect(error?.code == .lockTimeout)
    holder.unlock()
    try other.lockExclusive()
    other.unlock()
  }

  @Test func aReaderSeesWhatAnotherWriterAppendsLater() throws {
    let dir = TemporaryDirectory("log")
    var rng = TestSeed.generator(for: "log-tail")
    try WALFixtureBuilder.makeDirectory(at: dir.path, records: WALFixtureBuilder.randomRecords(count: 3, using: &rng), segmentSize: 300)
    let reader = WALLog(directory: try WALDirectory.open(dir.path))
    var seen = 0
    while try reader.next() != nil { seen += 1 }
    #expect(seen == 3)
    try WALFixtureBuilder.makeDirectory(at: dir.path, records: WALFixtureBuilder.randomRecords(count: 9, using: &rng), segmentSize: 300)
    while try reader.next() != nil { seen += 1 }
    #expect(seen == 12)
  }

  @Test func theWriterCutsATornTailAndReportsIt() throws {
    let dir = TemporaryDirectory("log")
    var rng = TestSeed.generator(for: "log-torn")
    let written = try WALFixtureBuilder.makeDirectory(at: dir.path, records: WALFixtureBuilder.randomRecords(count: 5, using: &rng))
    let segment = dir.appending("wal/" + SegmentName.fileName(baseLSN: 1))
    let bytes = FileBytes.read(segment)
    FileBytes.write(segment, bytes + [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
    // A reader treats the tail as not yet written and changes nothing.
    #expect(try WALFixtureBuilder.readAll(dir.path) == written)
    #expect(FileBytes.read(segment).count == bytes.count + 13)
    let log = WALLog(directory: try WALDirectory.open(dir.path))
    var repairs: [TornTailRepair] = []
    log.onTornTailRepaired = { repairs.append($0) }
    try log.lockExclusive()
    while try log.next() != nil {}
    #expect(repairs.count == 1)
    #expect(repairs.first?.bytesRemoved == 13)
    #expect(repairs.first?.location.offset == bytes.count)
    let appended = try log.append([PendingRecord(kind: RecordKind(rawValue: 3), timestamp: .now(), payload: [42])])
    log.unlock()
    #expect(appended.first?.record.lsn == 6)
    #expect(try WALFixtureBuilder.readAll(dir.path).count == 6)
  }

  @Test func corruptionIsThrownWithItsPlace() throws {
    let dir = TemporaryDirectory("log")
    var rng = TestSeed.generator(for: "log-corrupt")
    var records = WALFixtureBuilder.randomRecords(count: 6, maxPayload: 50, using: &rng)
    // The first record needs a payload byte to damage: with an empty one, the byte after its
    // header would be the second frame's.
    if records[0].payload.isEmpty { records[0].payload = [0x5A] }
    try WALFixtureBuilder.makeDirectory(at: dir.path, records: records)
    let segment = dir.appending("wal/" + SegmentName.fileName(baseLSN: 1))
    var bytes = FileBytes.read(segment)
    bytes[SegmentHeader.size + RecordFrame.headerSize] ^= 0x01  // first payload byte
    FileBytes.write(segment, bytes)
    let error = #expect(throws: WALError.self) { _ = try WALFixtureBuilder.readAll(dir.path) }
    #expect(error?.code == .corruption)
    #expect(error?.location?.offset == SegmentHeader.size)
    #expect(error?.location?.segment == SegmentName.fileName(baseLSN: 1))
    let report = try WALVerifier.verify(WALDirectory.open(dir.path))
    #expect(report.isCorrupt)
    #expect(report.problems.first?.location.lsn == 1)
  }

  @Test func aGapBetweenSegmentsIsCorruption() throws {
    let dir = TemporaryDirectory("log")
    var rng = TestSeed.generator(for: "log-gap")
    try WALFixtureBuilder.makeDirectory(at: dir.path, records: WALFixtureBuilder.randomRecords(count: 40, using: &rng), segmentSize: 512)
    let segments = try WALDirectory.open(dir.path).segments()
    try #require(segments.count >= 3)
    FileBytes.remove(segments[1].path)
    #expect(throws: WALError.self) { _ = try WALFixtureBuilder.readAll(dir.path) }
    #expect(try WALVerifier.verify(WALDirectory.open(dir.path)).isCorrupt)
  }

  @Test func foreignFilesAndFormatsAreRefused() throws {
    let dir = TemporaryDirectory("log")
    try WALFixtureBuilder.makeDirectory(at: dir.path, records: [])
    FileBytes.write(dir.appending("wal/notes.txt"), Array("hi".utf8))
    let error = #expect(throws: WALError.self) { _ = try WALDirectory.open(dir.path).segments() }
    #expect(error?.code == .foreignData)

    let other = TemporaryDirectory("log")
    FileBytes.write(other.appending("FORMAT"), Array("driftq-wal 9.0\n".utf8))
    #expect((#expect(throws: WALError.self) { _ = try WALDirectory.open(other.path) })?.code == .unsupportedVersion)
    FileBytes.write(other.appending("FORMAT"), Array("something else\n".utf8))
    #expect((#expect(throws: WALError.self) { _ = try WALDirectory.open(other.path) })?.code == .foreignData)
    let missing = other.appending("nope")
    #expect((#expect(throws: WALError.self) { _ = try WALDirectory.open(missing) })?.code == .missing)
  }

  @Test func seekStartsAtTheRequestedLSN() throws {
    let dir = TemporaryDirectory("log")
    var rng = TestSeed.generator(for: "log-seek")
    try WALFixtureBuilder.makeDirectory(at: dir.path, records: WALFixtureBuilder.randomRecords(count: 60, using: &rng), segmentSize: 700)
    let log = WALLog(directory: try WALDirectory.open(dir.path))
    try log.seek(toLSN: 37)
    #expect(try log.next()?.record.lsn == 37)
  }

  @Test func fetcherReadsARecordByPosition() throws {
    let dir = TemporaryDirectory("log")
    let (directory, log) = try lockedWriter(in: dir, segmentSize: 400)
    var rng = TestSeed.generator(for: "fetch")
    let logged = try log.append(WALFixtureBuilder.randomRecords(count: 30, using: &rng))
    log.unlock()
    let fetcher = RecordFetcher(directory: directory)
    for item in logged.shuffled(using: &rng) {
      #expect(try fetcher.record(at: item.position) == item.record)
    }
  }
}
