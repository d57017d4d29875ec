import ReplayEngine

/// A run's DAG as text to paste: Mermaid (GitHub, GitLab and most wikis draw it), Graphviz
/// DOT, or plain lines. Every step says how it stands and whether it ran or was reused.
enum GraphRendering {
  /// How one step is drawn: a class name, its colours, and its words.
  struct Look {
    var name: String
    var fill: String
    var stroke: String
    var text: String
    var dashed = false
  }

  static func look(_ node: RunGraph.Node) -> Look { look(node.outcome) }

  /// The look of a step whose latest attempt ended so (nil: it has not run).
  static func look(_ outcome: AttemptOutcome?) -> Look {
    switch outcome {
    case .succeeded?: Look(name: "succeeded", fill: "#dcfce7", stroke: "#15803d", text: "#14532d")
    case .reused?: Look(name: "reused", fill: "#e0f2fe", stroke: "#0369a1", text: "#0c4a6e", dashed: true)
    case .failed?, .interrupted?: Look(name: "failed", fill: "#fee2e2", stroke: "#b91c1c", text: "#7f1d1d")
    case .running?, .waiting?: Look(name: "running", fill: "#fef9c3", stroke: "#a16207", text: "#713f12")
    case .canceled?, .delayed?: Look(name: "canceled", fill: "#f3f4f6", stroke: "#6b7280", text: "#374151", dashed: true)
    case nil: Look(name: "notrun", fill: "#ffffff", stroke: "#9ca3af", text: "#6b7280", dashed: true)
    }
  }

  /// `succeeded, ran 2 attempts`, `succeeded, reused attempt 1`, `not run`.
  static func words(_ node: RunGraph.Node) -> String {
    guard let outcome = node.outcome else { return "not run" }
    if node.reused { return "reused attempt \(node.cachedAttempt.map(String.init) ?? "?")" }
    let attempts = node.attempts == 1 ? "1 attempt" : "\(node.attempts) attempts"
    return "\(outcome.rawValue), ran \(attempts)"
  }

  /// `$0.0385` when the step spent something, nothing otherwise.
  static func cost(_ node: RunGraph.Node) -> String? {
    if node.usage.dollars > 0 { return "$" + Money.text(node.usage.dollars) }
    if node.saved.dollars > 0 { return "saved $" + Money.text(node.saved.dollars) }
    return nil
  }

  // MARK: - Formats

  static func mermaid(_ graph: RunGraph) -> String {
    var lines = ["flowchart LR"]
    var ids: [String: String] = [:]
    for (index, node) in graph.nodes.enumerated() { ids[node.id] = "n\(index)" }
    for node in graph.nodes {
      let label = ([node.id, words(node)] + [cost(node)].compactMap { $0 }).map(mermaidEscape).joined(separator: "<br/>")
      lines.append("  \(ids[node.id] ?? "")[\"\(label)\"]:::\(look(node).name)")
    }
    for edge in graph.edges { lines.append("  \(ids[edge.from] ?? "") --> \(ids[edge.to] ?? "")") }
    for style in usedLooks(graph) {
      lines.append("  classDef \(style.name) fill:\(style.fill),stroke:\(style.stroke),color:\(style.text)" + (style.dashed ? ",stroke-dasharray:4 3" : ""))
    }
    return Answer.lines(lines)
  }

  static func dot(_ graph: RunGraph) -> String {
    var lines = ["digraph \(dotQuote(graph.workflowID)) {", "  label=\(dotQuote("run \(graph.runID): \(graph.status.rawValue)"));", "  rankdir=LR;",
      "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];"]
    for node in graph.nodes {
      let style = look(node)
      let label = ([node.id, words(node)] + [cost(node)].compactMap { $0 }).joined(separator: "\n")
      lines.append("  \(dotQuote(node.id)) [label=\(dotQuote(label)), fillcolor=\"\(style.fill)\", color=\"\(style.stroke)\", fontcolor=\"\(style.text)\""
        + (style.dashed ? ", style=\"rounded,filled,dashed\"" : "") + "];")
    }
    for edge in graph.edges { lines.append("  \(dotQuote(edge.from)) -> \(dotQuote(edge.to));") }
    return Answer.lines(lines + ["}"])
  }

  /// One line per step in dependency order: `[B] succeeded, reused attempt 1  <- A`.
  static func text(_ graph: RunGraph) -> String {
    var lines = ["run \(graph.runID) (workflow \(graph.workflowID)): \(graph.status.rawValue)"]
    let width = graph.nodes.map(\.id.count).max() ?? 0
    for node in graph.nodes {
      var line = "[\(node.id)]" + String(repeating: " ", count: width - node.id.count) + "  " + words(node)
      if let cost = cost(node) { line += " (\(cost))" }
      if !node.deps.isEmpty { line += "  <- " + node.deps.joined(separator: ", ") }
      lines.append(line)
    }
    return Answer.lines(lines)
  }

  static func json(_ graph: RunGraph) -> JSONValue {
    .object([
      ("run_id", .string(graph.runID)), ("workflow_id", .string(graph.workflowID)), ("status", .string(graph.status.rawValue)),
      ("nodes", .array(graph.nodes.map(json))),
      ("edges", .array(graph.edges.map { .object([("from", .string($0.from)), ("to", .string($0.to))]) })),
    ])
  }

  static func json(_ node: RunGraph.Node) -> JSONValue {
    var m: [(String, JSONValue)] = [
      ("id", .string(node.id)), ("deps", .array(node.deps.map { .string($0) })), ("handler", .string(node.handler)),
      ("status", .string(node.outcome?.rawValue ?? "not_run")), ("ran", .bool(node.ran)), ("reused", .bool(node.reused)),
      ("attempts", .int(node.attempts)), ("depth", .int(node.depth)),
    ]
    if let a = node.cachedAttempt { m.append(("cached_attempt", .int(a))) }
    m += [("tokens", .int(node.usage.tokens)), ("dollars", .number(Money.text(node.usage.dollars))), ("saved_dollars", .number(Money.text(node.saved.dollars)))]
    return .object(m)
  }

  // MARK: - Escaping

  /// The looks the graph uses, each once, in a fixed order.
  private static func usedLooks(_ graph: RunGraph) -> [Look] {
    var seen: Set<String> = []
    return graph.nodes.map(look).filter { seen.insert($0.name).inserted }.sorted { $0.name < $1.name }
  }

  /// Mermaid labels are quoted; quotes and angle brackets become its entity codes, so no
  /// step id can end the label or open markup.
  static func mermaidEscape(_ text: String) -> String {
    text.replacingEach { c in
      switch c {
      case "\"": return "#quot;"
      case "<": return "#lt;"
      case ">": return "#gt;"
      case "#": return "#35;"
      case "\n", "\r": return " "
      default: return nil
      }
    }
  }

  /// A DOT quoted string (backslash and quote escaped; a newline as DOT's `\n`).
  static func dotQuote(_ text: String) -> String {
    "\"" + text.replacingEach { c in
      switch c {
      case "\"": return "\\\""
      case "\\": return "\\\\"
      case "\n": return "\\n"
      case "\r": return ""
      default: return nil
      }
    } + "\""
  }
}
