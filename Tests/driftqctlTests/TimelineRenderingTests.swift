@testable import driftqctl
import ReplayEngine
import Testing
import TestSupport
import WALFormat

/// The timeline's bar column: drawn on a shared axis, and only for a terminal.
@Suite struct TimelineRenderingTests {
  let t0 = WALTimestamp(nanoseconds: 1_800_000_000_000_000_000)
  func at(_ ms: Int64) -> WALTimestamp { t0.adding(milliseconds: ms) }

  @Test func barsShareOneAxis() {
    let bar = TimelineBar(start: at(0), end: at(1000), width: 10)
    #expect(bar.draw(from: at(0), to: at(1000), glyph: "█") == "██████████")
    #expect(bar.draw(from: at(0), to: at(500), glyph: "█") == "█████     ")
    #expect(bar.draw(from: at(500), to: at(1000), glyph: "▓") == "     ▓▓▓▓▓")
    #expect(bar.draw(from: at(250), to: at(260), glyph: "█") == "  █       ")
    // An instant still shows, also at the very end; one still running reaches the axis end.
    #expect(bar.draw(from: at(1000), to: at(1000), glyph: "·") == "         ·")
    #expect(bar.draw(from: at(700), to: nil, glyph: "▒") == "       ▒▒▒")
    // Times outside the axis are clamped, never drawn past it.
    #expect(bar.draw(from: at(-50), to: at(2000), glyph: "█").count == 10)
    #expect(TimelineBar(start: at(0), end: at(0), width: 4).draw(from: at(0), to: at(0), glyph: "█") == "█   ")
  }

  /// A run with a retried step: the terminal table has a bar per attempt, the script table
  /// none, and `print` picks the terminal form only for a terminal (a test's stream is not).
  @Test func theBarColumnIsForTerminalsOnly() throws {
    var state = RunsState()
    let spec = try WorkflowSpec(json: try JSONParser.parse(#"{"id":"w","nodes":[{"id":"a","topic":"noop","retry":{"max_attempts":2}}]}"#))
    try state.apply(RunDecider.create(runID: "r", spec: spec, input: .object([])), at: at(0))
    try state.apply(RunEvent(runID: "r", type: RunEventType.runStarted), at: at(0))
    try state.apply(RunEvent(runID: "r", type: RunEventType.nodeStarted, nodeID: "a", attempt: 1), at: at(0))
    try state.apply(RunEvent(runID: "r", type: RunEventType.nodeFailed, nodeID: "a", attempt: 1, payload: .object([("error", .string("boom"))])), at: at(500))
    try state.apply(RunEvent(runID: "r", type: RunEventType.nodeStarted, nodeID: "a", attempt: 2), at: at(500))
    try state.apply(RunEvent(runID: "r", type: RunEventType.nodeFinished, nodeID: "a", attempt: 2, payload: .object([("output", .int(1))])), at: at(1000))
    try state.apply(RunEvent(runID: "r", type: RunEventType.runFinished, payload: .object([("status", .string("succeeded"))])), at: at(1000))
    let run = try #require(state.runs["r"])
    let timeline = RunTimeline(run)
    let terminal = TimelineRendering.terminal(run, timeline, status: "succeeded", now: at(5000), barWidth: 10)
    let lines = terminal.split(separator: "\n")
    #expect(lines.count == 5)
    #expect(lines[1].contains("|▓▓▓▓▓     |") && lines[1].contains("boom; retried as attempt 2"))
    #expect(lines[2].contains("|     █████|"))
    #expect(lines[4] == "run r succeeded after 1s; attempts=2 tokens=0 dollars=0 saved_dollars=0")

    let answer = RunsTimelineCommand.answer(run, status: "succeeded", now: at(5000))
    let out = OutputStream()
    let context = CommandContext(stdout: out, stderr: OutputStream(), environment: [:], stdin: LineReader(text: ""))
    #expect(!out.isTerminal)
    context.print(answer, as: .text)
    out.flush()
    let text = out.capturedText
    #expect(!text.contains("█") && !text.contains("|"))
    #expect(text.hasPrefix(TimelineRendering.header + "\n1\ta\tfalse\t0\t0\t500\t-\t"))
    #expect(text.contains("\tfailed\t500ms\t0\t0\tboom; retried as attempt 2\n"))
  }
}
