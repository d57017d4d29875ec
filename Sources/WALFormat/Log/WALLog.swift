#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A WAL directory opened for reading, and for appending while holding the writer lock.
///
/// Reading streams records in LSN order with bounded memory. `next()` returns nil at the end
/// of what is written *now*; call it again later to see what other processes appended.
/// Writing follows one protocol, shared by every process on the directory:
///
///     try log.lockExclusive()          // flock DIR/LOCK, waiting up to the lock timeout
///     while let r = try log.next() {}  // catch up: fold what others appended
///     try log.append(records)          // write + fdatasync, then the records are durable
///     log.unlock()
///
/// Recovery rules: only the last frame of the newest segment may be torn. A reader that sees
/// a torn tail treats it as not yet written; only a lock holder cuts it off. A bad frame with
/// valid data after it, or in a sealed segment, is corruption and is thrown, never skipped.
public final class WALLog {
  public let directory: WALDirectory
  public let options: WALOptions
  /// Called when a lock holder cut off a torn tail, so the CLI can say so.
  public var onTornTailRepaired: ((TornTailRepair) -> Void)?

  // Invariant: the stored state below is touched only by WALLog and its extensions.
  var scanner: SegmentScanner?
  private var started = false
  /// The LSN the next record read or appended will have.
  public internal(set) var nextLSN: UInt64 = 1
  var lockFD: Int32 = -1
  public internal(set) var holdsLock = false
  var caughtUp = false
  var writeFD: (base: UInt64, fd: Int32)?
  /// Why the writer stopped for good (a failed write or sync), or nil while it works.
  public internal(set) var stopped: WALError?
  /// Whether `append` leaves its fdatasync to the caller (`takeUnsynced`), so that the next
  /// append can be decided and written while another thread syncs this one (`serve`).
  public var defersSync = false
  /// The segment holding appended bytes not yet synced (with `defersSync`), or nil.
  var unsynced: SegmentSync?
  /// The current segment's sync descriptor, reused by every deferred append to it.
  var segmentSync: SegmentSync?
  /// The zeros this writer wrote ahead of its appends (`options.preallocate`): in segment
  /// `baseLSN`, from the end of its last append (`from`) to the end of the file (`to`).
  var preallocated: (baseLSN: UInt64, from: Int, to: Int)?
  /// The last segment listing and the directory stamp it was taken at.
  private var listing: (stamp: [Int], files: [SegmentFile])?
  /// The first segment when reading started, and its identity: compaction replaces it.
  private var firstSegment: (file: SegmentFile, identity: Int?)?

  public init(directory: WALDirectory, options: WALOptions = WALOptions()) {
    self.directory = directory
    self.options = options
  }

  deinit {
    if let writeFD { Syscalls.close(writeFD.fd) }
    if lockFD >= 0 { Syscalls.close(lockFD) }
  }

  // MARK: - Reading

  /// Positions the reader at the first record with an LSN of at least `lsn`.
  /// Cost: the segment's sparse index (built or extended when it does not match the segment)
  /// and at most one index interval of frames.
  public func seek(toLSN lsn: UInt64) throws(WALError) {
    let files = try segments()
    guard let file = files.last(where: { $0.baseLSN <= lsn }) ?? files.first else { return }
    try position(in: file, isNewest: file == files.last) { $0.entry(atOrBefore: lsn) }
    while nextLSN < lsn, try next() != nil {}
  }

  /// Positions the reader at the first record, in log order, stamped at or after `time` (at
  /// the end when there is none). Cost: each segment's index up to the one holding it, and at
  /// most one index interval of frames.
  public func seek(toTime time: WALTimestamp) throws(WALError) {
    let files = try segments()
    // The first segment holding a record at or after `time`, by its index's newest time
    // (only that segment's frames are read).
    for file in files.dropLast() {
      guard let scanner = try openScanner(file, isNewest: false) else { continue }
      let index = try SegmentIndexStore.current(for: scanner, in: directory)
      if index.newestTimestamp >= time.nanoseconds {
        try position(scanner, index: index) { $0.entry(before: time.nanoseconds) }
        return try stepTo(time)
      }
    }
    guard let newest = files.last else { return }
    try position(in: newest, isNewest: true) { $0.entry(before: time.nanoseconds) }
    try stepTo(time)
  }

  /// Reads on to the first record stamped at or after `time` and leaves it unread.
  private func stepTo(_ time: WALTimestamp) throws(WALError) {
    while let logged = try next() {
      if logged.record.timestamp >= time {
        // Leave it unread: the reader is still in the segment that holds it.
        scanner?.reposition(offset: logged.position.offset, expectedLSN: logged.record.lsn)
        nextLSN = logged.record.lsn
        return
      }
    }
  }

