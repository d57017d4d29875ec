/// Telling a write that a crash cut short from damage done to the file afterwards.
///
/// An append is one `pwrite` then `fdatasync`; a crash in between leaves, at the end of the
/// newest segment, a prefix of what was written and then nothing (the file ends) or zeros (the
/// file grew but some sectors never reached the disk). Sectors are written whole, so a torn
/// frame either runs past the end of the file or has an all-zero 512-byte sector in it
/// (etcd's `isTornEntry` rule). A complete frame whose checksum fails with no zero sector is
/// damage (a flipped bit, an overwrite): it is reported as corruption, never cut off.
extension SegmentScanner {
  /// The sector size a torn write is judged by.
  public static let sectorSize = 512

  /// Whether `damage`, with no valid frame after it in the newest segment, is what a torn
  /// write leaves. Reads the bytes from the damage to the end of the file (or of the frame).
  public func isTornWrite(_ damage: FrameDamage) throws(WALError) -> Bool {
    let size = try fileSize()
    switch damage.reason {
    case .truncated:
      return true
    case .unexpectedLSN:
      return false
    case .payloadChecksum, .nonZeroPadding:
      // The header is intact: judge the frame's own bytes (not its zero padding), and the
      // file must hold nothing but zeros after it.
      let head = try bytes(damage.offset..<min(size, damage.offset + RecordFrame.headerSize))
      guard head.count == RecordFrame.headerSize else { return true }
      let length = Int(UInt32(head[0]) | UInt32(head[1]) << 8 | UInt32(head[2]) << 16 | UInt32(head[3]) << 24)
      let frameEnd = damage.offset + RecordFrame.frameLength(payloadLength: length)
      guard try isZero(frameEnd..<size) else { return false }
      return try hasZeroSector(damage.offset..<min(size, damage.offset + RecordFrame.headerSize + length))
    case .zeroHeader, .headerChecksum, .lengthTooLarge, .reservedBitsSet:
      // The header is not to be trusted: judge every byte from it to the end of the file.
      return try hasZeroSector(damage.offset..<size)
    }
  }

  /// Whether `damage` is an all-zero header with nothing but zeros after it to the end of
  /// the file: space a writer preallocated, the end of what is written (in the newest
  /// segment; the caller knows which one this is). Reads up to the end of the file.
  public func isPreallocatedSpace(_ damage: FrameDamage) throws(WALError) -> Bool {
    guard damage.reason == .zeroHeader else { return false }
    let size = try fileSize()
    guard size > damage.offset else { return false }
    return try isZero(damage.offset..<size)
  }

  /// Whether some 512-byte sector of the file, clipped to `range`, is all zeros. A clipped
  /// piece shorter than a frame's largest padding (7 bytes) does not count: a damaged last
  /// frame ends in padding zeros that a sector boundary may cut off on their own.
  private func hasZeroSector(_ range: Range<Int>) throws(WALError) -> Bool {
    var start = range.lowerBound
    while start < range.upperBound {
      let end = min(range.upperBound, (start / Self.sectorSize + 1) * Self.sectorSize)
      if end - start >= RecordFrame.alignment, try isZero(start..<end) { return true }
      start = end
    }
    return false
  }

  /// Whether the file holds only zeros in `range` (bytes past its end count as zeros).
  private func isZero(_ range: Range<Int>) throws(WALError) -> Bool {
    var start = range.lowerBound
    while start < range.upperBound {
      let chunk = try bytes(start..<min(range.upperBound, start + (1 << 20)))
      if chunk.isEmpty { return true }
      if chunk.contains(where: { $0 != 0 }) { return false }
      start += chunk.count
    }
    return true
  }
}
