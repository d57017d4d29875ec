@testable import driftqctl
import Testing

@Suite struct MessageTemplateTests {
  let fields = MessageTemplate.Fields(
    topic: "jobs", partition: 2, offset: 41, key: Array("k".utf8), value: [0xff, 0x00, 0x41], attempts: 3,
    time: "2026-12-03T10:00:00Z", lastError: "boom")

  @Test func tokensAndEscapesRenderTheFieldsAndValuesAsTheirBytes() throws {
    let template = try MessageTemplate(#"%t/%p@%o %k=%v a=%a %T %e 100%%\t|\\\n"#, command: ["consume"])
    let expected = Array("jobs/2@41 k=".utf8) + [0xff, 0x00, 0x41] + Array(" a=3 2026-12-03T10:00:00Z boom 100%\t|\\\n".utf8)
    #expect(template.render(fields) == expected)
  }

  @Test(arguments: ["%x", "ends in %", #"\q"#, #"\"#])
  func unknownTokensAndEscapesAreUsageErrors(_ text: String) {
    #expect(throws: UsageError.self) { try MessageTemplate(text, command: ["consume"]) }
  }

  @Test func itemsGiveTheirFieldsWithBase64Decoded() throws {
    let item = #"{"partition":1,"offset":7,"attempts":2,"key":"a","value":"/wBB","last_error":"e","value_encoding":"base64","topic":"t","time":"T"}"#
    let parsed = try #require(MessageTemplate.fields(ofItem: item, topic: "other"))
    #expect(parsed.topic == "t" && parsed.partition == 1 && parsed.offset == 7 && parsed.attempts == 2)
    #expect(parsed.value == [0xff, 0x00, 0x41] && parsed.key == Array("a".utf8) && parsed.time == "T" && parsed.lastError == "e")
  }
}
