import ReplayEngine

/// The one table between a broker rejection and an HTTP answer: `serve` writes it, the HTTP
/// client reads it back. DriftQ's status and wording stay on the wire (its SDKs match them);
/// our answers add `code` (the rejection code) and `detail` (the whole message), which a
/// DriftQ-Core answer lacks, so the client infers those from its status and wording.
enum RejectionWire {
  /// DriftQ's status for a rejection.
  static func status(_ code: BrokerRejection.Code) -> Int {
    switch code {
    case .notOwner, .topicExists: return 409
    case .resourceExhausted: return 429
    default: return 400
    }
  }

  /// DriftQ's error name for a status.
  static func errorName(_ status: Int) -> String {
    switch status {
    case 409: return "FAILED_PRECONDITION"
    case 429: return "RESOURCE_EXHAUSTED"
    default: return "INVALID_ARGUMENT"
    }
  }

  /// DriftQ's short wording: our messages add the place after ": " or " (".
  static func wording(_ rejection: BrokerRejection) -> String {
    let message = rejection.message
    switch rejection.code {
    case .topicNotFound:
      return message.firstRange(of: ": ").map { String(message[..<$0.lowerBound]) } ?? message
    case .notOwner, .notInFlight:
      return message.firstRange(of: " (").map { String(message[..<$0.lowerBound]) } ?? message
    case .resourceExhausted:
      return "producer overload: \(rejection.reason ?? "partition_buffer_full")"
    default:
      return message
    }
  }

  /// The `/v1` JSON answer for a rejection.
  static func response(_ rejection: BrokerRejection) -> HTTPResponse {
    let status = status(rejection.code)
    var members: [(String, JSONValue)] = [
      ("error", .string(errorName(status))), ("message", .string(wording(rejection))),
    ]
    if rejection.code == .resourceExhausted {
      let reason = rejection.reason ?? "partition_buffer_full"
      members += [("reason", .string(reason)), ("retry_after_ms", .int(1000))]
    }
    members += [("code", .string(rejection.code.description)), ("detail", .string(rejection.message))]
    var response = HTTPResponse.json(status, .object(members))
    if rejection.code == .resourceExhausted { response.headers.append(("Retry-After", "1")) }
    return response
  }

  /// A `/debug` plain-text answer for a rejection (DriftQ's `/debug` errors are text).
  static func plainResponse(_ rejection: BrokerRejection) -> HTTPResponse {
    var response = HTTPResponse.text([.topicNotFound, .groupNotFound].contains(rejection.code) ? 404 : status(rejection.code), rejection.message)
    response.headers.append(("X-DriftQ-Rejection", rejection.code.description))
    return response
  }

  /// The rejection an answer carries, or nil when it is no rejection (a 5xx, a 404 route).
  static func rejection(from response: HTTPClient.Response) -> BrokerRejection? {
    let json = response.json
    if let name = json?["code"]?.stringValue ?? response.headers["x-driftq-rejection"], let code = BrokerRejection.Code(named: name) {
      let message = json?["detail"]?.stringValue ?? json?["message"]?.stringValue ?? response.text.trimmingTrailingWhitespace()
      return BrokerRejection(code, message, reason: json?["reason"]?.stringValue)
    }
    // DriftQ-Core: infer the code from its status and wording.
    let message = json?["message"]?.stringValue ?? response.text.trimmingTrailingWhitespace()
    switch response.status {
    case 429:
      return BrokerRejection(.resourceExhausted, message, reason: json?["reason"]?.stringValue)
    case 409:
      return BrokerRejection(message.hasPrefix("not owner") ? .notOwner : .topicExists, message)
    case 400:
      if message.hasPrefix("topic does not exist") || message.hasPrefix("topic not found") {
        return BrokerRejection(.topicNotFound, message)
      }
      if message.contains("not in-flight") { return BrokerRejection(.notInFlight, message) }
      if message.contains("already exists") { return BrokerRejection(.topicExists, message) }
      return BrokerRejection(.invalidArgument, message)
    default:
      return nil
    }
  }
}
