import WALFormat

/// Every change to broker state, as written to the log. State is a fold of these.
public enum BrokerEvent: Sendable, Equatable {
  case topicCreated(TopicCreated)
  case messagePublished(MessagePublished)
  case messageDelivered(MessageDelivered)
  case messageAcked(MessageAcked)
  case messageNacked(MessageNacked)
  case messageDeadLettered(MessageDeadLettered)
  case messageRedriven(MessageRedriven)
  case messageSkipped(MessageSkipped)
  case groupSeeked(GroupSeeked)
  case logCompacted(LogCompacted)
  case topicDeleted(TopicDeleted)
  case groupDeleted(GroupDeleted)
  case deadLettersPurged(DeadLettersPurged)
}

public struct TopicCreated: Sendable, Equatable {
  public var name: String
  public var partitions: Int
  public var limits = ProducerLimits()
  public init(name: String, partitions: Int, limits: ProducerLimits = ProducerLimits()) {
    self.name = name
    self.partitions = partitions
    self.limits = limits
  }
}

/// Per-topic producer limits: publishing fails once a partition holds this much data that
/// active groups have not consumed (0 = no limit).
public struct ProducerLimits: Sendable, Equatable {
  public var maxBufferedMessages: Int64 = 0
  public var maxBufferedBytes: Int64 = 0
  public init(maxBufferedMessages: Int64 = 0, maxBufferedBytes: Int64 = 0) {
    self.maxBufferedMessages = maxBufferedMessages
    self.maxBufferedBytes = maxBufferedBytes
  }
  public var isEmpty: Bool { maxBufferedMessages == 0 && maxBufferedBytes == 0 }
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

  public init(topic: String, group: String, partition: Int, offset: Int64, owner: String, attempt: Int, leaseDeadline: WALTimestamp) {
    self.topic = topic
    self.group = group
    self.partition = partition
    self.offset = offset
    self.owner = owner
    self.attempt = attempt
    self.leaseDeadline = leaseDeadline
  }
}

public struct MessageAcked: Sendable, Equatable {
  public var topic: String
  public var group: String
  public var partition: Int
  public var offset: Int64
  public var owner: String

  public init(topic: String, group: String, partition: Int, offset: Int64, owner: String) {
    self.topic = topic
    self.group = group
    self.partition = partition
    self.offset = offset
    self.owner = owner
  }
}

public struct MessageNacked: Sendable, Equatable {
  public var topic: String
  public var group: String
  public var partition: Int
  public var offset: Int64
  public var owner: String
  public var reason: String

  public init(topic: String, group: String, partition: Int, offset: Int64, owner: String, reason: String) {
    self.topic = topic
    self.group = group
    self.partition = partition
    self.offset = offset
    self.owner = owner
    self.reason = reason
  }
}

/// A message moved to `dlq.<topic>` for one group, in one record: the source is settled for
/// the group and the DLQ copy is created by the same durable write.
public struct MessageDeadLettered: Sendable, Equatable {
  public var group: String
  /// The failed message.
  public var source: MessageOrigin
  /// The DLQ copy, with `envelope.dlq` set; its topic is `dlq.<topic>`.
  public var copy: MessagePublished
  /// Partition count of the DLQ topic, which this event creates when it does not exist.
  public var dlqPartitions: Int
}

/// A DLQ message republished by `dlq redrive`, in one record: the copy is created and the DLQ
/// message marked redriven together, so running redrive again never sends it twice.
public struct MessageRedriven: Sendable, Equatable {
  public var from: MessageOrigin
  /// The republished message (fresh attempts, `envelope.redriven_from` set).
  public var message: MessagePublished
}

/// A message a group settles without delivering it: its idempotency key is already
/// COMMITTED in that group.
public struct MessageSkipped: Sendable, Equatable {
  public var topic: String
  public var group: String
  public var partition: Int
  public var offset: Int64
  public var reason: String

  public init(topic: String, group: String, partition: Int, offset: Int64, reason: String) {
    self.topic = topic
    self.group = group
    self.partition = partition
    self.offset = offset
    self.reason = reason
  }
}

/// A group's position on a partition set by `groups seek`: `offset` is the next to deliver.
public struct GroupSeeked: Sendable, Equatable {
  public var topic: String
  public var group: String
  public var partition: Int
  public var offset: Int64
}
