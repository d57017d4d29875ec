#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WALFormat

/// A checkpoint as loaded: the state folded up to `lsn`, and where that record is in the log.
public struct Checkpoint: Sendable {
  public var name: String
  public var lsn: UInt64
  /// The frame of record `lsn`: the log resumes right after it.
  public var lastPosition: RecordPosition
  /// The salt of the log's first segment when it was made (a compaction changes it).
  public var firstSegmentSalt: UInt32
  public var broker: BrokerState
  public var runs: RunsState
}

/// `DIR/checkpoints`: derived snapshots of the folded state, never the source of truth.
///
///     <20-digit LSN>.ckpt    magic "DQCHKPT1" · LSN u64 · last record's segment u64 and
///                            offset u64 · first segment's salt u32 · rows files used ·
///                            state (`StateSnapshot`) · CRC32C of all before it
///     rows/<name>.rows       `MessageRow`s of one partition, appended by later checkpoints
///                            and never rewritten in place (a reader may have them mapped)
///
/// Each is written atomically (temp, fsync, rename, directory fsync) by a process holding the
/// writer lock; the newest `keep` are kept, with the rows files they use.
public struct CheckpointStore: Sendable {
  public static let magic: [UInt8] = Array("DQCHKPT1".utf8)
  public static let suffix = ".ckpt"
  /// How many checkpoints are kept: the newest, and one to fall back on if it is damaged.
  public static let keep = 2
  /// The largest checkpoint file read (rows are in their own files; this is keys and runs).
  static let maximumFileSize = 1 << 30

  public let path: String
  var rowsPath: String { path + "/rows" }

  public init(directory: WALDirectory) { path = directory.path + "/checkpoints" }

  /// Checkpoint file names, newest first.
  public func names() -> [String] {
    let names = (try? Syscalls.listDirectory(path)) ?? []
    return names.filter { Self.lsn(ofName: $0) != nil }.sorted(by: >)
  }

  public static func lsn(ofName name: String) -> UInt64? { SegmentName.baseLSN(of: name, suffix: suffix) }

  /// The fixed fields after the magic, and the rows files the checkpoint uses.
  struct Header {
    var lsn: UInt64
    var lastPosition: RecordPosition
    var firstSegmentSalt: UInt32
    var rowsFiles: [String]

    /// Reads the header of a checkpoint file whose checksum was checked (or, for pruning,
    /// whose damage only costs keeping files).
    init(_ reader: inout SnapshotReader) throws(ByteReader.Failure) {
      lsn = try reader.bytes.readInteger(littleEndian: UInt64.self)
      lastPosition = RecordPosition(
        segmentBaseLSN: try reader.bytes.readInteger(littleEndian: UInt64.self),
        offset: Int(clamping: try reader.bytes.readInteger(littleEndian: UInt64.self)))
      firstSegmentSalt = try reader.bytes.readInteger(littleEndian: UInt32.self)
      rowsFiles = []
      for _ in 0..<(try reader.count()) { rowsFiles.append(try reader.string()) }
    }
  }

  // MARK: - Loading

