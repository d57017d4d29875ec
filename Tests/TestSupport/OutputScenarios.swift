/// The command sequences that, with the parity scenarios, run every command that prints an
/// answer, so a test can check each answer's shape in `-o json` and `-o ndjson`.
public enum OutputScenarios {
  /// Commands that work on a local directory only, and the local-only forms of others (the
  /// DriftQ-Core and artifacts faces of `wal verify|inspect|dump`, `--follow`, the demos that
  /// drive a directory). Placeholders: CORE_WAL (a DriftQ-Core broker WAL file), ARTIFACTS (the
  /// directory's artifacts), DEMO (the run the last `runs demo` printed).
  public static let local: [[String]] = [
    ["wal", "import", "--from", "CORE_WAL"],
    ["wal", "verify"],
    ["wal", "inspect"],
    ["wal", "dump", "--to", "30"],
    ["wal", "verify", "--wal-dir", "CORE_WAL"],
    ["wal", "inspect", "--wal-dir", "CORE_WAL"],
    ["wal", "dump", "--wal-dir", "CORE_WAL", "--to", "30"],
    ["topics", "create", "--name", "out"],
    ["publish", "--topic", "out", "--key", "a", "--value", "x"],
    ["consume", "--topic", "out", "--group", "g", "--owner", "w", "--follow", "--wait", "300ms"],
    ["runs", "demo"],
    ["runs", "timeline", "--run-id", "DEMO", "--follow"],
    ["runs", "demo", "--workflow", "ai-news"],
    ["runs", "demo", "--workflow", "ai-news", "--run-id", "DEMO", "--report-prompt", "Shorter"],
    ["runs", "demo", "--workflow", "starter", "--fail", "transform"],
    ["wal", "verify", "--wal-dir", "ARTIFACTS"],
    ["wal", "inspect", "--wal-dir", "ARTIFACTS"],
    ["wal", "dump", "--wal-dir", "ARTIFACTS"],
    ["wal", "dump", "--kind", "run_event"],
    ["wal", "checkpoint"],
    ["wal", "compact", "--dry-run"],
    ["wal", "compact"],
    ["wal", "repair"],
    ["profile", "set", "out", "--base-url", "http://127.0.0.1:1"],
    ["profile", "set", "out-local", "--wal-dir", "out-data"],
    ["profile", "use", "out"],
    ["profile", "list"],
    ["profile", "show"],
    ["profile", "show", "out-local"],
    ["profile", "use", "--none"],
    ["profile", "delete", "out"],
    ["version"],
  ]

  /// Commands no scenario needs to run for their output shape, and why.
  public static let exempt: [String: String] = [
    "serve": "it runs until stopped, and its answers are HTTP responses, not standard output",
    "completion": "it prints a shell script to load, not an answer",
    "help": "it prints help for people, as --help does",
  ]
}
