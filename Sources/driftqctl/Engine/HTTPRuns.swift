import ReplayEngine
import WALFormat

/// The runs over HTTP, through DriftQ's `/debug` runs API. A run is read from
/// `/debug/run-state` and its events folded by the same `RunsState` a directory is, so every
/// runs view prints the same from either backend.
final class HTTPRuns {
  /// Where a run's verdict (why it failed) is written.
  let context: CommandContext

  init(client: HTTPClient, context: CommandContext) {
    self.client = client
    self.context = context
  }

  let client: HTTPClient

  /// One request to the runs API. A server without one (DriftQ-Core built without its
  /// engine answers every `/debug/run*` route with its catch-all 404) is exit 5, named.
  private func send(_ method: String, _ path: String, query: [(String, String)] = [], json: JSONValue? = nil, waitForRun: Bool = false) throws -> HTTPClient.Response {
    let response = try client.send(method, path, query: query, json: json, waitForRun: waitForRun)
    if response.status == 404, response.text.contains("use /v1/* endpoints") || response.text.hasPrefix("404 page not found") {
      throw CommandFailure(.unavailable, "\(client.base) has no runs API (\(path) answered 404 \(response.text.trimmingTrailingWhitespace().prefix(80)))")
    }
    return response
  }

  private func ok(_ response: HTTPClient.Response, _ action: String) throws -> HTTPClient.Response {
    guard (200..<300).contains(response.status) else { throw HTTPClient.failure(response, action: action) }
    return response
  }

  private func document(_ response: HTTPClient.Response, _ action: String) throws -> JSONValue {
    guard let json = try ok(response, action).json else { throw CommandFailure(.failure, "\(action): the server's answer is not JSON: \(response.text.prefix(200))") }
    return json
  }

  /// The run, or exit 4 `run not found`.
  func run(_ id: String) throws -> WorkflowRun {
    let response = try send("GET", "/debug/run-state", query: [("run_id", id)])
    if response.status == 404 { throw CommandFailure(.notFound, "run not found: \(id)") }
    return try Self.fold(try document(response, "runs"))
  }

  /// Rebuilds a run from a run-state document. DriftQ-Core's `run_created` carries no
  /// payload, so the spec and input come from the document's run (see `StandInSpec`).
  static func fold(_ document: JSONValue) throws -> WorkflowRun {
    guard let runJSON = document["run"], let id = runJSON["run_id"]?.stringValue, case .array(let events)? = document["events"] else {
      throw CommandFailure(.failure, "runs: the server's run-state answer has no run or events")
    }
    var state = RunsState()
    for item in events {
      guard let type = item["type"]?.stringValue, let at = item["at"]?.stringValue.flatMap(RFC3339.parse) else {
        throw CommandFailure(.failure, "runs: run \(id) has an event without type or time")
      }
      var payload = item["payload"]
      if type == RunEventType.runCreated && payload?["spec"] == nil {
        payload = .object([("spec", runJSON["spec"] ?? standInSpec(document)), ("input", runJSON["initial_input"] ?? .object([]))])
      }
      let node = item["node_id"]?.stringValue ?? item["step_id"]?.stringValue
      let event = RunEvent(runID: id, type: type, nodeID: node, attempt: item["attempt"]?.int64Value.map { Int($0) }, payload: payload)
      do { try state.apply(event, at: at) } catch { throw CommandFailure(.failure, "runs: cannot fold run \(id)'s events: \(error)") }
    }
    guard let run = state.runs[id] else { throw CommandFailure(.failure, "runs: run \(id) has no run_created event") }
    return run
  }

  private static func standInSpec(_ document: JSONValue) -> JSONValue {
    var ids: [String] = []
    if case .array(let nodes)? = document["nodes"] { ids = nodes.compactMap { $0["node_id"]?.stringValue } }
    return StandInSpec.json(workflowID: document["run"]?["workflow_id"]?.stringValue ?? "", nodeIDs: ids)
  }

  func listIDs(limit: Int) throws -> [String] {
    let json = try document(send("GET", "/debug/runs", query: [("limit", String(limit))]), "runs list")
    guard case .array(let ids)? = json["runs"] else { return [] }
    return ids.compactMap(\.stringValue)
  }

