import ReplayEngine
import WALFormat

/// DriftQ's `/debug` runs API (what the Go driftqctl and our `--base-url` runs commands
/// use). Errors are plain text, as DriftQ's. Run-starting calls are synchronous: the run is
/// executed by a child `driftqctl runs resume` and the answer comes when it ends.
struct DebugRunsAPI {
  /// A looked-up value, or the answer to give instead.
  enum Lookup<Value> {
    case found(Value)
    case answer(HTTPResponse)
  }

  let service: BrokerService
  let sync: SyncPolicy
  /// Whether specs that clients send may hold steps that run commands (`--allow-command-steps`).
  let commandSteps: Bool

  /// A client's spec with command steps, refused unless the server allows them: such a step
  /// runs a program on the server's machine.
  private func refusal(_ spec: WorkflowSpec) -> HTTPResponse? {
    guard !commandSteps, let node = spec.nodes.first(where: { $0.run != nil }) else { return nil }
    return .text(403, "step \(node.id) runs a command: this server runs only built-in handlers for specs sent over HTTP (start it with --allow-command-steps)")
  }

  /// The caller's `X-Trace-Id`, else a new one (DriftQ's rule).
  private func traceID(_ request: HTTPRequest) -> String {
    request.header("x-trace-id").flatMap { $0.isEmpty || $0.utf8.count > 128 ? nil : $0 } ?? HTTPServer.requestID()
  }

  private func body(_ request: HTTPRequest) -> JSONValue? {
    request.hasBody ? try? JSONParser.parse(bytes: request.body) : nil
  }

  /// The run, or DriftQ's 400/404 text.
  private func run(_ id: String?) throws -> Lookup<WorkflowRun> {
    guard let id, !id.isEmpty else { return .answer(.text(400, "missing run_id")) }
    guard let run = try service.read({ _, runs in runs.runs[id] }) else { return .answer(.text(404, "run not found")) }
    return .found(run)
  }

  func runs(_ request: HTTPRequest) throws -> HTTPResponse {
    let limit = Int(request.query["limit"] ?? "").map { max(1, min($0, RunListQuery.serverPage)) } ?? 50
    let query = request.query
    // Ours (`runs-list`): filters, paging and each run's summary; DriftQ's answer otherwise.
    guard ["after", "status", "since_ns", "workflow", "detail"].contains(where: { query[$0] != nil }) else {
      let ids = try service.read { _, runs in runs.newestFirst.prefix(limit).map(\.runID) }
      return .prettyJSON(200, .object([("ok", .bool(true)), ("count", .int(ids.count)), ("runs", .array(ids.map { .string($0) }))]))
    }
    var since: WALTimestamp?
    if let text = query["since_ns"] {
      guard let ns = Int64(text) else { return .text(400, "since_ns must be an integer") }
      since = WALTimestamp(nanoseconds: ns)
    }
    let listing = RunListQuery(
      limit: limit, after: query["after"].flatMap { $0.isEmpty ? nil : $0 }, status: query["status"].flatMap { $0.isEmpty ? nil : $0 },
      since: since, workflow: query["workflow"].flatMap { $0.isEmpty ? nil : $0 }, details: true)
    let directory = service.directory
    let page: RunListPage
    do {
      page = try service.read { _, runs in try listing.page(runs.newestFirst.lazy.map { RunSummary($0, status: RunRendering.displayStatus($0, directory: directory)) }) }
    } catch let failure as CommandFailure { return .text(404, failure.message) }
    var members: [(String, JSONValue)] = [
      ("ok", .bool(true)), ("count", .int(page.runs.count)), ("runs", .array(page.runs.map { .string($0.runID) })), ("rows", .array(page.runs.map(\.json))),
    ]
    if let next = page.nextAfter { members.append(("next_after", .string(next))) }
    return .json(200, .object(members))
  }

  func status(_ request: HTTPRequest) throws -> HTTPResponse {
    switch try run(request.query["run_id"]) {
    case .answer(let response): return response
    case .found(let run):
      return .prettyJSON(200, .object([
        ("ok", .bool(true)), ("run", RunRendering.run(run, directory: service.directory)), ("nodes", RunRendering.nodes(run)),
      ]))
    }
  }

