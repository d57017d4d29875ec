import ReplayEngine
import WALFormat

/// A command step's stdout and stderr as log records, captured while it runs and bounded:
/// the first `headLimit` bytes of log are kept (and appended to the spool as they come, for
/// `runs logs --follow`), then only the last `tailLimit` bytes, which `finish` appends after a
/// `dropped` note that says how much was left out in between. So a chatty step's log shows
/// how it began and how it ended, never silently cut, and never grows past
/// `maximumStoredBytes`.
final class StepLogCapture {
  /// The stored log's parts (bytes of records, not of output: a record adds its time and
  /// stream, so many short lines fill the log sooner than a few long ones).
  static let headLimit = 3 << 20
  static let tailLimit = 1 << 20
  /// Output bytes per record: a longer line is kept in pieces (`partial`).
  static let maximumRecordBytes = 16 << 10
  /// No stored log is larger (the notes and one record over each part fit in the slack).
  static let maximumStoredBytes = headLimit + tailLimit + (1 << 20)

  private let clock: () -> WALTimestamp
  /// Where records go as they are kept in the head (the spool); nil: nowhere.
  private let spool: (([UInt8]) -> Void)?
  private var head: [UInt8] = []
  private var headFull = false
  private var tail: [(record: [UInt8], output: Int)] = []
  private var tailStart = 0
  private var tailBytes = 0
  private var pending: [StepLogRecord.Stream: [UInt8]] = [:]
  private var finished: [UInt8]?
  /// Records kept (lines, or pieces of long lines).
  private(set) var lines = 0
  /// Output the bound left out.
  private(set) var droppedBytes = 0
  private(set) var droppedLines = 0

  init(clock: @escaping () -> WALTimestamp, spool: (([UInt8]) -> Void)? = nil) {
    self.clock = clock
    self.spool = spool
  }

  /// Takes bytes a stream gave; every complete line becomes a record.
  func append(_ bytes: ArraySlice<UInt8>, from stream: StepLogRecord.Stream) {
    guard finished == nil else { return }
    var buffer = pending[stream, default: []]
    buffer += bytes
    var start = 0
    while let newline = buffer[start...].firstIndex(of: 10) {
      emitPieces(buffer[start..<newline], stream: stream, endsLine: true)
      start = newline + 1
    }
    var rest = Array(buffer[start...])
    // A line too long for one record is kept in pieces as it comes.
    while rest.count >= Self.maximumRecordBytes {
      let cut = Self.boundary(rest, before: Self.maximumRecordBytes)
      keep(StepLogRecord(at: clock(), stream: stream, bytes: Array(rest[..<cut]), partial: true), output: cut)
      rest.removeFirst(cut)
    }
    pending[stream] = rest
  }

  /// The whole log, once the step ended: what streams left without a newline, the note on
  /// what was dropped, and the tail. The spool gets the same bytes, so it is a prefix of the
  /// log at every moment.
  func finish() -> [UInt8] {
    if let finished { return finished }
    for stream in StepLogRecord.Stream.allCases {
      if let rest = pending[stream], !rest.isEmpty { emitPieces(rest[...], stream: stream, endsLine: false) }
    }
    pending = [:]
    var rest: [UInt8] = []
    if droppedBytes > 0 || droppedLines > 0 {
      rest += StepLogRecord(at: clock(), note: .dropped, droppedBytes: droppedBytes, droppedLines: droppedLines).encoded()
    }
    for item in tail[tailStart...] { rest += item.record }
    spool?(rest)
    let log = head + rest
    finished = log
    return log
  }

  /// A line's bytes as records of at most `maximumRecordBytes` each.
  private func emitPieces(_ line: ArraySlice<UInt8>, stream: StepLogRecord.Stream, endsLine: Bool) {
    var rest = line
    while rest.count > Self.maximumRecordBytes {
      let cut = Self.boundary(Array(rest), before: Self.maximumRecordBytes)
      keep(StepLogRecord(at: clock(), stream: stream, bytes: Array(rest.prefix(cut)), partial: true), output: cut)
      rest = rest.dropFirst(cut)
    }
    keep(StepLogRecord(at: clock(), stream: stream, bytes: Array(rest), partial: !endsLine), output: rest.count + (endsLine ? 1 : 0))
  }

  private func keep(_ record: StepLogRecord, output: Int) {
    let bytes = record.encoded()
    lines += 1
    if !headFull {
      if head.count + bytes.count <= Self.headLimit {
        head += bytes
        spool?(bytes)
        return
      }
      headFull = true
      let note = StepLogRecord(at: record.at, note: .headFull).encoded()
      head += note
      spool?(note)
    }
    tail.append((bytes, output))
    tailBytes += bytes.count
    while tailBytes > Self.tailLimit, tailStart < tail.count {
      tailBytes -= tail[tailStart].record.count
      droppedBytes += tail[tailStart].output
      droppedLines += 1
      lines -= 1
      tailStart += 1
    }
    if tailStart > 1024 && tailStart * 2 > tail.count {
      tail.removeFirst(tailStart)
      tailStart = 0
    }
  }

  /// Where to cut `bytes` at or before `limit` without splitting a UTF-8 character.
  static func boundary(_ bytes: [UInt8], before limit: Int) -> Int {
    var cut = min(limit, bytes.count)
    var back = 0
    while cut > 0, cut < bytes.count, bytes[cut] & 0xC0 == 0x80, back < 3 {
      cut -= 1
      back += 1
    }
    return cut > 0 ? cut : min(limit, bytes.count)
  }
}
