@testable import driftqctl
import ReplayEngine
import Testing
import WALFormat

/// A command step's log as captured: lines tagged with their stream, pieces of long lines,
/// the bound (first part, note, last part), and the spool always a prefix of the log.
@Suite struct StepLogCaptureTests {
  final class Spool: @unchecked Sendable {
    // Invariant: used from the test's one thread.
    var bytes: [UInt8] = []
  }

  func capture(_ spool: Spool) -> StepLogCapture {
    var tick: Int64 = 0
    return StepLogCapture(clock: { tick += 1; return WALTimestamp(nanoseconds: tick) }, spool: { spool.bytes += $0 })
  }

  func records(_ bytes: [UInt8]) throws -> [StepLogRecord] {
    let (records, consumed) = try StepLogRecord.decodeComplete(bytes[...])
    #expect(consumed == bytes.count)
    return records
  }

  @Test func linesKeepTheirStreamAndALastLineWithoutNewlineIsPartial() throws {
    let spool = Spool()
    let log = capture(spool)
    log.append(Array("hel".utf8)[...], from: .stdout)
    log.append(Array("oops\n".utf8)[...], from: .stderr)
    log.append(Array("lo\nbye".utf8)[...], from: .stdout)
    #expect(try records(spool.bytes).map { String(decoding: $0.bytes, as: UTF8.self) } == ["oops", "hello"])
    let whole = log.finish()
    let all = try records(whole)
    #expect(all.map(\.stream) == [.stderr, .stdout, .stdout])
    #expect(all.map(\.partial) == [false, false, true])
    #expect(spool.bytes == whole && log.lines == 3 && log.droppedBytes == 0)
  }

  @Test func aLongLineIsKeptInPiecesThatDoNotSplitACharacter() throws {
    let spool = Spool()
    let log = capture(spool)
    let line = Array(String(repeating: "é", count: StepLogCapture.maximumRecordBytes).utf8)  // 2 bytes each
    log.append((line + [10])[...], from: .stdout)
    let pieces = try records(log.finish())
    #expect(pieces.count == 2 && pieces[0].partial && !pieces[1].partial)
    #expect(pieces.allSatisfy { String(validating: $0.bytes, as: UTF8.self) != nil })
    #expect(pieces.flatMap(\.bytes) == line)
  }

  @Test func aChattyStepKeepsItsFirstAndLastPartAndSaysWhatWasDropped() throws {
    let spool = Spool()
    let log = capture(spool)
    let count = 120_000
    for i in 1...count { log.append(Array("line \(i)\n".utf8)[...], from: i % 10 == 0 ? .stderr : .stdout) }
    let grown = spool.bytes
    let whole = log.finish()
    #expect(whole.count <= StepLogCapture.maximumStoredBytes)
    #expect(whole.starts(with: grown) && spool.bytes == whole, "the spool is a prefix of the log at every moment")
    let all = try records(whole)
    let notes = all.filter { $0.note != nil }
    #expect(notes.map(\.note) == [.headFull, .dropped])
    let texts = all.filter { $0.stream != nil }.map { String(decoding: $0.bytes, as: UTF8.self) }
    #expect(texts.first == "line 1" && texts.last == "line \(count)")
    let dropped = try #require(notes.last)
    #expect(dropped.droppedLines == count - texts.count && dropped.droppedLines == log.droppedLines)
    #expect(dropped.droppedBytes > 0 && log.lines == texts.count)
    // What is kept is what came, in order, with one gap.
    let numbers = texts.compactMap { Int($0.dropFirst(5)) }
    let gap = try #require(zip(numbers, numbers.dropFirst()).first { $1 != $0 + 1 })
    #expect(gap.1 - gap.0 - 1 == dropped.droppedLines)
  }

  @Test func bytesThatAreNotUTF8RoundTripAndControlCharactersAreEscapedInText() throws {
    let record = StepLogRecord(at: WALTimestamp(nanoseconds: 5), stream: .stderr, bytes: [0xff, 0x41])
    let decoded = try StepLogRecord(decoding: record.encoded().dropLast())
    #expect(decoded == record)
    #expect(LogRendering.escaped([0xff, 0x41]).hasPrefix("[base64] "))
    #expect(LogRendering.escaped(Array("a\u{1b}[31mb\tc".utf8)) == "a\\x1b[31mb\tc")
    var plain = LogRendering(prefix: true)
    #expect(String(decoding: plain.text(StepLogRecord(at: .init(nanoseconds: 1), stream: .stdout, bytes: Array("x".utf8))), as: UTF8.self) == "stdout\tx\n")
  }

  @Test func aRecordStillBeingWrittenIsLeftForTheNextRead() throws {
    let one = StepLogRecord(at: WALTimestamp(nanoseconds: 1), stream: .stdout, bytes: Array("a".utf8)).encoded()
    let (records, consumed) = try StepLogRecord.decodeComplete((one + Array(one.prefix(5)))[...])
    #expect(records.count == 1 && consumed == one.count)
    #expect(throws: LogDamage.self) { try StepLogRecord.decodeComplete(Array("{\"at_ns\":1}\n".utf8)[...]) }
  }

  @Test func anAttemptsLogIsReferencedSoCompactionKeepsIt() throws {
    var runs = RunsState()
    let at = WALTimestamp(nanoseconds: 1)
    let spec = try WorkflowSpec(json: try JSONParser.parse(#"{"id":"wf","nodes":[{"id":"a","run":"true"}]}"#))
    try runs.apply(RunDecider.create(runID: "r", spec: spec, input: .object([])), at: at)
    try runs.apply(RunEvent(runID: "r", type: RunEventType.runStarted), at: at)
    try runs.apply(RunEvent(runID: "r", type: RunEventType.nodeStarted, nodeID: "a", attempt: 1), at: at)
    let ref = StepLogRef(artifactID: String(repeating: "ab", count: 32), bytes: 10, lines: 1)
    try runs.apply(RunEvent(runID: "r", type: RunEventType.nodeFailed, nodeID: "a", attempt: 1, payload: .object([("error", .string("x")), ("log", ref.json)])), at: at)
    let run = try #require(runs.runs["r"])
    #expect(run.executions.first?.log == ref)
    #expect(run.referencedArtifacts.contains(ref.artifactID))
  }
}
