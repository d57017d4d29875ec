import WALFormat

/// What a step produced when it ran.
public enum StepResult: Sendable {
  /// Output inline (JSON) or as an artifact already stored, and what it used.
  /// `attachments` are artifacts the step stored besides its output.
  case success(output: JSONValue?, artifact: ArtifactMeta?, usage: Usage, workerMs: Int64, attachments: [String] = [])
  case failure(error: String, usage: Usage)
  /// The handler asked to wait (DriftQ's durable Delay): the node runs again after it.
  case delay(milliseconds: Int64, reason: String)
}

/// Pure decisions for runs: given a run and the time, which events to write and which steps
/// to start; given a step's result, which events record it. The executor does the I/O.
public enum RunDecider {
  /// Outputs at most this large stay inline in `node_finished`; larger ones become artifacts.
  public static let inlineLimit = 8192

  /// A step to run now.
  public struct Start: Sendable {
    public var node: NodeSpec
    public var attempt: Int
    public var input: JSONValue
    /// `keys(node, input)`, computed once when the step starts.
    public var hashes: (key: String, definition: String, input: String)
  }

  /// The next thing to do for a run.
  public struct Step: Sendable {
    public var events: [RunEvent] = []
    public var start: [Start] = []
    /// When to decide again if nothing finishes earlier (a timer, the wall-clock budget).
    public var wakeAt: WALTimestamp?
    /// The run is over (nothing more will start).
    public var isFinished = false
    /// Per node, why a replay reused or re-ran it (for `--explain`).
    public var explanations: [(node: String, reason: String)] = []
  }

  /// Reads a finished execution's output (inline, or its artifact's bytes).
  public typealias OutputLoader = (NodeExecution) throws -> JSONValue

  /// Decides the next events for `run`. `runningHere` are nodes this process is executing;
  /// any other execution marked running was interrupted (its process stopped).
  public static func next(_ run: WorkflowRun, now: WALTimestamp, runningHere: Set<String>, output: OutputLoader) throws -> Step {
    var step = Step()
    let id = run.runID
    if run.status.isTerminal {
      step.isFinished = true
      return step
    }
    if run.status == .queued {
      step.events.append(RunEvent(runID: id, type: RunEventType.runStarted))
      return step
    }
    for execution in run.running where !runningHere.contains(execution.nodeID) {
      step.events.append(RunEvent(runID: id, type: RunEventType.nodeFailed, nodeID: execution.nodeID, attempt: execution.attempt,
        payload: .object([("error", .string("interrupted: the process running this step stopped")), ("interrupted", .bool(true))])))
    }
    if !step.events.isEmpty { return step }
    if run.spec.budget.wallClockTimeoutMs > 0, let since = run.activeSince {
      let deadline = since.adding(milliseconds: run.spec.budget.wallClockTimeoutMs)
      if now >= deadline {
        step.events = budgetExceeded(run, reason: "wall_clock_timeout", limit: .object([("wall_clock_timeout_ms", .int(run.spec.budget.wallClockTimeoutMs))]),
          used: .object([("wall_clock_ms", .int((now.nanoseconds - since.nanoseconds) / 1_000_000))]))
        return step
      }
      step.wakeAt = deadline
    }
    for timer in run.timers where timer.status == "scheduled" {
      if timer.fireAt <= now {
        step.events.append(RunEvent(runID: id, type: RunEventType.timerFired, nodeID: timer.nodeID, attempt: timer.attempt))
      } else {
        step.wakeAt = min(step.wakeAt ?? timer.fireAt, timer.fireAt)
      }
    }
    if !step.events.isEmpty { return step }

    var done: Set<String> = []
    var busy = 0
    var ready: [NodeSpec] = []
    for node in run.spec.topologicalOrder {
      let current = run.current(node.id)
      switch current?.status {
      case .succeeded?:
        done.insert(node.id)
      case .running?, .waiting?:
        busy += 1
      case .failed?:
        let failures = run.failures(of: node.id)
        if failures >= node.retry.maxAttempts && current?.interrupted != true {
          step.events.append(RunEvent(runID: id, type: RunEventType.runFinished, payload: .object([("status", .string("failed")), ("failed_node", .string(node.id))])))
          return step
        }
        let waiting = run.timers.contains { $0.nodeID == node.id && $0.status == "scheduled" }
        if !waiting && node.deps.allSatisfy(done.contains) { ready.append(node) }
      default:
        if node.deps.allSatisfy(done.contains) { ready.append(node) }
      }
    }
    if done.count == run.spec.nodes.count {
      step.events.append(RunEvent(runID: id, type: RunEventType.runFinished, payload: .object([("status", .string("succeeded"))])))
      return step
    }
    var capacity = run.spec.maxParallel - busy
    var attempts = run.attempts
    for node in ready where capacity > 0 {
      let input = try resolvedInput(node, run, output: output)
      let hashes = keys(node, input)
      let explained = step.explanations.count
      if let reused = reuse(node, run, hashes: hashes, explanations: &step.explanations) {
        step.events.append(cachedFinish(run, node: node, original: reused, input: input, hashes: hashes, now: now))
        continue
      }
      // Why a replay re-runs the step is recorded with it, so every face can say (--explain).
      let reason = step.explanations.count > explained ? step.explanations.last?.reason : nil
      if run.spec.budget.maxAttempts > 0 && attempts + 1 > run.spec.budget.maxAttempts {
        step.events += budgetExceeded(run, reason: "max_attempts", limit: .object([("max_attempts", .int(run.spec.budget.maxAttempts))]), used: .object([("attempts", .int(attempts))]))
        return step
      }
      attempts += 1
      capacity -= 1
      let attempt = run.nextAttempt(of: node.id)
      let text = JSONWriter.encode(input)
      var payload: [(String, JSONValue)] = []
      if text.utf8.count <= inlineLimit { payload.append(("input", input)) }
      payload += [("input_bytes", .int(text.utf8.count)), ("key", .string(hashes.key)), ("definition_hash", .string(hashes.definition)), ("input_hash", .string(hashes.input))]
      if let reason { payload.append(("replay_reason", .string(reason))) }
      step.events.append(RunEvent(runID: id, type: RunEventType.nodeStarted, nodeID: node.id, attempt: attempt, payload: .object(payload)))
      step.start.append(Start(node: node, attempt: attempt, input: input, hashes: hashes))
    }
    return step
  }

