import Foundation
import Testing
import TestSupport

/// The completion scripts, loaded in the shells themselves: bash always (it is where the
/// tests run), zsh and fish when installed.
@Suite struct CompletionTests {
  static func installed(_ shell: String) -> String? {
    ["/bin/" + shell, "/usr/bin/" + shell, "/usr/local/bin/" + shell].first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// Runs `script` in `shell` with the binary as $0 and the words after it, and returns its
  /// output lines.
  static func run(_ shell: String, _ flags: [String], _ script: String, _ words: [String], environment: [String: String]) throws -> [String] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: shell)
    process.arguments = flags + [script, CLIProcess.binary] + words
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
  }

  /// A directory with topics `orders` and `my topic`, and profiles `prod` and `dev`.
  final class Fixture {
    let cli = CLIProcess(TemporaryDirectory("completion"))
    var environment: [String: String] { cli.environment([:]) }

    init() throws {
      for name in ["orders", "my topic"] { try cli.run(["topics", "create", "--name", name]) }
      for name in ["prod", "dev"] { try cli.run(["profile", "set", name, "--base-url", "http://127.0.0.1:1"], namingDirectory: false) }
    }
  }

  /// Words after the program and what completing the last one must offer (exactly).
  static func cases(walDirectory: String) -> [([String], [String])] {
    [
      (["to"], ["topics"]),
      (["topics", "c"], ["create"]),
      (["runs", "re"], ["resume", "replay", "report"]),
      (["topics", "create", "--part"], ["--partitions"]),
      (["-o", "nd"], ["ndjson"]),
      (["runs", "replay", "--mode", ""], ["time-travel", "live"]),
      (["wal", "dump", "--kind", "message_a"], ["message_acked"]),
      (["runs", "promote", "--version", ""], []),
      (["completion", ""], ["bash", "zsh", "fish"]),
      (["help", "runs", "art"], ["artifacts", "artifact-meta", "artifact-get"]),
      (["profile", "use", ""], ["dev", "prod"]),
      (["--wal-dir", walDirectory, "publish", "--topic", ""], ["my topic", "orders"]),
    ]
  }

  @Test func bashCompletesCommandsOptionsValuesAndNames() throws {
    let bash = try #require(Self.installed("bash"), "bash is not installed")
    let fixture = try Fixture()
    let script = #"source <("$0" completion bash) && COMP_WORDS=("$0" "$@") && COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )) && _driftqctl; printf '%s\n' "${COMPREPLY[@]}""#
    for (words, expected) in Self.cases(walDirectory: fixture.cli.walDirectory) {
      let offered = try Self.run(bash, ["-c"], script, words, environment: fixture.environment)
      #expect(Set(offered) == Set(expected), "bash: \(words) offered \(offered)")
    }
    // bash splits --opt=value at '=': both spellings complete the value.
    let split = try Self.run(bash, ["-c"], script, ["--output", "=", "j"], environment: fixture.environment)
    #expect(split == ["json"])
    let joined = try Self.run(bash, ["-c"], script, ["--output=j"], environment: fixture.environment)
    #expect(joined == ["--output=json"])
  }

  @Test func fishCompletesTheSame() throws {
    guard let fish = Self.installed("fish") else { return }  // optional: CI need not have fish
    let fixture = try Fixture()
    // $argv[1] is the binary (unused: `driftqctl` is on the PATH, as completion is registered
    // for that name), $argv[2] the command line; an empty last word is a trailing space.
    let script = #"driftqctl completion fish | source; complete -C $argv[2]"#
    var environment = fixture.environment
    let bin = TemporaryDirectory("completion-bin")
    try FileManager.default.createSymbolicLink(atPath: bin.appending("driftqctl"), withDestinationPath: CLIProcess.binary)
    environment["PATH"] = bin.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
    for (words, expected) in Self.cases(walDirectory: fixture.cli.walDirectory) {
      let line = (["driftqctl"] + words).joined(separator: " ")
      let offered = try Self.run(fish, ["-c"], script, [line], environment: environment).map { String($0.prefix { $0 != "\t" }) }
      #expect(Set(offered) == Set(expected), "fish: \(words) offered \(offered)")
    }
  }

  @Test func zshLoadsTheScript() throws {
    guard let zsh = Self.installed("zsh") else { return }  // optional: CI need not have zsh
    let fixture = try Fixture()
    // zsh's completion system needs a terminal; its entry points are stubbed to print what
    // they are given, and the script's function is called with the words set as zsh would.
    let script = #"""
      compdef() { :; }; compset() { [[ $1 == -P ]] && PREFIX=${words[CURRENT]#*=}; }
      _describe() { local -a described; described=("${(@P)${@[-1]}}"); print -l -- "${described[@]%%:*}"; }
      compadd() { local -a added; while [[ $1 == -* ]]; do
        if [[ $1 == -a ]]; then added=("${(@P)2}"); shift 2; continue; fi
        if [[ $1 == -- ]]; then shift; break; fi; shift; done; print -l -- "${added[@]}" "$@"; }
      _files() { print -- FILES; }; _message() { :; }
      source <("$0" completion zsh) || exit 1
      words=("$0" "$@"); CURRENT=${#words}; _driftqctl
      """#
    for (words, expected) in Self.cases(walDirectory: fixture.cli.walDirectory) {
      // The stubs do not filter by the typed prefix (zsh would): compare what starts with it.
      let prefix = words.last ?? ""
      let offered = try Self.run(zsh, ["-f", "-c"], script, words, environment: fixture.environment).filter { $0.hasPrefix(prefix) }
      #expect(Set(offered) == Set(expected), "zsh: \(words) offered \(offered)")
    }
  }
}
