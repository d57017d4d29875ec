/// A `--base-url`: scheme, host (a name, IPv4, or bracketed IPv6), port and path prefix,
/// each checked, with a message that says what is wrong.
struct ServerURL: Equatable {
  var host: String
  var port: UInt16
  /// Path the server's API lives under ("" for the root); a trailing `/v1` is dropped, as
  /// starters configure `.../v1`.
  var prefix: String
  /// The URL as given, without trailing slashes (for messages).
  var text: String
  /// https:// (TLS) rather than http://.
  var isTLS = false

  struct Invalid: Error, CustomStringConvertible {
    var description: String
  }

  init(_ given: String) throws(Invalid) {
    var url = given
    guard let schemeEnd = url.firstRange(of: "://") else {
      throw Invalid(description: "--base-url \"\(given)\" has no scheme: write it as http://HOST:PORT")
    }
    let scheme = url[..<schemeEnd.lowerBound].lowercased()
    guard scheme == "http" || scheme == "https" else {
      throw Invalid(description: "--base-url \"\(given)\": unsupported scheme \"\(scheme)\" (expected http:// or https://)")
    }
    isTLS = scheme == "https"
    var rest = url[schemeEnd.upperBound...]
    while rest.hasSuffix("/") { rest.removeLast() }
    url = String(url[..<schemeEnd.upperBound]) + rest
    let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
    guard !authority.contains("@") else {
      throw Invalid(description: "--base-url must not carry user info (\"user@\"): give a token with --token or DRIFTQ_TOKEN")
    }
    var path = String(rest.dropFirst(authority.count))
    guard !path.contains("?") && !path.contains("#") else {
      throw Invalid(description: "--base-url \"\(given)\" must not have a query or fragment")
    }
    if path.hasSuffix("/v1") { path.removeLast(3) }
    var hostPart = Substring(authority)
    var portText: Substring?
    if hostPart.hasPrefix("[") {
      guard let close = hostPart.firstIndex(of: "]") else { throw Invalid(description: "--base-url \"\(given)\": unclosed [ in the IPv6 address") }
      let after = hostPart[hostPart.index(after: close)...]
      if !after.isEmpty {
        guard after.hasPrefix(":") else { throw Invalid(description: "--base-url \"\(given)\": expected :PORT after the IPv6 address") }
        portText = after.dropFirst()
      }
      hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
    } else if let colon = hostPart.lastIndex(of: ":") {
      guard hostPart.firstIndex(of: ":") == colon else {
        throw Invalid(description: "--base-url \"\(given)\": an IPv6 address goes in brackets (http://[::1]:8080)")
      }
      portText = hostPart[hostPart.index(after: colon)...]
      hostPart = hostPart[..<colon]
    }
    guard !hostPart.isEmpty else { throw Invalid(description: "--base-url \"\(given)\" has no host") }
    if let portText {
      guard let port = UInt16(portText), port > 0 else {
        throw Invalid(description: "--base-url \"\(given)\": invalid port \"\(portText)\" (expected 1-65535)")
      }
      self.port = port
    } else {
      port = isTLS ? 443 : 80
    }
    host = String(hostPart)
    prefix = path
    text = url
  }

  /// The `Host` header's value.
  var hostHeader: String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }
}
