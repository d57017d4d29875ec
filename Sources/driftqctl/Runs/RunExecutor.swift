import CDriftQ
#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat

/// Runs a workflow run to its end: decides (under the writer lock, on the fresh state),
/// starts steps, waits for any of them, a timer, or a change to the log (a cancel from another
/// process), records results, and repeats. Every decision is an event in the log first, so a
/// killed executor leaves a run that `runs resume` finishes without redoing finished steps.
final class RunExecutor {
  private let backend: LocalBackend
  private let context: CommandContext
  let runID: String
  private let artifacts: ArtifactStore
  private var lockFD: Int32 = -1
  private var active: [String: Active] = [:]

  private struct Active {
    var start: RunDecider.Start
    var startedAt: WALTimestamp
    var work: Work
  }

  private enum Work {
    case builtIn(BuiltInHandlers.Outcome, readyAt: WALTimestamp)
    case command(CommandStep, deadline: WALTimestamp?)
  }

  init(backend: LocalBackend, context: CommandContext, runID: String) {
    self.backend = backend
    self.context = context
    self.runID = runID
    artifacts = ArtifactStore(directory: backend.directory.path)
  }

  deinit {
    for item in active.values { if case .command(let step, _) = item.work { step.stop() } }
    if lockFD >= 0 { close(lockFD) }
  }

  /// Takes `DIR/runs/<id>.lock`, so one process executes a run at a time (and a run whose
  /// lock nobody holds, but which has running steps, was interrupted).
  func lockRun() throws {
    let directory = backend.directory.path + "/runs"
    do {
      try Syscalls.makeDirectory(directory)
      lockFD = try Syscalls.open(RunLocks.path(directory: backend.directory.path, runID: runID), flags: O_RDWR | O_CREAT)
      // Looked at for up to 50 ms, as `RunLocks.isHeld(patiently:)` does: a child spawned
      // just before the holder let go can hold its descriptor until the child execs.
      var locked = try Syscalls.tryLockExclusive(lockFD)
      for _ in 0..<5 where !locked {
        usleep(10_000)
        locked = try Syscalls.tryLockExclusive(lockFD)
      }
      guard locked else {
        throw CommandFailure(.unavailable, "run \(runID) is being executed by another process")
      }
      // The holder's pid, for operators (and `kill`): informational, the flock is what counts.
      try Syscalls.ftruncate(lockFD, 0)
      try Syscalls.pwriteAll(lockFD, Array("\(getpid())\n".utf8), at: 0)
    } catch let errno as Errno {
      throw CommandFailure(.failure, "cannot lock run \(runID): \(errno)")
    }
  }

  /// Drives the run until it succeeds, fails or is canceled; returns its final state.
  func run() throws -> WorkflowRun {
    let watcher = DirectoryWatcher(path: backend.directory.walPath)
    driftq_install_stop_handlers()
    while true {
      if driftq_stop_signal() != 0 {
        // Stop what this process started; the run stays resumable (interrupted).
        stopAll()
        throw CommandFailure(.failure, "stopped by signal \(driftq_stop_signal()); the run is interrupted: finish it with 'driftqctl runs resume --run-id \(runID)'")
      }
      let step = try backend.commitAll { _, runs, now in
        let run = try RunsSupport.run(runID, in: runs)
        let step = try RunDecider.next(run, now: now, runningHere: Set(active.keys), output: loadOutput)
        return (step.events.map { .run($0) }, step)
      }
      guard let run = backend.runs.runs[runID] else { throw CommandFailure(.notFound, "run not found: \(runID)") }
      if run.status.isTerminal {
        stopAll()
        return run
      }
      for start in step.start { launch(start, run: run) }
      if !step.events.isEmpty && active.isEmpty { continue }
      wait(until: step.wakeAt, watcher: watcher)
      try collect()
    }
  }

