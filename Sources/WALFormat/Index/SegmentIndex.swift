/// A sparse index of one segment, in the manner of Kafka's `.index` and `.timeindex` in one
/// file: every `interval` bytes, the LSN and offset of the frame that starts there and the
/// newest timestamp of the segment's records before it.
///
/// It is derived, never the source of truth: rebuilt from the segment when missing, damaged or
/// made for another version of the segment (the salt differs), extended when the segment grew,
/// and every position it gives is checked against the frame found there before it is used.
public struct SegmentIndex: Sendable, Equatable {
  public struct Entry: Sendable, Equatable {
    public var lsn: UInt64
    public var offset: Int
    /// The newest timestamp of the segment's records before this one (`Int64.min`: none).
    public var newestBefore: Int64

    public init(lsn: UInt64, offset: Int, newestBefore: Int64) {
      self.lsn = lsn
      self.offset = offset
      self.newestBefore = newestBefore
    }
  }

  public static let magic: [UInt8] = Array("DQINDEX1".utf8)
  public static let headerSize = 48
  public static let entrySize = 24
  /// One entry per 64 KiB: 1,024 entries (24 KiB) for a 64 MiB segment, and a seek reads at
  /// most 64 KiB of frames after the entry it lands on.
  public static let defaultInterval = 64 << 10
  /// Index files larger than this are not read (a segment of 16 GiB at the default interval).
  static let maximumFileSize = 6 << 20

  /// The salt of the segment indexed: another version of the file has another salt.
  public var salt: UInt32
  public var interval: Int
  /// Bytes of the segment indexed: the offset after the last valid frame read.
  public var coveredBytes: Int
  /// The LSN after the last frame indexed.
  public var endLSN: UInt64
  /// The newest timestamp of any record covered (`Int64.min` when none).
  public var newestTimestamp: Int64
  public var entries: [Entry]

  init(salt: UInt32, interval: Int, baseLSN: UInt64) {
    self.salt = salt
    self.interval = interval
    coveredBytes = SegmentHeader.size
    endLSN = baseLSN
    newestTimestamp = .min
    entries = []
  }

  /// Reads frames from where the index ends to the end of the segment (or the first frame
  /// that is not valid: a torn tail or damage, which the log's reader reports), adding an
  /// entry every `interval` bytes.
  mutating func extend(with scanner: SegmentScanner) throws(WALError) {
    scanner.reposition(offset: coveredBytes, expectedLSN: endLSN)
    scanner.invalidateBuffer()
    var lastEntryOffset = entries.last?.offset ?? Int.min / 2
    while case .frame(let header, let offset, _) = try scanner.step() {
      if offset - lastEntryOffset >= interval {
        entries.append(Entry(lsn: header.lsn, offset: offset, newestBefore: newestTimestamp))
        lastEntryOffset = offset
      }
      newestTimestamp = max(newestTimestamp, header.timestamp.nanoseconds)
      coveredBytes = scanner.offset
      endLSN = scanner.expectedLSN
    }
  }

  /// The entry to start from to reach `lsn`: the last at or before it.
  func entry(atOrBefore lsn: UInt64) -> Entry? {
    lastEntry { $0.lsn <= lsn }
  }

  /// The entry to start from to reach the first record stamped at or after `time`: the last
  /// one all of whose predecessors are older (so nothing at or after `time` is skipped).
  func entry(before time: Int64) -> Entry? {
    lastEntry { $0.newestBefore < time }
  }

  /// The last entry satisfying `isBefore`, which holds for a prefix of the entries (LSNs and
  /// the running newest timestamp only grow): a binary search.
  private func lastEntry(_ isBefore: (Entry) -> Bool) -> Entry? {
    var low = 0
    var high = entries.count
    while low < high {
      let middle = (low + high) / 2
      if isBefore(entries[middle]) { low = middle + 1 } else { high = middle }
    }
    return low > 0 ? entries[low - 1] : nil
  }

  // MARK: - File

  public func encoded() -> [UInt8] {
    var writer = ByteWriter(capacity: Self.headerSize + entries.count * Self.entrySize)
    writer.writeBytes(Self.magic)
    writer.write(littleEndian: salt)
    writer.write(littleEndian: UInt32(interval))
    writer.write(littleEndian: UInt64(coveredBytes))
    writer.write(littleEndian: endLSN)
    writer.write(littleEndian: newestTimestamp)
    writer.write(littleEndian: UInt32(entries.count))
    writer.write(littleEndian: UInt32(0))  // checksum, filled in below
    for entry in entries {
      writer.write(littleEndian: entry.lsn)
      writer.write(littleEndian: UInt64(entry.offset))
      writer.write(littleEndian: entry.newestBefore)
    }
    var bytes = writer.bytes
    let checksum = CRC32C.checksum(bytes)
    withUnsafeBytes(of: checksum.littleEndian) { bytes.replaceSubrange(44..<48, with: $0) }
    return bytes
  }

  /// Decodes an index file; nil when it is not one, or is damaged (its checksum differs).
  public init?(decoding bytes: [UInt8]) {
    guard bytes.count >= Self.headerSize, bytes.count <= Self.maximumFileSize, Array(bytes.prefix(8)) == Self.magic else { return nil }
    var unchecked = bytes
    unchecked.replaceSubrange(44..<48, with: [0, 0, 0, 0])
    var reader = ByteReader(bytes, offset: 8)
    do {
      salt = try reader.readInteger(littleEndian: UInt32.self)
      interval = Int(try reader.readInteger(littleEndian: UInt32.self))
      coveredBytes = Int(clamping: try reader.readInteger(littleEndian: UInt64.self))
      endLSN = try reader.readInteger(littleEndian: UInt64.self)
      newestTimestamp = try reader.readInteger(littleEndian: Int64.self)
      let count = Int(try reader.readInteger(littleEndian: UInt32.self))
      let checksum = try reader.readInteger(littleEndian: UInt32.self)
      guard checksum == CRC32C.checksum(unchecked), interval > 0, bytes.count == Self.headerSize + count * Self.entrySize else { return nil }
      entries = []
      entries.reserveCapacity(count)
      for _ in 0..<count {
        entries.append(Entry(
          lsn: try reader.readInteger(littleEndian: UInt64.self),
          offset: Int(clamping: try reader.readInteger(littleEndian: UInt64.self)),
          newestBefore: try reader.readInteger(littleEndian: Int64.self)))
      }
    } catch { return nil }
  }
}
