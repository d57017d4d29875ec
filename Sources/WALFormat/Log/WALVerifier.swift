/// Checks every frame of every segment, read-only, and classifies what is wrong.
///
/// Unlike `WALLog`, it keeps going past corruption (resynchronising at the next valid frame)
/// so one report lists every problem. Memory: one scanner buffer. Cost: reads every byte once
/// (plus the rest of a segment after damage, to look for valid frames). Sealed segments are
/// read through a mapping (no copy: the read then costs half of `cat`'s), the newest one,
/// which a writer may still append to or cut a torn tail off, through the buffer.
/// A sealed segment cut shorter while mapped (only `wal repair` does that) raises SIGBUS.
public enum WALVerifier {
  /// Verifies `directory`, reading it in chunks of 4 MiB; `progress` hears of the bytes
  /// checked as it goes (each segment's, once done).
  public static func verify(_ directory: WALDirectory, progress: ((Int) -> Void)? = nil) throws(WALError) -> VerificationReport {
    let chunkSize = 4 << 20
    var report = VerificationReport()
    let files = try directory.segments()
    var expectedLSN = files.first?.baseLSN
    // Counted by raw kind, into the dictionary once at the end: a hash per record costs
    // more than checking its header.
    var kindCounts = [Int](repeating: 0, count: 256)
    for (index, file) in files.enumerated() {
      let isNewest = index == files.count - 1
      if let expected = expectedLSN, file.baseLSN != expected {
        report.problems.append(.init(
          kind: .corruption, location: RecordLocation(segment: file.name, offset: 0, lsn: expected),
          message: file.baseLSN > expected
            ? "LSNs \(expected)..\(file.baseLSN - 1) are missing before this segment"
            : "segment starts at LSN \(file.baseLSN), overlapping records up to \(expected - 1)",
          bytesAffected: 0))
      }
      expectedLSN = file.baseLSN
      switch SegmentScanner.open(file, chunkSize: chunkSize, mapped: !isNewest) {
      case .failure(.io(let error)):
        throw error
      case .failure(.header(let problem, let size)):
        report.segments.append(.init(name: file.name, baseLSN: file.baseLSN, bytes: size))
        report.bytes += size
        let torn = isNewest && problem.isTornCreation(fileSize: size)
        report.problems.append(.init(
          kind: torn ? .tornTail : .corruption, location: RecordLocation(segment: file.name, offset: 0),
          message: problem.description + (torn ? " (segment creation was cut short)" : ""),
          storedChecksum: nil, computedChecksum: nil, bytesAffected: size))
      case .success(let scanner):
        let size = try scanner.fileSize()
        var segment = VerificationReport.Segment(name: file.name, baseLSN: file.baseLSN, bytes: size)
        if scanner.header.baseLSN != file.baseLSN {
          report.problems.append(.init(
            kind: .corruption, location: RecordLocation(segment: file.name, offset: 0),
            message: "header says base LSN \(scanner.header.baseLSN), file name says \(file.baseLSN)",
            bytesAffected: 0))
        }
        // A log starts at LSN 1, or with the compacted segment that replaced its beginning:
        // a first ordinary segment above 1 means the segments before it are gone.
        if index == 0 && file.baseLSN > 1 && !scanner.header.isCompacted {
          report.problems.append(.init(
            kind: .corruption, location: RecordLocation(segment: file.name, offset: 0, lsn: 1),
            message: "LSNs 1..\(file.baseLSN - 1) are missing: the segments before this one are gone",
            bytesAffected: 0))
        }
        scanner.reposition(offset: SegmentHeader.size, expectedLSN: file.baseLSN)
        scan: while true {
          switch try scanner.step() {
          case .frame(let header, _, _):
            segment.records += 1
            if segment.firstLSN == nil { segment.firstLSN = header.lsn; segment.firstTime = header.timestamp }
            segment.lastLSN = header.lsn
            segment.lastTime = header.timestamp
            kindCounts[Int(header.kind.rawValue)] += 1
          case .end:
            break scan
          case .damaged(let damage):
            var stored: UInt32?
            var computed: UInt32?
            switch damage.reason {
            case .headerChecksum(let s, let c), .payloadChecksum(let s, let c): stored = s; computed = c
            default: break
            }
            if isNewest, try scanner.isPreallocatedSpace(damage) {
              break scan  // zeros a writer wrote ahead of its appends: the end of what is written
            }
            let location = RecordLocation(segment: file.name, offset: damage.offset, lsn: damage.lsn ?? scanner.expectedLSN)
            if case .unexpectedLSN(_, let found) = damage.reason {
              report.problems.append(.init(kind: .corruption, location: location, message: damage.description, bytesAffected: 0))
              scanner.reposition(offset: damage.offset, expectedLSN: found)
              continue scan
            }
            if let valid = try scanner.findValidFrame(after: damage.offset) {
              report.problems.append(.init(
                kind: .corruption, location: location,
                message: damage.description + "; valid records resume at byte \(valid.offset) (LSN \(valid.lsn))",
                storedChecksum: stored, computedChecksum: computed, bytesAffected: valid.offset - damage.offset))
              scanner.reposition(offset: valid.offset, expectedLSN: valid.lsn)
              continue scan
            }
            let torn = isNewest ? try scanner.isTornWrite(damage) : false
            report.problems.append(.init(
              kind: torn ? .tornTail : .corruption, location: location,
              message: damage.description + (torn ? " (last frame of the newest segment)"
                : isNewest ? " in the complete last frame of the newest segment: no crash leaves it, so this is damage"
                : " at the end of a sealed segment"),
              storedChecksum: stored, computedChecksum: computed, bytesAffected: size - damage.offset))
            break scan
          }
        }
        expectedLSN = scanner.expectedLSN
        progress?(size)
        report.records += segment.records
        report.bytes += size
        if report.firstLSN == nil { report.firstLSN = segment.firstLSN; report.firstTime = segment.firstTime }
        if let last = segment.lastLSN { report.lastLSN = last; report.lastTime = segment.lastTime }
        report.segments.append(segment)
      }
    }
    for (raw, count) in kindCounts.enumerated() where count > 0 {
      report.recordsByKind[RecordKind(rawValue: UInt8(raw))] = count
    }
    return report
  }
}