  private func launch(_ start: RunDecider.Start, run: WorkflowRun) {
    let now = context.clock()
    if let command = start.node.run {
      var environment = context.environment
      let usageFile = "\(backend.directory.path)/runs/\(RunLocks.safeName(runID)).\(start.node.id.utf8.count)-\(SHA256.hex(Array(start.node.id.utf8)).prefix(8)).\(start.attempt).usage"
      environment["DRIFTQ_USAGE_FILE"] = usageFile
      environment["DRIFTQ_RUN_ID"] = runID
      environment["DRIFTQ_NODE_ID"] = start.node.id
      environment["DRIFTQ_ATTEMPT"] = String(start.attempt)
      // stdout and stderr as they come: spooled for followers, sealed when the attempt ends.
      let directory = backend.directory.path
      let spool = RunLogs.openSpool(directory: directory, runID: runID, nodeID: start.node.id, attempt: start.attempt).map(StepLogSpool.init(fd:))
      let log = StepLogCapture(clock: context.clock, spool: spool.map { spool in { spool.append($0) } })
      do {
        let process = try CommandStep.start(
          command, input: Array(JSONWriter.encode(start.input).utf8) + [10], environment: environment, usageFile: usageFile, log: log)
        active[start.node.id] = Active(start: start, startedAt: now, work: .command(process, deadline: start.node.timeoutMs.map { now.adding(milliseconds: $0) }))
      } catch let failure as CommandStep.StepStartError {
        let outcome = BuiltInHandlers.Outcome(result: .failure(error: failure.message, usage: Usage()))
        active[start.node.id] = Active(start: start, startedAt: now, work: .builtIn(outcome, readyAt: now))
      } catch {
        let outcome = BuiltInHandlers.Outcome(result: .failure(error: "\(error)", usage: Usage()))
        active[start.node.id] = Active(start: start, startedAt: now, work: .builtIn(outcome, readyAt: now))
      }
    } else {
      var outcome = BuiltInHandlers.run(start.node, input: start.input, attempt: start.attempt)
      if let timeout = start.node.timeoutMs, outcome.durationMs > timeout {
        outcome = BuiltInHandlers.Outcome(result: .failure(error: "context deadline exceeded", usage: Usage()), durationMs: timeout)
      }
      active[start.node.id] = Active(start: start, startedAt: now, work: .builtIn(outcome, readyAt: now.adding(milliseconds: outcome.durationMs)))
    }
  }

  /// Waits for a step to need attention, a timer, the next wake time, or a change to the log.
  private func wait(until wakeAt: WALTimestamp?, watcher: DirectoryWatcher) {
    var deadline = context.clock().adding(milliseconds: 1000)
    if let wakeAt { deadline = min(deadline, wakeAt) }
    var requests: [pollfd] = []
    for item in active.values {
      switch item.work {
      case .builtIn(_, let readyAt): deadline = min(deadline, readyAt)
      case .command(let step, let limit):
        requests += step.pollRequests
        if let limit { deadline = min(deadline, limit) }
        if requests.isEmpty || step.pollRequests.isEmpty { deadline = min(deadline, context.clock().adding(milliseconds: 10)) }
      }
    }
    if watcher.descriptor >= 0 { requests.append(pollfd(fd: watcher.descriptor, events: Int16(POLLIN), revents: 0)) }
    let timeout = max(0, Int((deadline.nanoseconds - context.clock().nanoseconds) / 1_000_000) + 1)
    _ = poll(&requests, nfds_t(requests.count), Int32(clamping: timeout))
    watcher.drain()
    for item in active.values { if case .command(let step, _) = item.work { step.pump() } }
  }

  /// Records every step that finished (or timed out) in one write.
  private func collect() throws {
    let now = context.clock()
    var done: [(Active, StepResult)] = []
    for (node, item) in active {
      switch item.work {
      case .builtIn(let outcome, let readyAt):
        guard readyAt <= now else { continue }
        done.append((item, outcome.result))
      case .command(let step, let deadline):
        if let deadline, deadline <= now, !step.isFinished {
          step.stop()
          done.append((item, .failure(error: "context deadline exceeded", usage: CommandStep.usage(from: step.usageFile))))
        } else if step.isFinished {
          done.append((item, step.result(workerMs: (now.nanoseconds - item.startedAt.nanoseconds) / 1_000_000)))
        } else {
          continue
        }
      }
      active[node] = nil
    }
    guard !done.isEmpty else { return }
    var results: [(Active, StepResult, StepLogRef?)] = []
    for (item, result) in done { results.append((item, try storeLargeOutput(result, item), try sealLog(item))) }
    try backend.commitAll { _, runs, now in
      // Each result is decided on a state that includes the ones before it in this write.
      var preview = runs
      var events: [RunEvent] = []
      for (item, result, log) in results {
        guard let run = preview.runs[runID], !run.status.isTerminal else { break }
        let recorded = RunDecider.finish(run, item.start, result: result, log: log, startedAt: item.startedAt, now: now)
        for event in recorded { try preview.apply(event, at: now) }
        events += recorded
      }
      return (events.map { .run($0) }, ())
    }
    // The events name the sealed logs now: the spools are no longer needed.
    for (item, _, log) in results where log != nil {
      RunLogs.removeSpool(directory: backend.directory.path, runID: runID, nodeID: item.start.node.id, attempt: item.start.attempt)
    }
  }

