import Testing
import TestSupport
import WALFormat

/// A crash leaves a torn write (a short frame, or zeros where sectors never reached the disk);
/// anything else at the end of the newest segment is damage, found and located, never cut.
@Suite struct TornOrDamagedTests {
  /// A one-segment log of `count` records with payloads of `size` bytes, and its segment path.
  func log(_ name: String, count: Int = 4, size: Int = 1500) throws -> (TemporaryDirectory, String, [WALRecord]) {
    let dir = TemporaryDirectory(name)
    var rng = TestSeed.generator(for: name)
    let records = (0..<count).map { _ in
      PendingRecord(kind: RecordKind(rawValue: 1), timestamp: .now(), payload: (0..<size).map { _ in UInt8.random(in: 1...255, using: &rng) })
    }
    let written = try WALFixtureBuilder.makeDirectory(at: dir.path, records: records)
    return (dir, dir.appending("wal/" + SegmentName.fileName(baseLSN: 1)), written)
  }

  /// The offset of the last frame of a segment of equal-sized frames.
  func lastFrame(_ segment: String, count: Int, size: Int = 1500) -> Int {
    SegmentHeader.size + (count - 1) * RecordFrame.frameLength(payloadLength: size)
  }

  /// What a writer taking the lock does with the tail: the repairs it reports, or its error.
  func openAsWriter(_ path: String) throws -> [TornTailRepair] {
    let log = WALLog(directory: try WALDirectory.open(path))
    var repairs: [TornTailRepair] = []
    log.onTornTailRepaired = { repairs.append($0) }
    try log.lockExclusive()
    defer { log.unlock() }
    while try log.next() != nil {}
    return repairs
  }

  @Test func aFlippedBitInTheCompleteLastFrameIsDamageNotATornTail() throws {
    let (dir, segment, _) = try log("flip-last")
    var bytes = FileBytes.read(segment)
    let at = lastFrame(segment, count: 4) + RecordFrame.headerSize + 700
    bytes[at] ^= 0x10
    FileBytes.write(segment, bytes)
    let report = try WALVerifier.verify(WALDirectory.open(dir.path))
    #expect(report.isCorrupt && report.tornTail == nil)
    #expect(report.problems.first?.location.offset == lastFrame(segment, count: 4))
    let error = #expect(throws: WALError.self) { try openAsWriter(dir.path) }
    #expect(error?.code == .corruption)
    #expect(error?.message.contains("damage, not a torn tail") == true)
    // Nothing was cut: the bytes are as the damage left them.
    #expect(FileBytes.read(segment) == bytes)
  }

  @Test func aFlippedBitInTheLastHeaderIsDamage() throws {
    let (dir, segment, _) = try log("flip-header")
    var bytes = FileBytes.read(segment)
    bytes[lastFrame(segment, count: 4) + 9] ^= 0x01
    FileBytes.write(segment, bytes)
    #expect(try WALVerifier.verify(WALDirectory.open(dir.path)).isCorrupt)
    #expect(throws: WALError.self) { try openAsWriter(dir.path) }
  }

  @Test func aFrameWhoseLastSectorNeverReachedTheDiskIsTornAndKeptAside() throws {
    let (dir, segment, written) = try log("zero-sector")
    var bytes = FileBytes.read(segment)
    let frame = lastFrame(segment, count: 4)
    // The sectors from the first boundary inside the payload to the end read back as zeros.
    let boundary = (frame + RecordFrame.headerSize + 600) / 512 * 512 + 512
    for i in boundary..<bytes.count { bytes[i] = 0 }
    FileBytes.write(segment, bytes)
    let report = try WALVerifier.verify(WALDirectory.open(dir.path))
    #expect(!report.isCorrupt && report.tornTail != nil)
    let repairs = try openAsWriter(dir.path)
    #expect(repairs.count == 1 && repairs.first?.location.offset == frame)
    let copy = try #require(repairs.first?.copy)
    #expect(FileBytes.read(copy) == Array(bytes[frame...]))
    #expect(try WALFixtureBuilder.readAll(dir.path) == Array(written.prefix(3)))
    #expect(try !WALVerifier.verify(WALDirectory.open(dir.path)).isCorrupt)
  }

