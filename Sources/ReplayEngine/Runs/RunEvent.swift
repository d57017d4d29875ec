import WALFormat

extension RecordKind {
  /// A workflow run's event: DriftQ's RunEvent as compact JSON.
  public static let runEvent = RecordKind(rawValue: 20)
  /// The active index pointer (runs promote / rollback).
  public static let indexPointer = RecordKind(rawValue: 21)
}

/// DriftQ's run event types (plus `replay_requested`, which marks where a replay began).
public enum RunEventType {
  public static let runCreated = "run_created"
  public static let runStarted = "run_started"
  public static let nodeStarted = "node_started"
  public static let nodeFinished = "node_finished"
  public static let nodeFailed = "node_failed"
  public static let runFinished = "run_finished"
  public static let budgetExceeded = "budget_exceeded"
  public static let timerScheduled = "timer_scheduled"
  public static let timerFired = "timer_fired"
  public static let timerCanceled = "timer_canceled"
  public static let replayRequested = "replay_requested"
  /// driftqctl's `runs delete`: the run is forgotten, and compaction reclaims its events.
  public static let runDeleted = "run_deleted"
}

/// One run event as written: DriftQ's `{run_id, type, node_id?, attempt?, payload?}`. The
/// record's timestamp is its `at`; the fold numbers events per run (`seq`).
public struct RunEvent: Sendable, Equatable {
  public var runID: String
  public var type: String
  public var nodeID: String?
  public var attempt: Int?
  public var payload: JSONValue?

  public init(runID: String, type: String, nodeID: String? = nil, attempt: Int? = nil, payload: JSONValue? = nil) {
    self.runID = runID
    self.type = type
    self.nodeID = nodeID
    self.attempt = attempt
    self.payload = payload
  }

  public func encoded() -> [UInt8] {
    var members: [(String, JSONValue)] = [("run_id", .string(runID)), ("type", .string(type))]
    if let nodeID { members.append(("node_id", .string(nodeID))) }
    if let attempt { members.append(("attempt", .int(attempt))) }
    if let payload { members.append(("payload", payload)) }
    var writer = JSONWriter()
    writer.value(.object(members))
    return writer.output
  }

  public init(decoding payload: [UInt8]) throws(ReplayError) {
    let json: JSONValue
    do { json = try JSONParser.parse(bytes: payload) } catch { throw ReplayError(.badPayload, "run event: \(error)") }
    guard let runID = json["run_id"]?.stringValue, let type = json["type"]?.stringValue else {
      throw ReplayError(.badPayload, "run event without run_id or type")
    }
    self.init(runID: runID, type: type, nodeID: json["node_id"]?.stringValue, attempt: json["attempt"]?.int64Value.map { Int($0) }, payload: json["payload"])
  }
}