  func state(_ request: HTTPRequest) throws -> HTTPResponse {
    switch try run(request.query["run_id"]) {
    case .answer(let response): return response
    case .found(let run): return .prettyJSON(200, RunRendering.state(run, directory: service.directory))
    }
  }

  /// Creates a run and executes it; DriftQ's `run-demo` and `run-spec`.
  private func start(_ request: HTTPRequest, runID: String, spec: WorkflowSpec, input: JSONValue, detach: Bool = false) throws -> HTTPResponse {
    do {
      try RunsSupport.checkRunID(runID)
    } catch let failure as CommandFailure { return .text(400, failure.message) }
    do {
      try service.commit { _, runs, _, _ in (try RunsSupport.creation(runID: runID, spec: spec, input: input, in: runs), ()) }
    } catch let failure as CommandFailure { return .text(400, failure.message) }
    if detach {
      // Ours: started in its own process group, answered at once (`runs start --detach`).
      try RunChild.detach(runID: runID, directory: service.directory, sync: sync)
      return .json(200, .object([("ok", .bool(true)), ("run_id", .string(runID)), ("detached", .bool(true)), ("trace_id", .string(traceID(request)))]))
    }
    return try finish(request, runID)
  }

  /// Executes a created (or replayed) run and answers as DriftQ does.
  private func finish(_ request: HTTPRequest, _ runID: String, extra: [(String, JSONValue)] = []) throws -> HTTPResponse {
    _ = try RunChild.execute(runID: runID, directory: service.directory, sync: sync)
    guard let run = try service.read({ _, runs in runs.runs[runID] }) else { return .text(500, "run failed: run vanished") }
    switch run.status {
    case .succeeded, .waiting:
      return .json(200, .object([("ok", .bool(true)), ("run_id", .string(runID))] + extra + [("trace_id", .string(traceID(request)))]))
    case .canceled:
      return .json(200, .object([("ok", .bool(true)), ("canceled", .bool(true)), ("run_id", .string(runID)), ("trace_id", .string(traceID(request)))]))
    default:
      let why = run.terminalReason == "budget_exceeded" ? "budget exceeded" : "node failed"
      return .text(400, "run failed: \(why)")
    }
  }

  func demo(_ request: HTTPRequest) throws -> HTTPResponse {
    var x: Int64 = 1
    if let text = request.query["x"] {
      guard let value = Int64(text) else { return .text(400, "x must be an int") }
      x = value
    } else if request.hasBody {
      guard let json = body(request), case .object(let members) = json, members.allSatisfy({ $0.0 == "x" }) else { return .text(400, "bad json: expected {\"x\":int}") }
      guard let value = json["x"]?.int64Value else { return .text(400, "x must be an int") }
      x = value
    }
    return try start(request, runID: RunsSupport.newRunID(prefix: "demo", now: .now()), spec: try DemoWorkflows.demo(), input: .object([("x", .int(x))]))
  }

  func spec(_ request: HTTPRequest) throws -> HTTPResponse {
    guard let json = body(request), case .object(let members) = json else { return .text(400, "run failed: bad json") }
    let allowed: Set<String> = ["run_id", "spec", "input", "tenant_id", "principal", "policy_mode", "detach"]
    if let unknown = members.first(where: { !allowed.contains($0.0) }) { return .text(400, "bad json: json: unknown field \"\(unknown.0)\"") }
    guard let specJSON = json["spec"] else { return .text(400, "run failed: spec id is required") }
    let spec: WorkflowSpec
    do { spec = try WorkflowSpec(json: specJSON) } catch { return .text(400, "run failed: \(error.message)") }
    if let refused = refusal(spec) { return refused }
    let runID = json["run_id"]?.stringValue ?? RunsSupport.newRunID(prefix: "spec", now: .now())
    return try start(request, runID: runID, spec: spec, input: json["input"] ?? .object([]), detach: json["detach"] == .bool(true))
  }

