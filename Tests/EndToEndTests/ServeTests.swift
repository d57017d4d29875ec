#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import TestSupport

/// `driftqctl serve` against DriftQ-Core's wire contract, over real sockets.
@Suite struct ServeTests {
  @Test func v1EndpointsAnswerWithDriftQsShapes() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-serve"))
    let server = try ServeProcess(cli)
    let c = server.client
    let health = try #require(c.request("GET", "/v1/healthz"))
    #expect(health.status == 200 && health.body == "{\"status\":\"ok\"}\n")
    #expect(health.headers["content-type"] == "application/json; charset=utf-8")
    #expect(health.headers["x-request-id"]?.count == 24)
    #expect(c.request("GET", "/v1/healthz", headers: ["X-Request-Id": "mine"])?.headers["x-request-id"] == "mine")
    #expect(c.request("GET", "/v1/version")?.body.contains("\"wal_enabled\":true") == true)
    #expect(c.request("POST", "/v1/topics?name=orders&partitions=3")?.body == "{\"status\":\"created\",\"name\":\"orders\",\"partitions\":3}\n")
    #expect(c.request("POST", "/v1/topics?name=orders&partitions=3")?.status == 201)
    #expect(c.request("POST", "/v1/topics?name=orders&partitions=2")?.status == 409)
    #expect(c.request("POST", "/v1/topics", body: "{\"name\":\"jobs\"}")?.status == 201)
    #expect(c.request("POST", "/v1/topics?name=neg&partitions=-2")?.body == "{\"error\":\"INVALID_ARGUMENT\",\"message\":\"invalid partitions\"}\n")
    #expect(c.request("POST", "/v1/topics", body: "{\"name\":\"x\",\"parts\":2}")?.body.contains(#"unknown field \"parts\""#) == true)
    #expect(c.request("GET", "/v1/topics")?.body == "{\"topics\":[\"jobs\",\"orders\"]}\n")
    let put = try #require(c.request("PUT", "/v1/topics"))
    #expect(put.status == 405 && put.headers["allow"] == "GET, POST" && put.body.contains("METHOD_NOT_ALLOWED"))
    #expect(c.request("GET", "/v1/produce")?.headers["allow"] == "POST")
    #expect(c.request("GET", "/")?.body == "{\"error\":\"NOT_FOUND\",\"message\":\"use /v1/* endpoints\"}\n")
    #expect(c.request("GET", "/v1/unknown")?.body == "404 page not found\n")
    let produced = try #require(c.request("POST", "/v1/produce?topic=jobs&key=k&value=hello"))
    #expect(produced.status == 200 && produced.body == "{\"status\":\"produced\",\"topic\":\"jobs\",\"partition\":0,\"offset\":0}\n")
    // DriftQ's error and message first (its SDKs read them), then our code and whole message.
    #expect(c.request("POST", "/v1/produce?topic=nope&value=x")?.body == "{\"error\":\"INVALID_ARGUMENT\",\"message\":\"topic does not exist (create it first)\",\"code\":\"topic_not_found\",\"detail\":\"topic does not exist (create it first): nope\"}\n")
    #expect(c.request("POST", "/v1/produce?topic=jobs")?.body.contains("topic and value are required") == true)
    #expect(c.request("POST", "/v1/produce?topic=jobs&value=x&retry_backoff_ms=100")?.body.contains("retry_max_attempts must be \\u003e 0") == true)
    #expect(c.request("POST", "/v1/produce", body: "{\"topic\":\"jobs\",\"value\":{\"a\":1}}")?.status == 400)
    let idem = "{\"topic\":\"jobs\",\"value\":\"v\",\"envelope\":{\"idempotency_key\":\"k1\"}}"
    #expect(c.request("POST", "/v1/produce", body: idem)?.body.contains("\"duplicate\"") == false)
    #expect(c.request("POST", "/v1/produce", body: idem)?.body.contains("\"duplicate\":true") == true)
    #expect(c.request("POST", "/v1/ack?topic=jobs&group=g&owner=o&partition=0&offset=0")?.body.contains("message is not in-flight") == true)
    #expect(c.request("POST", "/v1/ack?topic=jobs&group=g&owner=o")?.body.contains("partition and offset are required") == true)
    #expect(c.request("POST", "/v1/ack", body: "{\"topic\":\"jobs\",\"group\":\"g\",\"owner\":\"o\",\"partition\":0,\"offset\":0,\"msg\":1}")?.body.contains("unknown field: msg") == true)
    #expect(c.request("GET", "/debug/topics/peek")?.body == "missing topic\n")
    #expect(c.request("GET", "/debug/topics/peek?topic=nope")?.status == 404)
    #expect(c.request("GET", "/debug/topics/peek?topic=jobs&limit=1")?.body == "{\"ok\":true,\"topic\":\"jobs\",\"limit\":1,\"messages\":[{\"partition\":0,\"offset\":0,\"attempts\":0,\"key\":\"k\",\"value\":\"hello\",\"last_error\":\"\"}]}\n")
    let metrics = try #require(c.request("GET", "/metrics"))
    #expect(metrics.body.contains("driftq_http_requests_total{route=\"/v1/produce\",status=\"200\"}"))
    #expect(metrics.body.contains("driftq_wal_commit_duration_seconds_bucket"))
    #expect(server.stop() == 0)
  }

  @Test func aStreamingConsumeSendsHeadersAtOnceAndItemsAsTheyArrive() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-stream"))
    try cli.run(["topics", "create", "--name", "t"])
    let server = try ServeProcess(cli)
    let c = server.client
    let fd = c.connect()
    defer { close(fd) }
    c.send(fd, "GET /v1/consume?topic=t&group=g&owner=alice&lease_ms=60000 HTTP/1.1\r\nHost: x\r\n\r\n")
    var received = ""
    var buffer = [UInt8](repeating: 0, count: 65536)
    func readMore() {
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n > 0 { received += String(decoding: buffer[0..<n], as: UTF8.self) }
    }
    readMore()
    #expect(received.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson; charset=utf-8"), "headers must not wait for a message")
    // A message published by a local command (another process) reaches the open stream.
    try cli.run(["publish", "--topic", "t", "--key", "k", "--value", "hello"])
    while !received.contains("\"value\":\"hello\"") { let before = received.count; readMore(); if received.count == before { break } }
    #expect(received.contains(#"{"partition":0,"offset":0,"attempts":1,"key":"k","value":"hello","last_error":""}"#))
    #expect(c.request("POST", "/v1/ack", body: "{\"topic\":\"t\",\"group\":\"g\",\"owner\":\"bob\",\"partition\":0,\"offset\":0}")?.status == 409)
    #expect(c.request("POST", "/v1/ack", body: "{\"topic\":\"t\",\"group\":\"g\",\"owner\":\"alice\",\"partition\":0,\"offset\":0}")?.status == 204)
    #expect(try cli.run(["topics", "lag", "--group", "g"]).stdout.contains("t\t0\t1\t1\t0\t0"))
    #expect(server.stop() == 0)
  }

  /// Concurrent plans carried out over HTTP each get a write of their own: two redrives of
  /// one DLQ message decided in one write would both republish it, and the log would no
  /// longer fold.
  @Test func concurrentRedrivesEachTakeADifferentMessage() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-concurrent-redrive"))
    let server = try ServeProcess(cli, arguments: ["--max-inflight", "0"])
    let c = server.client
    #expect(c.request("POST", "/v1/topics?name=t")?.status == 201)
    let base = ["--base-url", "http://127.0.0.1:\(server.port)"]
    for i in 0..<16 { #expect(try cli.run(["publish", "--topic", "t", "--value", "m\(i)", "--retry-max-attempts", "1"] + base).status == 0) }
    let leased = try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "w", "--max", "16", "--max-inflight", "0"] + base).stdout
    #expect(try cli.run(["nack", "--batch", "--topic", "t", "--group", "g", "--owner", "w"] + base, input: leased).status == 0)
    #expect(try cli.run(["dlq", "list", "--topic", "t"] + base).stdout.split(separator: "\n").count == 17)
    final class Statuses: @unchecked Sendable {
      let lock = NSLock()
      var all: [Int] = []  // guarded by `lock`
    }
    let statuses = Statuses()
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      let status = c.request("POST", "/debug/dlq/redrive", body: #"{"topic":"t","max":1}"#)?.status ?? 0
      statuses.lock.withLock { statuses.all.append(status) }
    }
    #expect(statuses.all == Array(repeating: 200, count: 8))
    #expect(server.stop() == 0)
    // Each redrive took a message of its own, and the directory folds.
    let listing = try cli.run(["dlq", "list", "--topic", "t", "-o", "json"])
    #expect(listing.status == 0, "\(listing.stderr)")
    #expect(listing.stdout.components(separatedBy: #""redriven":true"#).count - 1 == 8)
    #expect(try cli.run(["wal", "verify"]).status == 0)
  }

  /// The lifecycle routes refuse what does not parse with 400 and say what is wrong, write
  /// nothing without "execute", and answer a missing topic or group with 404.
  @Test func lifecycleRoutesRefuseBadBodiesAndDryRunByDefault() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-lifecycle-http"))
    let server = try ServeProcess(cli)
    let c = server.client
    #expect(c.request("POST", "/v1/topics?name=t")?.status == 201)
    let badKey = try #require(c.request("POST", "/debug/dlq/purge", body: #"{"topic":"t","key":"!!","execute":true}"#))
    #expect(badKey.status == 400 && badKey.body.hasPrefix("bad request: key is not base64"), "\(badKey.body)")
    for route in ["/debug/topics/delete", "/debug/groups/delete", "/debug/dlq/purge", "/debug/runs/delete"] {
      #expect(c.request("POST", route, body: "not json")?.status == 400, "\(route)")
      #expect(c.request("GET", route)?.status == 405, "\(route)")
    }
    #expect(c.request("POST", "/debug/groups/delete", body: #"{"topic":"t","group":"nobody","execute":true}"#)?.status == 404)
    let dry = try #require(c.request("POST", "/debug/topics/delete", body: #"{"topic":"t"}"#))
    #expect(dry.status == 200 && dry.body.contains(#""topic":"t""#))
    #expect(c.request("GET", "/debug/topics")?.body.contains(#""t""#) == true, "a dry run deleted the topic")
    #expect(c.request("POST", "/debug/topics/delete", body: #"{"topic":"t","execute":true}"#)?.status == 200)
    #expect(c.request("POST", "/v1/produce?topic=t&value=x")?.status == 400)
    #expect(server.stop() == 0)
  }

  /// DriftQ-Core's flow control, as an application sees it: 2 messages in flight per stream
  /// and partition, a 2000 ms lease, and 429 with Retry-After for the 101st unacked message of
  /// a partition. Each is a flag, and /v1/config reports the values in force.
  @Test func flowControlStartsAsDriftQCoresAndEachIsAFlag() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-defaults"))
    let server = try ServeProcess(cli)
    let c = server.client
    let config = try #require(c.request("GET", "/v1/config")).body
    #expect(config.contains(#""max_partition_bytes":65536,"max_partition_msgs":100,"max_inflight":2"#), "\(config)")
    #expect(c.request("POST", "/v1/topics?name=t")?.status == 201)
    for i in 0..<5 { #expect(c.request("POST", "/v1/produce?topic=t&value=m\(i)")?.status == 200) }
    let stream = try #require(c.request("GET", "/v1/consume?topic=t&group=g&owner=o&until_idle=1"))
    #expect(stream.body.split(separator: "\n").map(String.init) == [
      #"{"partition":0,"offset":0,"attempts":1,"key":"","value":"m0","last_error":""}"#,
      #"{"partition":0,"offset":1,"attempts":1,"key":"","value":"m1","last_error":""}"#,
      #"{"stream_end":"inflight_cap","dead_lettered":0}"#,
    ])
    // The group now counts: unacked messages from its committed offset on, leased or not.
    for i in 5..<100 { #expect(c.request("POST", "/v1/produce?topic=t&value=m\(i)")?.status == 200) }
    let refused = try #require(c.request("POST", "/v1/produce?topic=t&value=m100"))
    #expect(refused.status == 429 && refused.headers["retry-after"] == "1")
    #expect(refused.body.hasPrefix(#"{"error":"RESOURCE_EXHAUSTED","message":"producer overload: partition_buffer_full","reason":"partition_buffer_full","retry_after_ms":1000,"#), "\(refused.body)")
    #expect(c.request("POST", "/v1/ack?topic=t&group=g&owner=o&partition=0&offset=0")?.status == 204)
    #expect(c.request("POST", "/v1/produce?topic=t&value=m100")?.status == 200)
    let big = String(repeating: "x", count: 40 * 1024)
    #expect(c.request("POST", "/v1/topics?name=u")?.status == 201)
    #expect(c.request("POST", "/v1/produce?topic=u&value=x")?.status == 200)
    #expect(c.request("GET", "/v1/consume?topic=u&group=g&owner=o&until_idle=1")?.body.contains(#""value":"x""#) == true)
    #expect(c.request("POST", "/v1/produce", body: #"{"topic":"u","value":"\#(big)"}"#)?.status == 200)
    let bytes = try #require(c.request("POST", "/v1/produce", body: #"{"topic":"u","value":"\#(big)"}"#))
    #expect(bytes.status == 429 && bytes.body.contains(#""reason":"partition_buffer_bytes_full""#), "\(bytes.body)")
    #expect(server.stop() == 0)
    let lease = try cli.run(["wal", "dump", "--kind", "message_delivered", "--topic", "t"]).lines.first ?? ""
    #expect(lease.contains(#""time":"#) && LeaseAudit.leaseMs(lease) == 2000, "\(lease)")

    let tuned = try ServeProcess(cli, arguments: ["--max-inflight", "3", "--default-lease-ms", "5000", "--max-partition-msgs", "0", "--max-partition-bytes", "0"])
    #expect(tuned.client.request("GET", "/v1/config")?.body.contains(#""max_partition_bytes":0,"max_partition_msgs":0,"max_inflight":3"#) == true)
    #expect(tuned.client.request("POST", "/v1/produce?topic=t&value=more")?.status == 200)
    #expect(tuned.client.request("POST", "/v1/produce", body: #"{"topic":"u","value":"\#(big)"}"#)?.status == 200)
    let more = try #require(tuned.client.request("GET", "/v1/consume?topic=t&group=h&owner=o&until_idle=1"))
    #expect(more.body.split(separator: "\n").count == 4 && more.body.hasSuffix(#"{"stream_end":"inflight_cap","dead_lettered":0}"# + "\n"))
    #expect(tuned.stop() == 0)
    let tunedLease = try cli.run(["wal", "dump", "--kind", "message_delivered", "--topic", "t"]).lines.last ?? ""
    #expect(LeaseAudit.leaseMs(tunedLease) == 5000, "\(tunedLease)")
  }

  @Test func malformedRequestsGetTheirStatusAndTheServerStaysHealthy() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-malformed"))
    let server = try ServeProcess(cli, arguments: ["--max-body-bytes", "1KiB", "--max-header-bytes", "2KiB", "--read-timeout", "300ms"])
    let c = server.client
    #expect(c.raw("NONSENSE\r\n\r\n")?.status == 400)
    #expect(c.raw("GET /v1/healthz HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 4000))\r\n\r\n")?.status == 431)
    #expect(c.raw("POST /v1/topics HTTP/1.1\r\nContent-Length: nope\r\n\r\n")?.status == 400)
    #expect(c.raw("POST /v1/topics HTTP/1.1\r\nContent-Length: 5000\r\n\r\n")?.status == 413)
    #expect(c.raw("POST /v1/topics HTTP/1.1\r\nContent-Length: 50\r\n\r\n{\"name\":")?.status == 408)
    #expect(c.request("POST", "/v1/topics", body: "{\"name\":")?.body.contains("invalid json body") == true)
    let chunked = c.raw("POST /v1/topics HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n7\r\n{\"name\"\r\n8\r\n:\"chunk\"\r\n1\r\n}\r\n0\r\n\r\n")
    #expect(chunked?.status == 201 && chunked?.body.contains("\"name\":\"chunk\"") == true)
    #expect(c.raw("POST /v1/topics HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")?.status == 501)
    // Numbers from outside are range-checked: none of these may trap (each once killed serve).
    #expect(c.raw("POST /v1/topics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\n")?.status == 400)
    #expect(c.raw("POST /v1/topics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n")?.status == 400)
    #expect(c.raw("POST /v1/topics HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello")?.status == 400)
    #expect(c.raw("POST /v1/topics HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n")?.status == 400)
    _ = c.request("POST", "/v1/topics?name=t")
    #expect(c.request("POST", "/v1/produce?topic=t&value=x&deadline_ms=9223372036854775807")?.status == 400)
    #expect(c.request("POST", "/v1/produce?topic=t&value=x&deadline_rfc3339=2262-04-11T23:47:16.9Z")?.status == 400)
    // A request id with a line break is not echoed: no header can be injected.
    let injected = c.raw("GET /v1/healthz HTTP/1.1\r\nX-Request-Id: a\rSet-Cookie: x=1\r\nConnection: close\r\n\r\n")
    #expect(injected?.status == 200 && injected?.headers["set-cookie"] == nil && injected?.headers["x-request-id"]?.contains("Set-Cookie") == false)
    #expect(c.request("GET", "/v1/healthz")?.status == 200)
    #expect(server.stop() == 0)
  }

  @Test func commandStepsFromClientsRunOnlyWhenTheServerAllowsThem() throws {
    let spec = #"{"run_id":"c1","spec":{"id":"wf","nodes":[{"id":"a","run":["echo","{}"]}]}}"#
    let cli = CLIProcess(TemporaryDirectory("e2e-commands"))
    let server = try ServeProcess(cli)
    let refused = server.client.request("POST", "/debug/run-spec", body: spec)
    #expect(refused?.status == 403 && refused?.body.contains("--allow-command-steps") == true)
    #expect(server.stop() == 0)
    let allowing = try ServeProcess(cli, arguments: ["--allow-command-steps"])
    #expect(allowing.client.request("POST", "/debug/run-spec", body: spec)?.status == 200)
    #expect(allowing.stop() == 0)
  }

  /// The token is checked before a body is read: an unauthenticated client that announces a
  /// large body gets 401 at once (it once held the connection, and the memory, for it).
  @Test func aBodyIsNotReadBeforeTheTokenIsChecked() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-auth-first"))
    let server = try ServeProcess(cli, arguments: ["--token", "s3cret", "--read-timeout", "30s"])
    let answer = server.client.raw("POST /v1/produce HTTP/1.1\r\nHost: x\r\nContent-Length: 16000000\r\nExpect: 100-continue\r\n\r\n")
    #expect(answer?.status == 401)
    #expect(server.stop() == 0)
  }

  /// `--read-timeout` bounds a whole request, not the gap between two bytes: a client that
  /// trickles a header line at a time gets 408 once the deadline passes.
  @Test func aSlowRequestGetsItsDeadlineWhateverItSendsMeanwhile() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-slow"))
    let server = try ServeProcess(cli, arguments: ["--read-timeout", "400ms"])
    let fd = server.client.connect()
    defer { close(fd) }
    server.client.send(fd, "GET /v1/healthz HTTP/1.1\r\nHost: x\r\n")
    var answer = ""
    for i in 0..<30 where answer.isEmpty {
      // A header every 100 ms: well inside the old per-read timeout, 3 s in all.
      var pause = timespec(tv_sec: 0, tv_nsec: 100_000_000)
      nanosleep(&pause, nil)
      server.client.send(fd, "X-Slow-\(i): 1\r\n")
      var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      if poll(&poller, 1, 0) > 0 {
        var bytes = [UInt8](repeating: 0, count: 4096)
        let n = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        answer = n > 0 ? String(decoding: bytes[0..<n], as: UTF8.self) : "closed"
      }
    }
    #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
    #expect(server.client.request("GET", "/v1/healthz")?.status == 200)
    #expect(server.stop() == 0)
  }

  @Test func aTokenIsRequiredWhenSet() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-token"))
    let server = try ServeProcess(cli, arguments: ["--token", "s3cret"])
    #expect(server.client.request("GET", "/v1/healthz")?.status == 401)
    #expect(server.client.request("GET", "/v1/healthz", headers: ["Authorization": "Bearer wrong"])?.status == 401)
    #expect(server.client.request("GET", "/v1/healthz", headers: ["Authorization": "Bearer s3cret"])?.status == 200)
    // The scheme is case-insensitive (RFC 7235); a prefix or an extension of the token is not it.
    #expect(server.client.request("GET", "/v1/healthz", headers: ["Authorization": "bearer s3cret"])?.status == 200)
    #expect(server.client.request("GET", "/v1/healthz", headers: ["Authorization": "Bearer s3cre"])?.status == 401)
    #expect(server.client.request("GET", "/v1/healthz", headers: ["Authorization": "Bearer s3cretX"])?.status == 401)
    #expect(server.stop() == 0)
  }

  /// 100 connections publish at once while a consumer acks; then SIGTERM. Every produce the
  /// server answered 200 is in the log, and nothing is lost or duplicated. (The consumer acks
  /// only at the end, so DriftQ's producer limits are lifted: every produce must be accepted.)
  @Test func concurrentPublishersAndAShutdownLoseNothingAcknowledged() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-concurrent"))
    try cli.run(["topics", "create", "--name", "t", "--partitions", "4"])
    let server = try ServeProcess(cli, arguments: ["--max-partition-msgs", "0", "--max-partition-bytes", "0"])
    let c = server.client
    let results = Results()
    var threads: [Thread] = []
    for worker in 0..<100 {
      let thread = Thread {
        for i in 0..<10 {
          if let r = c.request("POST", "/v1/produce?topic=t&key=w\(worker)-\(i)&value=v"), r.status == 200 { results.add(r.body) }
        }
      }
      threads.append(thread)
      thread.start()
    }
    let consumer = try cli.start(["consume", "--topic", "t", "--group", "g", "--owner", "o", "--max", "300", "--follow", "--wait", "30s", "--max-inflight", "0"])
    try consumer.stdin.close()
    let items = CLIProcess.readLines(consumer.stdout, atLeast: 300)
    consumer.0.waitUntilExit()
    let acked = try cli.run(["ack", "--batch", "--topic", "t", "--group", "g", "--owner", "o"], input: items.joined(separator: "\n"))
    #expect(acked.stdout == "acked=300 failed=0\n")
    while results.count < 1000 && threads.contains(where: { $0.isExecuting }) { usleep(10_000) }
    #expect(results.count == 1000)
    #expect(server.stop() == 0)
    let stored = Set(try cli.run(["wal", "dump", "--kind", "message_published"]).lines.map { line in
      line.components(separatedBy: "\"partition\":")[1].components(separatedBy: ",\"key\"")[0]
    })
    #expect(stored.count == 1000)
    for body in results.all {
      let place = body.components(separatedBy: "\"partition\":")[1].trimmingCharacters(in: CharacterSet(charactersIn: "}\n"))
      #expect(stored.contains(place), "acknowledged \(place) is missing")
    }
  }
}

/// Thread-safe collection of response bodies.
final class Results: @unchecked Sendable {
  private let lock = NSLock()
  private var bodies: [String] = []
  func add(_ body: String) { lock.lock(); bodies.append(body); lock.unlock() }
  var count: Int { lock.lock(); defer { lock.unlock() }; return bodies.count }
  var all: [String] { lock.lock(); defer { lock.unlock() }; return bodies }
}
