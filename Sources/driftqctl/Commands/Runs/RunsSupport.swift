import ReplayEngine
import WALFormat

/// What the `runs` commands share: option specs, run lookup, run ids.
extension OptionSpec {
  static let runID = OptionSpec("run-id", placeholder: "ID", help: "The run.", required: true)
  static let nodeID = OptionSpec("node-id", placeholder: "NODE", help: "The node (step) id.", required: true)
}

/// A command whose only option is `--run-id`: it is parsed once, here.
protocol RunIDCommand: Command {
  init(globals: GlobalOptions, runID: String)
}

extension RunIDCommand {
  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.init(globals: globals, runID: try args.name(.runID))
  }
}

/// A command that reads one run, optionally as of a point in the log (`--at`).
protocol RunReadCommand: Command {
  init(globals: GlobalOptions, runID: String, at: LogPosition?)
}

extension RunReadCommand {
  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.init(globals: globals, runID: try args.name(.runID), at: try AsOf.parse(&args, command: Self.spec.path))
  }
}

enum RunsSupport {
  /// The run, or exit 4 `run not found`.
  static func run(_ id: String, in backend: LocalBackend) throws -> WorkflowRun {
    try run(id, in: backend.runs)
  }

  /// The run `id` in `runs`, or exit 4 "run not found: ID".
  static func run(_ id: String, in runs: RunsState) throws -> WorkflowRun {
    guard let run = runs.runs[id] else { throw CommandFailure(.notFound, "run not found: \(id)") }
    return run
  }

  /// The run from the chosen face, and its directory when local (for `interrupted`).
  static func load(_ id: String, globals: GlobalOptions, context: CommandContext, asOf: LogPosition? = nil) throws -> (run: WorkflowRun, directory: String?) {
    let runs = try RunsFace.open(globals, context, asOf: asOf)
    return (try runs.run(id), runs.directory)
  }

