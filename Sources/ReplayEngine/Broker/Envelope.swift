import WALFormat

/// DriftQ's message envelope: correlation ids, idempotency, routing and retry settings.
/// Empty strings mean "not set", as DriftQ's `omitempty` does.
public struct Envelope: Sendable, Equatable {
  public var runID = ""
  public var stepID = ""
  public var parentStepID = ""
  public var tenantID = ""
  public var idempotencyKey = ""
  public var targetTopic = ""
  public var deadline: WALTimestamp?
  public var retryPolicy: RetryPolicy?
  public var partitionOverride: Int?
  /// Informational labels (DriftQ keeps them internally; we store and show them).
  public var labels: [String: String] = [:]

  public init() {}

  public var isEmpty: Bool {
    runID.isEmpty && stepID.isEmpty && parentStepID.isEmpty && tenantID.isEmpty
      && idempotencyKey.isEmpty && targetTopic.isEmpty && deadline == nil
      && (retryPolicy?.isEmpty ?? true) && partitionOverride == nil && labels.isEmpty
  }
}
