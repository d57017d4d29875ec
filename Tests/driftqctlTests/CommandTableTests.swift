@testable import driftqctl
import Testing
import TestSupport

@Suite struct CommandTableTests {
  @Test func pathsAndOptionNamesAreUnique() {
    let paths = CommandTable.all.map { $0.spec.name }
    #expect(Set(paths).count == paths.count)
    for type in CommandTable.all {
      // A command may shadow the global --version flag with its own (runs promote --version V,
      // as in the Go tool), serve's --token says what it requires, and a command that opens no
      // face may take the face options as its own (profile set --base-url); nothing else repeats.
      let own = type.spec.options.map(\.name)
      let shadowable: Set<String> = type.opensFace ? ["version", "token"] : Set(["version"] + OptionSpec.faceOptions.map(\.name))
      let names = own + OptionSpec.globals.map(\.name).filter { !(shadowable.contains($0) && own.contains($0)) }
      #expect(Set(names).count == names.count, "\(type.spec.name) repeats an option name")
    }
  }

  /// Valid command lines that together give every declared option of every command.
  static let invocations: [[String]] = [
    ["topics", "create", "--name", "t", "--partitions", "2", "--max-buffered-msgs", "10", "--max-buffered-bytes", "1MiB"],
    ["topics", "lag", "--group", "g", "--topic", "t", "--at", "5"],
    ["topics", "peek", "--topic", "t", "--partition", "0", "--n", "2", "--pretty", "--format", "%v"],
    ["topics", "tail", "--topic", "t", "--partition", "0", "--from", "@-1h", "--max", "2", "--follow", "--wait", "1s", "--format", "%p:%o %k=%v\\n"],
    ["dlq", "list", "--topic", "t", "--at", "@-1h"],
    ["dlq", "redrive", "--topic", "t", "--to", "u", "--max", "5", "--rate", "10/s", "--older-than", "1h", "--key", "k", "--dry-run"],
    ["groups", "list"],
    ["groups", "describe", "--group", "g", "--topic", "t", "--at", "@2026-11-21T02:14:00Z"],
    ["groups", "seek", "--group", "g", "--topic", "t", "--to", "earliest", "--partition", "0", "--execute"],
    ["groups", "delete", "--group", "g", "--topic", "t", "--execute"],
    ["topics", "delete", "--topic", "t", "--execute"],
    ["dlq", "purge", "--topic", "t", "--older-than", "7d", "--key", "k", "--execute"],
    ["runs", "delete", "--before", "30d", "--execute"],
    ["topics", "list", "--at", "3"],
    ["publish", "--topic", "t", "--key", "k", "--value", "v", "--run-id", "r", "--step-id", "s", "--parent-step-id", "p",
     "--tenant", "x", "--idempotency-key", "i", "--target-topic", "u", "--deadline", "2030-01-01T00:00:00Z", "--partition", "0",
     "--retry-max-attempts", "3", "--retry-backoff-ms", "10", "--retry-max-backoff-ms", "100", "--label", "a=b"],
    ["publish", "--topic", "t", "--value-file", "/dev/null"],
    ["publish", "--batch", "--group-size", "1"],
    ["consume", "--topic", "t", "--group", "g", "--owner", "o", "--lease-ms", "5", "--max", "1", "--follow", "--wait", "1s", "--max-inflight", "0", "--format", "%v"],
    ["ack", "--topic", "t", "--group", "g", "--owner", "o", "--partition", "0", "--offset", "0"],
    ["ack", "--topic", "t", "--group", "g", "--owner", "o", "--batch"],
    ["nack", "--topic", "t", "--group", "g", "--owner", "o", "--partition", "0", "--offset", "0", "--reason", "r"],
    ["nack", "--topic", "t", "--group", "g", "--owner", "o", "--batch"],
    ["wal", "inspect", "--at", "3"],
    ["wal", "dump", "--from", "1", "--to", "@2030-01-01T00:00:00Z", "--kind", "message_acked", "--topic", "t", "--format", "%v"],
    ["wal", "verify"],
    ["wal", "repair", "--force"],
    ["wal", "repair", "--salvage"],
    ["wal", "compact", "--retain-acked", "1d", "--retain-runs", "2d", "--dry-run", "--keep-artifacts"],
    ["wal", "checkpoint", "--checkpoint-every", "4MiB"],
    ["wal", "import", "--from", "driftq.wal", "--engine-wal", "driftq.engine.wal", "--artifacts", "driftq.artifacts"],
    ["runs", "start", "--workflow", "w.json", "--input", "{}", "--run-id", "r", "--detach"],
    ["runs", "resume", "--run-id", "r"],
    ["runs", "demo", "--workflow", "ai-news", "--report-prompt", "p", "--run-id", "r"],
    ["runs", "demo", "--workflow", "starter", "--fail", "transform"],
    ["runs", "replay", "--run-id", "r", "--from-step", "s", "--mode", "live", "--workflow", "w.json", "--explain"],
    ["runs", "replay", "--run-id", "r", "--auto"],
    ["runs", "cancel", "--run-id", "r", "--reason", "x"],
    ["runs", "list", "--limit", "5", "--at", "3"],
    ["runs", "list", "--after", "r", "--status", "failed", "--since", "2h", "--workflow", "wf", "--long"],
    ["runs", "status", "--run-id", "r", "--at", "3"],
    ["runs", "step", "--run-id", "r", "--node-id", "n", "--attempt", "1"],
    ["runs", "events", "--run-id", "r", "--at", "3"],
    ["runs", "state", "--run-id", "r", "--at", "3"],
    ["runs", "diff", "--run-id", "r", "--node-id", "n", "--from", "1", "--to", "2"],
    ["runs", "timeline", "--run-id", "r", "--follow"],
    ["runs", "logs", "--run-id", "r", "--node-id", "a", "--attempt", "2", "--follow", "--stream", "stderr", "--prefix", "--timestamps", "--raw"],
    ["runs", "timeline", "--run-id", "r", "--at", "3"],
    ["runs", "graph", "--run-id", "r", "--format", "mermaid", "--at", "3"],
    ["runs", "report", "--run-id", "r", "--at", "3"],
    ["groups", "list", "--at", "3"],
    ["runs", "artifacts", "--run-id", "r", "--node-id", "n", "--limit", "5"],
    ["runs", "artifact-meta", "--artifact-id", "a"],
    ["runs", "artifact-get", "--artifact-id", "a", "--out", "f"],
    ["runs", "promote", "--run-id", "r", "--version", "v"],
    ["runs", "rollback", "--to", "v"],
    ["runs", "active-index"],
    ["serve", "--addr", "127.0.0.1:0", "--token", "t", "--max-connections", "5", "--max-header-bytes", "1KiB", "--max-body-bytes", "1MiB",
     "--read-timeout", "1s", "--idle-timeout", "5s", "--max-inflight", "0", "--default-lease-ms", "30000",
     "--max-partition-msgs", "0", "--max-partition-bytes", "4MiB", "--allow-command-steps", "--tls-cert", "c.pem", "--tls-key", "k.pem"],
    ["profile", "set", "p", "--base-url", "http://127.0.0.1:1", "--token-file", "/dev/null", "--wal-dir", "d"],
    ["profile", "use", "p"],
    ["profile", "use", "--none"],
    ["profile", "list"],
    ["profile", "show", "p"],
    ["profile", "delete", "p"],
    ["completion", "bash"],
    ["help", "runs", "replay"],
    ["version"],
  ]

