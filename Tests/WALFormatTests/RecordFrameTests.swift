import Testing
import TestSupport
import WALFormat

@Suite struct RecordFrameTests {
  private func decodeAll(_ bytes: [UInt8], salt: UInt32) -> [RecordFrame.Decoding] {
    var out: [RecordFrame.Decoding] = []
    var offset = 0
    while offset < bytes.count {
      let d = bytes.withUnsafeBytes { RecordFrame.decode($0, at: offset, salt: salt) }
      out.append(d)
      guard case .frame(_, _, let length) = d else { break }
      offset += length
    }
    return out
  }

  @Test func framesRoundTrip() throws {
    var rng = TestSeed.generator(for: "frame-roundtrip")
    let salt = UInt32.random(in: 1...UInt32.max, using: &rng)
    var writer = ByteWriter()
    var expected: [(UInt64, RecordKind, Int64, [UInt8])] = []
    for lsn in 1...50 as ClosedRange<UInt64> {
      let payload = rng.bytes(Int.random(in: 0...100, using: &rng))
      let kind = RecordKind(rawValue: UInt8.random(in: 0...255, using: &rng))
      let time = Int64.random(in: Int64.min...Int64.max, using: &rng)
      RecordFrame.encode(lsn: lsn, kind: kind, timestamp: WALTimestamp(nanoseconds: time), payload: payload, salt: salt, into: &writer)
      expected.append((lsn, kind, time, payload))
    }
    #expect(writer.count % RecordFrame.alignment == 0)
    let decoded = decodeAll(writer.bytes, salt: salt)
    try #require(decoded.count == expected.count)
    for (d, e) in zip(decoded, expected) {
      guard case .frame(let h, let start, _) = d else { Issue.record("not a frame: \(d)"); continue }
      #expect(h.lsn == e.0 && h.kind == e.1 && h.timestamp.nanoseconds == e.2)
      #expect(Array(writer.bytes[start..<start + h.payloadLength]) == e.3)
    }
  }

  @Test func headerIsThirtyTwoBytesAndPayloadIsPadded() {
    var writer = ByteWriter()
    RecordFrame.encode(lsn: 1, kind: RecordKind(rawValue: 1), timestamp: WALTimestamp(nanoseconds: 0), payload: [1, 2, 3], salt: 7, into: &writer)
    #expect(RecordFrame.headerSize == 32)
    #expect(writer.count == 40)
    #expect(RecordFrame.frameLength(payloadLength: 0) == 32)
    #expect(RecordFrame.frameLength(payloadLength: 8) == 40)
  }

  @Test func aWrongSaltFailsTheHeaderChecksum() {
    var writer = ByteWriter()
    RecordFrame.encode(lsn: 1, kind: RecordKind(rawValue: 1), timestamp: WALTimestamp(nanoseconds: 0), payload: [9], salt: 1, into: &writer)
    let d = writer.bytes.withUnsafeBytes { RecordFrame.decode($0, at: 0, salt: 2) }
    guard case .damaged(let damage) = d, case .headerChecksum = damage.reason else {
      Issue.record("expected a header checksum failure, got \(d)")
      return
    }
  }

  @Test func aForgedLengthIsRejectedBeforeItIsTrusted() {
    var writer = ByteWriter()
    RecordFrame.encode(lsn: 1, kind: RecordKind(rawValue: 1), timestamp: WALTimestamp(nanoseconds: 0), payload: [9], salt: 1, into: &writer)
    var bytes = writer.bytes
    bytes[3] = 0x7f  // length now ~2 GB
    let d = bytes.withUnsafeBytes { RecordFrame.decode($0, at: 0, salt: 1) }
    guard case .damaged = d else { Issue.record("expected damage, got \(d)"); return }
  }

  @Test func aShortBufferNeedsMoreBytes() {
    var writer = ByteWriter()
    RecordFrame.encode(lsn: 1, kind: RecordKind(rawValue: 1), timestamp: WALTimestamp(nanoseconds: 0), payload: Array(repeating: 5, count: 20), salt: 1, into: &writer)
    for cut in 0..<writer.count {
      let d = Array(writer.bytes.prefix(cut)).withUnsafeBytes { RecordFrame.decode($0, at: 0, salt: 1) }
      guard case .needMoreBytes = d else { Issue.record("cut \(cut): \(d)"); continue }
    }
  }
}
