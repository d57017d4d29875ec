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