  @Test func aShortLastFrameAndAZeroFilledTailAreTorn() throws {
    let (dir, segment, written) = try log("short-frame")
    let bytes = FileBytes.read(segment)
    FileBytes.write(segment, Array(bytes.prefix(bytes.count - 100)))
    #expect(try openAsWriter(dir.path).first?.location.offset == lastFrame(segment, count: 4))
    #expect(try WALFixtureBuilder.readAll(dir.path) == Array(written.prefix(3)))

    // Zeros alone after the last frame hold nothing (a writer's preallocated space, or a
    // write none of whose sectors reached the disk): the end of the log. The next writer
    // cuts them off without a report or a copy; verify finds nothing wrong.
    let (zeroDir, zeroSegment, zeroWritten) = try log("zero-tail")
    let exact = FileBytes.read(zeroSegment)
    FileBytes.write(zeroSegment, exact + [UInt8](repeating: 0, count: 4096))
    #expect(try !WALVerifier.verify(WALDirectory.open(zeroDir.path)).isCorrupt)
    #expect(try WALVerifier.verify(WALDirectory.open(zeroDir.path)).tornTail == nil)
    #expect(try WALFixtureBuilder.readAll(zeroDir.path) == zeroWritten)
    #expect(try openAsWriter(zeroDir.path).isEmpty)
    #expect(FileBytes.read(zeroSegment) == exact)
    #expect(try WALFixtureBuilder.readAll(zeroDir.path) == zeroWritten)
  }

  /// A newest segment whose header never reached the disk whole holds no records: the
  /// writer moves it aside, whole, and the log goes on where it was.
  @Test func aSegmentWhoseCreationWasCutShortIsMovedAsideWhole() throws {
    let (dir, _, written) = try log("torn-creation")
    let next = dir.appending("wal/" + SegmentName.fileName(baseLSN: UInt64(written.count + 1)))
    FileBytes.write(next, [UInt8](repeating: 0, count: 20))
    #expect(try !WALVerifier.verify(WALDirectory.open(dir.path)).isCorrupt)
    let repairs = try openAsWriter(dir.path)
    let copy = try #require(repairs.first?.copy)
    #expect(copy.hasSuffix(".torn-creation.broken") && FileBytes.read(copy) == [UInt8](repeating: 0, count: 20))
    #expect(FileBytes.list(dir.appending("wal")).filter { $0.hasSuffix(".seg") }.count == 1)
    #expect(try WALFixtureBuilder.readAll(dir.path) == written)
  }

  @Test func garbageAfterTheLastFrameIsDamage() throws {
    let (dir, segment, _) = try log("garbage-tail")
    FileBytes.write(segment, FileBytes.read(segment) + (0..<700).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) })
    #expect(try WALVerifier.verify(WALDirectory.open(dir.path)).isCorrupt)
    #expect(throws: WALError.self) { try openAsWriter(dir.path) }
  }

  @Test func aMissingFirstSegmentIsLocatedCorruption() throws {
    let dir = TemporaryDirectory("missing-first")
    var rng = TestSeed.generator(for: "missing-first")
    try WALFixtureBuilder.makeDirectory(at: dir.path, records: WALFixtureBuilder.randomRecords(count: 60, using: &rng), segmentSize: 1024)
    let first = dir.appending("wal/" + SegmentName.fileName(baseLSN: 1))
    FileBytes.remove(first)
    let error = #expect(throws: WALError.self) { try WALFixtureBuilder.readAll(dir.path) }
    #expect(error?.code == .corruption && error?.message.contains("LSNs 1..") == true)
    #expect(error?.location?.lsn == 1)
  }
}