  /// The events that record a step's result (and any budget it broke).
  /// The deepest inline output a step may give: the events that carry it (as a node's output,
  /// and as the input of the nodes after it) wrap it in a few more levels, and what is written
  /// must stay readable by `JSONParser`. A deeper output fails the step instead.
  public static let maximumOutputDepth = JSONParser.maximumDepth - 8

  /// `log`: where the attempt's stdout and stderr were sealed (command steps), recorded in
  /// the event that ends the attempt, so the artifact stays referenced.
  public static func finish(_ run: WorkflowRun, _ start: Start, result: StepResult, log: StepLogRef? = nil, startedAt: WALTimestamp, now: WALTimestamp) -> [RunEvent] {
    let id = run.runID
    let hashes = start.hashes
    var result = result
    if case .success(let output?, nil, let usage, _, _) = result, output.depth(stoppingPast: maximumOutputDepth + 1) > maximumOutputDepth {
      result = .failure(error: "the step's output nests deeper than \(maximumOutputDepth) levels, more than a run's events can hold", usage: usage)
    }
    switch result {
    case .success(let output, let artifact, let usage, let workerMs, let attachments):
      var payload: [(String, JSONValue)] = []
      if !attachments.isEmpty { payload.append(("artifacts", .array(attachments.map { .string($0) }))) }
      if let artifact {
        payload += [("artifact_ref", .object([("artifact_id", .string(artifact.id))])), ("artifact_meta", artifact.json)]
      } else {
        payload.append(("output", output ?? .null))
      }
      payload += [
        ("started_at", .string(RFC3339.format(startedAt))), ("ended_at", .string(RFC3339.format(now))), ("worker_ms", .int(workerMs)),
        ("usage", usage.json), ("key", .string(hashes.key)), ("definition_hash", .string(hashes.definition)), ("input_hash", .string(hashes.input)),
      ]
      if let log { payload.append(("log", log.json)) }
      var events = [RunEvent(runID: id, type: RunEventType.nodeFinished, nodeID: start.node.id, attempt: start.attempt, payload: .object(payload))]
      events += budgetCheck(run, adding: usage)
      return events
    case .failure(let error, let usage):
      var failure: [(String, JSONValue)] = [("error", .string(error)), ("usage", usage.json)]
      if let log { failure.append(("log", log.json)) }
      var events = [RunEvent(runID: id, type: RunEventType.nodeFailed, nodeID: start.node.id, attempt: start.attempt, payload: .object(failure))]
      let failures = run.failures(of: start.node.id) + 1
      let wait = start.node.retry.backoff(beforeRetry: failures)
      if failures < start.node.retry.maxAttempts && wait > 0 {
        events.append(RunEvent(runID: id, type: RunEventType.timerScheduled, nodeID: start.node.id, attempt: start.attempt,
          payload: .object([("fire_at", .string(RFC3339.format(now.adding(milliseconds: wait)))), ("reason", .string("retry backoff"))])))
      }
      let budget = budgetCheck(run, adding: usage)
      return events + budget
    case .delay(let ms, let reason):
      return [RunEvent(runID: id, type: RunEventType.timerScheduled, nodeID: start.node.id, attempt: start.attempt,
        payload: .object([("fire_at", .string(RFC3339.format(now.adding(milliseconds: ms)))), ("reason", .string(reason)), ("delay", .bool(true))]))]
    }
  }

