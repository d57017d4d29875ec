#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes the one segment that replaces a directory's sealed prefix, and swaps it in.
///
/// The new segment is written beside the old ones as `<first>.seg.compact.tmp` (listing
/// ignores `.tmp` files) and fsynced. The swap is a single rename over the first segment's
/// name: before it the old set is the log, after it the new segment is, and its header's
/// span makes every old file inside the span a leftover that readers ignore and the swap
/// then removes. A crash at any point leaves one set or the other, never a mix.
public final class CompactedSegmentWriter {
  public let directory: WALDirectory
  public let target: SegmentFile
  public let endLSN: UInt64
  private let salt: UInt32
  private let fd: Int32
  private var buffer = ByteWriter(capacity: 1 << 20)
  private var written = SegmentHeader.size
  private var lastLSN: UInt64 = 0

  public var temporaryPath: String { target.path + Self.temporarySuffix }
  /// What a compacted segment being written is called after its target's name; listing
  /// ignores it (it ends in `.tmp`).
  static let temporarySuffix = ".compact.tmp"

  /// Starts the segment that will cover LSNs `baseLSN ... endLSN`.
  /// - Throws: `.io` when the temporary file cannot be created.
  public init(directory: WALDirectory, baseLSN: UInt64, endLSN: UInt64) throws(WALError) {
    guard endLSN >= baseLSN, endLSN - baseLSN < UInt64(UInt32.max) else {
      throw WALError(.recordTooLarge, "a compacted segment cannot cover LSNs \(baseLSN)...\(endLSN)")
    }
    self.directory = directory
    target = directory.segmentFile(baseLSN: baseLSN)
    self.endLSN = endLSN
    salt = UInt32.random(in: 1...UInt32.max)
    let path = target.path + Self.temporarySuffix
    do { fd = try Syscalls.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC) } catch { throw .io("create", path, error) }
    var header = ByteWriter(capacity: SegmentHeader.size)
    SegmentHeader(salt: salt, baseLSN: baseLSN, span: UInt32(endLSN - baseLSN + 1)).encode(into: &header)
    do { try Syscalls.pwriteAll(fd, header.bytes, at: 0) } catch {
      Syscalls.close(fd)
      throw .io("write", path, error)
    }
  }

  deinit { Syscalls.close(fd) }

  /// Copies `record` into the new segment, under its own LSN, kind and time.
  /// - Precondition: LSNs increase and stay within the span.
  public func append(_ record: WALRecord) throws(WALError) {
    guard record.lsn > lastLSN, record.lsn >= target.baseLSN, record.lsn <= endLSN else {
      throw WALError(.corruption, "compaction wrote LSN \(record.lsn) out of order (after \(lastLSN), span \(target.baseLSN)...\(endLSN))")
    }
    lastLSN = record.lsn
    RecordFrame.encode(lsn: record.lsn, kind: record.kind, timestamp: record.timestamp, payload: record.payload, salt: salt, into: &buffer)
    if buffer.count >= 1 << 20 { try flush() }
  }

  private func flush() throws(WALError) {
    guard buffer.count > 0 else { return }
    do { try Syscalls.pwriteAll(fd, buffer.bytes, at: written) } catch { throw .io("write", temporaryPath, error) }
    written += buffer.count
    buffer.removeAll()
  }

  /// Writes what is buffered and fsyncs the temporary file: it is complete on disk.
  public func finish() throws(WALError) {
    try flush()
    do { try Syscalls.fsync(fd) } catch { throw .io("fsync", temporaryPath, error) }
  }

  /// Renames the finished segment over the first segment, the moment the new set becomes
  /// the log, and fsyncs the directory. The caller holds the writer lock around just this,
  /// so writers wait for one rename at most, then calls `removeLeftovers`.
  public func swapIn() throws(WALError) {
    do throws(Errno) {
      try Syscalls.rename(temporaryPath, target.path)
      try Syscalls.fsyncDirectory(directory.walPath)
    } catch { throw .io("rename", temporaryPath, error) }
  }

  /// Deletes files a finished swap superseded, and temporary files of a swap that never
  /// happened (a compaction killed before its rename). `removed` hears the count so far.
  public static func removeLeftovers(_ directory: WALDirectory, removed: (Int) -> Void) throws(WALError) {
    let leftovers = try directory.segmentsAndLeftovers().leftovers
    do throws(Errno) {
      for (index, file) in leftovers.enumerated() {
        try Syscalls.unlink(file.path)
        _ = try? Syscalls.unlink(SegmentIndexStore.path(for: file, in: directory))
        removed(index + 1)
      }
      for name in try Syscalls.listDirectory(directory.walPath) where name.hasSuffix(temporarySuffix) {
        try Syscalls.unlink(directory.walPath + "/" + name)
      }
      try Syscalls.fsyncDirectory(directory.walPath)
    } catch { throw .io("remove leftovers in", directory.walPath, error) }
  }
}
