import ReplayEngine

/// A node attempt's output: inline in its event, or in the artifact it spilled to (whose
/// bytes `read` fetches: from a directory's store, or from a server).
enum StepOutput {
  static func load(_ execution: NodeExecution, read: (String) throws -> [UInt8]) throws -> JSONValue? {
    switch execution.output {
    case nil: return nil
    case .inline(let value)?: return value
    case .artifact(let id, _)?:
      let bytes = try read(id)
      do { return try JSONParser.parse(bytes: bytes) } catch {
        throw CommandFailure(.corruption, "artifact \(id) of \(execution.nodeID) is not JSON: \(error)")
      }
    }
  }
}
