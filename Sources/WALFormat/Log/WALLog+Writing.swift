#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The writing half of `WALLog`: the writer lock, appends with their fdatasync, segment roll.
/// A write or sync failure stops the writer for good (`stopped`): it is never retried.
extension WALLog {
  /// Takes the writer lock, waiting up to `options.lockTimeoutMilliseconds`.
  /// - Throws: `.lockTimeout` when another process holds it that long.
  public func lockExclusive() throws(WALError) {
    if holdsLock { return }
    if lockFD < 0 {
      do { lockFD = try Syscalls.open(directory.lockPath, flags: O_RDWR | O_CREAT) } catch {
        throw .io("open", directory.lockPath, error)
      }
    }
    let deadline = WALTimestamp.now().adding(milliseconds: options.lockTimeoutMilliseconds)
    var pause: Int64 = 50_000  // ns; doubles up to 5 ms
    while true {
      let acquired: Bool
      do { acquired = try Syscalls.tryLockExclusive(lockFD) } catch { throw .io("flock", directory.lockPath, error) }
      if acquired { break }
      if WALTimestamp.now() >= deadline {
        throw WALError(.lockTimeout, "the writer lock \(directory.lockPath) was held by another process for more than \(options.lockTimeoutMilliseconds) ms")
      }
      var spec = timespec(tv_sec: 0, tv_nsec: Int(pause))
      nanosleep(&spec, nil)
      pause = min(pause * 2, 5_000_000)
    }
    holdsLock = true
    caughtUp = false
  }

  /// Whether another process holds the writer lock now (a probe that takes and drops it).
  /// A lock file that cannot be opened counts as active: nothing is concluded from it.
  func isWriterActive() throws(WALError) -> Bool {
    guard let fd = try? Syscalls.open(directory.lockPath, flags: O_RDWR) else { return true }
    defer { Syscalls.close(fd) }
    let acquired: Bool
    do { acquired = try Syscalls.tryLockExclusive(fd) } catch { throw .io("flock", directory.lockPath, error) }
    if acquired { Syscalls.unlock(fd) }
    return !acquired
  }

  /// Copies the bytes of `scanner`'s segment from `offset` to its end into a file beside it,
  /// synced, before a writer cuts them off: nothing is ever cut without a copy.
  func keepCopy(of scanner: SegmentScanner, from offset: Int) throws(WALError) -> String {
    let path = scanner.file.path + ".torn-at-\(offset).broken"
    let copy: String
    let fd: Int32
    do {
      copy = try WALRepair.unusedName(path)
      fd = try Syscalls.open(copy, flags: O_WRONLY | O_CREAT | O_EXCL)
    } catch { throw .io("create", path, error) }
    defer { Syscalls.close(fd) }
    var at = offset
    while true {
      let chunk = try scanner.bytes(at..<at + (1 << 20))
      if chunk.isEmpty { break }
      do { try Syscalls.pwriteAll(fd, chunk, at: at - offset) } catch { throw .io("write", copy, error) }
      at += chunk.count
    }
    do {
      try Syscalls.fsync(fd)
      try Syscalls.fsyncDirectory(directory.walPath)
    } catch { throw .io("sync", copy, error) }
    return copy
  }

  public func unlock() {
    guard holdsLock else { return }
    Syscalls.unlock(lockFD)
    holdsLock = false
    caughtUp = false
  }

  /// Appends `records` with consecutive LSNs and makes them durable (per the sync policy)
  /// before returning. Rolls to a new segment when the current one is full.
  /// - Precondition: the lock is held and `next()` has returned nil since it was taken.
  /// - Throws: `.writerStopped` after any write or sync failure (never retried).
  @discardableResult
  public func append(_ records: [PendingRecord]) throws(WALError) -> [LoggedRecord] {
    if let stopped { throw stopped }
    guard holdsLock, caughtUp else {
      throw WALError(.writerStopped, "append without the writer lock, or before catching up with the log")
    }
    for record in records where record.payload.count > RecordFrame.maximumPayload {
      throw WALError(.recordTooLarge, "a record of \(record.payload.count) bytes exceeds the maximum of \(RecordFrame.maximumPayload)")
    }
    do {
      return try appendFrames(records)
    } catch {
      stop(because: error)
      throw stopped ?? error
    }
  }

