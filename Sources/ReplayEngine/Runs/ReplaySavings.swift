/// What each execution of a run cost and what its reuse saved: the first execution, then
/// one entry per replay. A replay's `fullCost` is what running every step again would have
/// cost (what it spent plus what the outputs it reused had cost when they were made).
public struct ReplaySavings: Sendable {
  public struct Execution: Sendable {
    /// The replay (nil: the run's first execution).
    public var plan: ReplayPlan?
    public var spent: Usage
    public var saved: Usage
    /// Steps that ran, and steps whose earlier output was reused, in time order.
    public var ran: [String]
    public var reused: [String]
    public var fullCost: Double { spent.dollars + saved.dollars }
  }

  public var executions: [Execution]

  public init(_ run: WorkflowRun, timeline: RunTimeline) {
    executions = (0...run.replays.count).map { generation in
      let entries = timeline.entries.filter { $0.generation == generation }
      var ran: [String] = []
      for e in entries where e.outcome != .reused && !ran.contains(e.nodeID) { ran.append(e.nodeID) }
      return Execution(
        plan: generation == 0 ? nil : run.replays[generation - 1],
        spent: entries.reduce(Usage()) { $0 + $1.usage }, saved: entries.reduce(Usage()) { $0 + $1.saved },
        ran: ran, reused: entries.filter { $0.outcome == .reused }.map(\.nodeID))
    }
  }
}
