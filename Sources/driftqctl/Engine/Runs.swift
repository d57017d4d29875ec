#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat

/// The runs as a command sees them, on either face: a local WAL directory (`LocalRuns`) or a
/// DriftQ server's `/debug` runs API (`HTTPRuns`). Chosen once per invocation by
/// `RunsFace.open`. Locally a run executes in this process (or a detached child); over HTTP
/// the server executes it and answers when it ends.
protocol Runs: AnyObject {
  /// The directory runs execute in, when local: a run whose executor is gone shows as
  /// `interrupted` there (a server's runs never do).
  var directory: String? { get }
  func run(_ id: String) throws -> WorkflowRun
  /// Waits for the run to change (or a second to pass): the run then, and whether its
  /// executor is gone though it has not ended.
  func next(after run: WorkflowRun) throws -> (run: WorkflowRun, interrupted: Bool)
  /// A page of the runs `query` matches, newest first.
  func list(_ query: RunListQuery) throws -> RunListPage
  /// Cancels a run that has not ended: whether it changed, and its status after.
  func cancel(_ id: String, reason: String) throws -> (changed: Bool, status: String)
  func activeIndex() throws -> String?
  func promote(runID: String, version: String) throws -> String
  func rollback(version: String) throws -> String
  func artifacts(runID: String, node: String?) throws -> [ArtifactMeta]
  func artifactMeta(_ id: String) throws -> JSONValue
  func artifact(_ id: String) throws -> (bytes: [UInt8], contentType: String?)
  /// Part of an attempt's log from `offset` (sealed, or as far as it is written).
  func log(runID: String, nodeID: String, attempt: Int, from offset: Int) throws -> RunLogs.Chunk
  /// Waits for the run or a log of it to change (or a second to pass), as `next(after:)`.
  func nextLog(after run: WorkflowRun) throws -> (run: WorkflowRun, interrupted: Bool)
  /// Creates `runID` and runs it to its end; detached, starts it and returns at once (nil).
  /// `quiet`: a run that fails is not reported on stderr (the caller tells its story).
  func start(spec: WorkflowSpec, input: JSONValue, runID: String, detach: Bool, quiet: Bool) throws -> (run: WorkflowRun?, status: ExitStatus)
  /// Replays a run: how it was before, how it ended, and (locally) why each step ran or not.
  func replay(_ id: String, from: String?, mode: String, newSpec: WorkflowSpec?) throws -> RunReplay
  /// DriftQ's demo workflow (`wf_demo`) with input `{"x":1}`, run to its end.
  func demo() throws -> (run: WorkflowRun, status: ExitStatus)
  /// Finishes an interrupted (or waiting) run; steps that succeeded are not run again.
  func resume(_ id: String) throws -> (run: WorkflowRun, status: ExitStatus)
  /// Deletes the finished runs that ended before `before` (`execute`), or says which it would.
  func delete(before: WALTimestamp, execute: Bool) throws -> RunDeletion
}

/// What a replay did.
struct RunReplay {
  var before: WorkflowRun
  var run: WorkflowRun
  var status: ExitStatus
  /// Why each step was reused or re-run, as its events recorded (the same on both faces).
  var explanations: [(node: String, reason: String)] { run.replayReasons(since: before) }
}

extension Runs {
  /// An attempt's output, read from its artifact when it spilled.
  func output(of execution: NodeExecution) throws -> JSONValue? {
    try StepOutput.load(execution) { try self.artifact($0).bytes }
  }
}

enum RunsFace {
  /// The runs of `globals`: the server's with a URL, else the directory's (folded up to
  /// `asOf` when given, which is local only).
  /// `creating`: the commands that start runs create a missing directory.
  static func open(_ globals: GlobalOptions, _ context: CommandContext, asOf point: LogPosition? = nil, creating: Bool = false) throws -> any Runs {
    if point != nil { try globals.requireLocal("--at") }
    if let client = try globals.remote(context) { return HTTPRuns(client: client, context: context) }
    return LocalRuns(
      backend: try LocalBackend.open(globals, context: context, creating: creating, asOf: point), globals: globals, context: context,
      isPast: point != nil)
  }
}

