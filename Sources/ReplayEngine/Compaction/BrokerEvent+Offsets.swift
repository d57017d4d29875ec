extension BrokerEvent {
  /// The existing messages an event acts on (not the ones it creates): what must still be
  /// held when the event is folded.
  public var offsetsReferred: [MessageOrigin] {
    switch self {
    case .messageDelivered(let e): return [MessageOrigin(topic: e.topic, partition: e.partition, offset: e.offset)]
    case .messageAcked(let e): return [MessageOrigin(topic: e.topic, partition: e.partition, offset: e.offset)]
    case .messageNacked(let e): return [MessageOrigin(topic: e.topic, partition: e.partition, offset: e.offset)]
    case .messageSkipped(let e): return [MessageOrigin(topic: e.topic, partition: e.partition, offset: e.offset)]
    case .groupSeeked(let e): return [MessageOrigin(topic: e.topic, partition: e.partition, offset: e.offset)]
    case .messageDeadLettered(let e): return [e.source]
    case .messageRedriven(let e): return [e.from]
    // A purge names DLQ messages, but folding it skips those compaction dropped: it bounds nothing.
    case .topicCreated, .messagePublished, .logCompacted, .topicDeleted, .groupDeleted, .deadLettersPurged: return []
    }
  }
}