  /// A command step's stdout and stderr, sealed into the artifact store (before the event
  /// that names it, as every artifact).
  private func sealLog(_ item: Active) throws -> StepLogRef? {
    guard case .command(let step, _) = item.work, let log = step.log, let run = backend.runs.runs[runID] else { return nil }
    return try RunLogs.seal(log, run: run, nodeID: item.start.node.id, attempt: item.start.attempt, store: artifacts, now: context.clock())
  }

  /// Outputs over the inline limit (and every demo output) become artifacts first.
  private func storeLargeOutput(_ result: StepResult, _ item: Active) throws -> StepResult {
    guard case .success(let output?, nil, let usage, let workerMs, _) = result else { return result }
    let text = JSONWriter.encode(output)
    let demo = item.start.node.topic == "demo_add_one" || item.start.node.topic == "demo_double"
    guard text.utf8.count > RunDecider.inlineLimit || demo else { return result }
    guard let run = backend.runs.runs[runID] else { return result }
    let meta = try artifacts.put(Array(text.utf8), meta: ArtifactMeta(
      id: "", contentType: "application/json", size: 0, createdAt: context.clock(), runID: runID, workflowID: run.workflowID,
      nodeID: item.start.node.id, attempt: item.start.attempt, labels: ["kind": demo ? "node_output" : "step_output"],
      description: demo ? "demo node \(item.start.node.id) output" : "output of node \(item.start.node.id)",
      originalName: "\(item.start.node.id).output.json"))
    if demo { return .success(output: output, artifact: nil, usage: usage, workerMs: workerMs, attachments: [meta.id]) }
    return .success(output: nil, artifact: meta, usage: usage, workerMs: workerMs)
  }

  /// A node's output: inline, or read back from its artifact.
  func loadOutput(_ execution: NodeExecution) throws -> JSONValue {
    try StepOutput.load(execution) { try artifacts.bytes($0) } ?? .null
  }

  private func stopAll() {
    for item in active.values { if case .command(let step, _) = item.work { step.stop() } }
    active.removeAll()
  }
}

/// Where run locks live, and run ids that are safe as file names.
enum RunLocks {
  static func path(directory: String, runID: String) -> String { "\(directory)/runs/\(safeName(runID)).lock" }

  /// Run ids are checked to be safe when created; this only guards against ones that are not.
  static func safeName(_ runID: String) -> String {
    String(runID.map { $0.isLetter || $0.isNumber || "._:-".contains($0) ? $0 : "_" })
  }

  /// Whether some process holds the run's lock (is executing it now).
  ///
  /// `patiently`: a lock seen held is looked at again for up to 50 ms before it counts. A
  /// process that spawns a child shares its descriptors with the child until the child
  /// execs, so a lock just released can look held for that moment; a command about to
  /// write (a replay) waits it out instead of refusing.
  static func isHeld(directory: String, runID: String, patiently: Bool = false) -> Bool {
    for look in 0..<(patiently ? 6 : 1) {
      if look > 0 { usleep(10_000) }
      guard let fd = try? Syscalls.open(path(directory: directory, runID: runID), flags: O_RDONLY) else { return false }
      defer { Syscalls.close(fd) }
      guard let acquired = try? Syscalls.tryLockExclusive(fd) else { return false }
      if acquired {
        Syscalls.unlock(fd)
        return false
      }
    }
    return true
  }
}