  /// What `resume` found.
  public enum Resumption: Sendable, Equatable {
    /// The reader is right after the record.
    case resumed
    /// The log is another one than the checkpoint saw (a compaction replaced its first
    /// segment): the checkpoint is stale, and the log is folded instead.
    case otherLog
    /// The log is the one the checkpoint saw, but the record it covered is gone or damaged:
    /// acknowledged records were lost after they were written.
    case lost(String, RecordLocation)
  }

  /// Positions the reader right after record `lsn`, which a checkpoint says is at `position`,
  /// after checking it is there and that the first segment is still the one the checkpoint
  /// saw (`firstSegmentSalt`; a compaction replaces it). The reader stays unmoved unless
  /// `.resumed`.
  public func resume(after position: RecordPosition, lsn: UInt64, firstSegmentSalt: UInt32) throws(WALError) -> Resumption {
    let files = try segments()
    let place = RecordLocation(segment: SegmentName.fileName(baseLSN: position.segmentBaseLSN, suffix: SegmentName.suffix), offset: position.offset, lsn: lsn)
    guard let first = files.first else { return .lost("the log has no segments", place) }
    guard let firstScanner = try openScanner(first, isNewest: files.count == 1) else { return .otherLog }
    try checkStart(firstScanner)
    guard firstScanner.header.salt == firstSegmentSalt else { return .otherLog }
    guard let index = files.firstIndex(where: { $0.baseLSN == position.segmentBaseLSN }) else {
      return .lost("segment \(place.segment) is gone", place)
    }
    guard let opened = index == 0 ? firstScanner : try openScanner(files[index], isNewest: index == files.count - 1),
      try opened.holdsFrame(lsn: lsn, at: position.offset)
    else {
      let size = (try? SegmentScanner.open(files[index]).get().fileSize()) ?? 0
      return .lost(size <= position.offset ? "the segment now ends at byte \(size)" : "no valid frame of LSN \(lsn) is there", place)
    }
    firstSegment = (first, try directory.identity(of: first))
    scanner = opened
    started = true
    nextLSN = lsn + 1
    return .resumed
  }

  /// A log starts at LSN 1, or with the compacted segment that replaced its beginning: a
  /// first ordinary segment above 1 means the segments before it are gone.
  func checkStart(_ first: SegmentScanner) throws(WALError) {
    guard first.file.baseLSN > 1, !first.header.isCompacted else { return }
    throw WALError(.corruption, "LSNs 1..\(first.file.baseLSN - 1) are missing: the segments before \(first.file.name) are gone",
      location: RecordLocation(segment: first.file.name, offset: 0, lsn: 1))
  }

  /// The salt of the first segment (what a checkpoint records to notice a compaction).
  public func firstSegmentSalt() throws(WALError) -> UInt32? {
    guard let first = try segments().first, let scanner = try openScanner(first, isNewest: false) else { return nil }
    return scanner.header.salt
  }

  /// Opens `file` and positions the reader at the index entry `pick` chooses (the segment's
  /// start when none), after checking that the frame there is the one the entry names: an
  /// index that does not match its segment is rebuilt, never trusted over it.
  /// (A segment cut off at its creation holds nothing: the reader waits at its start.)
  private func position(in file: SegmentFile, isNewest: Bool, at pick: (SegmentIndex) -> SegmentIndex.Entry?) throws(WALError) {
    guard let opened = try openScanner(file, isNewest: isNewest) else {
      scanner = nil
      started = true
      nextLSN = file.baseLSN
      return
    }
    try position(opened, index: SegmentIndexStore.current(for: opened, in: directory), at: pick)
  }

  /// As above, with the segment already open and its index loaded.
  private func position(_ opened: SegmentScanner, index loaded: SegmentIndex, at pick: (SegmentIndex) -> SegmentIndex.Entry?) throws(WALError) {
    scanner = opened
    started = true
    let file = opened.file
    var entry = pick(loaded)
    if let stale = entry, try !opened.holdsFrame(lsn: stale.lsn, at: stale.offset) {
      entry = pick(try SegmentIndexStore.current(for: opened, in: directory, rebuild: true))
      if let wrong = entry, try !opened.holdsFrame(lsn: wrong.lsn, at: wrong.offset) { entry = nil }
    }
    opened.reposition(offset: entry?.offset ?? SegmentHeader.size, expectedLSN: entry?.lsn ?? file.baseLSN)
    nextLSN = entry?.lsn ?? file.baseLSN
  }

