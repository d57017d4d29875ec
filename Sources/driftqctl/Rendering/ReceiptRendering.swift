import ReplayEngine

/// What `publish` prints for each message: where it landed or, for a duplicate, where the
/// original is; the Go driftqctl's line in text.
enum ReceiptRendering {
  static func json(_ receipt: PublishReceipt) -> JSONValue {
    var members: [(String, JSONValue)] = [("status", .string("produced")), ("topic", .string(receipt.requestedTopic))]
    // DriftQ-Core does not say where a message went.
    guard let place = receipt.place else { return .object(members) }
    if receipt.requestedTopic != place.topic { members.append(("target_topic", .string(place.topic))) }
    members += [("partition", .int(place.partition)), ("offset", .int(place.offset))]
    if receipt.duplicate { members.append(("duplicate", .bool(true))) }
    return .object(members)
  }

  static func text(_ receipt: PublishReceipt) -> String {
    guard let place = receipt.place else { return "topic=\(receipt.requestedTopic) status=produced" }
    return "topic=\(place.topic) partition=\(place.partition) offset=\(place.offset)" + (receipt.duplicate ? " duplicate" : "")
  }
}
