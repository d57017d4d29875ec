import ReplayEngine
import WALFormat

/// Envelopes from the two places users write them: flags and DriftQ JSON.
enum EnvelopeInput {
  static let runID = OptionSpec("run-id", placeholder: "ID", help: "Envelope run_id.")
  static let stepID = OptionSpec("step-id", placeholder: "ID", help: "Envelope step_id.")
  static let parentStepID = OptionSpec("parent-step-id", placeholder: "ID", help: "Envelope parent_step_id.")
  static let tenant = OptionSpec("tenant", placeholder: "ID", help: "Envelope tenant_id.")
  static let idempotencyKey = OptionSpec("idempotency-key", placeholder: "KEY", help: "Envelope idempotency_key.")
  static let targetTopic = OptionSpec("target-topic", placeholder: "TOPIC", help: "Deliver to this topic instead (must exist).")
  static let deadline = OptionSpec("deadline", placeholder: "RFC3339", help: "Envelope deadline; a past deadline is refused.")
  static let partition = OptionSpec("partition", placeholder: "P", help: "Force this partition (envelope partition_override).")
  static let retryMaxAttempts = OptionSpec("retry-max-attempts", placeholder: "N", help: "Retry policy: deliveries before the DLQ (0: unlimited).")
  static let retryBackoff = OptionSpec("retry-backoff-ms", placeholder: "MS", help: "Retry policy: base backoff.")
  static let retryMaxBackoff = OptionSpec("retry-max-backoff-ms", placeholder: "MS", help: "Retry policy: backoff cap.")
  static let label = OptionSpec("label", kind: .repeated, placeholder: "K=V", help: "A label (stored and shown; DriftQ keeps labels internal).")

  static let options = [runID, stepID, parentStepID, tenant, idempotencyKey, targetTopic, deadline, partition, retryMaxAttempts, retryBackoff, retryMaxBackoff, label]

  static func parse(_ args: inout ParsedArguments) throws(UsageError) -> Envelope {
    var e = Envelope()
    e.runID = args.value(runID) ?? ""
    e.stepID = args.value(stepID) ?? ""
    e.parentStepID = args.value(parentStepID) ?? ""
    e.tenantID = args.value(tenant) ?? ""
    e.idempotencyKey = args.value(idempotencyKey) ?? ""
    e.targetTopic = args.value(targetTopic) ?? ""
    if let text = args.value(deadline) {
      guard let time = RFC3339.parse(text) else { throw UsageError("invalid value \"\(text)\" for --deadline: expected an RFC 3339 time", command: args.command.path) }
      e.deadline = time
    }
    e.partitionOverride = try args.partition(partition)
    let attempts = try args.integer(retryMaxAttempts, in: 0...1_000_000)
    let backoff = try args.integer(retryBackoff, in: 0...86_400_000)
    let maxBackoff = try args.integer(retryMaxBackoff, in: 0...86_400_000)
    if attempts != nil || backoff != nil || maxBackoff != nil {
      let policy = RetryPolicy(maxAttempts: Int(attempts ?? 0), backoffMs: backoff ?? 0, maxBackoffMs: maxBackoff ?? 0)
      if !policy.isEmpty { e.retryPolicy = policy }
    }
    for pair in args.repeated(label) {
      guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
        throw UsageError("invalid value \"\(pair)\" for --label: expected KEY=VALUE", command: args.command.path)
      }
      e.labels[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
    }
    return e
  }

  /// DriftQ's JSON envelope (the produce body's `envelope`), plus `labels`. Strict: an
  /// unknown key or a value of the wrong type is an error that names it.
  static func parse(json: JSONValue) throws(InputError) -> Envelope {
    guard case .object(let members) = json else { throw InputError("envelope must be an object") }
    var e = Envelope()
    for (key, value) in members {
      func string() throws(InputError) -> String {
        guard let text = value.stringValue else { throw InputError("envelope.\(key) must be a string") }
        return text
      }
      switch key {
      case "run_id": e.runID = try string()
      case "step_id": e.stepID = try string()
      case "parent_step_id": e.parentStepID = try string()
      case "tenant_id": e.tenantID = try string()
      case "idempotency_key": e.idempotencyKey = try string()
      case "target_topic": e.targetTopic = try string()
      case "deadline":
        guard let time = RFC3339.parse(try string()) else { throw InputError("envelope.deadline is not an RFC 3339 time") }
        e.deadline = time
      case "partition_override":
        guard let p = value.int64Value, p >= 0, p < Int64(NameRules.maximumPartitions) else {
          throw InputError("envelope.partition_override must be a partition number")
        }
        e.partitionOverride = Int(p)
      case "retry_policy":
        guard case .object(let fields) = value else { throw InputError("envelope.retry_policy must be an object") }
        var policy = RetryPolicy()
        for (name, field) in fields {
          guard let number = field.int64Value, number >= 0, number <= 86_400_000 else {
            throw InputError("envelope.retry_policy.\(name) must be a non-negative integer")
          }
          switch name {
          case "max_attempts": policy.maxAttempts = Int(number)
          case "backoff_ms": policy.backoffMs = number
          case "max_backoff_ms": policy.maxBackoffMs = number
          default: throw InputError("unknown field envelope.retry_policy.\(name)")
          }
        }
        e.retryPolicy = policy.isEmpty ? nil : policy
      case "labels":
        guard case .object(let pairs) = value else { throw InputError("envelope.labels must be an object") }
        for (name, text) in pairs {
          guard let string = text.stringValue else { throw InputError("envelope.labels.\(name) must be a string") }
          e.labels[name] = string
        }
      default:
        throw InputError("unknown field envelope.\(key)")
      }
    }
    return e
  }
}

/// A line of NDJSON input that cannot be used, and why.
struct InputError: Error, Sendable, CustomStringConvertible {
  var message: String
  init(_ message: String) { self.message = message }
  var description: String { message }
}
