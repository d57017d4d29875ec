import ReplayEngine
import WALFormat

/// A DriftQ-Core broker WAL (its `-wal` file): JSON Lines, one `storage.Entry` per line,
/// `type` 1 message, 2 committed offset, 3 topic, 4 retry state, 5 consume idempotency.
///
/// DriftQ-Core itself refuses to start on any undecodable line. We read it as a log: an
/// unfinished last line (no newline, not JSON) is a torn tail — a crash mid-append — and is
/// not part of the log; an undecodable line anywhere else is corruption, reported with its
/// line and byte.
struct CoreBrokerWAL {
  struct Entry {
    var line: Int
    var byte: Int
    var type: Int
    var json: JSONValue
  }

  struct Corruption: Error {
    var line: Int
    var byte: Int
    var message: String
  }

  /// DriftQ-Core's own replay limit.
  static let maximumLine = 10 << 20
  /// Larger files are refused rather than read into memory.
  static let maximumFile = 1 << 30

  static let typeNames = [1: "message", 2: "offset", 3: "topic", 4: "retry_state", 5: "consume_idempotency"]

  let path: String
  var bytes = 0
  var entries: [Entry] = []
  /// Where an unfinished last line starts, and its length.
  var tornTail: (line: Int, byte: Int, length: Int)?
  var corruption: Corruption?

  /// Whether `path` is a file whose first line is a JSON object with a numeric `type`.
  static func recognizes(_ path: String) -> Bool {
    guard [.regular, .symbolicLink].contains(try? Syscalls.kind(of: path)), let head = try? Syscalls.readSmallFile(path, limit: 64 << 10) else { return false }
    let first = head.prefix { $0 != 0x0A }
    guard let json = try? JSONParser.parse(bytes: Array(first)) else { return false }
    return json["type"]?.int64Value != nil && json["op"] == nil
  }

  /// Reads the whole file; never throws for its contents (see `corruption` and `tornTail`).
  init(path: String) throws {
    self.path = path
    let data: [UInt8]
    do { data = try Syscalls.readSmallFile(path, limit: Self.maximumFile + 1) } catch {
      throw CommandFailure(.notFound, "cannot read \(path): \(error)")
    }
    guard data.count <= Self.maximumFile else { throw CommandFailure(.failure, "\(path) is over \(Self.maximumFile >> 20) MiB; DriftQ-Core WALs that large are not read") }
    bytes = data.count
    var start = 0
    var line = 0
    while start < data.count {
      line += 1
      let end = data[start...].firstIndex(of: 0x0A) ?? data.count
      let terminated = end < data.count
      defer { start = end + 1 }
      let text = data[start..<end]
      if text.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
      let problem: String?
      if text.count > Self.maximumLine {
        problem = "line of \(text.count) bytes (DriftQ-Core's limit is \(Self.maximumLine))"
      } else if let json = try? JSONParser.parse(bytes: Array(text)), let type = json["type"]?.int64Value, type >= 0, type <= 255 {
        entries.append(Entry(line: line, byte: start, type: Int(type), json: json))
        problem = nil
      } else {
        problem = "line is not a WAL entry (JSON object with a numeric type)"
      }
      guard let problem else { continue }
      if !terminated {
        tornTail = (line, start, text.count)
      } else {
        corruption = Corruption(line: line, byte: start, message: problem)
      }
      if !terminated || corruption != nil { break }
    }
  }

  var recordsByType: [Int: Int] { entries.reduce(into: [:]) { $0[$1.type, default: 0] += 1 } }

  static func name(ofType type: Int) -> String { typeNames[type] ?? "unknown(\(type))" }
}
