/// A request's answer now, or once its queued decision is written: how a connection's
/// pipelined produces and acks are all queued before any is waited for, so they share one
/// write and one fdatasync.
enum Prepared {
  case done(Router.Outcome)
  case pending(BrokerService.Job, () -> HTTPResponse)

  static func answer(_ response: HTTPResponse) -> Prepared { .done(.respond(response)) }

  /// The answer, once the caller waited for every pending job's write.
  var resolved: Router.Outcome {
    switch self {
    case .done(let outcome): return outcome
    case .pending(_, let finish): return .respond(finish())
    }
  }
}
