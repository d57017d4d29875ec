import CDriftQ
#if canImport(Glibc)
import Glibc
#endif
import WALFormat

/// The accept loop: one thread per connection, bounded; stops on SIGINT/SIGTERM after the
/// requests in flight finish (their writes are durable before they are answered).
final class HTTPServer: @unchecked Sendable {
  // Invariant: `active` and `stopping` are read and written with `lock` held.
  private let lock = Monitor()
  private var active = 0
  private var stopping = false
  let router: Router
  let limits: HTTPConnection.Limits
  let maxConnections: Int

  /// For `--tls-cert`/`--tls-key`: every connection speaks TLS (nil: plain HTTP).
  let tls: TLSContext?

  init(router: Router, limits: HTTPConnection.Limits, maxConnections: Int, tls: TLSContext? = nil) {
    self.router = router
    self.limits = limits
    self.maxConnections = maxConnections
    self.tls = tls
  }

  var isStopping: Bool { lock.withLock { stopping } }

  /// Serves `listener` until a stop signal; returns once connections have finished (or after
  /// a grace period for streams).
  func serve(listener: Int32) {
    driftq_install_stop_handlers()
    while driftq_stop_signal() == 0 {
      guard let client = Socket.accept(listener, milliseconds: 200) else { continue }
      let admitted = lock.withLock { () -> Bool in
        guard active < maxConnections else { return false }
        active += 1
        return true
      }
      guard admitted else {
        let busy = HTTPResponse.error(503, "UNAVAILABLE", "too many connections (--max-connections \(maxConnections))")
        Socket.write(client, busy.serialized(requestID: Self.requestID(), keepAlive: false))
        close(client)
        continue
      }
      Threads.spawn { [self] in
        handle(client)
        lock.withLock {
          active -= 1
          lock.broadcast()
        }
      }
    }
    close(listener)
    lock.withLock { stopping = true }
    // Let requests in flight finish; streams notice `stopping` and end.
    for _ in 0..<100 {
      let done = lock.withLock { () -> Bool in
        if active > 0 { lock.wait(milliseconds: 50) }
        return active == 0
      }
      if done { break }
    }
  }

  /// The connection on `socket`: plain, or TLS after a handshake bounded by --read-timeout
  /// (a client that fails it is closed and counted, never answered in plain text).
  private func open(_ socket: Int32) -> Channel? {
    guard let tls else { return Channel(plain: socket) }
    do { return try Channel.server(socket, context: tls, milliseconds: limits.readTimeoutMs) } catch {
      router.service.metrics.recordRequest(route: "tls", status: 400)
      return nil
    }
  }

  private func handle(_ socket: Int32) {
    guard let channel = open(socket) else {
      close(socket)
      return
    }
    defer { channel.close() }
    let token = router.token
    let connection = HTTPConnection(channel: channel, limits: limits) { request in
      token.map { Router.authorized(request.header("authorization"), token: $0) } ?? true
    }
    while !isStopping {
      // A client that pipelines sends several requests at once: read every one already
      // buffered, decide them together (they share one write and one fdatasync), and answer
      // in order. A stream (consume) ends the group.
      var requests: [HTTPRequest] = []
      repeat {
        do { requests.append(try connection.next()) } catch {
          if requests.isEmpty {
            reject(error, channel)
            return
          }
          break
        }
      } while requests.count < 64 && connection.hasBufferedRequest && requests.last?.path != "/v1/consume"
      let routed = decideAll(requests)
      var bytes: [UInt8] = []
      for (request, (route, outcome)) in zip(requests, routed) {
        // Echoed in a header: visible ASCII only, so no CR or LF can split the answer.
        let requestID = request.header("x-request-id").flatMap { id in
          id.isEmpty || id.utf8.count > 128 || !id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) ? nil : id
        } ?? Self.requestID()
        switch outcome {
        case .respond(let response):
          router.service.metrics.recordRequest(route: route, status: response.status)
          let keepAlive = request.keepAlive && !isStopping
          bytes += response.serialized(requestID: requestID, keepAlive: keepAlive)
          if !keepAlive {
            channel.write(bytes)
            return
          }
        case .stream(let stream):
          guard channel.write(bytes) else { return }
          bytes = []
          router.service.metrics.recordRequest(route: route, status: 200)
          router.consume.run(on: channel, requestID: requestID, stream)
          channel.write(Array("0\r\n\r\n".utf8))
          return
        }
      }
      guard channel.write(bytes) else { return }
    }
  }

  /// Routes requests. Several pipelined produces and acks are all queued first, then waited
  /// for together: they share one write and one fdatasync, with no thread per request.
  private func decideAll(_ requests: [HTTPRequest]) -> [(String, Router.Outcome)] {
    let prepared = requests.map { router.prepare($0) }
    router.service.wait(jobs: prepared.compactMap { if case .pending(let job, _) = $0.prepared { job } else { nil } })
    return prepared.map { ($0.route, $0.prepared.resolved) }
  }

  private func reject(_ error: HTTPConnection.Failure, _ channel: Channel) {
    switch error {
    case .closed: return
    case .timedOut:
      channel.write(HTTPResponse.error(408, "DEADLINE_EXCEEDED", "request not received in time").serialized(requestID: Self.requestID(), keepAlive: false))
    case .reject(let status, let message):
      channel.write(HTTPResponse.error(status, "INVALID_ARGUMENT", message).serialized(requestID: Self.requestID(), keepAlive: false))
    case .unauthorized:
      // Its body is unread: the connection cannot carry another request, so it closes.
      channel.write(Router.unauthenticated.serialized(requestID: Self.requestID(), keepAlive: false))
      router.service.metrics.recordRequest(route: "auth", status: 401)
      return
    }
    router.service.metrics.recordRequest(route: "malformed", status: 400)
  }

  /// 24 hex characters, as DriftQ generates them: a random prefix drawn once and a counter
  /// mixed by SplitMix64 (unique per process, and no system call per request).
  static func requestID() -> String {
    let n = RequestIDs.next()
    var z = n &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    let hex = String(z, radix: 16)
    return RequestIDs.prefix + String(repeating: "0", count: 16 - hex.count) + hex
  }
}

/// The state behind request ids.
enum RequestIDs {
  static let prefix: String = {
    let hex = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    return String(repeating: "0", count: 8 - hex.count) + hex
  }()
  // Invariant: only touched with `lock` held.
  nonisolated(unsafe) private static var counter: UInt64 = 0
  private static let lock = Monitor()

  static func next() -> UInt64 {
    lock.withLock {
      counter &+= 1
      return counter
    }
  }
}
