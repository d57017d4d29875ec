import WALFormat

/// What a user can ask of the broker, as values: the same on the command line, over HTTP and
/// inside `serve`. Each face turns its input into these and its answer out of the outcomes
/// below, so a rule lives in one place: `BrokerCommands` (decisions) and the deciders.

/// One message to publish.
public struct PublishRequest: Sendable, Equatable {
  public var topic: String
  public var key: [UInt8]
  public var value: [UInt8]
  public var envelope: Envelope
  public init(topic: String, key: [UInt8], value: [UInt8], envelope: Envelope) {
    self.topic = topic
    self.key = key
    self.value = value
    self.envelope = envelope
  }
}

/// Where a published message landed, or, for a duplicate, where the original is. `place` is
/// nil only when a server does not say (DriftQ-Core answers `{"status":"produced"}` alone).
public struct PublishReceipt: Sendable, Equatable {
  public var requestedTopic: String
  public var place: MessageOrigin?
  public var duplicate: Bool
  public init(requestedTopic: String, place: MessageOrigin?, duplicate: Bool) {
    self.requestedTopic = requestedTopic
    self.place = place
    self.duplicate = duplicate
  }
}

/// Ack or nack of one leased message.
public struct SettleRequest: Sendable, Equatable {
  public enum Action: Sendable, Equatable {
    case ack
    /// An empty reason is DriftQ's default, `nack`.
    case nack(reason: String)
  }
  public var topic: String
  public var group: String
  public var owner: String
  public var partition: Int
  public var offset: Int64
  public var action: Action
  public init(topic: String, group: String, owner: String, partition: Int, offset: Int64, action: Action) {
    self.topic = topic
    self.group = group
    self.owner = owner
    self.partition = partition
    self.offset = offset
    self.action = action
  }
}

/// What an accepted ack or nack did. `deadLettered` is set when a nack used the message's last
/// attempt and moved it to the DLQ in the same write (a server may not say: then nil).
public struct SettleReceipt: Sendable, Equatable {
  public var reason: String?
  public var deadLettered: MessageOrigin?
  public var attempts: Int
  public init(reason: String?, deadLettered: MessageOrigin? = nil, attempts: Int = 0) {
    self.reason = reason
    self.deadLettered = deadLettered
    self.attempts = attempts
  }
}

/// A topic as `topics list` shows it.
public struct TopicSummary: Sendable, Equatable {
  public var name: String
  /// Nil when a server does not say (DriftQ-Core lists names only).
  public var partitions: Int?
  public var messages: Int?
  public init(name: String, partitions: Int?, messages: Int?) {
    self.name = name
    self.partitions = partitions
    self.messages = messages
  }
}

/// What `topics create` did: created, or found the topic already there (with the partition
/// count it kept).
public struct TopicCreation: Sendable, Equatable {
  public var created: Bool
  /// The partition count the topic has; nil when a server does not say.
  public var partitions: Int?
  public init(created: Bool, partitions: Int?) {
    self.created = created
    self.partitions = partitions
  }
}

/// One consumer group on one topic, as `groups list` shows it.
public struct GroupSummary: Sendable, Equatable {
  public var group: String
  public var topic: String
  public var partitions: Int
  public var lag: Int64
  public var inflight: Int
  public var lastActivity: WALTimestamp
  public init(group: String, topic: String, partitions: Int, lag: Int64, inflight: Int, lastActivity: WALTimestamp) {
    self.group = group
    self.topic = topic
    self.partitions = partitions
    self.lag = lag
    self.inflight = inflight
    self.lastActivity = lastActivity
  }
}

/// A lag query's answer: the rows, and whether the group is known at all.
public struct LagAnswer: Sendable, Equatable {
  public var rows: [BrokerDecider.LagRow]
  public var groupExists: Bool
  public init(rows: [BrokerDecider.LagRow], groupExists: Bool) {
    self.rows = rows
    self.groupExists = groupExists
  }
}

/// `groups seek`: where to move a group, and whether to carry it out.
public struct SeekRequest: Sendable, Equatable {
  public var topic: String
  public var group: String
  public var target: BrokerDecider.SeekTarget
  public var partition: Int?
  public var execute: Bool
  public init(topic: String, group: String, target: BrokerDecider.SeekTarget, partition: Int?, execute: Bool) {
    self.topic = topic
    self.group = group
    self.target = target
    self.partition = partition
    self.execute = execute
  }
}

/// One step of `dlq redrive`: which dead letters to take (at most `selection.maximum`).
public struct RedriveRequest: Sendable, Equatable {
  public var topic: String
  public var target: String?
  public var selection: BrokerDecider.DeadLetterSelection
  public var dryRun: Bool
  public init(topic: String, target: String?, selection: BrokerDecider.DeadLetterSelection, dryRun: Bool) {
    self.topic = topic
    self.target = target
    self.selection = selection
    self.dryRun = dryRun
  }
}

/// What one redrive step did (or, in a dry run, would do). `skipped` counts matching messages
/// redriven before this step; `remaining` those still in the DLQ after it.
public struct RedriveOutcome: Sendable, Equatable {
  public struct Move: Sendable, Equatable {
    public var from: MessageOrigin
    /// Nil in a dry run.
    public var to: MessageOrigin?
    public init(from: MessageOrigin, to: MessageOrigin?) {
      self.from = from
      self.to = to
    }
  }
  public var moves: [Move]
  public var skipped: Int
  public var remaining: Int
  public init(moves: [Move], skipped: Int, remaining: Int) {
    self.moves = moves
    self.skipped = skipped
    self.remaining = remaining
  }
}

/// `dlq purge`: which DLQ messages of a topic to remove, and whether to carry it out.
public struct PurgeRequest: Sendable, Equatable {
  public var topic: String
  public var selection: BrokerDecider.DeadLetterSelection
  public var execute: Bool
  public init(topic: String, selection: BrokerDecider.DeadLetterSelection, execute: Bool) {
    self.topic = topic
    self.selection = selection
    self.execute = execute
  }
}

/// What a purge removed (or, in a dry run, would remove), and how many DLQ messages stay.
public struct PurgeOutcome: Sendable, Equatable {
  public var purged: [DeadLetterEntry]
  public var remaining: Int
  public init(purged: [DeadLetterEntry], remaining: Int) {
    self.purged = purged
    self.remaining = remaining
  }
}