  /// One part of a listing through driftqctl's `/debug/runs` extension (`runs-list`).
  func listPart(_ query: RunListQuery, count: Int, after: String?) throws -> RunListPage {
    let json = try document(send("GET", "/debug/runs", query: query.parameters(count: count, after: after)), "runs list")
    guard case .array(let rows)? = json["rows"] else { throw CommandFailure(.failure, "runs list: the server's answer has no rows") }
    return RunListPage(runs: rows.compactMap(RunSummary.init(json:)), nextAfter: json["next_after"]?.stringValue)
  }

  /// A run-starting call (`run-demo`, `run-spec`, `run-replay`): DriftQ answers when the run
  /// ends, so it is not cut short by the request timeout unless `--timeout` was given.
  func start(_ path: String, body: JSONValue?, action: String) throws -> JSONValue {
    let response = try send("POST", path, json: body, waitForRun: true)
    // A failed run is still a run: its state says how it ended.
    if response.status == 400 && response.text.contains("node failed") { return .object([("ok", .bool(false))]) }
    return try document(response, action)
  }

  func requestCancel(_ id: String, reason: String) throws {
    let response = try send("POST", "/debug/run-cancel", json: .object([("run_id", .string(id)), ("reason", .string(reason))]))
    if response.status == 404 { throw CommandFailure(.notFound, "run not found: \(id)") }
    _ = try ok(response, "runs cancel")
  }

  func artifactList(_ id: String) throws -> [ArtifactMeta] {
    let response = try send("GET", "/debug/run-artifacts", query: [("run_id", id), ("limit", "10000")])
    if response.status == 404 { throw CommandFailure(.notFound, "run not found: \(id)") }
    guard case .array(let items)? = try document(response, "runs artifacts")["artifacts"] else { return [] }
    return items.compactMap(ArtifactMeta.init(json:))
  }

  func artifactMeta(_ id: String) throws -> JSONValue {
    let response = try send("GET", "/debug/artifact-meta", query: [("artifact_id", id)])
    if response.status == 404 { throw CommandFailure(.notFound, "artifact not found: \(id)") }
    return try document(response, "runs artifact-meta")["meta"] ?? .null
  }

  /// An artifact's bytes, and the content type the server sends them with (its meta's).
  func artifact(_ id: String) throws -> (bytes: [UInt8], contentType: String?) {
    let response = try send("GET", "/debug/artifact-get", query: [("artifact_id", id)])
    if response.status == 404 { throw CommandFailure(.notFound, "artifact not found: \(id)") }
    return (try ok(response, "runs artifact-get").body, response.headers["content-type"])
  }

  /// Part of an attempt's log, through driftqctl's `runs-logs` extension (DriftQ-Core keeps
  /// no step logs).
  func log(runID: String, nodeID: String, attempt: Int, from offset: Int) throws -> RunLogs.Chunk {
    try client.require(.runsLogs, "step logs API (/debug/run-log)")
    let response = try send("GET", "/debug/run-log", query: [("run_id", runID), ("node_id", nodeID), ("attempt", String(attempt)), ("offset", String(offset))])
    if response.status == 404 { throw CommandFailure(.notFound, response.text.trimmingTrailingWhitespace()) }
    let ok = try ok(response, "runs logs")
    do { return try BrokerWire.logChunk(headers: ok.headers, body: ok.body) } catch {
      throw CommandFailure(.failure, "runs logs: \(error)")
    }
  }

  func activeIndexVersion() throws -> String {
    try document(send("GET", "/debug/index/active"), "runs active-index")["active_version"]?.stringValue ?? ""
  }

  func promote(runID: String, version: String) throws -> String {
    let response = try send("POST", "/debug/index/promote", json: .object([("run_id", .string(runID)), ("version", .string(version))]))
    return try document(response, "runs promote")["active_version"]?.stringValue ?? version
  }

  func rollback(version: String) throws -> String {
    let response = try send("POST", "/debug/index/rollback", json: .object([("version", .string(version))]))
    return try document(response, "runs rollback")["active_version"]?.stringValue ?? version
  }
}
