import ReplayEngine
import WALFormat

/// The broker as a command sees it, whichever face it is on: a local WAL directory
/// (`LocalBroker`) or a DriftQ server over HTTP (`HTTPBroker`). Chosen once per invocation
/// by `BrokerFace.open`; a command builds requests, calls this, and renders the outcome,
/// never asking which face it has.
protocol Broker: AnyObject {
  func topics() throws -> [TopicSummary]
  func createTopic(name: String, partitions: Int, limits: ProducerLimits) throws -> TopicCreation
  /// Each request's outcome, in order; everything accepted is durable when this returns.
  func publish(_ requests: [PublishRequest]) throws -> [Result<PublishReceipt, BrokerRejection>]
  func settle(_ requests: [SettleRequest]) throws -> [Result<SettleReceipt, BrokerRejection>]
  /// Leases messages and hands each ConsumeItem line to `deliver` once its lease is durable;
  /// `deliver` returns false to stop.
  func consume(_ request: ConsumeRequest, deliver: (ConsumeLine) -> Bool) throws -> ConsumeSummary
  func lag(group: String, topic: String?) throws -> LagAnswer
  func groups() throws -> [GroupSummary]
  func seek(_ request: SeekRequest) throws -> [BrokerDecider.SeekStep]
  func deadLetters(topic: String) throws -> [DeadLetterEntry]
  func redrive(_ request: RedriveRequest) throws -> RedriveOutcome
  /// A topic's oldest messages as ConsumeItem lines, leasing nothing.
  func peek(topic: String, partition: Int?, limit: Int) throws -> [String]
  /// Reads messages with no group and no lease (`topics tail`), each as its JSON item, until
  /// `limit`, the end (or, following, the deadline), or `deliver` answers false.
  func tail(_ request: TailRequest, deliver: (String) -> Bool) throws
  /// Removes a topic with its DLQ topic and their groups (`execute`), or says what it would.
  func deleteTopic(_ topic: String, execute: Bool) throws -> BrokerDecider.TopicRemoval
  /// Removes one group's state on a topic (`execute`), or says what it would.
  func deleteGroup(topic: String, group: String, execute: Bool) throws -> BrokerDecider.GroupRemoval
  func purgeDeadLetters(_ request: PurgeRequest) throws -> PurgeOutcome
}

/// What `consume` asks for.
struct ConsumeRequest {
  var topic: String
  var group: String
  var owner: String
  var leaseMs: Int64
  /// Lease at most this many (nil: no limit).
  var limit: Int?
  /// Keep waiting for new messages and expired leases.
  var follow: Bool
  /// Stop after this long (nil: no limit).
  var waitMs: Int64?
  /// Live leases allowed per partition for this group.
  var maxInflight: InflightCap
}

/// What `topics tail` asks for.
struct TailRequest {
  var topic: String
  var partition: Int?
  var start: TopicTail.Start
  /// Messages to read at most (nil: no limit).
  var limit: Int?
  /// Keep waiting for new messages.
  var follow: Bool
  /// Stop following after this long (nil: no limit).
  var waitMs: Int64?
}

/// The in-flight cap a consume asks for.
enum InflightCap {
  /// The face's own: 32 locally (suits shell pipelines), the server's over HTTP.
  case faceDefault
  case none
  case limit(Int)
}

/// One leased message: DriftQ's ConsumeItem line, and where it is.
struct ConsumeLine {
  var text: String
  var partition: Int
  var offset: Int64
}

/// How a consume ended.
struct ConsumeSummary {
  var delivered = 0
  var deadLettered = 0
  /// A one-shot consume stopped because the in-flight cap held messages back.
  var heldByInflightCap = false
  /// The server was asked for `--max` but has no way to honour it: it may have pushed (and
  /// leased) messages that were never printed. False when it honoured it or none was given.
  var serverMayHoldMore = false
}

/// Chooses the face once per invocation.
enum BrokerFace {
  /// The broker of `globals`: HTTP with a server URL, else the local directory (folded up to
  /// `asOf` when given, which is local only).
  static func open(_ globals: GlobalOptions, _ context: CommandContext, asOf point: LogPosition? = nil) throws -> any Broker {
    if point != nil { try globals.requireLocal("--at") }
    if let client = try globals.remote(context) { return HTTPBroker(client: client, context: context) }
    return LocalBroker(globals: globals, context: context, asOf: point)
  }
}
