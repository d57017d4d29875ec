import ReplayEngine
import WALFormat

/// `runs logs`: a command step's stdout and stderr as it ran, one attempt at a time (the
/// latest by default), from its sealed artifact or, while it runs, its spool; `--follow`
/// keeps printing until the attempt (or the step's last attempt) ends.
struct RunsLogsCommand: Command {
  static let attempt = OptionSpec("attempt", placeholder: "K", help: "This attempt (default: the latest).")
  static let follow = OptionSpec.flag(
    "follow", help: "Keep printing as the step writes, until the attempt ends (without --attempt, the step's last one); exit 0 if it succeeded, 1 if not.")
  static let stream = OptionSpec(
    "stream", placeholder: "STREAM", help: "Only stdout or stderr (default: both, interleaved as they were read).", default: "both",
    values: .choices(LogRendering.Streams.allCases.map(\.rawValue)))
  static let prefix = OptionSpec.flag("prefix", help: "Start each line with its stream (stdout or stderr) and a tab.")
  static let timestamps = OptionSpec.flag("timestamps", help: "Start each line with the time it was read (RFC 3339) and a tab.")
  static let raw = OptionSpec.flag("raw", help: "Print the bytes as the step wrote them (control characters and bytes that are not UTF-8 unescaped).")

  static let spec = CommandSpec(
    ["runs", "logs"], abstract: "A command step's stdout and stderr as it ran, one attempt at a time; --follow while it runs.",
    discussion: """
      Every attempt of a command step keeps its own log, failed ones too: each line with the stream it came from and
      when it was read, the first 3 MiB and the last 1 MiB of it (a note on stderr says where and how much was
      dropped in between). Text output is the lines as the step wrote them, both streams interleaved, control
      characters escaped unless --raw; --prefix and --timestamps start each line with its stream or time.
      -o ndjson prints one object per line ({"attempt","at","stream","text"}), -o json one document
      {"lines":[...],"log":{...}}. With --follow the command waits for the step to start, prints its lines as
      they come and ends when the attempt does (without --attempt, when the step's last attempt does), with its
      outcome: 0 succeeded, 1 failed or canceled. Exit 4 when the node, the attempt or a log for it does not exist
      (a reused output, a built-in handler).
      """,
    options: [.runID, .nodeID, attempt, follow, stream, prefix, timestamps, raw])

