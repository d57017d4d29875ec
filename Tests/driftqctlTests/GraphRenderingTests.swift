@testable import driftqctl
import Testing
import TestSupport

/// `runs graph`: the DAG with each step's standing, in the three formats, pasteable as is.
@Suite struct GraphRenderingTests {
  static let failing = #"{"id":"wf","nodes":[{"id":"A","topic":"noop"},{"id":"B","run":"exit 1","deps":["A"],"retry":{"max_attempts":2}},{"id":"C","topic":"noop","deps":["A","B"]}]}"#

  @Test func aFailedRunShowsWhatRanFailedAndNeverRan() throws {
    let f = try RunFixture(Self.failing)
    #expect(f.run(["runs", "graph", "--run-id", "r"]).stdout == """
      run r (workflow wf): failed
      [A]  succeeded, ran 1 attempt
      [B]  failed, ran 2 attempts  <- A
      [C]  not run  <- A, B

      """)
    #expect(f.run(["runs", "graph", "--run-id", "r", "--format", "mermaid"]).stdout == """
      flowchart LR
        n0["A<br/>succeeded, ran 1 attempt"]:::succeeded
        n1["B<br/>failed, ran 2 attempts"]:::failed
        n2["C<br/>not run"]:::notrun
        n0 --> n1
        n0 --> n2
        n1 --> n2
        classDef failed fill:#fee2e2,stroke:#b91c1c,color:#7f1d1d
        classDef notrun fill:#ffffff,stroke:#9ca3af,color:#6b7280,stroke-dasharray:4 3
        classDef succeeded fill:#dcfce7,stroke:#15803d,color:#14532d

      """)
    let dot = f.run(["runs", "graph", "--run-id", "r", "--format", "dot"]).stdout
    #expect(dot.hasPrefix("digraph \"wf\" {\n  label=\"run r: failed\";\n  rankdir=LR;\n"))
    #expect(dot.contains(##"  "B" [label="B\nfailed, ran 2 attempts", fillcolor="#fee2e2", color="#b91c1c", fontcolor="#7f1d1d"];"##))
    #expect(dot.contains("  \"A\" -> \"C\";\n") && dot.hasSuffix("}\n"))
    let json = f.run(["runs", "graph", "--run-id", "r", "--format", "dot", "-o", "json"]).stdout
    #expect(json.hasPrefix(#"{"run_id":"r","workflow_id":"wf","status":"failed","nodes":[{"id":"A","deps":[],"handler":"noop","status":"succeeded","ran":true,"reused":false,"attempts":1,"depth":0"#))
    #expect(json.contains(#"{"id":"C","deps":["A","B"],"handler":"noop","status":"not_run","ran":false,"reused":false,"attempts":0,"depth":2"#))
    #expect(json.contains(#""edges":[{"from":"A","to":"B"},{"from":"A","to":"C"},{"from":"B","to":"C"}]"#))
    #expect(f.run(["runs", "graph", "--run-id", "r", "--format", "svg"]).status == 2)
  }

  /// After a replay, reused steps say so and name the attempt whose output they took.
  @Test func aReplayShowsReusedSteps() throws {
    let f = try RunFixture()
    let replay = f.run(["runs", "replay", "--run-id", "r", "--from-step", "B", "--mode", "live"])
    #expect(replay.status == 0, "\(replay.stderr)")
    #expect(f.run(["runs", "graph", "--run-id", "r"]).stdout == "run r (workflow wf): succeeded\n[A]  reused attempt 1\n[B]  succeeded, ran 1 attempt  <- A\n")
    #expect(f.run(["runs", "graph", "--run-id", "r", "--format", "mermaid"]).stdout.contains(#"n0["A<br/>reused attempt 1"]:::reused"#))
  }

  @Test func labelsCannotBreakOutOfTheirQuotes() {
    #expect(GraphRendering.mermaidEscape(##"a"b<c>#d"##) == "a#quot;b#lt;c#gt;#35;d")
    #expect(GraphRendering.dotQuote("a\"b\\c\nd") == #""a\"b\\c\nd""#)
  }
}
