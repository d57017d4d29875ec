import Foundation
import Testing
import TestSupport

/// How a command picks and speaks to its face: precedence, tokens, servers without our
/// extensions, restarts, and argument bytes.
@Suite struct FacesTests {
  /// DriftQ-Core's stand-in (`Tests/Scripts/fake-core.py`) on a free loopback port.
  final class FakeCore {
    let script: ScriptProcess
    let url: String

    init() throws {
      script = try ScriptProcess("fake-core.py")
      url = "http://" + (script.announced.isEmpty ? "127.0.0.1:1" : script.announced)
    }
  }

  @Test func againstDriftQCoreACommandItCannotDoNamesWhatIsMissing() throws {
    let core = try FakeCore()
    let cli = CLIProcess(TemporaryDirectory("faces-core"))
    let face = ["--base-url", core.url]
    #expect(try cli.run(face + ["topics", "create", "--name", "t"]).status == 0)
    let again = try cli.run(face + ["topics", "create", "--name", "t", "--partitions", "3"])
    #expect(again.status == 0 && again.stdout == "topic \"t\" already exists\n" && again.stderr.contains("does not say how many partitions"))
    let produced = try cli.run(face + ["publish", "--topic", "t", "--key", "a", "--value", "x"])
    #expect(produced.stdout == "topic=t status=produced\n")
    for value in ["y", "z"] { _ = try cli.run(face + ["publish", "--topic", "t", "--value", value]) }
    for (command, missing) in [
      (["runs", "list"], "has no runs API"), (["groups", "list"], "has no groups API"),
      (["dlq", "list", "--topic", "t"], "has no dead-letter API"), (["topics", "peek", "--topic", "t"], "has no peek API"),
    ] {
      let result = try cli.run(face + command)
      #expect(result.status == 5, "\(command): \(result.stderr)")
      #expect(result.stderr.contains(missing) && !result.stderr.contains("not found"), "\(command): \(result.stderr)")
    }
    // No max extension: at most --max are printed, and stderr says the server may hold more.
    let consumed = try cli.run(face + ["consume", "--topic", "t", "--group", "g", "--owner", "o", "--max", "1"])
    #expect(consumed.status == 0 && consumed.lines.count == 1)
    #expect(consumed.stderr.contains("may have leased more to o than were printed"))
    // DriftQ-Core carries text only: bytes that are not UTF-8 are refused, clearly.
    let files = TemporaryDirectory("faces-bytes")
    let bytes = files.appending("v.bin")
    try Data([0xff, 0x00]).write(to: URL(fileURLWithPath: bytes))
    let binary = try cli.run(face + ["publish", "--topic", "t", "--value-file", bytes])
    #expect(binary.status == 1 && binary.stderr.contains("carries keys and values as text only"))
  }

  @Test func aTokenReachesTheServerAndIsNeverPrinted() throws {
    let cli = CLIProcess(TemporaryDirectory("faces-token"))
    let server = try ServeProcess(cli, arguments: ["--token", "s3cret-token"])
    let face = ["--base-url", "http://127.0.0.1:\(server.port)"]
    let refused = try cli.run(face + ["topics", "list"])
    #expect(refused.status != 0 && refused.stderr.contains("401"))
    let files = TemporaryDirectory("faces-token-file")
    let tokenFile = files.appending("token")
    try Data("s3cret-token\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
    for (arguments, environment) in [
      (["--token", "s3cret-token"], [String: String]()), ([], ["DRIFTQ_TOKEN": "s3cret-token"]), (["--token-file", tokenFile], [:]),
    ] {
      let result = try cli.run(face + arguments + ["topics", "create", "--name", "t"], environment: environment)
      #expect(result.status == 0, "\(arguments) \(environment): \(result.stderr)")
      #expect(!(result.stdout + result.stderr).contains("s3cret"))
    }
    #expect(server.stop() == 0)
  }

  @Test func anIPv6LoopbackURLWorks() throws {
    let cli = CLIProcess(TemporaryDirectory("faces-ipv6"))
    let server = try ServeProcess(cli, arguments: ["--addr", "[::1]:0"])
    let created = try cli.run(["--base-url", "http://[::1]:\(server.port)", "topics", "create", "--name", "t"])
    #expect(created.status == 0 && created.stdout.hasPrefix("created topic"), "\(created.stderr)")
    #expect(server.stop() == 0)
  }

  @Test func anExplicitDirectoryBeatsAnEnvironmentURL() throws {
    let cli = CLIProcess(TemporaryDirectory("faces-precedence"))
    let result = try cli.run(["topics", "create", "--name", "t"], environment: ["DRIFTQ_URL": "http://127.0.0.1:1"])
    #expect(result.status == 0 && result.stdout.hasPrefix("created topic"), "\(result.stderr)")
    // A directory-only command ignores DRIFTQ_URL rather than refusing.
    #expect(try cli.run(["wal", "verify"], environment: ["DRIFTQ_URL": "http://127.0.0.1:1"]).status == 0)
  }

  @Test func argumentBytesThatAreNotUTF8AreKept() throws {
    let cli = CLIProcess(TemporaryDirectory("faces-argv"))
    #expect(try cli.run(["topics", "create", "--name", "t", "--partitions", "8"]).status == 0)
    // Through a shell, so the arguments carry raw bytes.
    let shell = Process()
    shell.executableURL = URL(fileURLWithPath: "/bin/sh")
    shell.arguments = ["-c", #"exec "$0" --wal-dir "$1" publish --topic t --key "$(printf '\377k')" --value "$(printf 'v\200')""#, CLIProcess.binary, cli.walDirectory]
    try shell.run()
    shell.waitUntilExit()
    #expect(shell.terminationStatus == 0)
    let peeked = try cli.run(["topics", "peek", "--topic", "t"])
    // 0xff 'k' is "/2s=" in base64 and 'v' 0x80 is "doA=": the bytes as given, not U+FFFD.
    #expect(peeked.stdout.contains(#""key":"/2s=","value":"doA=""#), "\(peeked.stdout)")
  }

  @Test func followReconnectsAfterAServerRestartAndPrintsEachLeaseOnce() throws {
    let cli = CLIProcess(TemporaryDirectory("faces-restart"))
    #expect(try cli.run(["topics", "create", "--name", "t"]).status == 0)
    var server = try ServeProcess(cli)
    let port = server.port
    let face = ["--base-url", "http://127.0.0.1:\(port)"]
    #expect(try cli.run(face + ["publish", "--topic", "t", "--value", "one"]).status == 0)
    let (consumer, stdin, stdout) = try cli.start(face + ["consume", "--topic", "t", "--group", "g", "--owner", "o", "--follow", "--max", "2", "--wait", "30s", "--lease-ms", "60000"])
    try stdin.close()
    let first = CLIProcess.readLines(stdout, atLeast: 1)
    #expect(first.first?.contains(#""value":"one""#) == true)
    #expect(server.stop() == 0)
    server = try ServeProcess(cli, arguments: ["--addr", "127.0.0.1:\(port)"])
    #expect(try cli.run(face + ["publish", "--topic", "t", "--value", "two"]).status == 0)
    consumer.waitUntilExit()
    let rest = String(decoding: stdout.readDataToEndOfFile(), as: UTF8.self)
    #expect(consumer.terminationStatus == 0)
    let lines = (first + rest.split(separator: "\n").map(String.init)).filter { !$0.isEmpty }
    #expect(lines.count == 2 && lines.last?.contains(#""value":"two""#) == true, "\(lines)")
    #expect(server.stop() == 0)
  }
}
