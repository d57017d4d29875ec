#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads the frames of one segment file in order, through a bounded buffer or a mapping.
///
/// The scanner only reports what it sees: a frame, a clean end, or damage at an offset.
/// Whether damage is a torn tail or corruption depends on what follows and on which segment
/// this is, and is decided by the caller (`WALLog`, `WALVerifier`).
/// Memory: one buffer of `chunkSize`, grown to one frame at most (16 MiB plus header); or,
/// when opened `mapped`, the page cache's own pages (no copy, and nothing counted as ours).
public final class SegmentScanner {
  public let file: SegmentFile
  public let header: SegmentHeader
  // The state below is read and written several times per frame. A scanner is used by one
  // caller at a time and none of its methods call out while holding an access, so the
  // runtime's exclusivity checks (about 5% of `wal verify`) are turned off for it.

  /// Offset of the next frame to read.
  @exclusivity(unchecked) public private(set) var offset: Int
  /// The LSN the next frame must carry.
  @exclusivity(unchecked) public private(set) var expectedLSN: UInt64

  private let fd: Int32
  @exclusivity(unchecked) private var storage: [UInt8]
  /// The whole file as it was at open, when opened `mapped`; `storage` is unused then.
  private let mapping: MappedFile?
  /// Mapped bytes below this were handed back to the kernel (see `releaseStride`).
  @exclusivity(unchecked) private var releasedBelow = 0
  @exclusivity(unchecked) private var storageStart = 0
  @exclusivity(unchecked) private var storageValid = 0
  private let chunkSize: Int
  @exclusivity(unchecked) private var payloadRange: Range<Int> = 0..<0

  /// What `step()` found.
  public enum Step: Sendable {
    /// A valid frame; its payload is available through `payload()` until the next step.
    case frame(RecordFrame.Header, offset: Int, length: Int)
    /// No bytes after the last frame.
    case end
    /// Bytes that are not a valid frame start at this offset.
    case damaged(FrameDamage)
  }

  /// How a segment file could not be opened as a segment.
  public enum OpenFailure: Error, Sendable {
    case header(SegmentHeader.Problem, fileSize: Int)
    case io(WALError)
  }

  /// Opens `file` and reads its header.
  ///
  /// `mapped` maps the file as it is now instead of reading it through a buffer: reads cost
  /// no copy, but bytes appended later are not seen, and a file cut shorter while mapped
  /// faults (SIGBUS). Only for a sealed segment (one that has a later segment), which no
  /// writer appends to or truncates; `wal repair` is the one thing that cuts one.
  public static func open(_ file: SegmentFile, chunkSize: Int = 1 << 20, mapped: Bool = false) -> Result<SegmentScanner, OpenFailure> {
    let fd: Int32
    do { fd = try Syscalls.open(file.path, flags: O_RDONLY) } catch {
      return .failure(.io(.io("open", file.path, error)))
    }
    var head = [UInt8](repeating: 0, count: SegmentHeader.size)
    let size: Int
    let n: Int
    do {
      size = try Syscalls.fileSize(fd)
      n = try Syscalls.pread(fd, into: &head, at: 0)
    } catch {
      Syscalls.close(fd)
      return .failure(.io(.io("read", file.path, error)))
    }
    let header: SegmentHeader
    do { header = try SegmentHeader(parsing: Array(head.prefix(n))) } catch {
      Syscalls.close(fd)
      return .failure(.header(error, fileSize: size))
    }
    var mapping: MappedFile?
    if mapped {
      do { mapping = try MappedFile(fd: fd, count: size) } catch {
        Syscalls.close(fd)
        return .failure(.io(.io("map", file.path, error)))
      }
    }
    return .success(SegmentScanner(file: file, header: header, fd: fd, chunkSize: chunkSize, mapping: mapping))
  }

  private init(file: SegmentFile, header: SegmentHeader, fd: Int32, chunkSize: Int, mapping: MappedFile?) {
    self.file = file
    self.header = header
    self.fd = fd
    self.chunkSize = max(chunkSize, 4096)
    self.storage = []
    self.mapping = mapping
    if let mapping { storageValid = mapping.count }
    self.offset = SegmentHeader.size
    self.expectedLSN = header.baseLSN
  }

  deinit { Syscalls.close(fd) }

  /// The current size of the file (it may grow while a writer appends).
  public func fileSize() throws(WALError) -> Int {
    do { return try Syscalls.fileSize(fd) } catch { throw .io("stat", file.path, error) }
  }

  /// Forgets buffered bytes, so the next step reads the file again (after a writer appended
  /// or truncated, or when bytes seen earlier may have been mid-write).
  public func invalidateBuffer() { if mapping == nil { storageValid = 0 } }

  /// Moves the read position, e.g. back to a damaged frame to look at it again.
  public func reposition(offset: Int, expectedLSN: UInt64) {
    self.offset = offset
    self.expectedLSN = expectedLSN
  }

  /// Whether a valid frame carrying `lsn` starts at `offset` (to check a position an index
  /// gave). Leaves the read position after that frame, or at `offset`: reposition after.
  public func holdsFrame(lsn: UInt64, at offset: Int) throws(WALError) -> Bool {
    reposition(offset: offset, expectedLSN: lsn)
    if case .frame(let header, _, _) = try step() { return header.lsn == lsn }
    return false
  }

