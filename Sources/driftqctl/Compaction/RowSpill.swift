#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ReplayEngine
import Synchronization
import WALFormat

extension Compactor {
  /// Keeps a compaction's folds from holding a row per message in memory, whatever the size
  /// of the directory: once the rows folded since the last spill pass `threshold`, they are
  /// appended to scratch files and read back through a mapping, as a writer's checkpoint
  /// tables are. The files are unlinked as soon as they are opened, so nothing is left
  /// behind, even by a compaction that is killed.
  final class RowSpill {
    /// Rows held in memory before they move to the scratch files: 4 MiB of them.
    static let defaultRows = (4 << 20) / 48
    /// What `DRIFTQ_COMPACT_SPILL_ROWS` sets instead (tests spill small directories with it).
    static let environmentKey = "DRIFTQ_COMPACT_SPILL_ROWS"

    /// Bytes of rows held in memory before a spill.
    private let threshold: Int
    /// How many records a fold goes between looking at the threshold.
    private let checkEvery: Int
    /// Records folded so far, by either fold.
    private var recordsFolded = 0
    private let directory: WALDirectory
    /// Scratch files by the table name their rows carry, open for as long as they are mapped.
    private var files: [String: Int32] = [:]
    private let damage = ScratchDamage()

    init(directory: WALDirectory, rows: Int) {
      self.directory = directory
      threshold = max(1, rows) * 48
      checkEvery = max(1, min(4096, rows))
    }

    deinit {
      for fd in files.values { Syscalls.close(fd) }
    }

    /// Hears of each record a fold applied to `broker`; every `checkEvery` records, spills
    /// its rows when they pass the threshold.
    func folded(into broker: inout BrokerState) throws {
      recordsFolded += 1
      if recordsFolded % checkEvery == 0, broker.rowBytesInMemory >= threshold { try spill(&broker) }
    }

    /// Moves every row `broker` holds in memory into a scratch file and maps it.
    func spill(_ broker: inout BrokerState) throws {
      var tables: [PartitionKey: TableReference] = [:]
      for rows in broker.partitionRows where rows.freshCount > 0 {
        if let table = rows.table, let fd = files[table.fileName], let reference = rows.appendedReference() {
          try write(rows.fresh, to: fd, at: table.byteCount)
          tables[rows.key] = reference
        } else {
          let (bytes, reference) = rows.newFile(named: "\(files.count).rows")
          let fd = try createScratchFile()
          files[reference.fileName] = fd
          try write(bytes, to: fd, at: 0)
          tables[rows.key] = reference
        }
      }
      let damage = self.damage
      try broker.adopt(tables) { reference in
        guard let fd = files[reference.fileName] else { throw CommandFailure(.failure, "compaction lost track of its scratch rows") }
        let mapping: MappedFile
        do { mapping = try MappedFile(fd: fd, count: try MessageTable.byteCount(of: reference)) } catch {
          throw CommandFailure(.failure, "compaction could not map its scratch rows: \(error)")
        }
        return MessageTable(reference, mapping: mapping) { key, offset in
          damage.note("\(key.topic)/\(key.partition)@\(offset)")
          return .lost(at: RecordPosition(segmentBaseLSN: 0, offset: 0), time: WALTimestamp(nanoseconds: 0))
        }
      }
    }

    /// Throws when a scratch row read back damaged (the disk failed under the compaction):
    /// what was folded from it cannot be trusted, so the compaction stops.
    func checkIntact() throws {
      if let place = damage.first {
        throw CommandFailure(.failure, "compaction aborted, the log is unchanged: its scratch rows read back damaged (\(place))")
      }
    }

    private func createScratchFile() throws -> Int32 {
      let path = directory.path + "/.compaction-\(String(UInt64.random(in: 0...UInt64.max), radix: 16)).rows"
      let fd: Int32
      do { fd = try Syscalls.open(path, flags: O_RDWR | O_CREAT | O_EXCL) } catch { throw WALError.io("create scratch rows", path, error) }
      do { try Syscalls.unlink(path) } catch {
        Syscalls.close(fd)
        throw WALError.io("unlink scratch rows", path, error)
      }
      return fd
    }

    private func write(_ bytes: [UInt8], to fd: Int32, at offset: Int) throws {
      do { try Syscalls.pwriteAll(fd, bytes, at: offset) } catch {
        throw WALError.io("write scratch rows in", directory.path, error)
      }
    }
  }

  /// The first scratch row that read back damaged, noted from the tables' recovery hook.
  final class ScratchDamage: Sendable {
    private let place = Mutex<String?>(nil)

    func note(_ where: String) { place.withLock { if $0 == nil { $0 = `where` } } }
    var first: String? { place.withLock { $0 } }
  }
}
