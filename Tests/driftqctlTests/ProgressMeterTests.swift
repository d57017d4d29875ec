@testable import driftqctl
import Testing

@Suite struct ProgressMeterTests {
  @Test func theLineSaysWhatIsDoneTheRateAndWhatIsLeft() {
    #expect(ProgressMeter.line(what: "verifying", done: 25 << 20, total: 100 << 20, unit: .bytes, elapsedMs: 1000)
      == "verifying: 25.0 MiB of 100.0 MiB (25%), 25.0 MiB/s, 0:03 left")
    #expect(ProgressMeter.line(what: "publishing", done: 5000, total: nil, unit: .records, elapsedMs: 2000)
      == "publishing: 5000 records, 2500 records/s")
  }

  @Test func aMemoryStreamIsNoTerminalSoNothingIsDrawn() {
    let context = CommandContext(stdout: OutputStream(), stderr: OutputStream(), environment: [:], stdin: LineReader(text: ""))
    #expect(ProgressMeter(context, "x", unit: .records) == nil)
  }
}
