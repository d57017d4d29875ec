/// `wal repair --salvage`: keeps every intact record after damage instead of cutting there.
///
/// Each damaged segment is rewritten (the original kept beside it as `.broken`) with its
/// intact frames as they were, and in place of each record that could not be read, a
/// `lostRecord` frame with the same LSN: LSNs stay contiguous, so the log reads on, and the
/// fold skips what is gone. The outcome names exactly which LSNs were lost.
public enum WALSalvage {
  /// What a salvage did.
  public struct Outcome: Sendable {
    /// LSN ranges whose records were lost (replaced by `lostRecord` frames).
    public var lost: [ClosedRange<UInt64>] = []
    /// Damaged bytes cut from the end of the newest segment, where nothing valid followed.
    public var tailBytesCut = 0
    /// Segments rewritten, and the copies of the originals.
    public var rewritten: [String] = []
    public var brokenCopies: [String] = []
    public var report: VerificationReport
  }

  /// Salvages `log`'s directory while holding its writer lock.
  /// - Throws: `.corruption` for damage salvage cannot read past (a segment header).
  public static func salvage(_ log: WALLog) throws(WALError) -> Outcome {
    try log.lockExclusive()
    defer { log.unlock() }
    let directory = log.directory
    let report = try WALVerifier.verify(directory)
    var outcome = Outcome(report: report)
    guard !report.problems.isEmpty else { return outcome }
    let damaged = Set(report.problems.map(\.location.segment))
    let files = try directory.segments()
    for (index, file) in files.enumerated() {
      let next = index + 1 < files.count ? files[index + 1].baseLSN : nil
      var needed = damaged.contains(file.name)
      if !needed, let next { needed = try endsBefore(file, next: next) }
      guard needed else { continue }
      try rewrite(file, nextBase: next, in: directory, into: &outcome)
    }
    return outcome
  }

  /// Whether `file` ends before LSN `next` - 1 (a gap up to the next segment).
  private static func endsBefore(_ file: SegmentFile, next: UInt64) throws(WALError) -> Bool {
    guard case .success(let scanner) = SegmentScanner.open(file) else { return false }
    while case .frame = try scanner.step() {}
    return scanner.expectedLSN < next
  }

  private static func rewrite(_ file: SegmentFile, nextBase: UInt64?, in directory: WALDirectory, into outcome: inout Outcome) throws(WALError) {
    let scanner: SegmentScanner
    switch SegmentScanner.open(file) {
    case .success(let opened): scanner = opened
    case .failure(.io(let error)): throw error
    case .failure(.header(let problem, _)):
      throw WALError(.corruption, "the header of \(file.name) is damaged (\(problem)): its frames cannot be checked, so salvage cannot keep them; 'wal repair --force' cuts the log there", location: RecordLocation(segment: file.name, offset: 0))
    }
    let header = scanner.header
    var rebuilt = ByteWriter(capacity: try scanner.fileSize())
    rebuilt.writeBytes(try scanner.bytes(0..<SegmentHeader.size))
    var expected = header.baseLSN
    var lastTime = WALTimestamp(nanoseconds: 0)
    var damageAt: Int?

    func fillLost(upTo end: UInt64) {
      guard end > expected else { return }
      let place = damageAt.map { "\(file.name) byte \($0)" } ?? file.name
      for lsn in expected..<end {
        RecordFrame.encode(lsn: lsn, kind: .lostRecord, timestamp: lastTime, payload: Array("lost to damage at \(place); salvaged by wal repair".utf8), salt: header.salt, into: &rebuilt)
      }
      outcome.lost.append(expected...(end - 1))
      expected = end
    }

    scanner.reposition(offset: SegmentHeader.size, expectedLSN: header.baseLSN)
    scan: while true {
      switch try scanner.step() {
      case .frame(let frame, let offset, let length):
        if frame.lsn < expected { continue scan }  // a duplicate of a record already kept
        if header.isCompacted { expected = frame.lsn } else { fillLost(upTo: frame.lsn) }
        rebuilt.writeBytes(try scanner.bytes(offset..<offset + length))
        expected = frame.lsn + 1
        lastTime = frame.timestamp
        damageAt = nil
      case .end:
        break scan
      case .damaged(let damage):
        if case .unexpectedLSN(_, let found) = damage.reason {
          scanner.reposition(offset: damage.offset, expectedLSN: found)
          continue scan
        }
        damageAt = damageAt ?? damage.offset
        if let valid = try scanner.findValidFrame(after: damage.offset) {
          scanner.reposition(offset: valid.offset, expectedLSN: valid.lsn)
          continue scan
        }
        outcome.tailBytesCut += try scanner.fileSize() - damage.offset
        break scan
      }
    }
    if let nextBase { fillLost(upTo: nextBase) }
    do {
      let copy = try WALRepair.unusedName(file.path + ".broken")
      try WALRepair.copyFile(file.path, to: copy)
      outcome.brokenCopies.append(copy)
      try Syscalls.writeFileAtomically(file.path, contents: rebuilt.bytes, directory: directory.walPath)
      // The seek index gave byte offsets into the old file.
      _ = try? Syscalls.unlink(SegmentIndexStore.path(for: file, in: directory))
    } catch { throw .io("salvage", file.path, error) }
    outcome.rewritten.append(file.name)
  }
}

extension RecordKind {
  /// Stands in for a record that damage destroyed, written by `wal repair --salvage` with the
  /// lost record's LSN so the log stays contiguous. Kinds from 240 up belong to the log itself.
  public static let lostRecord = RecordKind(rawValue: 255)
}
