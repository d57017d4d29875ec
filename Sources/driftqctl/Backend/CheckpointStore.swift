#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ReplayEngine
import WALFormat

/// `DIR/checkpoints`: derived snapshots of the folded state, never the source of truth. The
/// bytes are `CheckpointFormat`'s; this store owns the files.
///
///     <20-digit LSN>.ckpt    one checkpoint (`CheckpointFormat`)
///     rows/<name>.rows       `PartitionRows` of one partition, appended by later checkpoints
///                            and never rewritten in place (a reader may have them mapped)
///
/// Each is written atomically (temp, fsync, rename, directory fsync) by a process holding the
/// writer lock; the newest `keep` are kept, with the rows files they use.
struct CheckpointStore: Sendable {
  /// How many checkpoints are kept: the newest, and one to fall back on if it is damaged.
  static let keep = 2

  let path: String
  var rowsPath: String { path + "/rows" }

  init(directory: WALDirectory) { path = directory.path + "/checkpoints" }

  /// The LSN a checkpoint file covers, from its name.
  static func lsn(ofName name: String) -> UInt64? { CheckpointFormat.lsn(ofName: name) }

  /// Checkpoint file names, newest first.
  func names() -> [String] {
    let names = (try? Syscalls.listDirectory(path)) ?? []
    return names.filter { CheckpointFormat.lsn(ofName: $0) != nil }.sorted(by: >)
  }

  // MARK: - Loading

  /// Reads and checks one checkpoint. `recovery` answers for rows of a damaged block.
  /// - Throws: `CheckpointError` when it is damaged or cannot be read.
  func load(_ name: String, recovery: @escaping @Sendable (PartitionKey, Int64) -> StoredMessage) throws -> Checkpoint {
    let bytes: [UInt8]
    do { bytes = try Syscalls.readSmallFile(path + "/" + name, limit: CheckpointFormat.maximumFileSize + 1) } catch {
      throw CheckpointError("cannot read it: \(error)")
    }
    return try CheckpointFormat.decode(bytes, name: name) { reference in try openTable(reference, recovery: recovery) }
  }

  /// Moves the messages of `broker` that `written` stored into its mapped rows.
  func adopt(_ written: Written, into broker: inout BrokerState, recovery: @escaping @Sendable (PartitionKey, Int64) -> StoredMessage) throws {
    try broker.adopt(written.tables) { reference in try openTable(reference, recovery: recovery) }
  }

  private func openTable(_ reference: TableReference, recovery: @escaping @Sendable (PartitionKey, Int64) -> StoredMessage) throws -> MessageTable {
    let count = try MessageTable.byteCount(of: reference)
    let mapping: MappedFile
    do { mapping = try MappedFile(path: rowsPath + "/" + reference.fileName, count: count) } catch {
      throw CheckpointError("rows file \(reference.fileName) is missing or short: \(error)")
    }
    return MessageTable(reference, mapping: mapping, recovery: recovery)
  }

  // MARK: - Writing

  /// What writing a checkpoint did.
  struct Written: Sendable {
    var name: String
    var bytes: Int
    /// Message rows appended to rows files (the rest were already there).
    var rowsWritten: Int
    /// Where each partition's rows now are (for `adopt`).
    var tables: [PartitionKey: TableReference]
  }

  /// Writes a checkpoint of `broker`/`runs`, whose last record is at `lastPosition`, then
  /// removes older checkpoints beyond `keep` and rows files none of the kept ones uses.
  /// The caller holds the writer lock (rows files have one writer).
  /// `lsn` is the LSN of the record at `lastPosition` (a run event or a broker record alike):
  /// the checkpoint is named and checked by it, so a log ending in run events never gives a
  /// name that an older checkpoint already has. `progress` hears each partition's row count
  /// once its rows are stored.
  func write(
    broker: BrokerState, runs: RunsState, lsn: UInt64, lastPosition: RecordPosition, firstSegmentSalt: UInt32,
    progress: ((Int) -> Void)? = nil
  ) throws(Errno) -> Written {
    try Syscalls.makeDirectory(path)
    try Syscalls.makeDirectory(rowsPath)
    var tables: [PartitionKey: TableReference] = [:]
    var rowsWritten = 0
    var createdFiles = false
    for rows in broker.partitionRows {
      let (reference, written, created) = try save(rows)
      tables[rows.key] = reference
      rowsWritten += written
      createdFiles = createdFiles || created
      progress?(reference.count)
    }
    if createdFiles { try Syscalls.fsyncDirectory(rowsPath) }
    let file = CheckpointFormat.encode(broker: broker, runs: runs, lsn: lsn, lastPosition: lastPosition, firstSegmentSalt: firstSegmentSalt, tables: tables)
    let name = CheckpointFormat.fileName(lsn: lsn)
    try Syscalls.writeFileAtomically(path + "/" + name, contents: file, directory: path)
    prune(newest: name, uses: Set(tables.values.map(\.fileName)))
    return Written(name: name, bytes: file.count, rowsWritten: rowsWritten, tables: tables)
  }

