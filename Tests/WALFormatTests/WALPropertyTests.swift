import Testing
import TestSupport
import WALFormat

/// The recovery promises, checked exhaustively on small random logs.
@Suite struct WALPropertyTests {
  /// Cut the newest segment at every byte: readers see a prefix, the verifier finds at most
  /// one torn tail and never corruption, and a writer recovers and appends after the prefix.
  @Test func everyTruncationDecodesToAPrefix() throws {
    var rng = TestSeed.generator(for: "truncation")
    let source = TemporaryDirectory("trunc-src")
    let written = try WALFixtureBuilder.makeDirectory(
      at: source.path, records: WALFixtureBuilder.randomRecords(count: 24, maxPayload: 60, using: &rng), segmentSize: 600)
    let segments = try WALDirectory.open(source.path).segments()
    try #require(segments.count >= 2)
    let newest = try #require(segments.last)
    let full = FileBytes.read(newest.path)
    let sealed = written.filter { $0.lsn < newest.baseLSN }
    for cut in 0...full.count {
      let dir = TemporaryDirectory("trunc")
      try copyDirectory(source.path, to: dir.path)
      FileBytes.write(dir.appending("wal/" + newest.name), Array(full.prefix(cut)))
      let read = try WALFixtureBuilder.readAll(dir.path)
      #expect(written.starts(with: read), "seed \(TestSeed.current), cut \(cut)")
      #expect(read.count >= sealed.count, "cut \(cut) lost sealed records")
      let report = try WALVerifier.verify(WALDirectory.open(dir.path))
      #expect(!report.isCorrupt, "cut \(cut): \(report.problems.map(\.message))")
      #expect(report.problems.count <= 1)
      if cut % 37 == 0 {
        // A writer takes the lock, cuts the tail, and continues right after the prefix.
        let extra = try WALFixtureBuilder.makeDirectory(at: dir.path, records: WALFixtureBuilder.randomRecords(count: 2, using: &rng), segmentSize: 600)
        #expect(extra.first?.lsn == UInt64(read.count + 1), "cut \(cut)")
        #expect(try WALFixtureBuilder.readAll(dir.path) == read + extra)
      }
    }
  }

  /// Flip every bit of every segment: the verifier always reports a problem, readers never
  /// return altered data, and only a flip in the final frame may be called a torn tail.
  @Test func everySingleBitFlipIsDetected() throws {
    var rng = TestSeed.generator(for: "bitflip")
    let source = TemporaryDirectory("flip-src")
    let written = try WALFixtureBuilder.makeDirectory(
      at: source.path, records: WALFixtureBuilder.randomRecords(count: 10, maxPayload: 24, using: &rng), segmentSize: 300)
    let segments = try WALDirectory.open(source.path).segments()
    try #require(segments.count >= 2)
    let dir = TemporaryDirectory("flip")
    try copyDirectory(source.path, to: dir.path)
    let directory = try WALDirectory.open(dir.path)
    for (index, segment) in segments.enumerated() {
      let original = FileBytes.read(segment.path)
      let path = dir.appending("wal/" + segment.name)
      let lastFrameStart = lastFrameOffset(in: segment, of: written)
      for bit in 0..<(original.count * 8) {
        var bytes = original
        bytes[bit / 8] ^= UInt8(1 << (bit % 8))
        FileBytes.write(path, bytes)
        let report = try WALVerifier.verify(directory)
        #expect(!report.problems.isEmpty, "seed \(TestSeed.current): flip of bit \(bit) in \(segment.name) went unseen")
        let inFinalFrame = index == segments.count - 1 && bit / 8 >= lastFrameStart
        if !inFinalFrame {
          #expect(report.isCorrupt, "bit \(bit) in \(segment.name) called a torn tail")
        }
        do {
          let read = try WALFixtureBuilder.readAll(dir.path)
          #expect(written.starts(with: read), "bit \(bit) in \(segment.name) altered data")
          #expect(inFinalFrame, "bit \(bit) in \(segment.name): read without error")
        } catch let error as WALError {
          #expect(error.code == .corruption, "bit \(bit): \(error)")
        }
      }
      FileBytes.write(path, original)
    }
  }

  private func lastFrameOffset(in segment: SegmentFile, of records: [WALRecord]) -> Int {
    var offset = SegmentHeader.size
    var last = offset
    for record in records where record.lsn >= segment.baseLSN {
      let length = RecordFrame.frameLength(payloadLength: record.payload.count)
      let bytes = FileBytes.read(segment.path).count
      if offset + length > bytes { break }
      last = offset
      offset += length
    }
    return last
  }

  private func copyDirectory(_ from: String, to: String) throws {
    FileBytes.write(to + "/FORMAT", FileBytes.read(from + "/FORMAT"))
    _ = try? WALFormat.Syscalls.makeDirectory(to + "/wal")
    for name in FileBytes.list(from + "/wal") {
      FileBytes.write(to + "/wal/" + name, FileBytes.read(from + "/wal/" + name))
    }
  }
}
