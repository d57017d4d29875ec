import Synchronization
import WALFormat

/// A partition's messages as a checkpoint stored them: `MessageRow`s in an append-only file
/// mapped into memory and decoded when read, so opening a directory costs nothing per message.
///
/// Every block of `blockRows` rows has a CRC32C in the checkpoint, checked the first time one
/// of its rows is read. A block that fails is not used: its rows come from `recovery` (the
/// log folded again, never the damaged bytes), which also says so once.
public final class MessageTable: Sendable {
  public static let blockRows = 4096

  /// The rows file, relative to the checkpoints directory.
  public let fileName: String
  /// The offset of the first row in the file.
  public let firstOffset: Int64
  /// Rows this table uses (the file may hold more: another checkpoint's).
  public let count: Int
  let blockChecksums: [UInt32]
  let extras: [Int64: MessageExtras]
  private let mapping: MappedFile
  /// The answer for a row of a damaged block, from the log.
  private let recovery: @Sendable (Int64) -> StoredMessage
  /// Per block: 0 unchecked, 1 intact, 2 damaged.
  private let checked: Mutex<[UInt8]>

  init(fileName: String, mapping: MappedFile, firstOffset: Int64, count: Int, blockChecksums: [UInt32], extras: [Int64: MessageExtras], recovery: @escaping @Sendable (Int64) -> StoredMessage) {
    self.fileName = fileName
    self.mapping = mapping
    self.firstOffset = firstOffset
    self.count = count
    self.blockChecksums = blockChecksums
    self.extras = extras
    self.recovery = recovery
    checked = Mutex([UInt8](repeating: 0, count: blockChecksums.count))
  }

  /// The bytes of one row in a rows file.
  public var rowSize: Int { MessageRow.size }
  /// The bytes this table's rows take in its file.
  public var byteCount: Int { count * MessageRow.size }

  /// How many blocks `rows` rows make.
  static func blockCount(rows: Int) -> Int { (rows + blockRows - 1) / blockRows }

  /// The message at `offset` (within the table).
  func message(at offset: Int64) -> StoredMessage {
    let row = Int(offset - firstOffset)
    guard isIntact(block: row / Self.blockRows) else { return recovery(offset) }
    return mapping.withBytes(row * MessageRow.size..<(row + 1) * MessageRow.size) { bytes in
      MessageRow.decode(bytes) { extras[offset] }
    }
  }

  /// Hands back to the kernel the mapped pages of rows below `offset`, for a reader going
  /// through the table in order: resident memory then holds what it reads now, not all it
  /// read. The rows stay readable (a later read maps them again).
  func releasePages(below offset: Int64) {
    let rows = Int(min(offset, firstOffset + Int64(count)) - firstOffset)
    if rows > 0 { mapping.releasePages(0..<rows * MessageRow.size) }
  }

  private func isIntact(block: Int) -> Bool {
    let state = checked.withLock { $0[block] }
    if state != 0 { return state == 1 }
    let rows = block * Self.blockRows..<min(count, (block + 1) * Self.blockRows)
    let computed = mapping.withBytes(rows.lowerBound * MessageRow.size..<rows.upperBound * MessageRow.size) { CRC32C.checksum($0) }
    let intact = computed == blockChecksums[block]
    checked.withLock { $0[block] = intact ? 1 : 2 }
    return intact
  }

  /// The block checksums of a table of `rows` rows (`checksums`) after `more` encoded rows
  /// are appended: the last, partial block's checksum is continued (CRC32C continues from
  /// a previous value), so rows already stored are neither read nor checksummed again.
  static func checksums(extending checksums: [UInt32], rows: Int, with more: [UInt8]) -> [UInt32] {
    var result = checksums
    var rest = more[...]
    let partial = rows % blockRows
    if partial != 0, let last = result.popLast() {
      let fill = min(more.count, (blockRows - partial) * MessageRow.size)
      result.append(more.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<fill]), seed: last) })
      rest = more[fill...]
    }
    return result + Self.checksums(of: Array(rest))
  }

  /// The checksum of each block of `rows` encoded rows.
  static func checksums(of bytes: [UInt8]) -> [UInt32] {
    let blockBytes = blockRows * MessageRow.size
    return stride(from: 0, to: bytes.count, by: blockBytes).map { start in
      bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<min(bytes.count, start + blockBytes)])) }
    }
  }
}