  /// The next record, or nil when nothing more is written yet.
  /// - Throws: `.corruption` with the segment, offset and checksums involved.
  public func next() throws(WALError) -> LoggedRecord? {
    if !started {
      started = true
      let files = try segments()
      if let first = files.first {
        firstSegment = (first, try directory.identity(of: first))
        scanner = try openScanner(first, isNewest: files.count == 1)
        if let scanner { try checkStart(scanner) }
        nextLSN = first.baseLSN
      }
    }
    var retried = false
    while true {
      guard let current = scanner else {
        // Nothing read yet: the first segment may have appeared since, or be mid-creation.
        if let first = try directory.segments().first, let opened = try openScanner(first, isNewest: true) {
          try checkStart(opened)
          firstSegment = (first, try directory.identity(of: first))
          scanner = opened
          nextLSN = first.baseLSN
          continue
        }
        caughtUp = holdsLock
        return nil
      }
      if let own = preallocated, own.baseLSN == current.file.baseLSN, current.offset == own.from {
        // This writer's own zeros follow its last append: unless another writer appended
        // since (cutting them off first, as below), the log ends here: a size query (statx,
        // no timestamps) and a 32-byte read.
        if try current.fileSize() == own.to, try current.bytes(own.from..<own.from + RecordFrame.headerSize).allSatisfy({ $0 == 0 }) {
          caughtUp = holdsLock
          return nil
        }
        preallocated = nil
      }
      switch try current.step() {
      case .frame(let header, let offset, _):
        nextLSN = header.lsn + 1
        let record = WALRecord(header: header, payload: current.payload())
        return LoggedRecord(record: record, position: RecordPosition(segmentBaseLSN: current.file.baseLSN, offset: offset))
      case .end:
        // A compacted segment's span can end past its last kept record: the next record's
        // LSN is where the span ends, not one past the last frame read.
        nextLSN = current.expectedLSN
        if let following = try followingSegment(after: current) {
          scanner = following
          continue
        }
        // A segment starting exactly where this one ends is a new segment whose header is
        // still being written (or was torn); anything later is a gap.
        if try laterSegmentExists(after: current, ignoringContinuation: true) {
          if !retried {
            // A writer may have appended to this segment and then rolled: look again.
            retried = true
            current.invalidateBuffer()
            continue
          }
          try throwIfSuperseded()
          throw WALError(.corruption, "segment \(current.file.name) ends at LSN \(current.expectedLSN - 1) but no segment starts at LSN \(current.expectedLSN)", location: RecordLocation(segment: current.file.name, offset: current.offset))
        }
        caughtUp = holdsLock
        return nil
      case .damaged(let damage):
        if try current.isPreallocatedSpace(damage), try !laterSegmentExists(after: current) {
          // Zeros to the end of the newest segment: space a writer wrote ahead of its appends
          // (`WALOptions.preallocate`), the end of what is written. A lock holder that did not
          // write them cuts them off before it appends: they hold nothing.
          if holdsLock { try current.truncate(to: damage.offset) }
          current.invalidateBuffer()
          caughtUp = holdsLock
          return nil
        }
        if case .unexpectedLSN = damage.reason {
          throw corruption(damage, in: current, detail: "")
        }
        if !retried {
          // The bytes may have been mid-write when buffered: read them once more.
          retried = true
          current.invalidateBuffer()
          continue
        }
        if try laterSegmentExists(after: current, fresh: true) {
          throw corruption(damage, in: current, detail: "; the segment is sealed (a later segment exists), so this is not a torn tail")
        }
        if let valid = try current.findValidFrame(after: damage.offset) {
          throw corruption(damage, in: current, detail: "; a valid record (LSN \(valid.lsn)) follows at byte \(valid.offset), so this is not a torn tail")
        }
        // A reader may be looking at a write in progress; once no writer is active (or we are
        // the writer), bytes that no torn write can leave are damage.
        let writerActive = holdsLock ? false : try isWriterActive()
        let torn = try current.isTornWrite(damage)
        if !torn, !writerActive {
          throw corruption(damage, in: current, detail: "; it is the last frame of the newest segment, but no crash leaves it (the frame is complete and has no zero-filled sector), so this is damage, not a torn tail")
        }
        if holdsLock {
          let size = try current.fileSize()
          let copy = try keepCopy(of: current, from: damage.offset)
          try current.truncate(to: damage.offset)
          onTornTailRepaired?(TornTailRepair(
            location: RecordLocation(segment: current.file.name, offset: damage.offset, lsn: current.expectedLSN),
            bytesRemoved: size - damage.offset, reason: damage.description, copy: copy))
          caughtUp = true
        }
        current.invalidateBuffer()
        return nil
      }
    }
  }

