#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A worker shaped like the one in DriftQ's FastAPI starter: one consume stream with an
/// explicit lease, one message at a time, attempts counted by the worker per run, a nack
/// while attempts remain (an ack when the nack is refused), and at the last failure a record
/// on the application's own DLQ topic, then an ack. Every owner is the group's name, as the
/// starter's client defaults it.
final class StarterShapedWorker {
  /// One item the stream delivered, with the worker's own count of attempts for its run.
  struct Received {
    var offset: Int64
    var attempts: Int
    var lastError: String
    var run: String
    var workerAttempt: Int
  }

  /// One ack or nack and the status it got.
  struct Settled {
    var action: String
    var offset: Int64
    var status: Int
  }

  let client: HTTPTestClient
  let topic: String
  let deadLetterTopic: String
  let group: String
  let workMicroseconds: UInt32
  let maxAttempts = 3

  private(set) var received: [Received] = []
  private(set) var settled: [Settled] = []
  /// Runs written to the application's DLQ topic, in order (a run twice is a bug).
  private(set) var deadLettered: [String] = []
  private(set) var succeeded: Set<String> = []
  private var attempts: [String: Int] = [:]

  init(client: HTTPTestClient, topic: String, deadLetterTopic: String, group: String, workMs: Int) {
    self.client = client
    self.topic = topic
    self.deadLetterTopic = deadLetterTopic
    self.group = group
    workMicroseconds = UInt32(workMs * 1000)
  }

  /// Consumes until every run in `runs` succeeded or was dead-lettered, the stream ends, or
  /// `deliveryLimit` items came; `failing` runs fail every attempt.
  func run(leaseMs: Int, runs: Set<String>, failing: Set<String>, deliveryLimit: Int) {
    let fd = client.connect()
    defer { close(fd) }
    client.send(fd, "GET /v1/consume?topic=\(topic)&group=\(group)&owner=\(group)&lease_ms=\(leaseMs) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    var stream = NDJSONStreamReader(fd: fd)
    while succeeded.count + Set(deadLettered).count < runs.count && received.count < deliveryLimit, let line = stream.nextLine() {
      guard !line.isEmpty, let item = Self.object(line), let offset = (item["offset"] as? NSNumber)?.int64Value,
        let value = item["value"] as? String, let run = Self.object(value)?["run_id"] as? String
      else { continue }
      attempts[run, default: 0] += 1
      let attempt = attempts[run, default: 0]
      received.append(Received(
        offset: offset, attempts: (item["attempts"] as? NSNumber)?.intValue ?? 0, lastError: item["last_error"] as? String ?? "",
        run: run, workerAttempt: attempt))
      usleep(workMicroseconds)  // the run's steps
      let place = #""topic":"\#(topic)","group":"\#(group)","owner":"\#(group)","partition":0,"offset":\#(offset)"#
      if !failing.contains(run) {
        settle("ack", offset, place)
        succeeded.insert(run)
      } else if attempt < maxAttempts {
        if settle("nack", offset, place) != 204 { settle("ack", offset, place) }
      } else {
        let record = #"{"topic":"\#(deadLetterTopic)","value":"{\"run_id\":\"\#(run)\",\"attempts\":\#(attempt)}"}"#
        _ = client.request("POST", "/v1/produce", body: record)
        deadLettered.append(run)
        settle("ack", offset, place)
      }
    }
  }

  @discardableResult
  private func settle(_ action: String, _ offset: Int64, _ place: String) -> Int {
    let status = client.request("POST", "/v1/\(action)", body: "{\(place)}")?.status ?? 0
    settled.append(Settled(action: action, offset: offset, status: status))
    return status
  }

  static func object(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
  }
}
