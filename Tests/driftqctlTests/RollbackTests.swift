@testable import driftqctl
import Foundation
import Testing
import TestSupport

/// `runs rollback` goes back only to a version that was promoted.
@Suite struct RollbackTests {
  @Test func rollbackRefusesAVersionNeverPromoted() throws {
    let cli = try RunFixture()
    let none = cli.run(["runs", "rollback", "--to", "v0"])
    #expect(none.status == 1 && none.stderr.contains("rollback: version v0 was never promoted (no version was ever promoted)"))
    #expect(cli.run(["runs", "promote", "--run-id", "r", "--version", "v1"]).status == 0)
    #expect(cli.run(["runs", "promote", "--run-id", "r", "--version", "v2"]).status == 0)
    let typo = cli.run(["runs", "rollback", "--to", "v3"])
    #expect(typo.status == 1 && typo.stderr.contains("(promoted: v1, v2)"))
    #expect(cli.run(["runs", "active-index"]).stdout == "active_index_version=v2\n")
    #expect(cli.run(["runs", "rollback", "--to", "v1"]).stdout == "rolled back active_index_version=v1\nnext: driftqctl runs active-index\n")
    // What was promoted survives a checkpoint: the state loaded from one still knows v2.
    #expect(cli.run(["wal", "checkpoint"]).status == 0)
    #expect(cli.run(["runs", "rollback", "--to", "v2"]).status == 0)
  }
}
