@testable import driftqctl
import Testing
import WALFormat

@Suite struct ArgumentParsingTests {
  @Test func tokenizerSplitsOptionsValuesAndTerminator() {
    #expect(ArgumentTokenizer.tokenize(["--topic=t", "--max", "5", "-ojson", "-o", "--", "--x"]) == [
      .option(name: "topic", isShort: false, inlineValue: "t"), .option(name: "max", isShort: false, inlineValue: nil),
      .word("5"), .option(name: "o", isShort: true, inlineValue: "json"), .option(name: "o", isShort: true, inlineValue: nil),
      .terminator, .word("--x"),
    ])
  }

  @Test(arguments: [("250ms", Int64(250)), ("2s", 2000), ("1.5s", 1500), ("1m30s", 90_000), ("2h", 7_200_000), ("0", 0)])
  func durationsParse(text: String, ms: Int64) {
    #expect(ValueParsers.milliseconds(text) == ms)
  }

  @Test(arguments: ["", "5", "ms", "1x", "-1s", "1e99h"])
  func badDurationsAreRejected(text: String) {
    #expect(ValueParsers.milliseconds(text) == nil)
  }

  @Test func byteSizesParse() {
    #expect(ValueParsers.bytes("4096") == 4096)
    #expect(ValueParsers.bytes("64KiB") == 65536)
    #expect(ValueParsers.bytes("64MiB") == 64 << 20)
    #expect(ValueParsers.bytes("1GB") == 1_000_000_000)
    #expect(ValueParsers.bytes("12 pounds") == nil)
    #expect(ValueParsers.bytes("99999999999999999999G") == nil)
  }

  @Test func editDistanceSuggestsCloseWords() {
    #expect(EditDistance.suggestion(for: "consme", among: ["consume", "publish"]) == "consume")
    #expect(EditDistance.suggestion(for: "zzzzzz", among: ["consume", "publish"]) == nil)
  }

  @Test func globalOptionsAreAcceptedAfterTheCommand() throws {
    guard case .run(let command) = try CLI.parse(["topics", "list", "-o", "json", "--wal-dir", "/tmp/x"], environment: [:]) else {
      Issue.record("not a run")
      return
    }
    let list = try #require(command as? TopicsListCommand)
    #expect(list.globals.output == .json)
    #expect(list.globals.walDirectory == "/tmp/x")
  }

  @Test func environmentSuppliesGlobalOptionsAndFlagsWin() throws {
    let environment = ["DRIFTQ_WAL_DIR": "/env/dir", "DRIFTQ_OUTPUT": "ndjson", "DRIFTQ_SEGMENT_SIZE": "1MiB"]
    guard case .run(let fromEnv) = try CLI.parse(["topics", "list"], environment: environment),
      case .run(let fromFlag) = try CLI.parse(["topics", "list", "--wal-dir", "/flag"], environment: environment)
    else { Issue.record("not a run"); return }
    #expect((fromEnv as? TopicsListCommand)?.globals.walDirectory == "/env/dir")
    #expect((fromEnv as? TopicsListCommand)?.globals.output == .ndjson)
    #expect((fromEnv as? TopicsListCommand)?.globals.walOptions.segmentSize == 1 << 20)
    #expect((fromFlag as? TopicsListCommand)?.globals.walDirectory == "/flag")
  }

  @Test func aRepeatedValueOptionIsAnError() {
    #expect(throws: UsageError.self) { try CLI.parse(["topics", "create", "--name", "a", "--name", "b"], environment: [:]) }
  }

  @Test func valuesThatLookLikeOptionsAreTaken() throws {
    guard case .run(let command) = try CLI.parse(["publish", "--topic", "t", "--value", "-5"], environment: [:]) else {
      Issue.record("not a run")
      return
    }
    #expect(command is PublishCommand)
  }

  @Test func aCommandsOwnVersionOptionShadowsTheGlobalFlag() throws {
    guard case .run(let command) = try CLI.parse(["runs", "promote", "--run-id", "r", "--version", "v2"], environment: [:]) else {
      Issue.record("--version of runs promote was taken as the global flag")
      return
    }
    #expect((command as? RunsPromoteCommand)?.value == "v2")
    guard case .version = try CLI.parse(["topics", "list", "--version"], environment: [:]) else {
      Issue.record("the global --version no longer works")
      return
    }
  }

  @Test func helpAnywhereIsACleanExit() throws {
    guard case .help(let text) = try CLI.parse(["consume", "--topic", "x", "--help"], environment: [:]) else {
      Issue.record("not help")
      return
    }
    #expect(text.hasPrefix("USAGE: driftqctl consume"))
  }
}

/// Words taken by position, `help` and `version` as commands.
@Suite struct PositionalArgumentTests {
  @Test func positionalWordsAreBoundAndExtraOnesRefused() throws {
    guard case .run(let command) = try CLI.parse(["profile", "use", "prod"], environment: [:]) else {
      Issue.record("not a run")
      return
    }
    #expect((command as? ProfileUseCommand)?.chosen == "prod")
    #expect(throws: UsageError.self) { try CLI.parse(["profile", "use", "a", "b"], environment: [:]) }
    #expect(throws: UsageError.self) { try CLI.parse(["profile", "delete"], environment: [:]) }
    #expect(throws: UsageError.self) { try CLI.parse(["profile", "list", "extra"], environment: [:]) }
    #expect(throws: UsageError.self) { try CLI.parse(["completion", "tcsh"], environment: [:]) }
  }

  @Test func helpTakesCommandWords() throws {
    guard case .run(let command) = try CLI.parse(["help", "runs", "replay"], environment: [:]) else {
      Issue.record("not a run")
      return
    }
    #expect((command as? HelpCommand)?.path == ["runs", "replay"])
    #expect(throws: UsageError.self) { try CLI.parse(["help", "runs", "replya"], environment: [:]) }
  }

  @Test func helpPrintsWhatDashDashHelpPrints() {
    for words in [["runs", "replay"], ["topics"], []] {
      let viaWord = TestCLI().run(["help"] + words)
      let viaFlag = TestCLI().run(words + ["--help"])
      #expect(viaWord.status == 0 && viaWord.stdout == viaFlag.stdout, "\(words)")
    }
    #expect(TestCLI().run(["version"]).stdout == TestCLI().run(["--version"]).stdout)
  }

  @Test func usageLinesShowArguments() {
    #expect(HelpRenderer.help(for: ["profile", "use"]).hasPrefix("USAGE: driftqctl profile use [NAME] [--none]"))
    #expect(HelpRenderer.help(for: ["help"]).hasPrefix("USAGE: driftqctl help [COMMAND...]"))
  }
}