  /// Every declared option parses and is read by its command (never "does not apply"), and
  /// the table above leaves no option untried.
  @Test func everyDeclaredOptionIsConsumed() throws {
    var tried: [String: Set<String>] = [:]
    for arguments in Self.invocations {
      guard case .run(let command) = try CLI.parse(arguments, environment: [:]) else {
        Issue.record("\(arguments) did not parse to a command")
        continue
      }
      let spec = type(of: command).spec
      for word in arguments where word.hasPrefix("--") { tried[spec.name, default: []].insert(String(word.dropFirst(2))) }
    }
    for type in CommandTable.all {
      let missing = Set(type.spec.options.map(\.name)).subtracting(tried[type.spec.name] ?? [])
      #expect(missing.isEmpty, "\(type.spec.name): no invocation gives \(missing.sorted())")
    }
  }

  @Test func everyCommandHasHelp() {
    for type in CommandTable.all {
      let help = HelpRenderer.help(for: type.spec.path)
      #expect(help.hasPrefix("USAGE: driftqctl \(type.spec.name)"))
      for option in type.spec.options { #expect(help.contains("--\(option.name)"), "\(type.spec.name) help lacks --\(option.name)") }
    }
  }

  /// Parity covers every command with two faces: each appears in a scenario. A new command
  /// that works remotely fails this test until a scenario runs it on both faces.
  @Test func everyCommandWithTwoFacesIsInAParityScenario() {
    let steps = ParityScenarios.broker + ParityScenarios.runs
    for type in CommandTable.all where type.worksRemotely {
      let path = type.spec.path
      #expect(steps.contains { Array($0.prefix(path.count)) == path }, "no parity scenario runs '\(path.joined(separator: " "))'")
    }
  }

  /// The output test checks every answer's shape in `-o json` and `-o ndjson` by running the
  /// scenarios: each command is in one, or exempt with a reason.
  @Test func everyCommandIsInAnOutputScenario() {
    let steps = ParityScenarios.broker + ParityScenarios.runs + OutputScenarios.local
    for type in CommandTable.all where OutputScenarios.exempt[type.spec.name] == nil {
      let path = type.spec.path
      #expect(steps.contains { Array($0.prefix(path.count)) == path }, "no output scenario runs '\(path.joined(separator: " "))'")
    }
  }
}
