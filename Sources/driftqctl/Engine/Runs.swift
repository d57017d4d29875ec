#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat

/// The runs as a command sees them, on either face: a local WAL directory (`LocalRuns`) or a
/// DriftQ server's `/debug` runs API (`HTTPRuns`). Chosen once per invocation by
/// `RunsFace.open`. Starting and replaying a run (`runs start|replay|demo`) still choose
/// between executing here and asking the server in their own files.
protocol Runs: AnyObject {
  /// The directory runs execute in, when local: a run whose executor is gone shows as
  /// `interrupted` there (a server's runs never do).
  var directory: String? { get }
  func run(_ id: String) throws -> WorkflowRun
  /// Waits for the run to change (or a second to pass): the run then, and whether its
  /// executor is gone though it has not ended.
  func next(after run: WorkflowRun) throws -> (run: WorkflowRun, interrupted: Bool)
  /// The newest runs first.
  func list(limit: Int) throws -> [RunSummary]
  /// Cancels a run that has not ended: whether it changed, and its status after.
  func cancel(_ id: String, reason: String) throws -> (changed: Bool, status: String)
  func activeIndex() throws -> String?
  func promote(runID: String, version: String) throws -> String
  func rollback(version: String) throws -> String
  func artifacts(runID: String, node: String?) throws -> [ArtifactMeta]
  func artifactMeta(_ id: String) throws -> JSONValue
  func artifact(_ id: String) throws -> (bytes: [UInt8], contentType: String?)
}

/// A run as `runs list` shows it (the workflow and status where the face says them).
struct RunSummary {
  var runID: String
  var workflowID: String?
  var status: String?
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
  static func open(_ globals: GlobalOptions, _ context: CommandContext, asOf point: LogPosition? = nil) throws -> any Runs {
    if point != nil { try globals.requireLocal("--at") }
    if let client = try globals.remote() { return HTTPRuns(client: client) }
    return LocalRuns(backend: try LocalBackend.open(globals, context: context, asOf: point))
  }
}

/// The runs of a WAL directory opened in this process.
final class LocalRuns: Runs {
  let backend: LocalBackend
  private lazy var watcher = DirectoryWatcher(path: backend.directory.walPath)

  init(backend: LocalBackend) { self.backend = backend }

  var directory: String? { backend.directory.path }
  private var store: ArtifactStore { ArtifactStore(directory: backend.directory.path) }

  func run(_ id: String) throws -> WorkflowRun { try RunsSupport.run(id, in: backend.runs) }

  func next(after run: WorkflowRun) throws -> (run: WorkflowRun, interrupted: Bool) {
    if run.status != .queued && !RunLocks.isHeld(directory: backend.directory.path, runID: run.runID) { return (run, true) }
    watcher.wait(milliseconds: 1000)
    try backend.catchUp()
    return (try self.run(run.runID), false)
  }

  func list(limit: Int) throws -> [RunSummary] {
    backend.runs.newestFirst.prefix(limit).map {
      RunSummary(runID: $0.runID, workflowID: $0.workflowID, status: RunRendering.displayStatus($0, directory: backend.directory.path))
    }
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
    try backend.commitAll { _, _, _ in ([.indexPointer(version: version, runID: "")], ()) }
    return version
  }

  func artifacts(runID: String, node: String?) throws -> [ArtifactMeta] {
    RunArtifacts.list(try run(runID), store: store, node: node)
  }

  func artifactMeta(_ id: String) throws -> JSONValue { try store.meta(id).json }

  func artifact(_ id: String) throws -> (bytes: [UInt8], contentType: String?) {
    (try store.bytes(id), (try? store.meta(id))?.contentType)
  }
}

extension HTTPRuns: Runs {
  var directory: String? { nil }

  func next(after run: WorkflowRun) throws -> (run: WorkflowRun, interrupted: Bool) {
    // DriftQ's API has no event stream: a server's run is polled.
    usleep(250_000)
    return (try self.run(run.runID), false)
  }

  func list(limit: Int) throws -> [RunSummary] {
    try listIDs(limit: limit).map { RunSummary(runID: $0, workflowID: nil, status: nil) }
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
}