  /// Makes a rows file hold the partition's rows: appended to the file of the table it was
  /// loaded with when that file holds exactly what this state would write before them, else
  /// all of them written to a new file.
  private func save(_ rows: PartitionRows) throws(Errno) -> (TableReference, written: Int, created: Bool) {
    if let table = rows.table, let written = try append(rows.fresh, to: table), let reference = rows.appendedReference() {
      return (reference, written, false)
    }
    let (bytes, reference) = rows.newFile(named: Self.newRowsName())
    let fd = try Syscalls.open(rowsPath + "/" + reference.fileName, flags: O_WRONLY | O_CREAT | O_EXCL)
    defer { Syscalls.close(fd) }
    try Syscalls.pwriteAll(fd, bytes, at: 0)
    try Syscalls.fsync(fd)
    return (reference, reference.count, true)
  }

  /// Appends `rows` after `table`'s rows in its file, giving how many rows were written.
  /// Rows already there beyond the table (another checkpoint's) must be the same bytes;
  /// anything else there (a write cut short) means nil: the caller starts a new file rather
  /// than rewrite one a reader may map.
  private func append(_ rows: [UInt8], to table: MessageTable) throws(Errno) -> Int? {
    let path = rowsPath + "/" + table.fileName
    guard let fd = try? Syscalls.open(path, flags: O_RDWR) else { return nil }
    defer { Syscalls.close(fd) }
    let size = try Syscalls.fileSize(fd)
    let tableBytes = table.byteCount
    guard size % table.rowSize == 0, size >= tableBytes, size - tableBytes <= rows.count else { return nil }
    let present = size - tableBytes
    if present > 0 {
      var existing = [UInt8](repeating: 0, count: present)
      guard try Syscalls.pread(fd, into: &existing, at: tableBytes) == present, existing[...] == rows[..<present] else { return nil }
    }
    if present < rows.count {
      try Syscalls.pwriteAll(fd, rows, range: present..<rows.count, at: size)
      try Syscalls.fsync(fd)
    }
    return (rows.count - present) / table.rowSize
  }

  /// Removes checkpoints beyond the newest `keep`, then rows files the kept ones do not use.
  /// `newest` (just written) uses `uses`; the headers of the others kept are read. Best
  /// effort: what stays is only disk space.
  private func prune(newest: String, uses: Set<String>) {
    let names = names()
    for old in names.dropFirst(Self.keep) { _ = try? Syscalls.unlink(path + "/" + old) }
    var used = uses
    for name in names.prefix(Self.keep) where name != newest {
      guard let bytes = try? Syscalls.readSmallFile(path + "/" + name, limit: CheckpointFormat.maximumFileSize),
        let header = CheckpointFormat.uncheckedHeader(of: bytes)
      else { return }
      used.formUnion(header.rowsFiles)
    }
    for file in (try? Syscalls.listDirectory(rowsPath)) ?? [] where !used.contains(file) {
      _ = try? Syscalls.unlink(rowsPath + "/" + file)
    }
  }

  /// Moves aside (`<name>.broken`) every checkpoint that covers records the log no longer
  /// holds, after a repair cut them: it would otherwise stop every open, rightly, as proof of
  /// lost writes. Returns the names with the LSN each covered. The caller holds the lock.
  func setAsideLost(in directory: WALDirectory) throws -> [(name: String, lsn: UInt64)] {
    var moved: [(String, UInt64)] = []
    for name in names() {
      guard let bytes = try? Syscalls.readSmallFile(path + "/" + name, limit: CheckpointFormat.maximumFileSize),
        let header = CheckpointFormat.uncheckedHeader(of: bytes)
      else { continue }
      let check = try WALLog(directory: directory).resume(after: header.lastPosition, lsn: header.lsn, firstSegmentSalt: header.firstSegmentSalt)
      guard case .lost = check else { continue }
      try Syscalls.rename(path + "/" + name, try WALRepair.unusedName(path + "/" + name + ".broken"))
      moved.append((name, header.lsn))
    }
    if !moved.isEmpty { try Syscalls.fsyncDirectory(path) }
    return moved
  }

  /// Removes every checkpoint and rows file (after a compaction made their positions stale).
  func removeAll() {
    for name in (try? Syscalls.listDirectory(path)) ?? [] where name.hasSuffix(CheckpointFormat.suffix) || name.hasSuffix(".tmp") {
      _ = try? Syscalls.unlink(path + "/" + name)
    }
    for file in (try? Syscalls.listDirectory(rowsPath)) ?? [] { _ = try? Syscalls.unlink(rowsPath + "/" + file) }
  }

  private static func newRowsName() -> String {
    String(UInt64.random(in: 0...UInt64.max), radix: 16) + ".rows"
  }
}