  func replay(_ request: HTTPRequest) throws -> HTTPResponse {
    guard let json = body(request), let runID = json["run_id"]?.stringValue, !runID.isEmpty else { return .text(400, "run_id is required") }
    let from = json["from_step"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
    let mode = json["mode"]?.stringValue ?? "time_travel"
    // DriftQ's modes, plus ours: "auto" (optionally with a changed "spec").
    guard ["time_travel", "live", "auto"].contains(mode) else { return .text(400, "replay failed: unknown replay mode: \"\(mode)\"") }
    var newSpec: WorkflowSpec?
    if let specJSON = json["spec"] {
      do { newSpec = try WorkflowSpec(json: specJSON) } catch { return .text(400, "replay failed: \(error.message)") }
      if let newSpec, let refused = refusal(newSpec) { return refused }
    }
    if case .answer(let response) = try run(runID) { return response }
    do {
      try service.commit { _, runs, _, _ in
        guard let run = runs.runs[runID] else { throw CommandFailure(.notFound, "run not found") }
        return ([.run(try RunDecider.replay(run, fromStep: from, mode: mode, newSpec: newSpec))], ())
      }
    } catch let error as SpecError {
      return .text(400, error.message.hasPrefix("replay") ? error.message : "replay failed: \(error.message)")
    }
    let response = try finish(request, runID, extra: [("from_step", .string(from ?? "")), ("mode", .string(mode))])
    return response.status == 400 ? .text(400, "replay failed: node failed") : response
  }

  /// Ours (`runs resume` over HTTP): finishes an interrupted or waiting run in a child, and
  /// answers as a run-starting call does when it ends.
  func resume(_ request: HTTPRequest) throws -> HTTPResponse {
    guard let json = body(request), let runID = json["run_id"]?.stringValue, !runID.isEmpty else { return .text(400, "run_id is required") }
    if case .answer(let response) = try run(runID) { return response }
    return try finish(request, runID)
  }

  func cancel(_ request: HTTPRequest) throws -> HTTPResponse {
    guard let json = body(request), let runID = json["run_id"]?.stringValue, !runID.isEmpty else { return .text(400, "run_id is required") }
    if case .answer(let response) = try run(runID) { return response }
    let reason = json["reason"]?.stringValue ?? "canceled"
    try service.commit { _, runs, _, _ in
      guard let run = runs.runs[runID], let event = RunDecider.cancel(run, reason: reason) else { return ([LogEvent](), ()) }
      return ([.run(event)], ())
    }
    return .json(200, .object([("ok", .bool(true)), ("run_id", .string(runID)), ("trace_id", .string(traceID(request))), ("canceled", .bool(true))]))
  }

  /// `POST /debug/runs/delete {"before_ns","execute"}`: a dry run unless `execute`; alone in
  /// its write, so no run event decided beside it follows the deletion of its run.
  func delete(_ request: HTTPRequest) throws -> HTTPResponse {
    guard let (before, execute) = RunDeletion.request(body(request)) else { return .text(400, "before_ns is required") }
    let plan: RunDeletion
    if execute {
      plan = try service.commit(exclusive: true) { _, runs, _, _ in
        let (plan, events) = RunDeletion.plan(runs, before: before)
        return (events.map { .run($0) }, plan)
      }
    } else {
      plan = try service.read { _, runs in RunDeletion.plan(runs, before: before).plan }
    }
    return .json(200, plan.wire)
  }

  func artifacts(_ request: HTTPRequest) throws -> HTTPResponse {
    var limit = 200
    if let text = request.query["limit"] {
      guard let n = Int(text), n > 0 else { return .text(400, "limit must be a positive int") }
      limit = n
    }
    switch try run(request.query["run_id"]) {
    case .answer(let response): return response.status == 400 ? .text(400, "run_id is required") : response
    case .found(let run):
      // Newest first, as DriftQ lists them.
      let listed = RunArtifacts.list(run, store: ArtifactStore(directory: service.directory))
      let metas = Array(listed.reversed().sorted { $0.createdAt.nanoseconds > $1.createdAt.nanoseconds }.prefix(limit))
      return .json(200, .object([
        ("ok", .bool(true)), ("run_id", .string(run.runID)), ("count", .int(metas.count)),
        ("artifacts", .array(metas.map(\.json))), ("trace_id", .string(traceID(request))),
      ]))
    }
  }

  /// Ours (`runs-logs`): at most `RunLogs.chunkLimit` bytes of an attempt's log from
  /// `offset`, whether sealed or still being written; what they are in the headers.
  func log(_ request: HTTPRequest) throws -> HTTPResponse {
    let query = request.query
    guard let node = query["node_id"], !node.isEmpty else { return .text(400, "missing node_id") }
    guard let attempt = query["attempt"].flatMap({ Int($0) }), attempt >= 1 else { return .text(400, "attempt must be a positive int") }
    let offset = query["offset"].map { Int($0) } ?? 0
    guard let offset, offset >= 0 else { return .text(400, "offset must be a non-negative int") }
    switch try run(query["run_id"]) {
    case .answer(let response): return response
    case .found(let run):
      guard let execution = run.executions.last(where: { $0.nodeID == node && $0.attempt == attempt }) else {
        return .text(404, "run \(run.runID) has no attempt \(attempt) of node \(node)")
      }
      let chunk: RunLogs.Chunk
      do {
        chunk = try RunLogs.chunk(execution, runID: run.runID, from: offset, limit: RunLogs.chunkLimit, directory: service.directory)
      } catch let failure as CommandFailure {
        return .text(failure.status == .notFound ? 404 : 500, failure.message)
      }
      return HTTPResponse(status: 200, headers: BrokerWire.logChunkHeaders(chunk), body: chunk.bytes)
    }
  }

  private func artifactID(_ request: HTTPRequest) -> Lookup<String> {
    guard let id = request.query["artifact_id"], !id.isEmpty else { return .answer(.text(400, "missing artifact_id")) }
    guard ArtifactStore.isValidID(id) else { return .answer(.text(400, "invalid artifact id")) }
    return .found(id)
  }

  func artifactMeta(_ request: HTTPRequest) -> HTTPResponse {
    switch artifactID(request) {
    case .answer(let response): return response
    case .found(let id):
      guard let meta = try? ArtifactStore(directory: service.directory).meta(id) else { return .text(404, "artifact not found") }
      return .prettyJSON(200, .object([("ok", .bool(true)), ("artifact_id", .string(id)), ("meta", meta.json), ("trace_id", .string(traceID(request)))]))
    }
  }

  func artifactGet(_ request: HTTPRequest) -> HTTPResponse {
    switch artifactID(request) {
    case .answer(let response): return response
    case .found(let id):
      let store = ArtifactStore(directory: service.directory)
      guard let bytes = try? store.bytes(id) else { return .text(404, "artifact not found") }
      let type = (try? store.meta(id))?.contentType ?? "application/octet-stream"
      return HTTPResponse(status: 200, headers: [("Content-Type", type), ("X-Artifact-Id", id), ("X-Artifact-Sha256", id)], body: bytes)
    }
  }

  func activeIndex() throws -> HTTPResponse {
    let version = try service.read { _, runs in runs.activeIndexVersion } ?? ""
    return .json(200, .object([("ok", .bool(true)), ("active_version", .string(version))]))
  }

  func promote(_ request: HTTPRequest) throws -> HTTPResponse {
    let json = body(request)
    let runID = request.query["run_id"].flatMap { $0.isEmpty ? nil : $0 } ?? json?["run_id"]?.stringValue ?? ""
    guard !runID.isEmpty else { return .text(400, "run_id required") }
    let version = request.query["version"].flatMap { $0.isEmpty ? nil : $0 } ?? json?["version"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? runID
    do {
      try service.commit { _, runs, _, _ in
        guard let run = runs.runs[runID] else { throw CommandFailure(.notFound, "run not found") }
        return (try RunsSupport.promotion(of: run, as: version), ())
      }
    } catch let failure as CommandFailure { return .text(400, failure.message) }
    return .json(200, .object([("ok", .bool(true)), ("active_version", .string(version))]))
  }

  func rollback(_ request: HTTPRequest) throws -> HTTPResponse {
    let version = request.query["version"].flatMap { $0.isEmpty ? nil : $0 } ?? body(request)?["version"]?.stringValue ?? ""
    guard !version.isEmpty else { return .text(400, "rollback: version required") }
    do {
      try service.commit { _, runs, _, _ in (try RunsSupport.rollback(to: version, in: runs), ()) }
    } catch let failure as CommandFailure { return .text(400, failure.message) }
    return .json(200, .object([("ok", .bool(true)), ("active_version", .string(version))]))
  }
}
