import CDriftQ

/// A TLS configuration from the system's OpenSSL (loaded on first use, so commands that
/// never speak TLS never load it): a client's trust settings or a server's certificate.
final class TLSContext: @unchecked Sendable {
  // Invariant: `handle` is immutable after init and OpenSSL contexts are safe to share
  // between connections once configured.
  let handle: UnsafeMutableRawPointer
  /// Whether peers go unverified (`--insecure`).
  let insecure: Bool

  private init(handle: UnsafeMutableRawPointer, insecure: Bool) {
    self.handle = handle
    self.insecure = insecure
  }

  deinit { driftq_tls_context_free(handle) }

  /// What went wrong, from the C side's message buffer.
  struct Failure: Error, CustomStringConvertible {
    var description: String

    /// The message the C side wrote into `buffer` (NUL-terminated).
    init(_ buffer: [CChar]) {
      description = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
  }

  /// Verifies servers against `caFile` (nil: the system's trust store), or not at all.
  static func client(caFile: String?, insecure: Bool) throws(Failure) -> TLSContext {
    var error = [CChar](repeating: 0, count: 512)
    guard let handle = driftq_tls_client_context(caFile, insecure ? 1 : 0, &error, error.count) else {
      throw Failure(error)
    }
    return TLSContext(handle: handle, insecure: insecure)
  }

  /// Serves `certificate` (a PEM chain) with `key`.
  static func server(certificate: String, key: String) throws(Failure) -> TLSContext {
    var error = [CChar](repeating: 0, count: 512)
    guard let handle = driftq_tls_server_context(certificate, key, &error, error.count) else {
      throw Failure(error)
    }
    return TLSContext(handle: handle, insecure: false)
  }
}