  /// Whether a compaction replaced the first segment since reading started: the positions
  /// handed out so far point into files that are gone or rewritten.
  public func isSuperseded() throws(WALError) -> Bool {
    guard let firstSegment else { return false }
    return try directory.identity(of: firstSegment.file) != firstSegment.identity
  }

  private func throwIfSuperseded() throws(WALError) {
    if try isSuperseded() {
      throw WALError(.superseded, "the directory was compacted while it was being read")
    }
  }

  /// Starts reading again from the first segment (after a compaction), keeping the lock.
  public func restart() {
    scanner = nil
    started = false
    nextLSN = 1
    listing = nil
    firstSegment = nil
    caughtUp = false
  }

  private func corruption(_ damage: FrameDamage, in scanner: SegmentScanner, detail: String) -> WALError {
    WALError(.corruption, damage.description + detail,
      location: RecordLocation(segment: scanner.file.name, offset: damage.offset, lsn: damage.lsn ?? scanner.expectedLSN))
  }

  private func openScanner(_ file: SegmentFile, isNewest: Bool) throws(WALError) -> SegmentScanner? {
    switch SegmentScanner.open(file, chunkSize: options.readChunkSize) {
    case .success(let scanner):
      guard scanner.header.baseLSN == file.baseLSN else {
        throw WALError(.corruption, "header says base LSN \(scanner.header.baseLSN), file name says \(file.baseLSN)", location: RecordLocation(segment: file.name, offset: 0))
      }
      return scanner
    case .failure(.io(let error)):
      try throwIfSuperseded()
      throw error
    case .failure(.header(let problem, let size)):
      let tornCreation = problem.isTornCreation(fileSize: size)
      if case .unsupportedVersion = problem {
        throw WALError(.unsupportedVersion, problem.description, location: RecordLocation(segment: file.name, offset: 0))
      }
      guard tornCreation, isNewest else {
        throw WALError(.corruption, problem.description, location: RecordLocation(segment: file.name, offset: 0))
      }
      if holdsLock {
        // A segment whose creation was cut short holds no records: it is moved aside (its
        // bytes kept, as for every cut), out of the log.
        let aside: String
        do {
          aside = try WALRepair.unusedName(file.path + ".torn-creation.broken")
          try Syscalls.rename(file.path, aside)
          try Syscalls.fsyncDirectory(directory.walPath)
        } catch { throw .io("move aside torn segment", file.path, error) }
        onTornTailRepaired?(TornTailRepair(
          location: RecordLocation(segment: file.name, offset: 0), bytesRemoved: size, reason: problem.description, copy: aside))
      }
      return nil
    }
  }

  /// The segment that continues after `current`, if it exists yet.
  private func followingSegment(after current: SegmentScanner) throws(WALError) -> SegmentScanner? {
    // An empty segment ends where it starts: it has no successor yet.
    guard current.expectedLSN != current.file.baseLSN else { return nil }
    let candidate = directory.segmentFile(baseLSN: current.expectedLSN)
    let kind: Syscalls.FileKind
    do { kind = try Syscalls.kind(of: candidate.path) } catch { throw .io("stat", candidate.path, error) }
    guard kind == .regular else { return nil }
    let isNewest = try !segments().contains { $0.baseLSN > candidate.baseLSN }
    return try openScanner(candidate, isNewest: isNewest)
  }

  /// Whether a segment after `current` exists. `fresh` bypasses the cached listing, for
  /// decisions that truncate (a torn tail may only be cut in the newest segment).
  private func laterSegmentExists(after current: SegmentScanner, ignoringContinuation: Bool = false, fresh: Bool = false) throws(WALError) -> Bool {
    let continuation = current.expectedLSN
    return try (fresh ? directory.segments() : segments()).contains {
      $0.baseLSN > current.file.baseLSN && !(ignoringContinuation && $0.baseLSN == continuation)
    }
  }

  /// The segment files, re-listed only when the directory's stamp changed. The hot path
  /// (catching up at the end of the log) never needs more: a writer's next segment is found by
  /// name, and this listing only serves to notice gaps and what is newest.
  private func segments() throws(WALError) -> [SegmentFile] {
    let stamp: [Int]
    do { stamp = try Syscalls.directoryStamp(directory.walPath) } catch { throw .io("stat", directory.walPath, error) }
    if let listing, listing.stamp == stamp { return listing.files }
    let files = try directory.segments()
    listing = (stamp, files)
    return files
  }
}
