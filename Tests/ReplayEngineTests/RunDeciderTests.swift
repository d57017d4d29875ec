@testable import ReplayEngine
import Testing
import TestSupport
import WALFormat

/// Drives the run decisions and fold without processes: steps "finish" with given results.
struct RunHarness {
  var state = RunsState()
  var now = WALTimestamp(nanoseconds: 1_800_000_000_000_000_000)
  let id = "r1"
  /// Every explanation given so far, the latest per node.
  var explanations: [String: String] = [:]
  /// How long each step takes in `runToEnd` (the clock moves on before it finishes).
  var stepMs: Int64 = 0

  init(_ spec: String, input: JSONValue = .object([])) throws {
    let parsed = try WorkflowSpec(json: try JSONParser.parse(spec))
    try state.apply(RunDecider.create(runID: id, spec: parsed, input: input), at: now)
  }

  var run: WorkflowRun { state.runs[id]! }

  mutating func write(_ events: [RunEvent]) throws { for e in events { try state.apply(e, at: now) } }

  /// Decides and writes until steps must run; returns them.
  mutating func step(running: Set<String> = []) throws -> RunDecider.Step {
    while true {
      let step = try RunDecider.next(run, now: now, runningHere: running, output: { e in
        if case .inline(let v)? = e.output { return v }
        return .null
      })
      try write(step.events)
      for (node, reason) in step.explanations { explanations[node] = reason }
      if !step.start.isEmpty || step.events.isEmpty || run.status.isTerminal { return step }
    }
  }

  mutating func finish(_ start: RunDecider.Start, _ result: StepResult) throws {
    try write(RunDecider.finish(run, start, result: result, startedAt: now, now: now))
  }

  /// Runs everything to the end, each step producing `output(node, input)`.
  mutating func runToEnd(_ output: (NodeSpec, JSONValue) -> StepResult) throws {
    var running: [RunDecider.Start] = []
    for _ in 0..<500 {
      let step = try self.step(running: Set(running.map(\.node.id)))
      running += step.start
      if run.status.isTerminal { return }
      guard !running.isEmpty else {
        if let wake = step.wakeAt { now = wake; continue }
        return
      }
      let start = running.removeFirst()
      now = now.adding(milliseconds: stepMs)
      try finish(start, output(start.node, start.input))
    }
  }
}