  static let worksRemotely = true
  let globals: GlobalOptions
  let runID: String
  let nodeID: String
  let only: Int?
  let following: Bool
  let rendering: LogRendering

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    runID = try args.name(.runID)
    nodeID = try args.name(.nodeID)
    only = try args.integer(Self.attempt, in: 1...1_000_000).map { Int($0) }
    following = args.flag(Self.follow)
    rendering = LogRendering(
      streams: try args.choice(Self.stream, default: .both), prefix: args.flag(Self.prefix), timestamps: args.flag(Self.timestamps),
      raw: args.flag(Self.raw))
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let runs = try RunsFace.open(globals, context)
    let run = try runs.run(runID)
    guard run.spec.node(nodeID) != nil || !run.executions(of: nodeID).isEmpty else {
      let nodes = run.spec.nodes.map(\.id).joined(separator: ", ")
      throw CommandFailure(.notFound, "runs logs: run \(runID) has no node \(GoQuote.quote(nodeID)) (its nodes: \(nodes))")
    }
    var rows = AnswerStream("lines", format: globals.output, out: context.stdout)
    return try rows.finishing(extra: { [("log", $0.summary)] }) { rows in
      try show(run, runs, context, into: &rows)
    }.status
  }

  /// Prints the chosen attempt's log (following it, and the step's later attempts, with
  /// `--follow`); returns the exit status and the log's summary.
  private func show(_ first: WorkflowRun, _ runs: any Runs, _ context: CommandContext, into rows: inout AnswerStream) throws -> (status: ExitStatus, summary: JSONValue) {
    var run = first
    var renderer = rendering
    var shown: Int?
    var offset = 0
    while true {
      let candidates = run.executions(of: nodeID)
      let execution = only.map { k in candidates.last { $0.attempt == k } } ?? candidates.last
      guard let execution else {
        if following && !run.status.isTerminal {
          run = try wait(run, runs, context)
          continue
        }
        if let only {
          let attempts = candidates.map { String($0.attempt) }.joined(separator: ", ")
          throw CommandFailure(.notFound, "runs logs: node \(nodeID) of run \(runID) has no attempt \(only)" + (attempts.isEmpty ? " (it has not run)" : " (its attempts: \(attempts))"))
        }
        throw CommandFailure(.notFound, "runs logs: node \(nodeID) of run \(runID) has not run" + (run.status.isTerminal ? " (the run \(run.status.rawValue))" : " yet"))
      }
      if execution.attempt != shown {
        if shown != nil {
          write(renderer.close(), context)
          context.stdout.flush()
          context.note("attempt \(execution.attempt) of \(nodeID) started")
        }
        shown = execution.attempt
        offset = 0
      }
      if execution.usedCachedOutput {
        let origin = execution.cachedAttempt.map { "attempt \($0)" } ?? "an earlier attempt"
        throw CommandFailure(.notFound, "runs logs: attempt \(execution.attempt) of \(nodeID) did not run: it reused the output of \(origin) of run \(runID), whose log is that attempt's"
          + (execution.cachedAttempt.map { " (driftqctl runs logs --run-id \(runID) --node-id \(nodeID) --attempt \($0))" } ?? ""))
      }
      let chunk = try runs.log(runID: runID, nodeID: nodeID, attempt: execution.attempt, from: offset)
      let (records, consumed): ([StepLogRecord], Int)
      do { (records, consumed) = try StepLogRecord.decodeComplete(chunk.bytes[...]) } catch {
        throw CommandFailure(.corruption, "runs logs: the log of attempt \(execution.attempt) of \(nodeID) is damaged at byte \(offset): \(error)")
      }
      offset += consumed
      for record in records where renderer.shows(record) { print(record, attempt: execution.attempt, &renderer, &rows, context) }
      context.stdout.flush()
      let ended = execution.status != .running && execution.status != .waiting
      if chunk.source == .none && ended && offset == 0 {
        throw CommandFailure(.notFound, "runs logs: attempt \(execution.attempt) of \(nodeID) has no log: " + noLogReason(execution, run))
      }
      // More of it is there already: read on without waiting.
      if consumed > 0 && offset < chunk.size { continue }
      let summary = Self.summary(execution, runID: runID)
      // A last line without a newline is left so, as the step wrote it.
      if !following || context.stdout.isBroken {
        return (.success, summary)
      }
      if ended && chunk.complete {
        // The step's last attempt: it succeeded, or the run will not try it again.
        if only != nil || execution.status == .succeeded || run.status.isTerminal {
          return (execution.status == .succeeded ? .success : .failure, summary)
        }
      }
      run = try wait(run, runs, context)
    }
  }

  /// The run after it (or a log of it) changed; an interrupted run ends the command.
  private func wait(_ run: WorkflowRun, _ runs: any Runs, _ context: CommandContext) throws -> WorkflowRun {
    let (latest, interrupted) = try runs.nextLog(after: run)
    if interrupted {
      throw CommandFailure(.failure, "run \(runID) is interrupted (no process is executing it); 'driftqctl runs resume --run-id \(runID)' finishes it")
    }
    return latest
  }

  private func print(_ record: StepLogRecord, attempt: Int, _ renderer: inout LogRendering, _ rows: inout AnswerStream, _ context: CommandContext) {
    if let note = LogRendering.note(record, node: nodeID, attempt: attempt) {
      write(renderer.close(), context)
      context.stdout.flush()
      context.warn(note)
    }
    if globals.output == .text { write(renderer.text(record), context) } else { rows.row(LogRendering.json(record, attempt: attempt)) }
  }

  private func write(_ bytes: [UInt8], _ context: CommandContext) {
    if globals.output == .text && !bytes.isEmpty { context.stdout.write(bytes: bytes) }
  }

  /// Why an attempt that ended has no log.
  private func noLogReason(_ execution: NodeExecution, _ run: WorkflowRun) -> String {
    if let node = run.spec.node(nodeID), node.run == nil { return "node \(nodeID) runs the built-in handler \(node.topic), which writes none" }
    if let error = execution.error { return "its command left none (\(error))" }
    return "its command left none"
  }

  /// The `log` member of `-o json`: which attempt, how it ended, and what its log holds.
  static func summary(_ execution: NodeExecution, runID: String) -> JSONValue {
    var members: [(String, JSONValue)] = [
      ("run_id", .string(runID)), ("node_id", .string(execution.nodeID)), ("attempt", .int(execution.attempt)),
      ("status", .string(execution.status.rawValue)), ("sealed", .bool(execution.log != nil)),
    ]
    if let log = execution.log, case .object(let parts) = log.json { members += parts }
    return .object(members)
  }
}
