/// Text made safe for HTML and SVG, in element content and in quoted attributes alike:
/// a step id or an error message never becomes markup in a report.
enum HTMLEscaping {
  static func escape(_ text: String) -> String {
    text.replacingEach { c in
      switch c {
      case "&": return "&amp;"
      case "<": return "&lt;"
      case ">": return "&gt;"
      case "\"": return "&quot;"
      case "'": return "&#39;"
      default: return nil
      }
    }
  }
}

extension String {
  /// The text with each character that `replacement` maps replaced by what it gives (nil:
  /// kept): the one loop under every escaping of a rendering format.
  func replacingEach(_ replacement: (Character) -> String?) -> String {
    var out = ""
    out.reserveCapacity(utf8.count)
    for c in self {
      if let replaced = replacement(c) { out += replaced } else { out.append(c) }
    }
    return out
  }
}