/// The runs of a WAL directory opened in this process.
final class LocalRuns: Runs {
  let backend: LocalBackend
  private let globals: GlobalOptions
  private let context: CommandContext
  /// Folded as of a point in the past (`--at`): whether a process executes a run now says
  /// nothing about then.
  private let isPast: Bool
  private lazy var watcher = DirectoryWatcher(path: backend.directory.walPath)
  /// Watches the spools' directory (made when a run first executes, so looked for again).
  private var spoolWatcher: DirectoryWatcher?

  init(backend: LocalBackend, globals: GlobalOptions, context: CommandContext, isPast: Bool = false) {
    self.backend = backend
    self.globals = globals
    self.context = context
    self.isPast = isPast
  }

  /// The directory, for telling a run still executing from one whose executor is gone; nil
  /// as of a past point, where a run that was running shows as `running`.
  var directory: String? { isPast ? nil : backend.directory.path }
  private var store: ArtifactStore { ArtifactStore(directory: backend.directory.path) }

  func run(_ id: String) throws -> WorkflowRun { try RunsSupport.run(id, in: backend.runs) }

  func next(after run: WorkflowRun) throws -> (run: WorkflowRun, interrupted: Bool) {
    if run.status != .queued && !RunLocks.isHeld(directory: backend.directory.path, runID: run.runID) { return (run, true) }
    watcher.wait(milliseconds: 1000)
    try backend.catchUp()
    return (try self.run(run.runID), false)
  }

  func nextLog(after run: WorkflowRun) throws -> (run: WorkflowRun, interrupted: Bool) {
    if run.status != .queued && !RunLocks.isHeld(directory: backend.directory.path, runID: run.runID) { return (run, true) }
    if spoolWatcher.map({ $0.descriptor < 0 }) ?? true { spoolWatcher = DirectoryWatcher(path: RunLogs.spoolDirectory(backend.directory.path)) }
    var requests = [watcher.descriptor, spoolWatcher?.descriptor ?? -1].filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    // Without a watch on the spools, a step's lines are looked for every 50 ms.
    _ = poll(&requests, nfds_t(requests.count), requests.count == 2 ? 1000 : 50)
    watcher.drain()
    spoolWatcher?.drain()
    try backend.catchUp()
    return (try self.run(run.runID), false)
  }

  func log(runID: String, nodeID: String, attempt: Int, from offset: Int) throws -> RunLogs.Chunk {
    let run = try run(runID)
    guard let execution = run.executions.last(where: { $0.nodeID == nodeID && $0.attempt == attempt }) else {
      throw CommandFailure(.notFound, "run \(runID) has no attempt \(attempt) of node \(nodeID)")
    }
    return try RunLogs.chunk(execution, runID: runID, from: offset, limit: StepLogCapture.maximumStoredBytes, directory: backend.directory.path)
  }

  func list(_ query: RunListQuery) throws -> RunListPage {
    let directory = directory
    return try query.page(backend.runs.newestFirst.lazy.map { RunSummary($0, status: RunRendering.displayStatus($0, directory: directory)) })
  }

  func cancel(_ id: String, reason: String) throws -> (changed: Bool, status: String) {
    let changed = try backend.commitAll { _, runs, _ in
      let run = try RunsSupport.run(id, in: runs)
      guard let event = RunDecider.cancel(run, reason: reason) else { return ([LogEvent](), false) }
      return ([.run(event)], true)
    }
    return (changed, backend.runs.runs[id]?.status.rawValue ?? "?")
  }

  func activeIndex() throws -> String? { backend.runs.activeIndexVersion }

  func promote(runID: String, version: String) throws -> String {
    try backend.commitAll { _, runs, _ in
      (try RunsSupport.promotion(of: try RunsSupport.run(runID, in: runs), as: version), ())
    }
    return version
  }

  func rollback(version: String) throws -> String {
    try backend.commitAll { _, runs, _ in (try RunsSupport.rollback(to: version, in: runs), ()) }
    return version
  }

