@testable import driftqctl
import Testing
import TestSupport

/// `runs report`: one page that stands alone, draws the run and escapes what the run says.
@Suite struct RunReportTests {
  /// A step id and an error that look like markup stay text.
  static let hostile = #"{"id":"wf<b>","nodes":[{"id":"fetch","topic":"noop"},{"id":"<img src=x onerror=alert(1)>","run":"echo '<script>alert(2)</script>' >&2; exit 1","deps":["fetch"]}]}"#

  @Test func thePageStandsAloneAndEscapesTheRun() throws {
    let f = try RunFixture(Self.hostile)
    let html = f.run(["runs", "report", "--run-id", "r"]).stdout
    #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
    #expect(html.hasSuffix("</body>\n</html>\n"))
    for forbidden in ["<script", "src=\"", "href=\"", "<img", "@import", "url(http", "url(//"] { #expect(!html.contains(forbidden), "the page holds \(forbidden)") }
    #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;") && html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"))
    #expect(html.contains("<svg class=\"dag\"") && html.contains("<svg class=\"timeline\""))
    #expect(html.contains("<span class=\"badge failed\">failed</span>") && html.contains("The run was not replayed."))
  }

  /// After a replay, the page says what it reused and what that saved against running
  /// everything again.
  @Test func aReplaysSavingsAreStated() throws {
    let f = try RunFixture(#"{"id":"wf","nodes":[{"id":"a","run":"echo '{\"dollars\":0.25}' >> $DRIFTQ_USAGE_FILE; echo 1"},{"id":"b","run":"echo '{\"dollars\":0.5}' >> $DRIFTQ_USAGE_FILE; cat","deps":["a"]}]}"#)
    #expect(f.run(["runs", "replay", "--run-id", "r", "--from-step", "b", "--mode", "live"]).status == 0)
    let html = f.run(["runs", "report", "--run-id", "r"]).stdout
    #expect(html.contains("The latest replay spent <b>$0.5</b> and reused 1 output that had cost $0.25: running everything again would have cost $0.75, so it saved <b>33%</b>."))
    #expect(html.contains("<tr class=\"old\">"))
    let json = f.run(["runs", "report", "--run-id", "r", "-o", "json"]).stdout
    #expect(json.contains(#"{"replay":1,"mode":"live","at":"#) && json.contains(#""from_step":"b","ran":["b"],"reused":["a"],"dollars":0.5,"saved_dollars":0.25,"full_rerun_dollars":0.75}"#))
    #expect(json.hasPrefix(#"{"run":{"run_id":"r","status":"succeeded""#))
  }
}
