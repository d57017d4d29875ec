import ReplayEngine
import WALFormat

/// One record of a step's log, as stored: one compact JSON object per line (NDJSON), so a
/// log that is still being written can be read up to its last complete line.
///
/// `{"at_ns":N,"stream":"stdout"|"stderr","text":"…"}` is a line the step wrote (without
/// its newline; `"base64"` instead of `"text"` for bytes that are not UTF-8, and
/// `"partial":true` when the line goes on in the stream's next record: a line longer than a
/// record holds, or the stream's last bytes without a newline). `{"at_ns":N,"note":…}` is
/// driftqctl's: `head_full` (from here on only the attempt's last part is kept) and
/// `dropped` (with `dropped_bytes` and `dropped_lines`: what the bound left out here).
struct StepLogRecord: Sendable, Equatable {
  enum Stream: String, Sendable, CaseIterable {
    case stdout, stderr
  }

  enum Note: String, Sendable {
    case headFull = "head_full"
    case dropped
  }

  var at: WALTimestamp
  /// The stream a line came from; nil for a note.
  var stream: Stream?
  var bytes: [UInt8]
  var partial: Bool
  var note: Note?
  var droppedBytes: Int
  var droppedLines: Int

  init(at: WALTimestamp, stream: Stream, bytes: [UInt8], partial: Bool = false) {
    self.at = at
    self.stream = stream
    self.bytes = bytes
    self.partial = partial
    note = nil
    droppedBytes = 0
    droppedLines = 0
  }

  init(at: WALTimestamp, note: Note, droppedBytes: Int = 0, droppedLines: Int = 0) {
    self.at = at
    stream = nil
    bytes = []
    partial = false
    self.note = note
    self.droppedBytes = droppedBytes
    self.droppedLines = droppedLines
  }

  /// The record as one line of the log, with its newline.
  func encoded() -> [UInt8] {
    var members: [(String, JSONValue)] = [("at_ns", .int(at.nanoseconds))]
    if let stream {
      members.append(("stream", .string(stream.rawValue)))
      if let text = String(validating: bytes, as: UTF8.self) {
        members.append(("text", .string(text)))
      } else {
        members.append(("base64", .string(Base64.encode(bytes))))
      }
      if partial { members.append(("partial", .bool(true))) }
    } else if let note {
      members.append(("note", .string(note.rawValue)))
      if note == .dropped { members += [("dropped_bytes", .int(droppedBytes)), ("dropped_lines", .int(droppedLines))] }
    }
    var writer = JSONWriter()
    writer.value(.object(members))
    return writer.output + [10]
  }

  /// Decodes one line of a log (without its newline).
  init(decoding line: ArraySlice<UInt8>) throws(LogDamage) {
    let json: JSONValue
    do { json = try JSONParser.parse(bytes: Array(line)) } catch { throw LogDamage("a log record is not JSON: \(error)") }
    guard let ns = json["at_ns"]?.int64Value else { throw LogDamage("log record without at_ns") }
    let at = WALTimestamp(nanoseconds: ns)
    if let name = json["stream"]?.stringValue {
      guard let stream = Stream(rawValue: name) else { throw LogDamage("log record of unknown stream \(name)") }
      let bytes: [UInt8]
      if let text = json["text"]?.stringValue {
        bytes = Array(text.utf8)
      } else if let encoded = json["base64"]?.stringValue, let decoded = Base64.decode(encoded) {
        bytes = decoded
      } else {
        throw LogDamage("log record without text")
      }
      self.init(at: at, stream: stream, bytes: bytes, partial: json["partial"] == .bool(true))
    } else if let name = json["note"]?.stringValue, let note = Note(rawValue: name) {
      self.init(
        at: at, note: note, droppedBytes: Int(clamping: json["dropped_bytes"]?.int64Value ?? 0),
        droppedLines: Int(clamping: json["dropped_lines"]?.int64Value ?? 0))
    } else {
      throw LogDamage("log record with neither stream nor a known note")
    }
  }

  /// The complete records at the start of `bytes`, and how many bytes they took (a record
  /// still being written, after the last newline, is left for the next read).
  static func decodeComplete(_ bytes: ArraySlice<UInt8>) throws(LogDamage) -> (records: [StepLogRecord], consumed: Int) {
    var records: [StepLogRecord] = []
    var start = bytes.startIndex
    while let newline = bytes[start...].firstIndex(of: 10) {
      if newline > start { records.append(try StepLogRecord(decoding: bytes[start..<newline])) }
      start = newline + 1
    }
    return (records, start - bytes.startIndex)
  }
}

/// A log record that does not decode: the stored log is damaged (or not a log).
struct LogDamage: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
