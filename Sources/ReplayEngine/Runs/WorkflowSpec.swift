/// A workflow: DriftQ's `{"id","nodes":[{"id","topic","deps"}]}` plus commands as steps,
/// per-node retry and timeout, a run budget and a parallelism limit.
public struct WorkflowSpec: Sendable, Equatable {
  public var id: String
  public var nodes: [NodeSpec]
  public var budget: RunBudget
  /// How many nodes may run at once (DriftQ's default is 1).
  public var maxParallel: Int
  /// The spec as written (kept so replays and hashes see exactly what the user gave).
  public var json: JSONValue

  public func node(_ id: String) -> NodeSpec? { nodes.first { $0.id == id } }

  /// Nodes in an order where every node comes after its dependencies (spec order otherwise).
  public var topologicalOrder: [NodeSpec] {
    var done: Set<String> = []
    var order: [NodeSpec] = []
    while order.count < nodes.count {
      for node in nodes where !done.contains(node.id) && node.deps.allSatisfy(done.contains) {
        order.append(node)
        done.insert(node.id)
      }
    }
    return order
  }

  /// `start` and every node that depends on it, directly or not.
  public func downstream(of start: String) -> Set<String> {
    var closure: Set<String> = [start]
    var changed = true
    while changed {
      changed = false
      for node in nodes where !closure.contains(node.id) && node.deps.contains(where: closure.contains) {
        closure.insert(node.id)
        changed = true
      }
    }
    return closure
  }
}

/// One step of a workflow.
public struct NodeSpec: Sendable, Equatable {
  public var id: String
  /// A built-in handler's name (DriftQ calls it topic); empty when `run` is given.
  public var topic: String
  public var deps: [String]
  /// A command: argv, or a shell string run with `/bin/sh -c`.
  public var run: Command?
  public var retry: RetryPolicy
  public var timeoutMs: Int64?
  /// The node object as written, for handler parameters and the step cache key.
  public var json: JSONValue

  public enum Command: Sendable, Equatable {
    case argv([String])
    case shell(String)
  }

  /// What defines the step for the replay cache: the node as written, without its id.
  public var definition: String {
    guard case .object(let members) = json else { return CanonicalJSON.encode(json) }
    return CanonicalJSON.encode(.object(members.filter { $0.0 != "id" }))
  }
}

/// DriftQ's BudgetPolicy: 0 means unlimited.
public struct RunBudget: Sendable, Equatable {
  public var maxTokens: Int64 = 0
  public var maxDollars: Double = 0
  public var wallClockTimeoutMs: Int64 = 0
  public var maxAttempts: Int = 0
  public init() {}

  public var json: JSONValue {
    var members: [(String, JSONValue)] = []
    if maxTokens > 0 { members.append(("max_tokens", .int(maxTokens))) }
    if maxDollars > 0 { members.append(("max_dollars", .number(Money.text(maxDollars)))) }
    if wallClockTimeoutMs > 0 { members.append(("wall_clock_timeout_ms", .int(wallClockTimeoutMs))) }
    if maxAttempts > 0 { members.append(("max_attempts", .int(maxAttempts))) }
    return .object(members)
  }
}

/// A spec that cannot run, with DriftQ's message.
public struct SpecError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

extension WorkflowSpec {
  /// The built-in handler names a spec may use as `topic`.
  public static let builtInHandlers: Set<String> = [
    "noop", "sleep_500ms", "fail_once", "delay_once_2s", "demo_add_one", "demo_double", "starter_step", "simulated_model",
  ]

  public static let maximumNodes = 1000

