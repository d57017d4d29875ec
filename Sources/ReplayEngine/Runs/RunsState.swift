import WALFormat

/// Every run of a directory, as a fold of its run events, plus the active index pointer.
public struct RunsState: Sendable {
  public internal(set) var runs: [String: WorkflowRun] = [:]
  /// Run ids in creation order.
  public internal(set) var order: [String] = []
  public internal(set) var activeIndexVersion: String?
  /// Every version `runs promote` ever made active, oldest first: what a rollback may go
  /// back to.
  public internal(set) var promotedVersions: [String] = []
  /// The version each promoted run became: such a run stays (a rollback may go back to it).
  public internal(set) var promotedRuns: [String: String] = [:]

  public init() {}

  /// Folds a `run_event` or `index_pointer` record.
  public mutating func apply(_ record: WALRecord) throws(ReplayError) {
    do throws(ReplayError) {
      if record.kind == .indexPointer {
        let json: JSONValue
        do { json = try JSONParser.parse(bytes: record.payload) } catch { throw ReplayError(.badPayload, "index pointer: \(error)") }
        activeIndexVersion = json["version"]?.stringValue
        // A promotion names its run; a rollback does not.
        if let version = activeIndexVersion, let runID = json["run_id"]?.stringValue, !runID.isEmpty {
          if !promotedVersions.contains(version) { promotedVersions.append(version) }
          promotedRuns[runID] = version
        }
        return
      }
      try apply(try RunEvent(decoding: record.payload), at: record.timestamp)
    } catch { throw error.at(record.lsn) }
  }

  /// Folds `event`, just appended as `record` (a writer need not decode what it encoded).
  public mutating func apply(_ event: RunEvent, writtenAs record: WALRecord) throws(ReplayError) {
    do throws(ReplayError) { try apply(event, at: record.timestamp) } catch { throw error.at(record.lsn) }
  }

