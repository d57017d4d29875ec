import ReplayEngine
import WALFormat

/// A DriftQ-Core WAL file: JSON Lines, one record per line. The broker WAL (`-wal`) holds
/// `storage.Entry` lines with a numeric `type` (1 message, 2 committed offset, 3 topic,
/// 4 retry state, 5 consume idempotency); the engine WAL (`-engine-wal`) holds
/// `{"op","at","value"}` lines for runs.
///
/// DriftQ-Core itself refuses to start on any undecodable line. We read it as a log: an
/// unfinished last line (no newline, not a whole record) is a torn tail — a crash mid-append —
/// and is not part of the log; an undecodable line anywhere else is corruption, reported with
/// its line and byte.
struct CoreWALFile {
  enum Format: String {
    case broker = "driftq-core-broker"
    case engine = "driftq-core-engine"

    var title: String { self == .broker ? "DriftQ-Core broker WAL (JSON Lines)" : "DriftQ-Core engine WAL (JSON Lines)" }

    /// Whether `json` is a record of this format.
    func accepts(_ json: JSONValue) -> Bool {
      switch self {
      case .broker: return json["type"]?.int64Value.map { (0...255).contains($0) } ?? false
      case .engine: return json["op"]?.stringValue != nil && json["at"]?.stringValue.flatMap(RFC3339.parse) != nil && json["value"] != nil
      }
    }
  }

  struct Entry {
    var line: Int
    var byte: Int
    /// The broker entry's type name (`message`…) or the engine record's op.
    var kind: String
    /// The broker entry's type number; nil for engine records.
    var type: Int?
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
  static let engineOps = ["create_run", "update_run", "upsert_node", "append_event", "upsert_timer", "put_kv"]

  let path: String
  let format: Format
  var bytes = 0
  var entries: [Entry] = []
  /// Where an unfinished last line starts, and its length.
  var tornTail: (line: Int, byte: Int, length: Int)?
  var corruption: Corruption?

  /// The format of the file at `path`, judged by its first line; nil for anything else.
  static func recognize(_ path: String) -> Format? {
    guard [.regular, .symbolicLink].contains(try? Syscalls.kind(of: path)), let head = try? Syscalls.readSmallFile(path, limit: 64 << 10) else { return nil }
    guard let json = try? JSONParser.parse(bytes: Array(head.prefix { $0 != 0x0A })) else { return nil }
    return [Format.broker, .engine].first { $0.accepts(json) }
  }

  /// Reads the whole file; never throws for its contents (see `corruption` and `tornTail`).
  /// `progress` hears the bytes of each line as it is parsed.
  init(path: String, format: Format, progress: ((Int) -> Void)? = nil) throws {
    self.path = path
    self.format = format
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
      defer {
        progress?(min(end + 1, data.count) - start)
        start = end + 1
      }
      let text = data[start..<end]
      if text.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
      let problem: String?
      if text.count > Self.maximumLine {
        problem = "line of \(text.count) bytes (DriftQ-Core's limit is \(Self.maximumLine))"
      } else if let json = try? JSONParser.parse(bytes: Array(text)), format.accepts(json) {
        let type = json["type"]?.int64Value.map { Int($0) }
        let kind = format == .broker ? Self.name(ofType: type ?? 0) : json["op"]?.stringValue ?? ""
        entries.append(Entry(line: line, byte: start, kind: kind, type: type, json: json))
        problem = nil
      } else {
        problem = format == .broker ? "line is not a WAL entry (JSON object with a numeric type)" : "line is not an engine record ({\"op\",\"at\",\"value\"})"
      }
      guard let problem else { continue }
      if !terminated {
        tornTail = (line, start, text.count)
      } else {
        corruption = Corruption(line: line, byte: start, message: problem)
      }
      break
    }
  }

  /// Records per kind, in a stable order.
  var recordsByKind: [(kind: String, count: Int)] {
    let counts = entries.reduce(into: [String: Int]()) { $0[$1.kind, default: 0] += 1 }
    return counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
  }

  var recordsByType: [Int: Int] { entries.reduce(into: [:]) { if let type = $1.type { $0[type, default: 0] += 1 } } }

  static func name(ofType type: Int) -> String { typeNames[type] ?? "unknown(\(type))" }

  /// Whether `kind` names records of this format (a name, or a broker type number).
  func knows(kind: String) -> Bool {
    format == .broker ? Self.typeNames.values.contains(kind) || Int(kind) != nil : Self.engineOps.contains(kind)
  }
}
