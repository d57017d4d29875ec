// Fuzz target: the DriftQ-Core JSON Lines WAL reader behind `wal import` and `wal inspect`
// (CoreWALFile, CoreEntryDecoding, CoreBrokerState, CoreEngineState and the two imports).
//
// Input: the bytes of a DriftQ-Core WAL file, read once as a broker WAL and once as an
// engine WAL, then folded and imported as `wal import` does.
// Properties:
//   - entries come in file order, each at the start of its line; a torn tail is the
//     unterminated last line; a file with neither corruption nor torn tail keeps every
//     non-blank line;
//   - every broker event the import makes survives EventCodec encode then decode, and folds
//     into a BrokerState without trapping;
//   - every run event the import makes survives RunEvent's encoding, and folds into a
//     RunsState without trapping.
#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat
@testable import driftqctl

let scratchPath: String = {
  let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
  let path = "\(base)/driftq-fuzz-core-\(getpid()).wal"
  atexit { unlink(scratchPath) }
  return path
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  do {
    let fd = try Syscalls.open(scratchPath, flags: O_WRONLY | O_CREAT | O_TRUNC)
    defer { Syscalls.close(fd) }
    try Syscalls.pwriteAll(fd, bytes, at: 0)
  } catch { fail("cannot write \(scratchPath): \(error)") }

  _ = CoreWALFile.recognize(scratchPath)
  for format in [CoreWALFile.Format.broker, .engine] {
    let file: CoreWALFile
    do { file = try CoreWALFile(path: scratchPath, format: format) } catch { fail("CoreWALFile threw for readable bytes: \(error)") }
    checkFile(file, bytes)
    _ = file.recordsByKind
    _ = file.recordsByType
    switch format {
    case .broker: importBroker(file)
    case .engine: importEngine(file)
    }
  }
  return 0
}

func checkFile(_ file: CoreWALFile, _ bytes: [UInt8]) {
  guard file.bytes == bytes.count else { fail("bytes \(file.bytes) for \(bytes.count)") }
  var lastLine = 0
  var lastByte = -1
  for entry in file.entries {
    guard entry.line > lastLine, entry.byte > lastByte, entry.byte < bytes.count, entry.byte == 0 || bytes[entry.byte - 1] == 0x0A else {
      fail("entry at line \(entry.line), byte \(entry.byte) out of order or not at a line start")
    }
    lastLine = entry.line
    lastByte = entry.byte
  }
  if let tail = file.tornTail {
    guard file.corruption == nil, bytes.last != 0x0A, tail.byte + tail.length == bytes.count, tail.line > lastLine else {
      fail("torn tail \(tail) in a file of \(bytes.count) bytes")
    }
  }
  if let corruption = file.corruption {
    guard corruption.line > lastLine, corruption.byte > lastByte, corruption.byte < bytes.count else { fail("corruption at \(corruption.line):\(corruption.byte)") }
  }
  if file.tornTail == nil && file.corruption == nil {
    let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).filter { !$0.allSatisfy { $0 == 0x20 || $0 == 0x0D || $0 == 0x09 } }
    guard lines.count == file.entries.count else { fail("\(lines.count) non-blank lines, \(file.entries.count) entries") }
  }
}

func importBroker(_ file: CoreWALFile) {
  for entry in file.entries where entry.type == 1 {
    if let message = try? CoreEntryDecoding.message(entry.json) { roundTrip(.messagePublished(message)) }
  }
  guard let state = try? CoreBrokerState(file) else { return }
  let core = CoreImport(state)
  let (events, summary) = core.events(now: WALTimestamp(nanoseconds: 1_800_000_000_000_000_000))
  guard summary.messages <= state.published.count else { fail("\(summary.messages) messages imported of \(state.published.count)") }
  var broker = BrokerState()
  for (index, event) in events.enumerated() {
    let (kind, payload) = roundTrip(event)
    let record = WALRecord(lsn: UInt64(index + 1), kind: kind, timestamp: WALTimestamp(nanoseconds: 1_800_000_000_000_000_000), payload: payload)
    do { try broker.apply(record, at: RecordPosition(segmentBaseLSN: 1, offset: 32 + 64 * index)) } catch { break }
  }
}

@discardableResult
func roundTrip(_ event: BrokerEvent) -> (RecordKind, [UInt8]) {
  let (kind, payload) = EventCodec.encode(event)
  let decoded: BrokerEvent?
  do { decoded = try EventCodec.decode(kind: kind, payload: payload) } catch { fail("own encoding does not decode: \(error) for \(event)") }
  guard decoded == event else { fail("EventCodec round trip changed \(event) into \(String(describing: decoded))") }
  return (kind, payload)
}

func importEngine(_ file: CoreWALFile) {
  guard let state = try? CoreEngineState(file) else { return }
  _ = state.eventCount
  _ = state.activeIndexVersion
  let events = CoreRunsImport(state: state).events()
  var runs = RunsState()
  for (event, at) in events {
    guard case .run(let run) = event else { continue }
    let decoded: RunEvent
    do { decoded = try RunEvent(decoding: run.encoded()) } catch { fail("own run event does not decode: \(error)") }
    guard decoded == run else { fail("RunEvent round trip changed \(run) into \(decoded)") }
    do { try runs.apply(run, at: at ?? WALTimestamp(nanoseconds: 0)) } catch { break }
  }
  _ = CoreRunsImport(state: state).differences(from: runs)
}

func fail(_ message: String) -> Never {
  fatalError("property violated: \(message)")
}
