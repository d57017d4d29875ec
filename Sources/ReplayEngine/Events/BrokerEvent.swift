import WALFormat

/// Every change to broker state, as written to the log. State is a fold of these.
public enum BrokerEvent: Sendable, Equatable {
  case topicCreated(TopicCreated)
  case messagePublished(MessagePublished)
  case messageDelivered(MessageDelivered)
  case messageAcked(MessageAcked)
  case messageNacked(MessageNacked)
}

public struct TopicCreated: Sendable, Equatable {
  public var name: String
  public var partitions: Int
  public init(name: String, partitions: Int) {
    self.name = name
    self.partitions = partitions
  }
}

/// A produced message, with the partition and offset it was given.
public struct MessagePublished: Sendable, Equatable {
  public var topic: String
  public var partition: Int
  public var offset: Int64
  public var key: [UInt8]
  public var value: [UInt8]
  public var envelope: Envelope

  public init(topic: String, partition: Int, offset: Int64, key: [UInt8], value: [UInt8], envelope: Envelope) {
    self.topic = topic
    self.partition = partition
    self.offset = offset
    self.key = key
    self.value = value
    self.envelope = envelope
  }
}

/// A lease granted on one message to one owner of a group: attempts and leases are events,
/// so they survive restarts and every process sharing the directory sees them.
public struct MessageDelivered: Sendable, Equatable {
  public var topic: String
  public var group: String
  public var partition: Int
  public var offset: Int64
  public var owner: String
  /// 1 for the first delivery, +1 for each redelivery.
  public var attempt: Int
  public var leaseDeadline: WALTimestamp
}

public struct MessageAcked: Sendable, Equatable {
  public var topic: String
  public var group: String
  public var partition: Int
  public var offset: Int64
  public var owner: String
}

public struct MessageNacked: Sendable, Equatable {
  public var topic: String
  public var group: String
  public var partition: Int
  public var offset: Int64
  public var owner: String
  public var reason: String
}
