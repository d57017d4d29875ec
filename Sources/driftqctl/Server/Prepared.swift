/// A request's answer now, or once its queued decision is written: how a connection's
/// pipelined produces and acks are all queued before any is waited for, so they share one
/// write and one fdatasync.
enum Prepared {
  case done(Router.Outcome)
  case pending(BrokerService.Job, () -> HTTPResponse)

  static func answer(_ response: HTTPResponse) -> Prepared { .done(.respond(response)) }

  /// The answer, waiting for the write when there is one to wait for.
  func resolved(_ service: BrokerService) -> Router.Outcome {
    switch self {
    case .done(let outcome): return outcome
    case .pending(let job, let finish):
      service.wait(jobs: [job])
      return .respond(finish())
    }
  }
}