  /// Run ids become file names (run locks): letters, digits and `._:-`, not starting with a dot.
  static func checkRunID(_ id: String) throws {
    guard !id.isEmpty, id.utf8.count <= 200, !id.hasPrefix("."),
      id.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || "._:-".contains($0) })
    else { throw CommandFailure(.usage, "invalid run id \"\(id)\": use 1-200 of A-Z a-z 0-9 . _ : - (not starting with a dot)") }
  }

  /// DriftQ's generated ids: `<prefix>-20060102T150405.000000000Z`.
  static func newRunID(prefix: String, now: WALTimestamp) -> String {
    let text = RFC3339.format(now)  // 2026-11-21T15:08:17.123456789Z (fraction trimmed)
    let date = text.prefix(10).replacingAll("-", with: "")
    let clock = text.dropFirst(11).prefix(8).replacingAll(":", with: "")
    var nanos = String(((now.nanoseconds % 1_000_000_000) + 1_000_000_000) % 1_000_000_000)
    nanos = String(repeating: "0", count: 9 - nanos.count) + nanos
    return "\(prefix)-\(date)T\(clock).\(nanos)Z"
  }

  /// Reads and validates a workflow spec file (DriftQ's messages for a bad spec).
  static func loadSpec(_ path: String) throws -> WorkflowSpec {
    let bytes: [UInt8]
    do { bytes = try Syscalls.readSmallFile(path, limit: 16 << 20) } catch {
      throw CommandFailure(error == .noSuchFile ? .notFound : .failure, "cannot read --workflow \(path): \(error)")
    }
    return try parseSpec(bytes, origin: path)
  }

  static func parseSpec(_ bytes: [UInt8], origin: String) throws -> WorkflowSpec {
    let json: JSONValue
    do { json = try JSONParser.parse(bytes: bytes) } catch { throw CommandFailure(.failure, "\(origin): \(error)") }
    do { return try WorkflowSpec(json: json) } catch { throw CommandFailure(.failure, "\(origin): \(error.message)") }
  }

  static func parseInput(_ text: String?) throws -> JSONValue {
    guard let text else { return .object([]) }
    do { return try JSONParser.parse(text) } catch { throw CommandFailure(.usage, "--input is not JSON: \(error)") }
  }

  /// The event that creates a run, refused when the id is taken (`runs start` and `serve`).
  static func creation(runID: String, spec: WorkflowSpec, input: JSONValue, in runs: RunsState) throws -> [LogEvent] {
    guard runs.runs[runID] == nil else { throw CommandFailure(.failure, "run already exists: \(runID)") }
    return [.run(RunDecider.create(runID: runID, spec: spec, input: input))]
  }

  /// The event that makes `run` the active index as `version`: only a succeeded run can be.
  static func promotion(of run: WorkflowRun, as version: String) throws -> [LogEvent] {
    guard run.status == .succeeded else { throw CommandFailure(.failure, "promote: run \(run.runID) status=\(run.status.rawValue) (need succeeded)") }
    return [.indexPointer(version: version, runID: run.runID)]
  }

  /// The event that makes `version` active again: only a version some run was promoted as
  /// (DriftQ accepts any text, so a typo silently pointed the index at nothing).
  static func rollback(to version: String, in runs: RunsState) throws -> [LogEvent] {
    guard runs.promotedVersions.contains(version) else {
      let known = runs.promotedVersions.isEmpty ? "no version was ever promoted" : "promoted: " + runs.promotedVersions.joined(separator: ", ")
      throw CommandFailure(.failure, "rollback: version \(version) was never promoted (\(known))")
    }
    return [.indexPointer(version: version, runID: "")]
  }

  /// Creates a run durably (its spec and input are in the log, so replay works after any
  /// restart) and returns its id.
  static func create(_ backend: LocalBackend, spec: WorkflowSpec, input: JSONValue, runID: String) throws {
    try checkRunID(runID)
    try backend.commitAll { _, runs, _ in
      (try creation(runID: runID, spec: spec, input: input, in: runs), ())
    }
  }

  /// Runs `runID` in this process until it ends; the exit status says how it ended.
  static func execute(_ backend: LocalBackend, runID: String, context: CommandContext, quiet: Bool = false) throws -> (run: WorkflowRun, status: ExitStatus) {
    let executor = RunExecutor(backend: backend, context: context, runID: runID)
    try executor.lockRun()
    let run = try executor.run()
    return (run, verdict(run, context: context, quiet: quiet))
  }

  /// Exit 0 for a succeeded run; otherwise 1, and why on standard error unless `quiet`.
  static func verdict(_ run: WorkflowRun, context: CommandContext, quiet: Bool = false) -> ExitStatus {
    let status: ExitStatus = run.status == .succeeded ? .success : .failure
    if !quiet && run.status != .succeeded {
      var reason = run.status == .canceled ? "run canceled" : "run failed"
      if let node = run.failedNode {
        let error = run.current(node)?.error ?? run.executions(of: node).last?.error ?? ""
        reason += ": node \(node) failed" + (error.isEmpty ? "" : ": \(error)")
      } else if let terminal = run.terminalReason {
        reason += ": \(terminal.replacingAll("_", with: " "))"
        if let why = run.terminalMeta?["reason"]?.stringValue { reason += " (\(why))" }
      }
      ErrorPresenter.report(reason, status: status, in: context)
    }
    return status
  }

  /// The Go tool's closing lines for a run (`runs demo`'s leave out the status), or one object.
  static func started(_ runID: String, status: String, statusInText: Bool = true) -> Answer {
    .object(.object([("ok", .bool(status == "succeeded" || status == "running")), ("run_id", .string(runID)), ("status", .string(status))])) {
      "run_id=\(runID)" + (statusInText ? " status=\(status)" : "") + "\nnext: driftqctl runs status --run-id \(runID)\n"
    }
  }
}

extension StringProtocol {
  func replacingAll(_ target: Character, with replacement: String) -> String {
    var out = ""
    for c in self { if c == target { out += replacement } else { out.append(c) } }
    return out
  }
}
