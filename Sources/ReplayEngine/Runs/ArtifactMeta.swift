import WALFormat

/// DriftQ's ArtifactMeta: a content-addressed blob's description.
public struct ArtifactMeta: Sendable, Equatable {
  /// Lowercase hex SHA-256 of the bytes (also the `sha256` field).
  public var id: String
  public var contentType: String
  public var size: Int
  public var createdAt: WALTimestamp
  public var runID: String
  public var workflowID: String
  public var nodeID: String
  public var attempt: Int
  public var labels: [String: String]
  public var description: String
  public var originalName: String

  public init(id: String, contentType: String, size: Int, createdAt: WALTimestamp, runID: String, workflowID: String, nodeID: String, attempt: Int, labels: [String: String], description: String, originalName: String) {
    self.id = id
    self.contentType = contentType
    self.size = size
    self.createdAt = createdAt
    self.runID = runID
    self.workflowID = workflowID
    self.nodeID = nodeID
    self.attempt = attempt
    self.labels = labels
    self.description = description
    self.originalName = originalName
  }

  public var json: JSONValue {
    .object([
      ("artifact_id", .string(id)), ("sha256", .string(id)), ("content_type", .string(contentType)), ("size", .int(size)),
      ("created_at", .string(RFC3339.format(createdAt))), ("run_id", .string(runID)), ("workflow_id", .string(workflowID)),
      ("node_id", .string(nodeID)), ("attempt", .int(attempt)),
      ("labels", .object(labels.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
      ("description", .string(description)), ("original_name", .string(originalName)),
    ])
  }

  public init?(json: JSONValue) {
    guard let id = json["artifact_id"]?.stringValue, id.utf8.count == 64 else { return nil }
    var labels: [String: String] = [:]
    if case .object(let pairs)? = json["labels"] { for (k, v) in pairs { labels[k] = v.stringValue ?? "" } }
    self.init(
      id: id, contentType: json["content_type"]?.stringValue ?? "application/octet-stream", size: Int(json["size"]?.int64Value ?? 0),
      createdAt: json["created_at"]?.stringValue.flatMap(RFC3339.parse) ?? WALTimestamp(nanoseconds: 0),
      runID: json["run_id"]?.stringValue ?? "", workflowID: json["workflow_id"]?.stringValue ?? "", nodeID: json["node_id"]?.stringValue ?? "",
      attempt: Int(json["attempt"]?.int64Value ?? 0), labels: labels, description: json["description"]?.stringValue ?? "",
      originalName: json["original_name"]?.stringValue ?? "")
  }
}
