import WALFormat

/// DriftQ's run and node statuses.
public enum RunStatus: String, Sendable {
  case queued, running, waiting, succeeded, failed, canceled
  public var isTerminal: Bool { self == .succeeded || self == .failed || self == .canceled }
}

/// Tokens and dollars a step (or a run) reported, DriftQ's usage deltas summed.
public struct Usage: Sendable, Equatable {
  public var tokensIn: Int64 = 0
  public var tokensOut: Int64 = 0
  public var dollars: Double = 0
  public init(tokensIn: Int64 = 0, tokensOut: Int64 = 0, dollars: Double = 0) {
    self.tokensIn = tokensIn
    self.tokensOut = tokensOut
    self.dollars = dollars
  }
  public var tokens: Int64 { tokensIn + tokensOut }
  public static func + (a: Usage, b: Usage) -> Usage { Usage(tokensIn: a.tokensIn + b.tokensIn, tokensOut: a.tokensOut + b.tokensOut, dollars: a.dollars + b.dollars) }

  public var json: JSONValue {
    .object([("tokens_in", .int(tokensIn)), ("tokens_out", .int(tokensOut)), ("dollars", .number(Money.text(dollars)))])
  }

  public init(json: JSONValue?) {
    tokensIn = json?["tokens_in"]?.int64Value ?? 0
    tokensOut = json?["tokens_out"]?.int64Value ?? 0
    dollars = json?["dollars"]?.doubleValue ?? 0
  }
}

/// A step's output: inline JSON, or an artifact (outputs over 8192 bytes).
public enum StepOutput: Sendable, Equatable {
  case inline(JSONValue)
  case artifact(id: String, size: Int)
}

/// One attempt of one node (DriftQ's NodeExecution).
extension WorkflowRun {
  /// Why the replay since `before` reused or re-ran each step, in topological order: the
  /// latest reason each step's new attempts recorded (`runs replay --explain`).
  public func replayReasons(since before: WorkflowRun) -> [(node: String, reason: String)] {
    spec.topologicalOrder.compactMap { node in
      let first = before.nextAttempt(of: node.id)
      return executions(of: node.id).last { $0.attempt >= first && $0.replayReason != nil }
        .flatMap { execution in execution.replayReason.map { (node.id, $0) } }
    }
  }
}

public struct NodeExecution: Sendable, Equatable {
  public var nodeID: String
  public var attempt: Int
  public var status: RunStatus
  public var startedAt: WALTimestamp?
  public var endedAt: WALTimestamp?
  public var input: JSONValue?
  public var inputBytes: Int?
  public var output: StepOutput?
  /// Artifacts the step stored besides its output (the demo nodes write theirs).
  public var artifacts: [String] = []
  public var outputBytes: Int?
  public var error: String?
  /// The attempt's stdout and stderr as it ran (command steps), sealed when it ended.
  public var log: StepLogRef?
  public var usage = Usage()
  /// The step cache key: SHA-256 of its definition and resolved input.
  public var key: String?
  /// Hashes of the definition and of the resolved input, so `--explain` can say which changed.
  public var definitionHash: String?
  public var inputHash: String?
  public var usedCachedOutput = false
  /// Why a replay reused or re-ran this step ("reused", "re-run: definition changed", …), as
  /// recorded in its event; nil outside replays.
  public var replayReason: String?
  /// What producing this output cost when it was first made (a reused output keeps the cost
  /// of the execution that made it), so every reuse counts what it saved.
  public var costBasis = Usage()
  public var cachedAttempt: Int?
  /// What the worker reported (`node_finished`'s `worker_ms`), when it did.
  public var workerMs: Int64?
  /// Failed because the process running the run stopped (does not use up a retry).
  public var interrupted = false
  /// Ended by a durable delay it asked for; the next attempt carries on.
  public var delayed = false
  /// How many replays the run had had when this attempt began: an attempt from before the
  /// latest replay keeps its status (it did succeed or fail) but no longer counts as the
  /// node's current result.
  public var generation = 0
}

/// A durable delay or retry wait (DriftQ's Timer).
public struct RunTimer: Sendable, Equatable {
  public var nodeID: String
  public var attempt: Int
  public var status: String
  public var fireAt: WALTimestamp
  public var createdAt: WALTimestamp
  public var firedAt: WALTimestamp?
  public var reason: String
}

/// A run event as stored: numbered per run, with its time.
public struct RunEventRecord: Sendable, Equatable {
  public var seq: Int
  public var at: WALTimestamp
  public var event: RunEvent
}

/// How a replay decides, recorded with it.
public struct ReplayPlan: Sendable, Equatable {
  /// `time_travel`, `live` or `auto`.
  public var mode: String
  public var fromStep: String?
  /// Nodes whose last success is reused without running them.
  public var reuse: Set<String>
  /// Nodes that must run again (`live`), or that run again unless their definition and input
  /// are those of their last success (`time_travel`).
  public var rerun: Set<String>
  /// When the replay was requested.
  public var at: WALTimestamp
}

/// One workflow run: its spec and input, every execution and event, usage and budget.
public struct WorkflowRun: Sendable {
  public var runID: String
  public var workflowID: String
  public var status: RunStatus = .queued
  public var spec: WorkflowSpec
  public var input: JSONValue
  public var createdAt: WALTimestamp
  public var startedAt: WALTimestamp?
  /// When the current execution began (the first start, or the latest replay's).
  public var activeSince: WALTimestamp?
  public var endedAt: WALTimestamp?
  public var terminalReason: String?
  public var terminalMeta: JSONValue?
  public var failedNode: String?
  public var executions: [NodeExecution] = []
  public var timers: [RunTimer] = []
  public var events: [RunEventRecord] = []
  /// What was actually spent (reused steps cost nothing).
  public var usage = Usage()
  /// What reused steps had cost when they first ran: what replay saved.
  public var saved = Usage()
  /// Node attempts made, all replays included (DriftQ's max_attempts budget counts these).
  public var attempts = 0
  /// The replay in progress, if the run was replayed.
  public var replay: ReplayPlan?
  /// Every replay of the run, oldest first (replays work in place, on the same run id).
  public var replays: [ReplayPlan] = []
  /// The replays so far: attempts of this generation are the current ones.
  public var generation: Int { replays.count }
  /// Each node's last success from before the current replay: what a replay may reuse.
  public var reusable: [String: NodeExecution] = [:]

  /// The newest execution of a node since the latest replay, unless it was canceled.
  public func current(_ node: String) -> NodeExecution? {
    executions.last { $0.nodeID == node && $0.generation == generation && $0.status != .canceled }
  }

  /// Whether a replay since `execution` began has set it aside (it is history, not the
  /// node's current result).
  public func isSuperseded(_ execution: NodeExecution) -> Bool { execution.generation < generation }

  /// Attempts of `node` that failed since the latest replay, not counting interruptions:
  /// what its retry policy counts.
  public func failures(of node: String) -> Int {
    executions.count { $0.nodeID == node && $0.generation == generation && $0.status == .failed && !$0.interrupted }
  }

  public func executions(of node: String) -> [NodeExecution] { executions.filter { $0.nodeID == node } }

  public func nextAttempt(of node: String) -> Int { (executions.filter { $0.nodeID == node }.map(\.attempt).max() ?? 0) + 1 }

  /// Executions still running (after a crash: interrupted ones, until a resume records them).
  public var running: [NodeExecution] { executions.filter { $0.status == .running } }
}
