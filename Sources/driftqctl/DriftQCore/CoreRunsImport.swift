import ReplayEngine
import WALFormat

/// The run events that rebuild DriftQ-Core's runs (`CoreEngineState`) in our log, each at
/// the time DriftQ-Core recorded it, and the check that they fold to the same runs.
///
/// DriftQ-Core's `run_created` carries no payload: ours is given the run's spec and input.
/// Its `node_started` carries no input: ours is given the node execution's recorded input.
struct CoreRunsImport {
  let state: CoreEngineState

  func events() -> [(LogEvent, WALTimestamp?)] {
    var events: [(LogEvent, WALTimestamp?)] = []
    for id in state.runOrder {
      guard let run = state.runs[id] else { continue }
      let recorded = state.orderedEvents(of: id)
      let workflow = run["workflow_id"]?.stringValue ?? ""
      let nodeIDs = state.nodes.keys.filter { $0.runID == id }.sorted { ($0.nodeID, $0.attempt) < ($1.nodeID, $1.attempt) }.map(\.nodeID)
      let spec = run["spec"] ?? StandInSpec.json(workflowID: workflow, nodeIDs: nodeIDs)
      let created = recorded.first { $0["type"]?.stringValue == RunEventType.runCreated }
      let createdAt = (created ?? recorded.first)?["at"]?.stringValue.flatMap(RFC3339.parse) ?? run["started_at"]?.stringValue.flatMap(RFC3339.parse)
      let payload = JSONValue.object([("workflow_id", .string(workflow)), ("spec", spec), ("input", run["initial_input"] ?? .object([]))])
      events.append((.run(RunEvent(runID: id, type: RunEventType.runCreated, payload: payload)), createdAt))
      for event in recorded {
        guard let type = event["type"]?.stringValue, type != RunEventType.runCreated else { continue }
        let node = event["node_id"]?.stringValue ?? event["step_id"]?.stringValue
        let attempt = event["attempt"]?.int64Value
        var payload = event["payload"]
        if type == RunEventType.nodeStarted, payload?["input"] == nil, let node, let attempt,
          let input = state.nodes[.init(runID: id, nodeID: node, attempt: attempt)]?["input"] {
          payload = .object([("input", input), ("input_bytes", .int(JSONWriter.encode(input).utf8.count))])
        }
        let at = event["at"]?.stringValue.flatMap(RFC3339.parse)
        events.append((.run(RunEvent(runID: id, type: type, nodeID: node, attempt: attempt.map { Int($0) }, payload: payload)), at))
      }
    }
    if let version = state.activeIndexVersion { events.append((.indexPointer(version: version, runID: ""), nil)) }
    return events
  }

  /// Differences between DriftQ-Core's runs and the imported ones: each run's status, its
  /// event count, and every recorded node execution's status.
  func differences(from imported: RunsState) -> [String] {
    var found: [String] = []
    for id in state.runOrder {
      guard let run = imported.runs[id] else { found.append("run \(id) missing"); continue }
      if let status = state.runs[id]?["status"]?.stringValue, run.status.rawValue != status {
        found.append("run \(id): status \(run.status.rawValue), DriftQ-Core says \(status)")
      }
      let count = state.events[id]?.count ?? 0
      // Ours always has a run_created, which DriftQ-Core may lack.
      if run.events.count != count && run.events.count != count + 1 { found.append("run \(id): \(run.events.count) events, DriftQ-Core has \(count)") }
      for (key, node) in state.nodes where key.runID == id {
        let status = node["status"]?.stringValue ?? ""
        let ours = run.executions.first { $0.nodeID == key.nodeID && Int64($0.attempt) == key.attempt }
        if ours?.status.rawValue != status { found.append("run \(id) node \(key.nodeID) attempt \(key.attempt): \(ours?.status.rawValue ?? "missing"), DriftQ-Core says \(status)") }
      }
    }
    if let version = state.activeIndexVersion, imported.activeIndexVersion != version { found.append("active index version \(imported.activeIndexVersion ?? "none"), DriftQ-Core says \(version)") }
    return found
  }
}