  // MARK: - Inputs and the step cache

  /// A root node gets the run input; others `{"<dep>": <dep output>, …}` in spec order.
  public static func resolvedInput(_ node: NodeSpec, _ run: WorkflowRun, output: OutputLoader) throws -> JSONValue {
    guard !node.deps.isEmpty else { return run.input }
    var members: [(String, JSONValue)] = []
    for dep in run.spec.nodes.map(\.id) where node.deps.contains(dep) {
      guard let execution = run.current(dep), execution.status == .succeeded else { continue }
      members.append((dep, try output(execution)))
    }
    return .object(members)
  }

  /// The step cache key and its two parts.
  public static func keys(_ node: NodeSpec, _ input: JSONValue) -> (key: String, definition: String, input: String) {
    let definition = SHA256.hex(Array(node.definition.utf8))
    let inputHash = SHA256.hex(Array(CanonicalJSON.encode(input).utf8))
    return (SHA256.hex(Array((definition + inputHash).utf8)), definition, inputHash)
  }

  /// The earlier success a replay may reuse for `node`, with the reason either way.
  ///
  /// DriftQ's modes: `live` re-runs `--from-step` and everything downstream of it (all of
  /// the run without one) and keeps what is upstream; `time_travel` keeps what is upstream
  /// too, and of the rest reuses every stored output whose step's definition and resolved
  /// input are those it was made with, running only what differs. `auto` is `time_travel`
  /// over the whole run.
  static func reuse(_ node: NodeSpec, _ run: WorkflowRun, hashes: (key: String, definition: String, input: String), explanations: inout [(node: String, reason: String)]) -> NodeExecution? {
    guard let plan = run.replay else { return nil }
    let earlier = run.reusable[node.id]
    guard let earlier else { explanations.append((node.id, "re-run: no earlier success")); return nil }
    if plan.mode != "auto" && plan.reuse.contains(node.id) { explanations.append((node.id, "reused")); return earlier }
    if plan.mode == "live" {
      explanations.append((node.id, plan.fromStep == nil ? "re-run: live replay re-runs every step" : "re-run: live replay re-runs from --from-step"))
      return nil
    }
    if earlier.key == hashes.key { explanations.append((node.id, "reused")); return earlier }
    if earlier.definitionHash != hashes.definition { explanations.append((node.id, "re-run: definition changed")) }
    else { explanations.append((node.id, "re-run: input changed")) }
    return nil
  }

  /// A `node_finished` that reuses an earlier output: DriftQ's `used_cached_output`.
  static func cachedFinish(_ run: WorkflowRun, node: NodeSpec, original: NodeExecution, input: JSONValue, hashes: (key: String, definition: String, input: String), now: WALTimestamp) -> RunEvent {
    var payload: [(String, JSONValue)] = []
    let text = JSONWriter.encode(input)
    if text.utf8.count <= inlineLimit { payload.append(("input", input)) }
    payload.append(("input_bytes", .int(text.utf8.count)))
    switch original.output {
    case .artifact(let id, let size)?:
      payload.append(("artifact_ref", .object([("artifact_id", .string(id))])))
      payload.append(("artifact_meta", .object([("artifact_id", .string(id)), ("sha256", .string(id)), ("size", .int(size))])))
    case .inline(let value)?: payload.append(("output", value))
    case nil: payload.append(("output", .null))
    }
    payload += [
      // The attempt that made the output, also when the one reused had reused it itself.
      ("used_cached_output", .bool(true)), ("cached_attempt", .int(original.usedCachedOutput ? original.cachedAttempt ?? original.attempt : original.attempt)),
      ("started_at", .string(RFC3339.format(now))), ("ended_at", .string(RFC3339.format(now))), ("worker_ms", .int(0)),
      ("usage", Usage().json), ("key", .string(hashes.key)), ("definition_hash", .string(hashes.definition)), ("input_hash", .string(hashes.input)),
      ("replay_reason", .string("reused")),
    ]
    return RunEvent(runID: run.runID, type: RunEventType.nodeFinished, nodeID: node.id, attempt: run.nextAttempt(of: node.id), payload: .object(payload))
  }