  func delete(before: WALTimestamp, execute: Bool) throws -> RunDeletion {
    guard execute else { return RunDeletion.plan(backend.runs, before: before).plan }
    return try backend.commitAll { _, runs, _ in
      let (plan, events) = RunDeletion.plan(runs, before: before)
      return (events.map { .run($0) }, plan)
    }
  }

  func artifacts(runID: String, node: String?) throws -> [ArtifactMeta] {
    RunArtifacts.list(try run(runID), store: store, node: node)
  }

  func artifactMeta(_ id: String) throws -> JSONValue { try store.meta(id).json }

  func artifact(_ id: String) throws -> (bytes: [UInt8], contentType: String?) {
    (try store.bytes(id), (try? store.meta(id))?.contentType)
  }

  func start(spec: WorkflowSpec, input: JSONValue, runID: String, detach: Bool, quiet: Bool) throws -> (run: WorkflowRun?, status: ExitStatus) {
    try RunsSupport.create(backend, spec: spec, input: input, runID: runID)
    if detach {
      try RunChild.detach(runID: runID, directory: backend.directory.path, sync: globals.walOptions.sync)
      return (nil, .success)
    }
    return try RunsSupport.execute(backend, runID: runID, context: context, quiet: quiet)
  }

  func replay(_ id: String, from: String?, mode: String, newSpec: WorkflowSpec?) throws -> RunReplay {
    let before = try run(id)
    if RunLocks.isHeld(directory: backend.directory.path, runID: id, patiently: true) {
      throw CommandFailure(.unavailable, "run \(id) is being executed by another process")
    }
    try backend.commitAll { _, runs, _ in
      let run = try RunsSupport.run(id, in: runs)
      do {
        return ([.run(try RunDecider.replay(run, fromStep: from, mode: mode, newSpec: newSpec))], ())
      } catch let error as SpecError {
        throw CommandFailure(.failure, error.message)
      }
    }
    let (run, status) = try RunsSupport.execute(backend, runID: id, context: context)
    return RunReplay(before: before, run: run, status: status)
  }

  func demo() throws -> (run: WorkflowRun, status: ExitStatus) {
    let runID = RunsSupport.newRunID(prefix: "demo", now: context.clock())
    try RunsSupport.create(backend, spec: try DemoWorkflows.demo(), input: .object([("x", .int(1))]), runID: runID)
    return try RunsSupport.execute(backend, runID: runID, context: context)
  }

  func resume(_ id: String) throws -> (run: WorkflowRun, status: ExitStatus) {
    _ = try run(id)
    return try RunsSupport.execute(backend, runID: id, context: context)
  }
}

extension HTTPRuns: Runs {
  var directory: String? { nil }

  /// Starts a run on the server (DriftQ answers when it ends), then reads how it ended.
  func runToEnd(_ path: String, body: JSONValue?, runID: String?, action: String, quiet: Bool = false) throws -> (run: WorkflowRun, status: ExitStatus) {
    let answer = try start(path, body: body, action: action)
    guard let id = answer["run_id"]?.stringValue ?? runID else {
      throw CommandFailure(.failure, "\(action): the server did not say which run it started: \(JSONWriter.encode(answer))")
    }
    let run = try run(id)
    return (run, RunsSupport.verdict(run, context: context, quiet: quiet))
  }


  func next(after run: WorkflowRun) throws -> (run: WorkflowRun, interrupted: Bool) {
    // DriftQ's API has no event stream: a server's run is polled.
    usleep(250_000)
    return (try self.run(run.runID), false)
  }

  func nextLog(after run: WorkflowRun) throws -> (run: WorkflowRun, interrupted: Bool) { try next(after: run) }