  /// Makes sure `count` bytes from `at` are buffered if the file has them; returns how many
  /// are buffered from `at` (fewer at the end of the file).
  private func fill(at position: Int, count: Int) throws(WALError) -> Int {
    if let mapping {
      if position - releasedBelow >= Self.releaseStride {
        mapping.releasePages(releasedBelow..<position)
        releasedBelow = position
      }
      return max(0, storageValid - position)
    }
    let bufferedFrom = position - storageStart
    if storageValid > 0, bufferedFrom >= 0, bufferedFrom + count <= storageValid {
      return storageValid - bufferedFrom
    }
    let want = max(count, chunkSize)
    if storage.count < want { storage = [UInt8](repeating: 0, count: want) }
    let read: Int
    do { read = try Syscalls.pread(fd, into: &storage, range: 0..<want, at: position) } catch {
      throw .io("read", file.path, error)
    }
    storageStart = position
    storageValid = read
    return read
  }

  /// Reads the next frame, or reports the end or damage. Advances only past valid frames.
  public func step() throws(WALError) -> Step {
    var available = try fill(at: offset, count: RecordFrame.headerSize)
    if available == 0 {
      // A compacted segment accounts for every LSN of its span, kept or not.
      if let end = header.endLSN, expectedLSN <= end { expectedLSN = end + 1 }
      return .end
    }
    while true {
      let local = offset - storageStart
      let salt = header.salt
      let decoding = withBuffered { raw in
        RecordFrame.decode(UnsafeRawBufferPointer(rebasing: raw[local..<local + available]), at: 0, salt: salt)
      }
      switch decoding {
      case .frame(let frameHeader, let payloadStart, let frameLength):
        guard frameHeader.lsn == expectedLSN || isSkippedAhead(frameHeader.lsn) else {
          return .damaged(FrameDamage(offset: offset, lsn: frameHeader.lsn, reason: .unexpectedLSN(expected: expectedLSN, found: frameHeader.lsn)))
        }
        payloadRange = (local + payloadStart)..<(local + payloadStart + frameHeader.payloadLength)
        let at = offset
        offset += frameLength
        expectedLSN = frameHeader.lsn + 1
        return .frame(frameHeader, offset: at, length: frameLength)
      case .needMoreBytes(let required):
        let more = try fill(at: offset, count: required)
        if more < required {
          return .damaged(FrameDamage(offset: offset, reason: .truncated(required: required, available: more)))
        }
        available = more
      case .damaged(var damage):
        damage.offset = offset
        return .damaged(damage)
      }
    }
  }

  /// Whether `lsn` is a legal jump forward: only a compacted segment skips LSNs, and only
  /// within its span.
  private func isSkippedAhead(_ lsn: UInt64) -> Bool {
    guard let end = header.endLSN else { return false }
    return lsn > expectedLSN && lsn <= end
  }

  /// How far a mapped read runs past pages before releasing them: resident memory then
  /// stays within this much of a mapped segment (plus the frame being read).
  static let releaseStride = 4 << 20

  /// The buffered bytes (`storageStart..<storageStart + storageValid` of the file).
  @inline(__always)
  private func withBuffered<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
    if let mapping { return mapping.withBytes(0..<mapping.count, body) }
    return storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<storageValid])) }
  }

  /// The payload of the frame the last `step()` returned.
  public func payload() -> [UInt8] { withBuffered { Array($0[payloadRange]) } }

  /// Searches for the next valid frame after `start` (frames are 8-byte aligned). Used to
  /// tell a torn tail (nothing valid follows) from corruption (valid data follows).
  /// Cost: reads the rest of the file.
  public func findValidFrame(after start: Int) throws(WALError) -> (offset: Int, lsn: UInt64)? {
    var position = start + RecordFrame.alignment
    let size = try fileSize()
    let salt = header.salt
    while position + RecordFrame.headerSize <= size {
      let available = try fill(at: position, count: RecordFrame.headerSize)
      if available < RecordFrame.headerSize { return nil }
      let local = position - storageStart
      let decoding = withBuffered { raw in
        RecordFrame.decode(UnsafeRawBufferPointer(rebasing: raw[local..<local + available]), at: 0, salt: salt)
      }
      switch decoding {
      case .frame(let h, _, _): return (position, h.lsn)
      case .needMoreBytes(let required):
        // A valid header whose frame runs past the buffer: read it whole to check its payload.
        let more = try fill(at: position, count: required)
        if more >= required { continue }
        position += RecordFrame.alignment
      case .damaged: position += RecordFrame.alignment
      }
    }
    return nil
  }

  /// The file's bytes in `range` (fewer at its end), read directly, not through the buffer.
  public func bytes(_ range: Range<Int>) throws(WALError) -> [UInt8] {
    var result = [UInt8](repeating: 0, count: range.count)
    let n: Int
    do { n = try Syscalls.pread(fd, into: &result, at: range.lowerBound) } catch { throw .io("read", file.path, error) }
    return Array(result.prefix(n))
  }

  /// Cuts the file at `length` through a separate writable descriptor, then syncs it.
  public func truncate(to length: Int) throws(WALError) {
    do {
      let wfd = try Syscalls.open(file.path, flags: O_WRONLY)
      defer { Syscalls.close(wfd) }
      try Syscalls.ftruncate(wfd, length)
      try Syscalls.fdatasync(wfd)
    } catch { throw .io("truncate", file.path, error) }
    invalidateBuffer()
  }
}
