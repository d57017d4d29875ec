import ReplayEngine
import WALFormat

/// `runs delete` on the wire (`POST /debug/runs/delete {"before_ns","execute"}` and its
/// answer), written by `serve` and read by the HTTP client side by side.
extension RunDeletion {
  static func request(before: WALTimestamp, execute: Bool) -> JSONValue {
    .object([("before_ns", .int(before.nanoseconds)), ("execute", .bool(execute))])
  }

  /// A request as `serve` reads it, or nil without its cutoff.
  static func request(_ json: JSONValue?) -> (before: WALTimestamp, execute: Bool)? {
    guard let ns = json?["before_ns"]?.int64Value else { return nil }
    return (WALTimestamp(nanoseconds: ns), json?["execute"] == .bool(true))
  }

  var wire: JSONValue {
    func entries(_ list: [Entry]) -> JSONValue {
      .array(list.map { e in
        var members: [(String, JSONValue)] = [
          ("run_id", .string(e.runID)), ("workflow_id", .string(e.workflowID)), ("status", .string(e.status)), ("at_ns", .int(e.at.nanoseconds)),
        ]
        if let why = e.keptBecause { members.append(("kept_because", .string(why))) }
        return .object(members)
      })
    }
    return .object([("before_ns", .int(before.nanoseconds)), ("deleted", entries(deleted)), ("kept", entries(kept))])
  }

  init(wire json: JSONValue?) throws {
    func entries(_ key: String) throws -> [Entry] {
      guard case .array(let items)? = json?[key] else { throw BrokerWire.Malformed(what: "no \(key) runs") }
      return try items.map { e in
        guard let id = e["run_id"]?.stringValue, let at = e["at_ns"]?.int64Value else { throw BrokerWire.Malformed(what: "a run") }
        return Entry(
          runID: id, workflowID: e["workflow_id"]?.stringValue ?? "", status: e["status"]?.stringValue ?? "",
          at: WALTimestamp(nanoseconds: at), keptBecause: e["kept_because"]?.stringValue)
      }
    }
    guard let before = json?["before_ns"]?.int64Value else { throw BrokerWire.Malformed(what: "no cutoff") }
    self.init(before: WALTimestamp(nanoseconds: before), deleted: try entries("deleted"), kept: try entries("kept"))
  }
}