  public mutating func apply(_ event: RunEvent, at time: WALTimestamp) throws(ReplayError) {
    if event.type == RunEventType.runCreated {
      guard runs[event.runID] == nil else { throw ReplayError(.inconsistent, "run \(event.runID) created twice") }
      guard let specJSON = event.payload?["spec"] else { throw ReplayError(.inconsistent, "run \(event.runID) created without a spec") }
      let spec: WorkflowSpec
      do { spec = try WorkflowSpec(json: specJSON, knownHandlers: false) } catch { throw ReplayError(.inconsistent, "run \(event.runID): \(error)") }
      runs[event.runID] = WorkflowRun(runID: event.runID, workflowID: spec.id, spec: spec, input: event.payload?["input"] ?? .object([]), createdAt: time)
      order.append(event.runID)
    }
    if event.type == RunEventType.runDeleted {
      guard runs.removeValue(forKey: event.runID) != nil else { throw ReplayError(.inconsistent, "deletion of unknown run \(event.runID)") }
      if let index = order.firstIndex(of: event.runID) { order.remove(at: index) }
      return
    }
    guard var run = runs.removeValue(forKey: event.runID) else { throw ReplayError(.inconsistent, "event \(event.type) for unknown run \(event.runID)") }
    defer { runs[event.runID] = run }
    run.events.append(RunEventRecord(seq: run.events.count + 1, at: time, event: event))
    let node = event.nodeID ?? ""
    let attempt = event.attempt ?? 0
    let payload = event.payload
    switch event.type {
    case RunEventType.runStarted:
      run.status = .running
      if run.startedAt == nil { run.startedAt = time }
      run.activeSince = time

    case RunEventType.nodeStarted:
      run.attempts += 1
      run.status = .running
      var execution = NodeExecution(nodeID: node, attempt: attempt, status: .running)
      execution.generation = run.generation
      execution.startedAt = time
      execution.input = payload?["input"]
      execution.inputBytes = payload?["input_bytes"]?.int64Value.map { Int($0) }
      execution.key = payload?["key"]?.stringValue
      execution.replayReason = payload?["replay_reason"]?.stringValue
      run.executions.append(execution)

    case RunEventType.nodeFinished:
      let cached = payload?["used_cached_output"] == .bool(true)
      let isNew = !run.executions.contains { $0.nodeID == node && $0.attempt == attempt }
      var execution = run.executions.last { $0.nodeID == node && $0.attempt == attempt } ?? NodeExecution(nodeID: node, attempt: attempt, status: .running)
      if isNew { execution.generation = run.generation }
      execution.status = .succeeded
      execution.endedAt = time
      if execution.startedAt == nil { execution.startedAt = time }
      if let output = payload?["output"] {
        execution.output = .inline(output)
        execution.outputBytes = JSONWriter.encode(output).utf8.count
      } else if let id = payload?["artifact_ref"]?["artifact_id"]?.stringValue {
        let size = Int(payload?["artifact_meta"]?["size"]?.int64Value ?? 0)
        execution.output = .artifact(id: id, size: size)
        execution.outputBytes = size
      }
      execution.usage = Usage(json: payload?["usage"])
      execution.key = payload?["key"]?.stringValue ?? execution.key
      execution.definitionHash = payload?["definition_hash"]?.stringValue
      execution.inputHash = payload?["input_hash"]?.stringValue
      execution.usedCachedOutput = cached
      execution.replayReason = payload?["replay_reason"]?.stringValue ?? execution.replayReason
      if cached {
        execution.input = payload?["input"]
        execution.inputBytes = payload?["input_bytes"]?.int64Value.map { Int($0) }
      }
      if case .array(let extra)? = payload?["artifacts"] { execution.artifacts = extra.compactMap(\.stringValue) }
      execution.log = StepLogRef(json: payload?["log"])
      execution.cachedAttempt = payload?["cached_attempt"]?.int64Value.map { Int($0) }
      execution.workerMs = payload?["worker_ms"]?.int64Value
      if cached {
        execution.costBasis = run.reusable[node]?.costBasis ?? Usage()
        run.saved = run.saved + execution.costBasis
      } else {
        execution.costBasis = execution.usage
        run.usage = run.usage + execution.usage
      }
      if isNew { run.executions.append(execution) } else { replace(&run, execution) }

    case RunEventType.nodeFailed:
      guard var execution = run.executions.last(where: { $0.nodeID == node && $0.attempt == attempt }) else {
        throw ReplayError(.inconsistent, "node_failed for \(node) attempt \(attempt), which never started")
      }
      execution.status = .failed
      execution.endedAt = time
      execution.error = payload?["error"]?.stringValue
      execution.interrupted = payload?["interrupted"] == .bool(true)
      execution.log = StepLogRef(json: payload?["log"]) ?? execution.log
      execution.usage = Usage(json: payload?["usage"])
      run.usage = run.usage + execution.usage
      replace(&run, execution)

    case RunEventType.timerScheduled:
      guard let fireText = payload?["fire_at"]?.stringValue, let fireAt = RFC3339.parse(fireText) else {
        throw ReplayError(.inconsistent, "timer_scheduled without fire_at")
      }
      run.timers.append(RunTimer(nodeID: node, attempt: attempt, status: "scheduled", fireAt: fireAt, createdAt: time, reason: payload?["reason"]?.stringValue ?? ""))
      if payload?["delay"] == .bool(true), var execution = run.executions.last(where: { $0.nodeID == node && $0.attempt == attempt }) {
        execution.status = .waiting
        replace(&run, execution)
        run.status = .waiting
      }

    case RunEventType.timerFired, RunEventType.timerCanceled:
      var timerReason = "timer"
      if let index = run.timers.lastIndex(where: { $0.nodeID == node && $0.attempt == attempt && $0.status == "scheduled" }) {
        timerReason = run.timers[index].reason
        run.timers[index].status = event.type == RunEventType.timerFired ? "fired" : "canceled"
        if event.type == RunEventType.timerFired { run.timers[index].firedAt = time }
      }
      // A delayed execution is over once its timer fires: the next attempt carries on.
      if event.type == RunEventType.timerFired, var execution = run.executions.last(where: { $0.nodeID == node && $0.attempt == attempt && $0.status == .waiting }) {
        execution.status = .canceled
        execution.error = "delayed: \(timerReason); continued as the next attempt"
        execution.delayed = true
        execution.endedAt = time
        replace(&run, execution)
      }

    case RunEventType.budgetExceeded:
      run.terminalMeta = payload

    case RunEventType.runFinished:
      let status = RunStatus(rawValue: payload?["status"]?.stringValue ?? "") ?? .failed
      run.status = status
      run.endedAt = time
      run.terminalReason = payload?["terminal_reason"]?.stringValue ?? payload?["reason"]?.stringValue
      run.failedNode = payload?["failed_node"]?.stringValue
      let reason = run.terminalReason ?? status.rawValue
      for index in run.executions.indices where run.executions[index].status == .running || run.executions[index].status == .waiting {
        run.executions[index].status = .canceled
        run.executions[index].error = reason
        run.executions[index].endedAt = time
      }
      for index in run.timers.indices where run.timers[index].status == "scheduled" { run.timers[index].status = "canceled" }

    case RunEventType.replayRequested:
      let mode = payload?["mode"]?.stringValue ?? "time_travel"
      if let newSpec = payload?["spec"] {
        do { run.spec = try WorkflowSpec(json: newSpec) } catch { throw ReplayError(.inconsistent, "replay of \(run.runID): \(error)") }
      }
      func names(_ key: String) -> Set<String> {
        guard case .array(let items)? = payload?[key] else { return [] }
        return Set(items.compactMap(\.stringValue))
      }
      // What may be reused: each node's last success before this replay.
      for spec in run.spec.nodes {
        if let success = run.executions.last(where: { $0.nodeID == spec.id && $0.status == .succeeded }) { run.reusable[spec.id] = success }
      }
      let plan = ReplayPlan(mode: mode, fromStep: payload?["from_step"]?.stringValue, reuse: names("reuse"), rerun: names("rerun"), at: time)
      run.replay = plan
      // Earlier attempts keep their status (an attempt that succeeded did succeed); the new
      // generation is what counts as each node's result from here on.
      run.replays.append(plan)
      for index in run.timers.indices where run.timers[index].status == "scheduled" { run.timers[index].status = "canceled" }
      run.status = .queued
      run.endedAt = nil
      run.terminalReason = nil
      run.terminalMeta = nil
      run.failedNode = nil

    default:
      break  // run_created was handled above; unknown types are kept in the event list only.
    }
  }

  private func replace(_ run: inout WorkflowRun, _ execution: NodeExecution) {
    if let index = run.executions.lastIndex(where: { $0.nodeID == execution.nodeID && $0.attempt == execution.attempt }) {
      run.executions[index] = execution
    }
  }

  /// Runs newest first (by end, else start, else creation), as DriftQ lists them.
  public var newestFirst: [WorkflowRun] {
    order.compactMap { runs[$0] }.sorted { a, b in
      let ta = a.endedAt ?? a.startedAt ?? a.createdAt
      let tb = b.endedAt ?? b.startedAt ?? b.createdAt
      return ta != tb ? ta > tb : a.runID < b.runID
    }
  }
}