  private func appendFrames(_ records: [PendingRecord]) throws(WALError) -> [LoggedRecord] {
    if scanner == nil { try startSegment() }
    guard var current = scanner else { return [] }
    var fd = try writableFD(for: current)
    var writeOffset = current.offset
    var batch = ByteWriter(capacity: records.reduce(0) { $0 + RecordFrame.frameLength(payloadLength: $1.payload.count) })
    var batchStart = writeOffset
    var logged: [LoggedRecord] = []
    logged.reserveCapacity(records.count)
    for pending in records {
      let length = RecordFrame.frameLength(payloadLength: pending.payload.count)
      if writeOffset > SegmentHeader.size && writeOffset + length > options.segmentSize {
        try write(batch.bytes, fd: fd, at: batchStart, path: current.file.path)
        if let own = preallocated, own.baseLSN == current.file.baseLSN {
          preallocated = (own.baseLSN, writeOffset, max(own.to, writeOffset))
        }
        // The sealed segment ends at its last frame: cutting its zeros off syncs it too.
        if try !cutPreallocation() { try sync(fd, path: current.file.path) }
        unsynced = nil  // only ever the current segment's bytes, and just synced
        batch = ByteWriter(capacity: batch.count)
        try startSegment()
        guard let next = scanner else { return logged }
        current = next
        fd = try writableFD(for: current)
        writeOffset = current.offset
        batchStart = writeOffset
      }
      let lsn = nextLSN
      RecordFrame.encode(
        lsn: lsn, kind: pending.kind, timestamp: pending.timestamp, payload: pending.payload,
        salt: current.header.salt, into: &batch)
      logged.append(LoggedRecord(
        record: WALRecord(lsn: lsn, kind: pending.kind, timestamp: pending.timestamp, payload: pending.payload),
        position: RecordPosition(segmentBaseLSN: current.file.baseLSN, offset: writeOffset)))
      writeOffset += length
      nextLSN += 1
      current.reposition(offset: writeOffset, expectedLSN: nextLSN)
    }
    try preallocate(fd, in: current, through: writeOffset)
    try write(batch.bytes, fd: fd, at: batchStart, path: current.file.path)
    if defersSync && options.sync == .always {
      unsynced = try syncHandle(fd: fd, for: current)
    } else {
      try sync(fd, path: current.file.path)
    }
    current.invalidateBuffer()
    return logged
  }

  /// Keeps `options.preallocate` bytes of zeros written past `end` in the current segment
  /// (never past the segment size). Extending them grows the file, so the sync after this
  /// append also writes the inode; the appends into them until they run out do not.
  private func preallocate(_ fd: Int32, in segment: SegmentScanner, through end: Int) throws(WALError) {
    guard options.preallocate > 0 else { return }
    if let own = preallocated, own.baseLSN == segment.file.baseLSN, own.to >= end {
      preallocated = (own.baseLSN, end, own.to)
      return
    }
    let size: Int
    do { size = try Syscalls.fileSize(fd) } catch { throw .io("stat", segment.file.path, error) }
    let target = min(end + options.preallocate, max(end, options.segmentSize))
    let from = max(size, end)
    if target > from {
      try write([UInt8](repeating: 0, count: target - from), fd: fd, at: from, path: segment.file.path)
    }
    preallocated = (segment.file.baseLSN, end, max(target, size))
  }

  /// Cuts off the zeros this writer wrote ahead of its appends, synced: before its segment is
  /// sealed, and when a long-lived writer stops (so the directory ends at its last record).
  /// - Precondition: the lock is held.
  /// Returns whether there were zeros to cut (the segment is then synced, with `--sync always`).
  @discardableResult
  public func cutPreallocation() throws(WALError) -> Bool {
    guard let own = preallocated, let writeFD, writeFD.base == own.baseLSN else { return false }
    let path = directory.segmentFile(baseLSN: own.baseLSN).path
    do {
      try Syscalls.ftruncate(writeFD.fd, own.from)
      if options.sync == .always { try Syscalls.fdatasync(writeFD.fd) }
    } catch { throw .io("truncate", path, error) }
    preallocated = nil
    return true
  }