@Suite struct RunDeciderTests {
  /// A long chain of steps that each wrap their input nests one level deeper per step: the
  /// step whose output would make an event too deep to read back fails, and no output kept
  /// is deeper than the events can hold.
  @Test func anOutputTooDeepForTheEventsFailsItsStepAndEverythingWrittenReadsBack() throws {
    let nodes = (0..<80).map { i in i == 0 ? #"{"id":"s0","topic":"noop"}"# : #"{"id":"s\#(i)","topic":"noop","deps":["s\#(i - 1)"]}"# }
    var h = try RunHarness(#"{"id":"deep","nodes":[\#(nodes.joined(separator: ","))]}"#)
    try h.runToEnd { _, input in .success(output: .object([("wrapped", input)]), artifact: nil, usage: Usage(), workerMs: 0) }
    #expect(h.run.status == .failed)
    let failed = try #require(h.run.executions.first { $0.status == .failed })
    #expect(failed.error?.contains("nests deeper than \(RunDecider.maximumOutputDepth) levels") == true)
    for execution in h.run.executions {
      if case .inline(let output)? = execution.output { #expect(output.depth() <= RunDecider.maximumOutputDepth) }
    }
  }

  @Test(arguments: [
    (#"{"nodes":[{"id":"a","topic":"noop"}]}"#, "spec id is required"),
    (#"{"id":"w","nodes":[]}"#, "spec must have nodes"),
    (#"{"id":"w","nodes":[{"topic":"noop"}]}"#, "node id is required"),
    (#"{"id":"w","nodes":[{"id":"a","topic":"noop"},{"id":"a","topic":"noop"}]}"#, "duplicate node id: a"),
    (#"{"id":"w","nodes":[{"id":"a","topic":"noop","deps":["zz"]}]}"#, "edge references unknown node: zz"),
    (#"{"id":"w","nodes":[{"id":"a","topic":"noop","deps":["b"]},{"id":"b","topic":"noop","deps":["a"]}]}"#, "workflow graph contains a cycle"),
    (#"{"id":"w","nodes":[{"id":"a"}]}"#, "node a missing topic"),
    (#"{"id":"w","nodes":[{"id":"a","topic":"llm"}]}"#, "no handler registered for topic \"llm\" (node a)"),
  ])
  func specsAreValidatedWithDriftQsMessages(spec: String, message: String) throws {
    let error = #expect(throws: SpecError.self) { try WorkflowSpec(json: try JSONParser.parse(spec)) }
    #expect(error?.message == message)
  }

  @Test func nodesRunInDependencyOrderWithinTheParallelLimit() throws {
    var h = try RunHarness(#"{"id":"w","max_parallel":2,"nodes":[{"id":"a","topic":"noop"},{"id":"b","topic":"noop"},{"id":"c","topic":"noop"},{"id":"d","topic":"noop","deps":["a","b","c"]}]}"#)
    let first = try h.step()
    #expect(first.start.map(\.node.id) == ["a", "b"])
    let second = try h.step(running: ["a", "b"])
    #expect(second.start.isEmpty)
    try h.finish(first.start[0], .success(output: .int(1), artifact: nil, usage: Usage(), workerMs: 1))
    let third = try h.step(running: ["b"])
    #expect(third.start.map(\.node.id) == ["c"])
    try h.finish(first.start[1], .success(output: .int(2), artifact: nil, usage: Usage(), workerMs: 1))
    try h.finish(third.start[0], .success(output: .int(3), artifact: nil, usage: Usage(), workerMs: 1))
    let last = try h.step()
    #expect(last.start.map(\.node.id) == ["d"])
    #expect(last.start[0].input == .object([("a", .int(1)), ("b", .int(2)), ("c", .int(3))]))
  }

  @Test func aFailedNodeRetriesAfterItsBackoffThenFailsTheRun() throws {
    var h = try RunHarness(#"{"id":"w","nodes":[{"id":"a","topic":"noop","retry":{"max_attempts":3,"backoff_ms":100}}]}"#)
    let start = h.now
    try h.runToEnd { _, _ in .failure(error: "boom", usage: Usage()) }
    #expect(h.run.status == .failed && h.run.failedNode == "a")
    #expect(h.run.executions.map(\.attempt) == [1, 2, 3])
    #expect(h.run.timers.map(\.fireAt.nanoseconds) == [start.adding(milliseconds: 100).nanoseconds, start.adding(milliseconds: 300).nanoseconds])
  }

  @Test(arguments: [
    (#"{"max_tokens":100}"#, "tokens"), (#"{"max_dollars":0.5}"#, "dollars"), (#"{"max_attempts":2}"#, "max_attempts"),
  ])
  func budgetsStopTheRun(budget: String, reason: String) throws {
    var h = try RunHarness(#"{"id":"w","budget":\#(budget),"nodes":[{"id":"a","topic":"noop"},{"id":"b","topic":"noop","deps":["a"]},{"id":"c","topic":"noop","deps":["b"]}]}"#)
    try h.runToEnd { _, _ in .success(output: .int(1), artifact: nil, usage: Usage(tokensIn: 60, tokensOut: 0, dollars: 0.3), workerMs: 1) }
    #expect(h.run.status == .failed && h.run.terminalReason == "budget_exceeded")
    #expect(h.run.terminalMeta?["reason"] == .string(reason))
    #expect(h.run.events.contains { $0.event.type == RunEventType.budgetExceeded })
  }

  @Test func theWallClockBudgetIsMeasuredFromTheStart() throws {
    var h = try RunHarness(#"{"id":"w","budget":{"wall_clock_timeout_ms":1000},"nodes":[{"id":"a","topic":"noop"}]}"#)
    _ = try h.step()
    h.now = h.now.adding(milliseconds: 1000)
    _ = try h.step(running: ["a"])
    #expect(h.run.status == .failed && h.run.terminalMeta?["reason"] == .string("wall_clock_timeout"))
    #expect(h.run.executions.first?.status == .canceled)
  }

  @Test func anInterruptedStepIsRecordedAndRunsAgain() throws {
    var h = try RunHarness(#"{"id":"w","nodes":[{"id":"a","topic":"noop"}]}"#)
    _ = try h.step()
    // A new process sees a running step it does not run: interrupted, then started again.
    let again = try h.step(running: [])
    #expect(h.run.executions.first?.interrupted == true)
    #expect(again.start.first?.attempt == 2)
  }

  /// `--auto`: every kind of change, and early cutoff.
  @Test func autoReplayRerunsExactlyWhatChanged() throws {
    let spec = #"{"id":"w","nodes":[{"id":"a","topic":"noop","v":1},{"id":"b","topic":"noop","deps":["a"]},{"id":"c","topic":"noop","deps":["b"]}]}"#
    var h = try RunHarness(spec, input: .object([("x", .int(1))]))
    var calls: [String] = []
    let echo: (NodeSpec, JSONValue) -> StepResult = { node, input in
      calls.append(node.id)
      return .success(output: node.id == "a" ? .object([("a", node.json["v"] ?? .null)]) : input, artifact: nil, usage: Usage(dollars: 1), workerMs: 1)
    }
    try h.runToEnd(echo)
    #expect(calls == ["a", "b", "c"])

    func replay(_ newSpec: String?) throws -> [String: String] {
      calls = []
      let changed = try newSpec.map { try WorkflowSpec(json: try JSONParser.parse($0)) }
      try h.write([try RunDecider.replay(h.run, fromStep: nil, mode: "auto", newSpec: changed)])
      h.explanations = [:]
      var running: [RunDecider.Start] = []
      for _ in 0..<100 {
        let step = try h.step(running: Set(running.map(\.node.id)))
        running += step.start
        if h.run.status.isTerminal || running.isEmpty { break }
        let start = running.removeFirst()
        try h.finish(start, echo(start.node, start.input))
      }
      #expect(h.run.status == .succeeded)
      return h.explanations
    }
    // Nothing changed: everything reused, nothing paid.
    #expect(try replay(nil) == ["a": "reused", "b": "reused", "c": "reused"])
    #expect(calls.isEmpty)
    #expect(h.run.saved.dollars == 3)
    // A definition change that yields the same output: early cutoff after a.
    let cosmetic = #"{"id":"w","nodes":[{"id":"a","topic":"noop","v":1,"note":"v2"},{"id":"b","topic":"noop","deps":["a"]},{"id":"c","topic":"noop","deps":["b"]}]}"#
    #expect(try replay(cosmetic) == ["a": "re-run: definition changed", "b": "reused", "c": "reused"])
    #expect(calls == ["a"])
    // A change of a's output: everything downstream re-runs, with its input changed.
    let real = #"{"id":"w","nodes":[{"id":"a","topic":"noop","v":2,"note":"v2"},{"id":"b","topic":"noop","deps":["a"]},{"id":"c","topic":"noop","deps":["b"]}]}"#
    #expect(try replay(real) == ["a": "re-run: definition changed", "b": "re-run: input changed", "c": "re-run: input changed"])
    #expect(calls == ["a", "b", "c"])
    let finished = h.run.events.filter { $0.event.type == RunEventType.nodeFinished && $0.event.payload?["used_cached_output"] == .bool(true) }
    #expect(finished.allSatisfy { $0.event.payload?["cached_attempt"]?.int64Value != nil })
  }

  /// DriftQ's two modes differ: live re-runs the step and everything downstream; time travel
  /// reuses every stored output whose step's definition and input are unchanged, and runs
  /// only what differs (here: c, whose input b's new output changed).
  @Test func liveReplayRerunsFromTheStepAndTimeTravelOnlyWhatChanged() throws {
    let spec = #"{"id":"w","nodes":[{"id":"a","topic":"noop"},{"id":"b","topic":"noop","deps":["a"]},{"id":"c","topic":"noop","deps":["b"]},{"id":"d","topic":"noop","deps":["a"]}]}"#
    func replayed(_ mode: String, from: String, bOutput: JSONValue = .int(1)) throws -> (ran: [String], run: WorkflowRun, reasons: [String: String]) {
      var h = try RunHarness(spec)
      try h.runToEnd { node, _ in .success(output: node.id == "b" ? .int(1) : .string(node.id), artifact: nil, usage: Usage(dollars: 1), workerMs: 1) }
      try h.write([try RunDecider.replay(h.run, fromStep: from, mode: mode, newSpec: nil)])
      h.explanations = [:]
      var ran: [String] = []
      try h.runToEnd { node, _ in
        ran.append(node.id)
        return .success(output: node.id == "b" ? bOutput : .string(node.id), artifact: nil, usage: Usage(dollars: 1), workerMs: 1)
      }
      #expect(h.run.status == .succeeded)
      return (ran, h.run, h.explanations)
    }
    let live = try replayed("live", from: "b")
    #expect(live.ran == ["b", "c"])
    #expect(live.reasons == ["a": "reused", "b": "re-run: live replay re-runs from --from-step", "c": "re-run: live replay re-runs from --from-step", "d": "reused"])
    #expect(live.run.usage.dollars == 6 && live.run.saved.dollars == 2)
    // Time travel keeps b (it succeeded) and reuses c: its input is b's unchanged output.
    let travel = try replayed("time_travel", from: "b")
    #expect(travel.ran.isEmpty)
    #expect(travel.reasons == ["a": "reused", "b": "reused", "c": "reused", "d": "reused"])
    #expect(travel.run.usage.dollars == 4 && travel.run.saved.dollars == 4)
    // From a, time travel runs a again only if its input changed: it did not, so nothing runs.
    #expect(try replayed("time_travel", from: "a").ran.isEmpty)
    #expect(try replayed("live", from: "a").ran == ["a", "b", "c", "d"])
    // Earlier attempts keep the status they ended with; the replay's are the current ones.
    #expect(live.run.executions(of: "a").map(\.status) == [.succeeded, .succeeded])
    #expect(live.run.current("a")?.usedCachedOutput == true)
    #expect(throws: SpecError.self) { try RunDecider.replay(live.run, fromStep: "zz", mode: "time_travel", newSpec: nil) }
  }

  /// Time travel from a step that never succeeded runs it, and downstream only what differs.
  @Test func timeTravelFromAFailedStepRunsIt() throws {
    var h = try RunHarness(#"{"id":"w","nodes":[{"id":"a","topic":"noop"},{"id":"b","topic":"noop","deps":["a"]}]}"#)
    var fail = true
    try h.runToEnd { node, input in
      if node.id == "b" && fail { fail = false; return .failure(error: "boom", usage: Usage()) }
      return .success(output: input, artifact: nil, usage: Usage(), workerMs: 1)
    }
    #expect(h.run.status == .failed)
    try h.write([try RunDecider.replay(h.run, fromStep: "b", mode: "time_travel", newSpec: nil)])
    var ran: [String] = []
    try h.runToEnd { node, input in ran.append(node.id); return .success(output: input, artifact: nil, usage: Usage(), workerMs: 1) }
    #expect(ran == ["b"] && h.run.status == .succeeded)
    // The failure from before the replay does not count against b's retries.
    #expect(h.run.failures(of: "b") == 0)
  }

  @Test func moneyIsPrintedWithoutFloatingPointNoise() {
    #expect(Money.text(0.13825) == "0.13825")
    #expect(Money.text(0.0385 * 10 + 0.13825) == "0.52325")
    #expect(Money.text(0) == "0")
    #expect(Money.text(1.5) == "1.5")
  }
}
