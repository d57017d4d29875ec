import ReplayEngine
import WALFormat

/// How `runs logs` shows a step's log records: in text, each line as the step wrote it
/// (control characters escaped unless raw), started by its time and stream only when asked;
/// in JSON, one object per record.
struct LogRendering {
  /// Which streams to show.
  enum Streams: String, CaseIterable {
    case both, stdout, stderr
  }

  var streams: Streams = .both
  var prefix = false
  var timestamps = false
  var raw = false
  /// The stream whose last line is not finished yet (a partial record printed without its
  /// newline), so the next record either goes on with it or ends it first.
  private var open: StepLogRecord.Stream?

  init(streams: Streams = .both, prefix: Bool = false, timestamps: Bool = false, raw: Bool = false) {
    self.streams = streams
    self.prefix = prefix
    self.timestamps = timestamps
    self.raw = raw
  }

  /// Whether `record` is shown (notes always are).
  func shows(_ record: StepLogRecord) -> Bool {
    guard let stream = record.stream else { return true }
    return streams == .both || streams.rawValue == stream.rawValue
  }

  /// The bytes text output prints for a line record.
  mutating func text(_ record: StepLogRecord) -> [UInt8] {
    guard let stream = record.stream else { return close() }
    var out: [UInt8] = []
    if open != stream {
      out += close()
      if timestamps { out += Array((RFC3339.format(record.at) + "\t").utf8) }
      if prefix { out += Array((stream.rawValue + "\t").utf8) }
    }
    out += raw ? record.bytes : Array(Self.escaped(record.bytes).utf8)
    if record.partial {
      open = stream
    } else {
      out.append(10)
      open = nil
    }
    return out
  }

  /// Ends a line left open by a partial record (before a note, another attempt, the end).
  mutating func close() -> [UInt8] {
    guard open != nil else { return [] }
    open = nil
    return [10]
  }

  /// A line's text with control characters (but tab) escaped as `\xHH`, so a step's output
  /// cannot drive the terminal; bytes that are not UTF-8 as base64 after a marker.
  static func escaped(_ bytes: [UInt8]) -> String {
    guard let text = String(validating: bytes, as: UTF8.self) else { return "[base64] " + Base64.encode(bytes) }
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
      if isControl(scalar) {
        let hex = String(scalar.value, radix: 16)
        out += "\\x" + (hex.count < 2 ? "0" : "") + hex
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    (scalar.value < 0x20 && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
  }

  /// A record as `-o json|ndjson` rows show it.
  static func json(_ record: StepLogRecord, attempt: Int) -> JSONValue {
    var members: [(String, JSONValue)] = [("attempt", .int(attempt)), ("at", .string(RFC3339.format(record.at)))]
    if let stream = record.stream {
      members.append(("stream", .string(stream.rawValue)))
      let (text, isBase64) = PayloadRendering.text(record.bytes)
      members.append(("text", .string(text)))
      if isBase64 { members.append(("text_encoding", .string("base64"))) }
      if record.partial { members.append(("partial", .bool(true))) }
    } else if let note = record.note {
      members.append(("note", .string(note.rawValue)))
      if note == .dropped { members += [("dropped_bytes", .int(record.droppedBytes)), ("dropped_lines", .int(record.droppedLines))] }
    }
    return .object(members)
  }

  /// What a note says, for standard error.
  static func note(_ record: StepLogRecord, node: String, attempt: Int) -> String? {
    let head = "\(StepLogCapture.headLimit >> 20) MiB", tail = "\(StepLogCapture.tailLimit >> 20) MiB"
    switch record.note {
    case .headFull?:
      return "attempt \(attempt) of \(node): its log reached \(head) here; after this only the attempt's last \(tail) is kept (it follows when the attempt ends)"
    case .dropped?:
      return "attempt \(attempt) of \(node): \(record.droppedBytes) bytes of output in \(record.droppedLines) lines were dropped here (a log keeps an attempt's first \(head) and last \(tail))"
    case nil:
      return nil
    }
  }
}