  /// Reads and checks one checkpoint. `recovery` answers for rows of a damaged block.
  /// - Throws: `CheckpointError` when it is damaged or cannot be read.
  public func load(_ name: String, recovery: @escaping @Sendable (PartitionKey, Int64) -> StoredMessage) throws -> Checkpoint {
    let bytes: [UInt8]
    do { bytes = try Syscalls.readSmallFile(path + "/" + name, limit: Self.maximumFileSize + 1) } catch {
      throw CheckpointError("cannot read it: \(error)")
    }
    guard bytes.count >= 48, bytes.count <= Self.maximumFileSize, Array(bytes.prefix(8)) == Self.magic else { throw CheckpointError("not a checkpoint file") }
    let end = bytes.count - 4
    let (stored, computed) = bytes.withUnsafeBytes { raw in
      (UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: end, as: UInt32.self)), CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[..<end])))
    }
    guard stored == computed else { throw CheckpointError("checksum mismatch: stored \(hex(stored)), computed \(hex(computed))") }
    var reader = SnapshotReader(bytes, offset: 8, end: end)
    do {
      let header = try Header(&reader)
      let (broker, runs) = try StateSnapshot.decode(&reader) { reference in try openTable(reference, recovery: recovery) }
      // The header names the last record of any kind; the broker's last may be earlier (the
      // log can end in run events), never later.
      guard broker.lastLSN <= header.lsn else { throw CheckpointError("its state ends at LSN \(broker.lastLSN), its header says \(header.lsn)") }
      return Checkpoint(name: name, lsn: header.lsn, lastPosition: header.lastPosition, firstSegmentSalt: header.firstSegmentSalt, broker: broker, runs: runs)
    } catch let error as CheckpointError {
      throw error
    } catch {
      throw CheckpointError("undecodable: \(error)")
    }
  }

  /// Moves the messages of `broker` that `written` stored into its mapped rows: a writer
  /// that keeps running holds them on disk rather than in memory, and its next checkpoint
  /// appends to those files instead of writing every row again.
  public func adopt(_ written: Written, into broker: inout BrokerState, recovery: @escaping @Sendable (PartitionKey, Int64) -> StoredMessage) throws {
    for (key, reference) in written.tables {
      guard let partition = broker.topics[key.topic]?.partitions[safe: key.partition],
        partition.endIndex == reference.firstOffset + Int64(reference.count),
        partition.table?.fileName != reference.fileName || partition.table?.count != reference.count
      else { continue }
      let table = try openTable(reference, recovery: recovery)
      broker.topics[key.topic]?.partitions[key.partition] = PartitionLog(
        startOffset: partition.startOffset, startCumulativeBytes: partition.startCumulativeBytes, table: table)
    }
  }

  private func openTable(_ reference: TableReference, recovery: @escaping @Sendable (PartitionKey, Int64) -> StoredMessage) throws -> MessageTable {
    guard reference.count >= 0, reference.firstOffset >= 0, reference.count <= Int.max / MessageRow.size,
      reference.checksums.count == MessageTable.blockCount(rows: reference.count), isPlainName(reference.fileName)
    else { throw CheckpointError("a table reference is invalid") }
    let mapping: MappedFile
    do { mapping = try MappedFile(path: rowsPath + "/" + reference.fileName, count: reference.count * MessageRow.size) } catch {
      throw CheckpointError("rows file \(reference.fileName) is missing or short: \(error)")
    }
    return MessageTable(
      fileName: reference.fileName, mapping: mapping, firstOffset: reference.firstOffset, count: reference.count,
      blockChecksums: reference.checksums, extras: reference.extras, recovery: { recovery(reference.key, $0) })
  }

  // MARK: - Writing

  /// What writing a checkpoint did.
  public struct Written: Sendable {
    public var name: String
    public var bytes: Int
    /// Message rows appended to rows files (the rest were already there).
    public var rowsWritten: Int
    /// Where each partition's rows now are (for `adopt`).
    public var tables: [PartitionKey: TableReference]
  }

  /// Writes a checkpoint of `broker`/`runs`, whose last record is at `lastPosition`, then
  /// removes older checkpoints beyond `keep` and rows files none of the kept ones uses.
  /// The caller holds the writer lock (rows files have one writer).
  /// `lsn` is the LSN of the record at `lastPosition` (a run event or a broker record alike):
  /// the checkpoint is named and checked by it, so a log ending in run events never gives a
  /// name that an older checkpoint already has.
  public func write(broker: BrokerState, runs: RunsState, lsn: UInt64, lastPosition: RecordPosition, firstSegmentSalt: UInt32) throws(Errno) -> Written {
    try Syscalls.makeDirectory(path)
    try Syscalls.makeDirectory(rowsPath)
    var tables: [PartitionKey: TableReference] = [:]
    var rowsWritten = 0
    var createdFiles = false
    for (name, topic) in broker.topics {
      for (index, partition) in topic.partitions.enumerated() where partition.endIndex > partition.startOffset {
        let key = PartitionKey(topic: name, partition: index)
        let (reference, written, created) = try saveRows(partition, key: key)
        tables[key] = reference
        rowsWritten += written
        createdFiles = createdFiles || created
      }
    }
    if createdFiles { try Syscalls.fsyncDirectory(rowsPath) }

    var file = ByteWriter(capacity: 4096)
    file.writeBytes(Self.magic)
    file.write(littleEndian: lsn)
    file.write(littleEndian: lastPosition.segmentBaseLSN)
    file.write(littleEndian: UInt64(lastPosition.offset))
    file.write(littleEndian: firstSegmentSalt)
    let used = Set(tables.values.map(\.fileName))
    file.writeVarint(UInt64(used.count))
    for name in used.sorted() { file.writeString(name) }
    file.writeBytes(StateSnapshot.encode(broker: broker, runs: runs, tables: tables))
    file.write(littleEndian: CRC32C.checksum(file.bytes))
    let name = SegmentName.fileName(baseLSN: lsn, suffix: Self.suffix)
    try Syscalls.writeFileAtomically(path + "/" + name, contents: file.bytes, directory: path)
    prune(newest: name, uses: used)
    return Written(name: name, bytes: file.count, rowsWritten: rowsWritten, tables: tables)
  }

  /// Makes the rows file of `partition` hold its rows: appended to the file of the table it
  /// was loaded with when that file holds exactly what this state would write before them,
  /// else all of them written to a new file.
  private func saveRows(_ partition: PartitionLog, key: PartitionKey) throws(Errno) -> (TableReference, written: Int, created: Bool) {
    let overlay = partition.overlay
    var fresh = ByteWriter(capacity: overlay.messages.count * MessageRow.size)
    var extras: [Int64: MessageExtras] = [:]
    for (index, message) in overlay.messages.enumerated() {
      let extra = MessageExtras(message)
      MessageRow.encode(message, hasExtras: extra != nil, into: &fresh)
      if let extra { extras[overlay.start + Int64(index)] = extra }
    }
    if let table = partition.table, let appended = try append(fresh.bytes, to: table) {
      let reference = TableReference(
        fileName: table.fileName, firstOffset: table.firstOffset, count: table.count + overlay.messages.count,
        checksums: appended.checksums, extras: table.extras.merging(extras) { $1 }, key: key)
      return (reference, appended.written, false)
    }
    // A new file: every held row, those of the table (as decoded) before those in memory.
    let count = Int(partition.endIndex - partition.startOffset)
    var all = ByteWriter(capacity: count * MessageRow.size)
    for offset in partition.startOffset..<overlay.start {
      let message = partition[offset]
      let extra = MessageExtras(message)
      MessageRow.encode(message, hasExtras: extra != nil, into: &all)
      if let extra { extras[offset] = extra }
    }
    all.writeBytes(fresh.bytes)
    let fileName = Self.newRowsName()
    let fd = try Syscalls.open(rowsPath + "/" + fileName, flags: O_WRONLY | O_CREAT | O_EXCL)
    defer { Syscalls.close(fd) }
    try Syscalls.pwriteAll(fd, all.bytes, at: 0)
    try Syscalls.fsync(fd)
    let reference = TableReference(
      fileName: fileName, firstOffset: partition.startOffset, count: count,
      checksums: MessageTable.checksums(of: all.bytes), extras: extras, key: key)
    return (reference, count, true)
  }

  /// Appends `rows` after `table`'s rows in its file. Rows already there beyond the table
  /// (another checkpoint's) must be the same bytes; anything else there (a write cut short)
  /// means nil: the caller starts a new file rather than rewrite one a reader may map.
  private func append(_ rows: [UInt8], to table: MessageTable) throws(Errno) -> (checksums: [UInt32], written: Int)? {
    let path = rowsPath + "/" + table.fileName
    guard let fd = try? Syscalls.open(path, flags: O_RDWR) else { return nil }
    defer { Syscalls.close(fd) }
    let size = try Syscalls.fileSize(fd)
    let tableBytes = table.count * MessageRow.size
    guard size % MessageRow.size == 0, size >= tableBytes, size - tableBytes <= rows.count else { return nil }
    let present = size - tableBytes
    if present > 0 {
      var existing = [UInt8](repeating: 0, count: present)
      guard try Syscalls.pread(fd, into: &existing, at: tableBytes) == present, existing[...] == rows[..<present] else { return nil }
    }
    if present < rows.count {
      try Syscalls.pwriteAll(fd, rows, range: present..<rows.count, at: size)
      try Syscalls.fsync(fd)
    }
    return (MessageTable.checksums(extending: table.blockChecksums, rows: table.count, with: rows), (rows.count - present) / MessageRow.size)
  }

  /// Removes checkpoints beyond the newest `keep`, then rows files the kept ones do not use.
  /// `newest` (just written) uses `uses`; the headers of the others kept are read. Best
  /// effort: what stays is only disk space.
  private func prune(newest: String, uses: Set<String>) {
    let names = names()
    for old in names.dropFirst(Self.keep) { _ = try? Syscalls.unlink(path + "/" + old) }
    var used = uses
    for name in names.prefix(Self.keep) where name != newest {
      guard let bytes = try? Syscalls.readSmallFile(path + "/" + name, limit: Self.maximumFileSize) else { return }
      var reader = SnapshotReader(bytes, offset: Self.magic.count, end: bytes.count)
      guard let header = try? Header(&reader) else { return }
      used.formUnion(header.rowsFiles)
    }
    for file in (try? Syscalls.listDirectory(rowsPath)) ?? [] where !used.contains(file) {
      _ = try? Syscalls.unlink(rowsPath + "/" + file)
    }
  }

  /// Removes every checkpoint and rows file (after a compaction made their positions stale).
  public func removeAll() {
    for name in (try? Syscalls.listDirectory(path)) ?? [] where name.hasSuffix(Self.suffix) || name.hasSuffix(".tmp") {
      _ = try? Syscalls.unlink(path + "/" + name)
    }
    for file in (try? Syscalls.listDirectory(rowsPath)) ?? [] { _ = try? Syscalls.unlink(rowsPath + "/" + file) }
  }

  private static func newRowsName() -> String {
    String(UInt64.random(in: 0...UInt64.max), radix: 16) + ".rows"
  }

  private func isPlainName(_ name: String) -> Bool {
    !name.isEmpty && !name.contains("/") && !name.hasPrefix(".")
  }
}
