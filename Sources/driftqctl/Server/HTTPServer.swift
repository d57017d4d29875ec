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

  init(router: Router, limits: HTTPConnection.Limits, maxConnections: Int) {
    self.router = router
    self.limits = limits
    self.maxConnections = maxConnections
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

  private func handle(_ fd: Int32) {
    defer { close(fd) }
    let connection = HTTPConnection(fd: fd, limits: limits)
    while !isStopping {
      let request: HTTPRequest
      do { request = try connection.next() } catch {
        switch error {
        case .closed: return
        case .timedOut:
          Socket.write(fd, HTTPResponse.error(408, "DEADLINE_EXCEEDED", "request not received in time").serialized(requestID: Self.requestID(), keepAlive: false))
        case .reject(let status, let message):
          Socket.write(fd, HTTPResponse.error(status, "INVALID_ARGUMENT", message).serialized(requestID: Self.requestID(), keepAlive: false))
        }
        router.service.metrics.recordRequest(route: "malformed", status: 400)
        return
      }
      let requestID = request.header("x-request-id").flatMap { $0.isEmpty || $0.utf8.count > 128 ? nil : $0 } ?? Self.requestID()
      let (route, outcome) = router.route(request)
      switch outcome {
      case .respond(let response):
        router.service.metrics.recordRequest(route: route, status: response.status)
        let keepAlive = request.keepAlive && !isStopping
        guard Socket.write(fd, response.serialized(requestID: requestID, keepAlive: keepAlive)), keepAlive else { return }
      case .stream(let topic, let group, let owner, let lease):
        router.service.metrics.recordRequest(route: route, status: 200)
        router.consume.run(fd: fd, requestID: requestID, topic: topic, group: group, owner: owner, lease: lease)
        Socket.write(fd, Array("0\r\n\r\n".utf8))
        return
      }
    }
  }

  /// 24 hex characters, as DriftQ generates them.
  static func requestID() -> String {
    var generator = SystemRandomNumberGenerator()
    let digits = Array("0123456789abcdef")
    return String((0..<24).map { _ in digits[Int(generator.next() & 15)] })
  }
}