  /// Parses and validates a spec, with DriftQ's messages for DriftQ's checks.
  /// `knownHandlers`: whether every topic must name a built-in handler. A new run needs it;
  /// a recorded run is read without it, so a spec from another build (or a DriftQ server's
  /// own handlers) still shows.
  public init(json: JSONValue, knownHandlers: Bool = true) throws(SpecError) {
    guard case .object = json else { throw SpecError("spec must be a JSON object") }
    guard let id = json["id"]?.stringValue, !id.isEmpty else { throw SpecError("spec id is required") }
    guard case .array(let items)? = json["nodes"], !items.isEmpty else { throw SpecError("spec must have nodes") }
    guard items.count <= Self.maximumNodes else { throw SpecError("spec has more than \(Self.maximumNodes) nodes") }
    var nodes: [NodeSpec] = []
    for item in items {
      guard case .object = item, let nodeID = item["id"]?.stringValue, !nodeID.isEmpty else { throw SpecError("node id is required") }
      guard !nodes.contains(where: { $0.id == nodeID }) else { throw SpecError("duplicate node id: \(nodeID)") }
      var deps: [String] = []
      if case .array(let list)? = item["deps"] {
        for dep in list {
          guard let name = dep.stringValue else { throw SpecError("node \(nodeID): deps must be strings") }
          deps.append(name)
        }
      }
      var command: NodeSpec.Command?
      switch item["run"] {
      case .string(let text)?: command = .shell(text)
      case .array(let argv)?:
        let words = argv.compactMap(\.stringValue)
        guard words.count == argv.count, !words.isEmpty else { throw SpecError("node \(nodeID): run must be a string or a non-empty array of strings") }
        command = .argv(words)
      case nil, .null?: command = nil
      default: throw SpecError("node \(nodeID): run must be a string or a non-empty array of strings")
      }
      let topic = item["topic"]?.stringValue ?? ""
      if command == nil {
        guard !topic.isEmpty else { throw SpecError("node \(nodeID) missing topic") }
        guard !knownHandlers || Self.builtInHandlers.contains(topic) else { throw SpecError("no handler registered for topic \"\(topic)\" (node \(nodeID))") }
      }
      var retry = RetryPolicy(maxAttempts: 1)
      if case .object? = item["retry"], let r = item["retry"] {
        retry.maxAttempts = Int(try Self.number(r["max_attempts"], "node \(nodeID): retry.max_attempts") ?? 1)
        retry.backoffMs = try Self.number(r["backoff_ms"], "node \(nodeID): retry.backoff_ms") ?? 0
        retry.maxBackoffMs = try Self.number(r["max_backoff_ms"], "node \(nodeID): retry.max_backoff_ms") ?? 0
        if retry.maxAttempts < 1 { retry.maxAttempts = 1 }
      }
      let timeout = try Self.number(item["timeout_ms"], "node \(nodeID): timeout_ms")
      nodes.append(NodeSpec(id: nodeID, topic: topic, deps: deps, run: command, retry: retry, timeoutMs: timeout.flatMap { $0 > 0 ? $0 : nil }, json: item))
    }
    for node in nodes {
      for dep in node.deps where !nodes.contains(where: { $0.id == dep }) { throw SpecError("edge references unknown node: \(dep)") }
    }
    // Kahn's algorithm: anything left over is on a cycle.
    var done: Set<String> = []
    var progress = true
    while progress {
      progress = false
      for node in nodes where !done.contains(node.id) && node.deps.allSatisfy(done.contains) {
        done.insert(node.id)
        progress = true
      }
    }
    guard done.count == nodes.count else { throw SpecError("workflow graph contains a cycle") }
    var budget = RunBudget()
    if let b = json["budget"], case .object = b {
      budget.maxTokens = try Self.number(b["max_tokens"], "budget.max_tokens") ?? 0
      budget.maxDollars = b["max_dollars"]?.doubleValue ?? 0
      // Money.text writes amounts in 1e-8 dollar units in an Int64: refuse what it cannot.
      guard abs(budget.maxDollars) <= 1e10 else { throw SpecError("budget.max_dollars is out of range") }
      budget.wallClockTimeoutMs = try Self.number(b["wall_clock_timeout_ms"], "budget.wall_clock_timeout_ms") ?? 0
      budget.maxAttempts = Int(try Self.number(b["max_attempts"], "budget.max_attempts") ?? 0)
    }
    let parallel = try Self.number(json["max_parallel"], "max_parallel") ?? 1
    self.init(id: id, nodes: nodes, budget: budget, maxParallel: Int(max(1, min(parallel, 64))), json: json)
  }

  private static func number(_ value: JSONValue?, _ what: String) throws(SpecError) -> Int64? {
    guard let value, !value.isNull else { return nil }
    guard let n = value.int64Value, n >= 0, n <= 86_400_000_000 else { throw SpecError("\(what) must be a non-negative integer") }
    return n
  }
}

/// Dollar amounts as text: up to 8 decimals, trailing zeros trimmed (0.13825, not 0.13825000001).
public enum Money {
  public static func text(_ dollars: Double) -> String {
    let scaled = (dollars * 100_000_000).rounded()
    let negative = scaled < 0
    let units = Int64(abs(scaled))
    var fraction = String(units % 100_000_000)
    fraction = String(repeating: "0", count: 8 - fraction.count) + fraction
    while fraction.hasSuffix("0") { fraction.removeLast() }
    return (negative ? "-" : "") + String(units / 100_000_000) + (fraction.isEmpty ? "" : "." + fraction)
  }
}
