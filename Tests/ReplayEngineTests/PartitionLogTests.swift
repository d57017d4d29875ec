@testable import ReplayEngine
import Testing
import TestSupport
import WALFormat

/// A partition holds the messages folded since its checkpoint as packed rows with their rare
/// fields beside them: what goes in must come out, field for field, across trims.
struct PartitionLogTests {
  @Test func packedRowsGiveBackEveryFieldAcrossTrims() {
    var random = TestSeed.generator(for: #function)
    var log = PartitionLog()
    var expected: [StoredMessage] = []
    var cumulative: Int64 = 0
    for offset in 0..<2_000 {
      let bytes = Int.random(in: 0...(1 << 20), using: &random)
      cumulative += Int64(bytes)
      var message = StoredMessage(
        position: RecordPosition(segmentBaseLSN: UInt64(offset / 100 * 100 + 1), offset: Int.random(in: 64...(1 << 30), using: &random)),
        lsn: Bool.random(using: &random) ? 0 : UInt64(offset + 1),
        publishedAt: WALTimestamp(nanoseconds: Int64.random(in: 0...Int64.max, using: &random)),
        retryPolicy: Int.random(in: 0..<5, using: &random) == 0 ? RetryPolicy(maxAttempts: offset, backoffMs: 7, maxBackoffMs: 70) : nil,
        deadline: Int.random(in: 0..<7, using: &random) == 0 ? WALTimestamp(nanoseconds: Int64(offset)) : nil,
        bytes: bytes,
        idempotency: Int.random(in: 0..<3, using: &random) == 0 ? IdempotencyTag(tenant: "t\(offset % 3)", key: "key-\(offset)") : nil)
      log.append(message)
      message.cumulativeBytes = cumulative
      expected.append(message)
    }
    var start: Int64 = 0
    while start < log.endIndex {
      #expect(log.endIndex == Int64(expected.count))
      for offset in start..<log.endIndex where log[offset] != expected[Int(offset)] {
        Issue.record("offset \(offset) reads back \(log[offset]), not \(expected[Int(offset)])")
        return
      }
      #expect(log.cumulativeBytes(through: log.endIndex - 1) == cumulative)
      start += Int64.random(in: 1...400, using: &random)
      let below = start >= log.endIndex ? cumulative : expected[Int(start) - 1].cumulativeBytes
      log.trim(to: min(start, log.endIndex), cumulativeBytes: below)
      #expect(log.startOffset == min(start, log.endIndex))
    }
  }
}