  /// The bytes appended with `defersSync` and not yet synced, handed to whoever syncs them
  /// (nil when there are none). The writer goes on appending meanwhile; nothing appended is
  /// durable, nor may be acknowledged, before that sync returns.
  public func takeUnsynced() -> SegmentSync? {
    defer { unsynced = nil }
    return unsynced
  }

  /// Syncs now what `defersSync` appends left unsynced: before a checkpoint records them as
  /// folded, and before the segment holding them is sealed. A failure stops the writer.
  public func syncDeferred() throws(WALError) {
    guard let pending = unsynced else { return }
    unsynced = nil
    do { try pending.sync() } catch {
      stop(because: error)
      throw stopped ?? error
    }
  }

  /// Stops the writer for good after a sync that failed elsewhere (a deferred one): what was
  /// appended may not be on disk, so nothing more is appended (fail-stop, never retried).
  public func stop(because failure: WALError) {
    guard stopped == nil else { return }
    stopped = failure.code == .writerStopped ? failure : WALError(.writerStopped, "the writer stopped after a failed write or sync: \(failure.message)", underlying: failure.underlying)
  }

  private func syncHandle(fd: Int32, for segment: SegmentScanner) throws(WALError) -> SegmentSync {
    if let segmentSync, segmentSync.baseLSN == segment.file.baseLSN { return segmentSync }
    let handle = try SegmentSync(duplicating: fd, path: segment.file.path, baseLSN: segment.file.baseLSN)
    segmentSync = handle
    return handle
  }

  private func write(_ bytes: [UInt8], fd: Int32, at offset: Int, path: String) throws(WALError) {
    guard !bytes.isEmpty else { return }
    do {
      try Syscalls.pwriteAll(fd, bytes, at: offset)
    } catch { throw .io("write", path, error) }
  }

  private func sync(_ fd: Int32, path: String) throws(WALError) {
    guard options.sync == .always else { return }
    do { try Syscalls.fdatasync(fd) } catch { throw .io("fdatasync", path, error) }
  }

  private func writableFD(for scanner: SegmentScanner) throws(WALError) -> Int32 {
    if let writeFD, writeFD.base == scanner.file.baseLSN { return writeFD.fd }
    if let writeFD { Syscalls.close(writeFD.fd) }
    writeFD = nil
    do {
      let fd = try Syscalls.open(scanner.file.path, flags: O_WRONLY)
      writeFD = (scanner.file.baseLSN, fd)
      return fd
    } catch { throw .io("open", scanner.file.path, error) }
  }

  /// Seals the segment being written (when it holds any record) by starting the next one,
  /// so that a compaction can rewrite it. Returns whether it sealed one.
  /// - Precondition: the lock is held and `next()` has returned nil since it was taken.
  public func sealSegment() throws(WALError) -> Bool {
    if let stopped { throw stopped }
    guard holdsLock, caughtUp else {
      throw WALError(.writerStopped, "sealing a segment without the writer lock, or before catching up with the log")
    }
    guard let current = scanner, current.offset > SegmentHeader.size else { return false }
    try startSegment()
    return true
  }

  /// Creates the segment that starts at `nextLSN`: header, fdatasync, directory fsync.
  private func startSegment() throws(WALError) {
    try syncDeferred()  // a sealed segment holds only synced bytes
    try cutPreallocation()  // and ends at its last frame
    let file = directory.segmentFile(baseLSN: nextLSN)
    var header = ByteWriter(capacity: SegmentHeader.size)
    SegmentHeader(salt: UInt32.random(in: 1...UInt32.max), baseLSN: nextLSN).encode(into: &header)
    do {
      let fd = try Syscalls.open(file.path, flags: O_WRONLY | O_CREAT | O_EXCL)
      if let writeFD { Syscalls.close(writeFD.fd) }
      writeFD = (file.baseLSN, fd)
      try Syscalls.pwriteAll(fd, header.bytes, at: 0)
      if options.sync == .always {
        try Syscalls.fdatasync(fd)
        try Syscalls.fsyncDirectory(directory.walPath)
      }
    } catch { throw .io("create segment", file.path, error) }
    switch SegmentScanner.open(file, chunkSize: options.readChunkSize) {
    case .success(let opened): scanner = opened
    case .failure(.io(let error)): throw error
    case .failure(.header(let problem, _)): throw WALError(.io, "new segment \(file.name) reads back wrong: \(problem)")
    }
  }
}
