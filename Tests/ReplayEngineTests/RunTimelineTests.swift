@testable import ReplayEngine
import Testing
import TestSupport
import WALFormat

/// The timeline is every attempt, in the order they began, with how each ended.
@Suite struct RunTimelineTests {
  static let chain = #"{"id":"w","nodes":[{"id":"a","topic":"noop"},{"id":"b","topic":"noop","deps":["a"],"retry":{"max_attempts":3,"backoff_ms":200}},{"id":"c","topic":"noop","deps":["b"]}]}"#

  /// Steps finish 10 ms apart, in the order the harness runs them.
  func run(_ spec: String, failing: [String: Int] = [:], usage: Usage = Usage()) throws -> RunHarness {
    var h = try RunHarness(spec)
    h.stepMs = 10
    var failures = failing
    try h.runToEnd { node, input in
      if let left = failures[node.id], left > 0 {
        failures[node.id] = left - 1
        return .failure(error: "boom \(left)", usage: Usage())
      }
      return .success(output: input, artifact: nil, usage: usage, workerMs: 10)
    }
    return h
  }

  @Test func failedAttemptsShowWithTheirReasonAndTheRetryInTimeOrder() throws {
    let h = try run(Self.chain, failing: ["b": 2])
    let timeline = RunTimeline(h.run)
    #expect(timeline.entries.map { "\($0.nodeID)\($0.attempt):\($0.outcome.rawValue)" } == ["a1:succeeded", "b1:failed", "b2:failed", "b3:succeeded", "c1:succeeded"])
    #expect(timeline.entries[1].detail == "boom 2; retried as attempt 2 after 200ms")
    #expect(timeline.entries[2].detail == "boom 1; retried as attempt 3 after 400ms")
    let starts = timeline.entries.compactMap(\.startedAt)
    #expect(starts == starts.sorted())
    #expect(timeline.entries.allSatisfy { $0.duration != nil })
  }

  /// A run whose only step failed still has a timeline (it once had none: no node_finished).
  @Test func aRunThatOnlyFailedHasItsAttempts() throws {
    let h = try run(#"{"id":"w","nodes":[{"id":"a","topic":"noop","retry":{"max_attempts":2}}]}"#, failing: ["a": 5])
    #expect(h.run.status == .failed)
    #expect(RunTimeline(h.run).entries.map(\.outcome) == [.failed, .failed])
  }

  @Test func aBudgetStopSaysWhichLimitAndCancelsWhatWasRunning() throws {
    var h = try RunHarness(#"{"id":"w","max_parallel":2,"budget":{"max_tokens":100},"nodes":[{"id":"a","topic":"noop"},{"id":"b","topic":"noop"}]}"#)
    let started = try h.step()
    #expect(started.start.count == 2)
    try h.finish(started.start[0], .success(output: .int(1), artifact: nil, usage: Usage(tokensIn: 150), workerMs: 1))
    let timeline = RunTimeline(h.run)
    #expect(timeline.budgetStop == "tokens (used 150, limit 100)")
    #expect(timeline.entries.map(\.outcome) == [.succeeded, .canceled])
    #expect(timeline.entries[1].detail == "budget exceeded: tokens (used 150, limit 100)")
    #expect(timeline.entries[0].usage.tokens == 150)
  }

  /// After a replay, an attempt that succeeded before still shows as succeeded (it was once
  /// marked canceled), and a reused output names the attempt that made it and what it saved.
  @Test func aReplayKeepsEarlierSuccessesAndMarksReuse() throws {
    var h = try run(Self.chain, usage: Usage(dollars: 0.5))
    try h.write([try RunDecider.replay(h.run, fromStep: nil, mode: "auto", newSpec: nil)])
    try h.runToEnd { _, _ in Issue.record("nothing should run"); return .failure(error: "ran", usage: Usage()) }
    try h.write([try RunDecider.replay(h.run, fromStep: nil, mode: "auto", newSpec: nil)])
    try h.runToEnd { _, _ in .failure(error: "ran", usage: Usage()) }
    #expect(h.run.executions(of: "a").map(\.status) == [.succeeded, .succeeded, .succeeded])
    let entries = RunTimeline(h.run).entries.filter { $0.nodeID == "a" }
    #expect(entries.map(\.outcome) == [.succeeded, .reused, .reused])
    #expect(entries.map(\.superseded) == [true, true, false])
    // The second reuse names attempt 1, which made the output, not attempt 2, which reused it.
    #expect(entries.map(\.detail) == ["", "output of attempt 1; saved 0.5 dollars", "output of attempt 1; saved 0.5 dollars"])
  }
}