  // MARK: - Budgets

  static func budgetCheck(_ run: WorkflowRun, adding usage: Usage) -> [RunEvent] {
    let budget = run.spec.budget
    let total = run.usage + usage
    if budget.maxTokens > 0 && total.tokens > budget.maxTokens {
      return budgetExceeded(run, reason: "tokens", limit: .object([("max_tokens", .int(budget.maxTokens))]), used: .object([("tokens", .int(total.tokens))]))
    }
    if budget.maxDollars > 0 && total.dollars > budget.maxDollars {
      return budgetExceeded(run, reason: "dollars", limit: .object([("max_dollars", .number(Money.text(budget.maxDollars)))]), used: .object([("dollars", .number(Money.text(total.dollars)))]))
    }
    return []
  }

  /// DriftQ's `budget_exceeded` payload, then the run fails with `terminal_reason`.
  static func budgetExceeded(_ run: WorkflowRun, reason: String, limit: JSONValue, used: JSONValue) -> [RunEvent] {
    [
      RunEvent(runID: run.runID, type: RunEventType.budgetExceeded, payload: .object([("scope", .string("run")), ("reason", .string(reason)), ("limit", limit), ("used", used)])),
      RunEvent(runID: run.runID, type: RunEventType.runFinished, payload: .object([("status", .string("failed")), ("terminal_reason", .string("budget_exceeded"))])),
    ]
  }

  // MARK: - Replay, cancel, creation

  /// `runs replay`: which nodes are kept as they are (`reuse`) and which are replayed
  /// (`rerun`: run again in `live` mode; in `time_travel` mode, run again unless their
  /// definition and input are unchanged). As in DriftQ, time travel keeps `fromStep` itself
  /// when it has succeeded before.
  public static func replay(_ run: WorkflowRun, fromStep: String?, mode: String, newSpec: WorkflowSpec?) throws -> RunEvent {
    let spec = newSpec ?? run.spec
    if let fromStep, spec.node(fromStep) == nil { throw SpecError("replay: unknown from-step \"\(fromStep)\"") }
    if run.status == .canceled { throw SpecError("replay failed: run canceled") }
    let all = Set(spec.nodes.map(\.id))
    var rerun = fromStep.map { spec.downstream(of: $0) } ?? all
    if mode == "time_travel", let fromStep, run.executions.contains(where: { $0.nodeID == fromStep && $0.status == .succeeded }) {
      rerun.remove(fromStep)
    }
    if mode == "auto" { rerun = [] }
    let reuse = mode == "auto" ? Set<String>() : all.subtracting(rerun)
    var payload: [(String, JSONValue)] = [("mode", .string(mode))]
    if let fromStep { payload.append(("from_step", .string(fromStep))) }
    payload += [("rerun", .array(rerun.sorted().map { .string($0) })), ("reuse", .array(reuse.sorted().map { .string($0) }))]
    if let newSpec { payload.append(("spec", newSpec.json)) }
    return RunEvent(runID: run.runID, type: RunEventType.replayRequested, payload: .object(payload))
  }

  public static func cancel(_ run: WorkflowRun, reason: String) -> RunEvent? {
    guard !run.status.isTerminal else { return nil }
    return RunEvent(runID: run.runID, type: RunEventType.runFinished, payload: .object([("status", .string("canceled")), ("reason", .string(reason))]))
  }

  public static func create(runID: String, spec: WorkflowSpec, input: JSONValue) -> RunEvent {
    RunEvent(runID: runID, type: RunEventType.runCreated, payload: .object([
      ("workflow_id", .string(spec.id)), ("spec", spec.json), ("input", input), ("budget", spec.budget.json),
    ]))
  }
}
