import Foundation
import Testing
import TestSupport

/// `runs replay --mode` through the real binary: what each mode runs again.
@Suite struct ReplayModesTests {
  /// Live re-runs the step and what follows it; time travel reuses the outputs whose inputs
  /// are unchanged (it once did exactly what live does). The counter file says what ran.
  @Test func liveAndTimeTravelReplaysDiffer() throws {
    let dir = TemporaryDirectory("e2e-modes")
    let cli = CLIProcess(dir)
    let counter = dir.appending("ran")
    let spec = dir.write(#"""
      {"id":"wf","nodes":[
        {"id":"a","run":"echo a >> \#(counter); echo 1"},
        {"id":"b","run":"echo b >> \#(counter); cat","deps":["a"]},
        {"id":"c","run":"echo c >> \#(counter); cat","deps":["b"]}]}
      """#, to: "spec.json")
    #expect(try cli.run(["runs", "start", "--workflow", spec, "--run-id", "r"]).status == 0)
    func ran() -> String { String(decoding: FileBytes.read(counter), as: UTF8.self).replacingOccurrences(of: "\n", with: "") }
    #expect(ran() == "abc")
    let travel = try cli.run(["runs", "replay", "--run-id", "r", "--from-step", "b", "--explain"])
    #expect(travel.status == 0 && ran() == "abc", "\(travel.stdout)")
    #expect(travel.stdout.hasPrefix("a: reused\nb: reused\nc: reused\nreplay started run_id=r from_step=b mode=time_travel\n"))
    let live = try cli.run(["runs", "replay", "--run-id", "r", "--from-step", "b", "--mode", "live", "--explain"])
    #expect(live.status == 0 && ran() == "abcbc", "\(live.stdout)")
    #expect(live.stdout.hasPrefix("a: reused\nb: re-run: live replay re-runs from --from-step\nc: re-run: live replay re-runs from --from-step\n"))
    // After both replays, a's first attempt still says it succeeded.
    #expect(try cli.run(["runs", "step", "--run-id", "r", "--node-id", "a"]).stdout.contains("\n1\tsucceeded\t"))
  }
}
