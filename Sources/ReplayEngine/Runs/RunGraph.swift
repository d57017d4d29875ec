/// A run's workflow as a graph: each step with its dependencies, where it stands since the
/// latest replay, and whether it ran or reused an earlier output. What `runs graph` prints
/// and `runs report` draws.
public struct RunGraph: Sendable {
  /// Where one step stands.
  public struct Node: Sendable {
    public var id: String
    public var deps: [String]
    /// The handler (`noop`, …) or `command` for a step that runs one.
    public var handler: String
    /// How its latest attempt ended; nil when it has not run since the latest replay.
    public var outcome: AttemptOutcome?
    /// Attempts since the latest replay (a reuse counts as one).
    public var attempts: Int
    /// The attempt whose output a reuse took.
    public var cachedAttempt: Int?
    /// Spent since the latest replay, and what its reuse saved.
    public var usage: Usage
    public var saved: Usage
    /// Its longest chain of dependencies: 0 for a root (the column it is drawn in).
    public var depth: Int

    public var reused: Bool { outcome == .reused }
    /// Ran (at least one attempt executed) since the latest replay.
    public var ran: Bool { outcome != nil && outcome != .reused }
  }

  public var runID: String
  public var workflowID: String
  public var status: RunStatus
  /// In an order where every step comes after its dependencies.
  public var nodes: [Node]

  public var edges: [(from: String, to: String)] { nodes.flatMap { node in node.deps.map { (from: $0, to: node.id) } } }

  public init(_ run: WorkflowRun) {
    runID = run.runID
    workflowID = run.workflowID
    status = run.status
    let timeline = RunTimeline(run).entries.filter { !$0.superseded }
    var depths: [String: Int] = [:]
    nodes = run.spec.topologicalOrder.map { spec in
      let depth = spec.deps.map { (depths[$0] ?? 0) + 1 }.max() ?? 0
      depths[spec.id] = depth
      let attempts = timeline.filter { $0.nodeID == spec.id }
      let latest = attempts.last
      return Node(
        id: spec.id, deps: spec.deps, handler: spec.run == nil ? spec.topic : "command", outcome: latest?.outcome, attempts: attempts.count,
        cachedAttempt: latest?.outcome == .reused ? latest?.cachedAttempt : nil,
        usage: attempts.reduce(Usage()) { $0 + $1.usage }, saved: attempts.reduce(Usage()) { $0 + $1.saved }, depth: depth)
    }
  }
}
