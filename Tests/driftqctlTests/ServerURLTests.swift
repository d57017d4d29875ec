@testable import driftqctl
import Testing

@Suite struct ServerURLTests {
  @Test(arguments: [
    ("http://127.0.0.1:8080", "127.0.0.1", 8080, "", "127.0.0.1:8080"),
    ("http://[::1]:9000/", "::1", 9000, "", "[::1]:9000"),
    ("http://localhost", "localhost", 80, "", "localhost:80"),
    ("HTTP://driftq.internal:81/api/v1", "driftq.internal", 81, "/api", "driftq.internal:81"),
    ("https://driftq.example.com", "driftq.example.com", 443, "", "driftq.example.com:443"),
  ] as [(String, String, Int, String, String)])
  func parsesWhatServersAreWrittenAs(text: String, host: String, port: Int, prefix: String, header: String) throws {
    let url = try ServerURL(text)
    #expect(url.host == host && Int(url.port) == port && url.prefix == prefix && url.hostHeader == header)
    #expect(url.isTLS == text.lowercased().hasPrefix("https"))
  }

  @Test(arguments: [
    ("127.0.0.1:8080", "has no scheme"), ("ftp://x", "unsupported scheme"),
    ("http://u:p@x", "user info"), ("http://[::1", "unclosed ["), ("http://::1:80", "goes in brackets"),
    ("http://x:0", "invalid port"), ("http://x:70000", "invalid port"), ("http://", "has no host"), ("http://x/?a=1", "query"),
  ] as [(String, String)])
  func refusesWithAMessageThatSaysWhy(text: String, message: String) {
    #expect { try ServerURL(text) } throws: { ($0 as? ServerURL.Invalid)?.description.contains(message) == true }
  }

  @Test func consumeItemPlacesAreReadFromTheirFirstMembers() {
    #expect(HTTPBroker.place(of: #"{"partition":3,"offset":1234,"attempts":2,"key":"k","value":"v","last_error":""}"#) == (3, 1234, 2))
    // Another order, or extra space, falls back to a parse.
    #expect(HTTPBroker.place(of: #"{"offset": 7, "partition": 1, "attempts": 1}"#) == (1, 7, 1))
    #expect(HTTPBroker.place(of: "not json") == (-1, -1, -1))
  }
}
