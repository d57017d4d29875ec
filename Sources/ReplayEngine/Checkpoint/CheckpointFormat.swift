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

/// The bytes of a checkpoint file, made and checked without touching a file (the store that
/// owns `DIR/checkpoints` reads and writes them):
///
///     magic "DQCHKPT3" · LSN u64 · last record's segment u64 and offset u64 · first
///     segment's salt u32 · rows files used · state (`StateSnapshot`) · CRC32C of all before it
///
/// Message rows live in rows files (`PartitionRows`), named by `TableReference`s in the state.
public enum CheckpointFormat {
  /// Version 2 added the promoted versions to the state, version 3 the purge of DLQ messages and
  /// the run each version promoted; an older file is ignored (the log is folded instead, and the next write
  /// replaces it).
  public static let magic: [UInt8] = Array("DQCHKPT3".utf8)
  public static let suffix = ".ckpt"
  /// The largest checkpoint file read (rows are in their own files; this is keys and runs).
  public static let maximumFileSize = 1 << 30

  /// `<20-digit LSN>.ckpt`: checkpoints sort by the LSN they cover.
  public static func fileName(lsn: UInt64) -> String { SegmentName.fileName(baseLSN: lsn, suffix: suffix) }
  public static func lsn(ofName name: String) -> UInt64? { SegmentName.baseLSN(of: name, suffix: suffix) }

  /// The fixed fields after the magic, and the rows files the checkpoint uses.
  public struct Header: Sendable {
    public var lsn: UInt64
    public var lastPosition: RecordPosition
    public var firstSegmentSalt: UInt32
    public var rowsFiles: [String]

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

  /// The header of a checkpoint file without checking its checksum: enough to know which
  /// rows files it uses (a damaged one only costs keeping files). Nil when unreadable.
  public static func uncheckedHeader(of bytes: [UInt8]) -> Header? {
    guard bytes.count > magic.count, Array(bytes.prefix(magic.count)) == magic else { return nil }
    var reader = SnapshotReader(bytes, offset: magic.count, end: bytes.count)
    return try? Header(&reader)
  }

  /// The file of a checkpoint of `broker`/`runs` whose last record (`lsn`, any kind) is at
  /// `lastPosition`, with the partitions' rows at `tables`.
  public static func encode(
    broker: BrokerState, runs: RunsState, lsn: UInt64, lastPosition: RecordPosition, firstSegmentSalt: UInt32,
    tables: [PartitionKey: TableReference]
  ) -> [UInt8] {
    var file = ByteWriter(capacity: 4096)
    file.writeBytes(magic)
    file.write(littleEndian: lsn)
    file.write(littleEndian: lastPosition.segmentBaseLSN)
    file.write(littleEndian: UInt64(lastPosition.offset))
    file.write(littleEndian: firstSegmentSalt)
    let used = Set(tables.values.map(\.fileName))
    file.writeVarint(UInt64(used.count))
    for name in used.sorted() { file.writeString(name) }
    file.writeBytes(StateSnapshot.encode(broker: broker, runs: runs, tables: tables))
    file.write(littleEndian: CRC32C.checksum(file.bytes))
    return file.bytes
  }

  /// Checks and decodes the checkpoint file `name` whose bytes are `bytes`; `openTable` gives
  /// the rows a table reference names (the store maps its rows file).
  /// - Throws: `CheckpointError` when it is damaged.
  public static func decode(_ bytes: [UInt8], name: String, openTable: (TableReference) throws -> MessageTable) throws(CheckpointError) -> Checkpoint {
    guard bytes.count >= 48, bytes.count <= maximumFileSize, Array(bytes.prefix(8)) == magic else {
      throw CheckpointError(Array(bytes.prefix(7)) == Array(magic.prefix(7)) ? "written in an older format" : "not a checkpoint file")
    }
    let end = bytes.count - 4
    let (stored, computed) = bytes.withUnsafeBytes { raw in
      (UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: end, as: UInt32.self)), CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[..<end])))
    }
    guard stored == computed else { throw CheckpointError("checksum mismatch: stored \(hex(stored)), computed \(hex(computed))") }
    var reader = SnapshotReader(bytes, offset: 8, end: end)
    do {
      let header = try Header(&reader)
      let (broker, runs) = try StateSnapshot.decode(&reader, openTable: openTable)
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
}
