import Foundation
import Testing
import TestSupport

/// https:// through the system's OpenSSL: a server whose certificate chains to the CA given
/// (or the system's) and names the host works; an unknown CA or a wrong name fails with a
/// clear message (exit 5); `--insecure` works only when asked for, and says so.
@Suite(.serialized) struct TLSTests {
  /// A CA, and server certificates it signed for `localhost`/127.0.0.1 and for another name.
  struct Certificates {
    let directory: TemporaryDirectory
    var ca: String { directory.appending("ca.pem") }
    func certificate(_ name: String) -> (cert: String, key: String) { (directory.appending(name + ".pem"), directory.appending(name + ".key")) }

    init() throws {
      directory = TemporaryDirectory("tls-certs")
      let steps = [
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=driftqctl test CA'",
        "openssl req -newkey rsa:2048 -nodes -keyout good.key -out good.csr -subj '/CN=localhost'",
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > good.ext",
        "openssl x509 -req -in good.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out good.pem -days 2 -extfile good.ext",
        "openssl req -newkey rsa:2048 -nodes -keyout other.key -out other.csr -subj '/CN=other.example'",
        "printf 'subjectAltName=DNS:other.example\\n' > other.ext",
        "openssl x509 -req -in other.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out other.pem -days 2 -extfile other.ext",
      ]
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/bin/sh")
      process.arguments = ["-c", steps.joined(separator: " && ")]
      process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
      process.standardError = FileHandle.nullDevice
      process.standardOutput = FileHandle.nullDevice
      try process.run()
      process.waitUntilExit()
      guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
  }

  /// `tls-proxy.py`: TLS with `certificate` in front of a plain server on `port`.
  final class TLSProxy {
    let script: ScriptProcess
    var port: Int { Int(script.announced) ?? 0 }
    init(certificate: (cert: String, key: String), backend port: Int) throws {
      script = try ScriptProcess("tls-proxy.py", arguments: [certificate.cert, certificate.key, String(port)])
    }
  }

  @Test func aVerifiedServerWorksAndABadOneIsRefusedClearly() throws {
    let certificates = try Certificates()
    let cli = CLIProcess(TemporaryDirectory("tls"))
    let server = try ServeProcess(cli)
    let good = try TLSProxy(certificate: certificates.certificate("good"), backend: server.port)
    let url = "https://localhost:\(good.port)"
    // Trusted through --cacert, or DRIFTQ_CACERT; by name and by IP address.
    #expect(try cli.run(["--base-url", url, "--cacert", certificates.ca, "topics", "create", "--name", "t"]).status == 0)
    #expect(try cli.run(["--base-url", url, "publish", "--topic", "t", "--value", "over tls"], environment: ["DRIFTQ_CACERT": certificates.ca]).status == 0)
    let consumed = try cli.run(["--base-url", "https://127.0.0.1:\(good.port)", "--cacert", certificates.ca, "consume", "--topic", "t", "--group", "g", "--owner", "w"])
    #expect(consumed.status == 0 && consumed.stdout.contains("over tls"), "\(consumed.stderr)")

    // The system's trust store does not know the test CA.
    let unknown = try cli.run(["--base-url", url, "topics", "list"])
    #expect(unknown.status == 5 && unknown.stderr.contains("certificate verify failed"), "\(unknown.stderr)")

    // A certificate for another name.
    let other = try TLSProxy(certificate: certificates.certificate("other"), backend: server.port)
    let mismatch = try cli.run(["--base-url", "https://localhost:\(other.port)", "--cacert", certificates.ca, "topics", "list"])
    #expect(mismatch.status == 5 && mismatch.stderr.contains("hostname mismatch"), "\(mismatch.stderr)")

    // --insecure only when asked for, loudly.
    let insecure = try cli.run(["--base-url", "https://localhost:\(other.port)", "--insecure", "topics", "list"])
    #expect(insecure.status == 0 && insecure.stdout == "t\n" && insecure.stderr.contains("--insecure: the server's certificate and name are not verified"))
    #expect(try cli.run(["--base-url", url, "--insecure", "--cacert", certificates.ca, "topics", "list"]).status == 2)

    // A plain-HTTP server spoken to with https fails clearly, never hangs.
    let plain = try cli.run(["--base-url", "https://127.0.0.1:\(server.port)", "--cacert", certificates.ca, "--timeout", "2s", "topics", "list"])
    #expect(plain.status == 5 && plain.stderr.contains("TLS handshake failed"), "\(plain.stderr)")
    #expect(server.stop() == 0)
  }

  /// `serve --tls-cert/--tls-key` serves HTTPS itself: requests, batches and the consume
  /// stream work over it, a client that never finishes its handshake stalls no one, and a
  /// key that does not match the certificate stops the start (exit 2).
  @Test func serveSpeaksHTTPSWithItsOwnCertificate() throws {
    let certificates = try Certificates()
    let good = certificates.certificate("good")
    let cli = CLIProcess(TemporaryDirectory("tls-serve"))
    let server = try ServeProcess(cli, arguments: ["--tls-cert", good.cert, "--tls-key", good.key, "--read-timeout", "1s"])
    let url = "https://localhost:\(server.port)"
    // A client that connects and says nothing holds only its own thread.
    let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(server.port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(silent, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    defer { close(silent) }
    #expect(try cli.run(["--base-url", url, "--cacert", certificates.ca, "topics", "create", "--name", "t"]).status == 0)
    let batch = try cli.run(["--base-url", url, "--cacert", certificates.ca, "publish", "--batch", "--topic", "t"], input: #"{"value":"a"}"# + "\n" + #"{"value":"b"}"# + "\n")
    #expect(batch.status == 0 && batch.lines.count == 2, "\(batch.stderr)")
    let consumed = try cli.run(["--base-url", url, "--cacert", certificates.ca, "consume", "--topic", "t", "--group", "g", "--owner", "w"])
    #expect(consumed.lines.count == 2, "\(consumed.stderr)")
    // Plain HTTP to an HTTPS server gets no answer in the clear.
    #expect(try cli.run(["--base-url", "http://127.0.0.1:\(server.port)", "--timeout", "2s", "topics", "list"]).status == 5)
    #expect(server.stop() == 0)
    let other = certificates.certificate("other")
    let refused = try cli.run(["serve", "--addr", "127.0.0.1:0", "--tls-cert", good.cert, "--tls-key", other.key])
    #expect(refused.status == 2 && refused.stderr.contains("private key"), "\(refused.stderr)")
    #expect(try cli.run(["serve", "--addr", "127.0.0.1:0", "--tls-cert", good.cert]).status == 2)
  }
}
