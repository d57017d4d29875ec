import ReplayEngine

/// DriftQ-Core stores no spec for a demo run. Its recorded nodes stand in for one (topic
/// `unknown`), so the run still folds and shows; such a run cannot be replayed.
enum StandInSpec {
  static func json(workflowID: String, nodeIDs: [String]) -> JSONValue {
    var seen: [String] = []
    for id in nodeIDs where !seen.contains(id) { seen.append(id) }
    return .object([("id", .string(workflowID.isEmpty ? "unknown" : workflowID)), ("nodes", .array(seen.map { .object([("id", .string($0)), ("topic", .string("unknown"))]) }))])
  }
}
