import ReplayEngine
import Testing
import TestSupport

@Suite struct JSONTests {
  @Test func parsesAndWritesBack() throws {
    let text = #"{"a":1,"b":[true,false,null],"c":"x\ny","d":-1.5e3,"e":{}}"#
    let value = try JSONParser.parse(text)
    #expect(JSONWriter.encode(value) == text)
    #expect(value["a"]?.int64Value == 1)
    #expect(value["c"]?.stringValue == "x\ny")
  }

  @Test func keepsLargeIntegersExact() throws {
    let value = try JSONParser.parse(#"{"offset":9007199254740993}"#)
    #expect(value["offset"]?.int64Value == 9_007_199_254_740_993)
  }

  @Test func escapesLikeGo() {
    #expect(JSONWriter.encode(.string("<a&b>\u{2028}\u{1}\"\\")) == #""\u003ca\u0026b\u003e\u2028\u0001\"\\""#)
  }

  /// Go's rules scalar by scalar, the plain statement the byte-run writer must match.
  static func goEscaped(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar.value {
      case 0x22: out += "\\\""
      case 0x5C: out += "\\\\"
      case 0x0A: out += "\\n"
      case 0x0D: out += "\\r"
      case 0x09: out += "\\t"
      case 0..<0x20, 0x3C, 0x3E, 0x26, 0x2028, 0x2029:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  @Test func escapesEveryStringAsGoDoes() throws {
    var random = TestSeed.generator(for: "json-escapes")
    let alphabet: [Unicode.Scalar] = ["a", "Z", " ", "\"", "\\", "/", "<", ">", "&", "\n", "\r", "\t", "\u{0}", "\u{1f}", "\u{7f}", "é",
      "\u{2027}", "\u{2028}", "\u{2029}", "\u{202a}", "\u{e280}", "😀", "\u{ffff}"]
    for _ in 0..<2000 {
      var text = ""
      for _ in 0..<Int.random(in: 0..<40, using: &random) { text.unicodeScalars.append(alphabet[Int.random(in: 0..<alphabet.count, using: &random)]) }
      let written = JSONWriter.encode(.string(text))
      #expect(written == Self.goEscaped(text))
      #expect(try JSONParser.parse(written) == .string(text))
    }
  }

  @Test func decodesUnicodeEscapesAndSurrogatePairs() throws {
    #expect(try JSONParser.parse(#""\u00e9\ud83d\ude00""#) == .string("é😀"))
  }

  @Test(arguments: [
    "", "{", "[1,]", "{\"a\":1,}", "{\"a\":1,\"a\":2}", "01", "1.", "-", "\"\\ud800\"", "\"a\u{1}\"",
    "tru", "nul", "{\"a\" 1}", "[1 2]", "\"abc", "1 2", "\"\\x\"",
    String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
  ])
  func rejectsBadInput(text: String) {
    #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
  }

  @Test func randomBytesNeverCrashTheParser() {
    var rng = TestSeed.generator(for: "json-fuzz")
    let alphabet = Array("{}[]\":,0123456789.-+eEtrufalsn \\u\n".utf8)
    for _ in 0..<5000 {
      let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in
        Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
      }
      _ = try? JSONParser.parse(bytes: bytes)
    }
  }
}
