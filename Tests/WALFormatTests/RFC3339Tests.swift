import Testing
import TestSupport
import WALFormat

@Suite struct RFC3339Tests {
  @Test(arguments: [
    ("1970-01-01T00:00:00Z", Int64(0)),
    ("2026-11-21T15:08:17.123456789Z", Int64(1_795_273_697_123_456_789)),
    ("2024-02-29T23:59:59.5Z", Int64(1_709_251_199_500_000_000)),
    ("1969-12-31T23:59:59Z", Int64(-1_000_000_000)),
  ])
  func formatsAndParses(text: String, nanoseconds: Int64) {
    #expect(RFC3339.format(WALTimestamp(nanoseconds: nanoseconds)) == text)
    #expect(RFC3339.parse(text)?.nanoseconds == nanoseconds)
  }

  @Test func parsesOffsets() {
    #expect(RFC3339.parse("2026-11-21T16:08:17+01:00") == RFC3339.parse("2026-11-21T15:08:17Z"))
    #expect(RFC3339.parse("2026-11-21T10:08:17-05:00") == RFC3339.parse("2026-11-21T15:08:17Z"))
  }

  @Test(arguments: ["", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-21 15:08", "2026-11-21T15:08:17", "2026-11-21T15:08:17.Z", "x026-11-21T15:08:17Z", "2026-11-21T15:08:17Zjunk", "2262-04-11T23:47:16.9Z", "9999-12-31T23:59:59.999999999Z"])
  func rejectsMalformedText(text: String) {
    #expect(RFC3339.parse(text) == nil)
  }

  @Test func randomTimesRoundTrip() {
    var rng = TestSeed.generator(for: "rfc3339")
    for _ in 0..<500 {
      let ns = Int64.random(in: -2_000_000_000_000_000_000...4_000_000_000_000_000_000, using: &rng)
      let text = RFC3339.format(WALTimestamp(nanoseconds: ns))
      #expect(RFC3339.parse(text)?.nanoseconds == ns, "seed \(TestSeed.current): \(text)")
    }
  }
}
