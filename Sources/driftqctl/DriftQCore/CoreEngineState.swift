import ReplayEngine
import WALFormat

/// What DriftQ-Core rebuilds from its engine WAL (contract §3.2): runs (the last snapshot of
/// each wins), node executions keyed by run, node and attempt, events numbered per run,
/// timers, and the key-value pairs (`active_index_version`). Records that fail DriftQ-Core's
/// own validation are corruption with their line.
struct CoreEngineState {
  static let statuses: Set<String> = ["queued", "running", "waiting", "succeeded", "failed", "canceled"]

  struct NodeKey: Hashable {
    var runID: String
    var nodeID: String
    var attempt: Int64
  }

  private(set) var runOrder: [String] = []
  private(set) var runs: [String: JSONValue] = [:]
  private(set) var nodes: [NodeKey: JSONValue] = [:]
  /// Each run's events by `seq`.
  private(set) var events: [String: [Int64: JSONValue]] = [:]
  private(set) var timers = 0
  private(set) var values: [String: JSONValue] = [:]

  init(_ file: CoreWALFile) throws {
    var timerKeys: Set<NodeKey> = []
    for entry in file.entries {
      do {
        try apply(entry, timers: &timerKeys)
      } catch {
        throw CommandFailure(.corruption, "\(file.path): line \(entry.line) (byte \(entry.byte)): \(error.message)")
      }
    }
    timers = timerKeys.count
  }

  private mutating func apply(_ entry: CoreWALFile.Entry, timers: inout Set<NodeKey>) throws(CoreEntryError) {
    guard let value = entry.json["value"] else { throw CoreEntryError("record without a value") }
    func text(_ key: String) -> String { value[key]?.stringValue ?? "" }
    switch entry.kind {
    case "create_run", "update_run":
      let id = text("run_id")
      guard !id.isEmpty, !text("workflow_id").isEmpty else { throw CoreEntryError("run without run_id or workflow_id") }
      guard Self.statuses.contains(text("status")) else { throw CoreEntryError("run \(id) with invalid status \"\(text("status"))\"") }
      if runs[id] == nil { runOrder.append(id) }
      runs[id] = value
    case "upsert_node":
      let attempt = value["attempt"]?.int64Value ?? 0
      guard !text("run_id").isEmpty, !text("workflow_id").isEmpty, !text("node_id").isEmpty, attempt >= 1 else {
        throw CoreEntryError("node execution without run, workflow or node id, or attempt < 1")
      }
      guard Self.statuses.contains(text("status")) else { throw CoreEntryError("node \(text("node_id")) with invalid status \"\(text("status"))\"") }
      nodes[NodeKey(runID: text("run_id"), nodeID: text("node_id"), attempt: attempt)] = value
    case "append_event":
      let seq = value["seq"]?.int64Value ?? 0
      guard !text("run_id").isEmpty, seq >= 1, !text("type").isEmpty, RFC3339.parse(text("at")) != nil else {
        throw CoreEntryError("event without run_id, seq >= 1, type or at")
      }
      events[text("run_id"), default: [:]][seq] = value
    case "upsert_timer":
      timers.insert(NodeKey(runID: text("run_id"), nodeID: text("node_id"), attempt: value["attempt"]?.int64Value ?? 0))
    case "put_kv":
      guard let key = value["key"]?.stringValue else { throw CoreEntryError("put_kv without a key") }
      values[key] = value["value"] ?? .null
    default:
      throw CoreEntryError("unknown op \"\(entry.kind)\" (DriftQ-Core refuses to start on it)")
    }
  }

  /// A run's events in `seq` order.
  func orderedEvents(of runID: String) -> [JSONValue] {
    (events[runID] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
  }

  var eventCount: Int { events.values.reduce(0) { $0 + $1.count } }
  var activeIndexVersion: String? { values["active_index_version"]?.stringValue }
}