  /// With driftqctl's `runs-list` extension, the server filters and pages (in parts of 500,
  /// DriftQ's most). Against DriftQ-Core, whose `/debug/runs` gives the newest 500 ids and
  /// nothing else, each run's state is read when details or filters need it, and a listing
  /// that reaches past those 500 says that older runs are left out.
  func list(_ query: RunListQuery) throws -> RunListPage {
    if try client.advertises(BrokerWire.Extension.runsList.rawValue) {
      var page = RunListPage()
      var after = query.after
      repeat {
        let part = try listPart(query, count: min(RunListQuery.serverPage, query.limit - page.runs.count), after: after)
        page.runs += part.runs
        after = part.nextAfter
      } while after != nil && page.runs.count < query.limit
      page.nextAfter = after
      return page
    }
    let ids = try listIDs(limit: RunListQuery.serverPage)
    func summary(_ id: String) throws -> RunSummary {
      let run = try self.run(id)
      return RunSummary(run, status: run.status.rawValue)
    }
    var page: RunListPage
    if query.isFiltered {
      page = try query.page(try ids.map(summary))
    } else {
      // Paged on the ids first, so only the runs shown are read.
      page = try query.page(ids.map(RunSummary.init(runID:)))
      if query.details { page.runs = try page.runs.map { try summary($0.runID) } }
    }
    if page.nextAfter == nil && ids.count >= RunListQuery.serverPage {
      context.warn("\(client.base) lists only its newest \(RunListQuery.serverPage) runs (DriftQ's /debug/runs has no paging): older runs are left out")
    }
    return page
  }

  func cancel(_ id: String, reason: String) throws -> (changed: Bool, status: String) {
    // DriftQ answers canceled:true even for a finished run: the run's status says.
    let before = try run(id)
    try requestCancel(id, reason: reason)
    let after = try run(id)
    return (!before.status.isTerminal && after.status == .canceled, after.status.rawValue)
  }

  func activeIndex() throws -> String? {
    let active = try activeIndexVersion()
    return active.isEmpty ? nil : active
  }

  func artifacts(runID: String, node: String?) throws -> [ArtifactMeta] {
    // Filtered and ordered here, as the Go tool does with the server's list.
    RunArtifacts.ordered(try artifactList(runID).filter { node == nil || $0.nodeID == node })
  }

  func start(spec: WorkflowSpec, input: JSONValue, runID: String, detach: Bool, quiet: Bool) throws -> (run: WorkflowRun?, status: ExitStatus) {
    var body: [(String, JSONValue)] = [("run_id", .string(runID)), ("spec", spec.json), ("input", input)]
    guard detach else {
      let (run, status) = try runToEnd("/debug/run-spec", body: .object(body), runID: runID, action: "runs start", quiet: quiet)
      return (run, status)
    }
    try client.require(.runsDetach, "way to start a run detached (/debug/run-spec \"detach\")")
    body.append(("detach", .bool(true)))
    _ = try start("/debug/run-spec", body: .object(body), action: "runs start")
    return (nil, .success)
  }

  func replay(_ id: String, from: String?, mode: String, newSpec: WorkflowSpec?) throws -> RunReplay {
    let before = try run(id)
    var body: [(String, JSONValue)] = [("run_id", .string(id)), ("from_step", .string(from ?? "")), ("mode", .string(mode))]
    if let newSpec { body.append(("spec", newSpec.json)) }
    let (run, status) = try runToEnd("/debug/run-replay", body: .object(body), runID: id, action: "runs replay")
    return RunReplay(before: before, run: run, status: status)
  }

  func demo() throws -> (run: WorkflowRun, status: ExitStatus) {
    try runToEnd("/debug/run-demo", body: nil, runID: nil, action: "runs demo")
  }

  func delete(before: WALTimestamp, execute: Bool) throws -> RunDeletion {
    try client.require(.lifecycle, "run delete API (/debug/runs/delete)")
    let response = try client.send("POST", "/debug/runs/delete", json: RunDeletion.request(before: before, execute: execute))
    guard (200..<300).contains(response.status) else { throw HTTPClient.failure(response, action: "runs delete") }
    do { return try RunDeletion(wire: response.json) } catch { throw CommandFailure(.failure, "runs delete: \(error)") }
  }

  func resume(_ id: String) throws -> (run: WorkflowRun, status: ExitStatus) {
    try client.require(.runsResume, "run-resume API (/debug/run-resume)")
    _ = try run(id)
    return try runToEnd("/debug/run-resume", body: .object([("run_id", .string(id))]), runID: id, action: "runs resume")
  }
}
