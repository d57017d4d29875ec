@testable import driftqctl
import Testing
import TestSupport

/// Profiles through the real parse: what a command's global options become with a profiles
/// file in XDG_CONFIG_HOME, and which commands never read it.
@Suite struct ProfileResolutionTests {
  /// A config directory with `prod` (a server and its token file) and `local` (a directory);
  /// `current` is made current.
  final class Config {
    let scratch = TemporaryDirectory("profiles-parse")
    var environment: [String: String] { ["XDG_CONFIG_HOME": scratch.path] }
    var tokenPath: String { scratch.appending("prod.token") }

    init(current: String? = nil) throws {
      FileBytes.write(tokenPath, Array("s3cret\n".utf8))
      try ProfileStore(directory: scratch.appending("driftqctl")).update { [tokenPath] file in
        file.set(Profile(name: "prod", baseURL: "http://prod.example:8080", tokenFile: tokenPath))
        file.set(Profile(name: "local", walDirectory: "/srv/local"))
        file.current = current
      }
    }
  }

  func globals(_ arguments: [String], _ environment: [String: String]) throws -> GlobalOptions? {
    guard case .run(let command) = try CLI.parse(arguments, environment: environment) else { return nil }
    return (command as? TopicsListCommand)?.globals ?? (command as? WALVerifyCommand)?.globals
  }

  @Test func theCurrentProfileGivesTheFaceAndItsToken() throws {
    let config = try Config(current: "prod")
    let options = try #require(try globals(["topics", "list"], config.environment))
    #expect(options.baseURL == "http://prod.example:8080" && options.token == "s3cret" && !options.baseURLGiven)
  }

  @Test func profileFlagAndVariableNameOneForACommand() throws {
    let config = try Config(current: "prod")
    #expect(try globals(["--profile", "local", "topics", "list"], config.environment)?.walDirectory == "/srv/local")
    var environment = config.environment
    environment["DRIFTQ_PROFILE"] = "local"
    let options = try #require(try globals(["topics", "list"], environment))
    #expect(options.walDirectory == "/srv/local" && options.baseURL == nil && options.token == nil)
  }

  @Test func flagsAndVariablesBeatTheProfile() throws {
    let config = try Config(current: "prod")
    var environment = config.environment
    environment["DRIFTQ_WAL_DIR"] = "/env"
    let local = try #require(try globals(["topics", "list"], environment))
    #expect(local.baseURL == nil && local.walDirectory == "/env" && local.token == nil)
    let flag = try #require(try globals(["--wal-dir", "/flag", "topics", "list"], config.environment))
    #expect(flag.baseURL == nil && flag.walDirectory == "/flag")
    let other = try #require(try globals(["--base-url", "http://other:1", "topics", "list"], config.environment))
    #expect(other.baseURL == "http://other:1" && other.token == nil, "prod's token never goes to another server")
  }

  @Test func aDirectoryOnlyCommandIgnoresTheProfilesServerAndToken() throws {
    let config = try Config(current: "prod")
    FileBytes.remove(config.tokenPath)
    let options = try #require(try globals(["wal", "verify"], config.environment))
    #expect(options.baseURL == nil && options.token == nil && options.walDirectory == "./driftq-data")
  }

  @Test func aMissingProfileIsNotFoundAndABadNameIsUsage() throws {
    let config = try Config()
    #expect(throws: CommandFailure.self) { try globals(["--profile", "nosuch", "topics", "list"], config.environment) }
    do {
      _ = try globals(["--profile", "a/b", "topics", "list"], config.environment)
      Issue.record("a bad profile name parsed")
    } catch let failure as CommandFailure {
      #expect(failure.status == .usage)
    }
  }

  @Test func aDamagedFileStopsOnlyCommandsThatWouldReadIt() throws {
    let config = try Config(current: "prod")
    FileBytes.write(config.scratch.appending("driftqctl/profiles.json"), Array("{oops".utf8))
    #expect(throws: CommandFailure.self) { try globals(["topics", "list"], config.environment) }
    #expect(try globals(["--wal-dir", "/d", "topics", "list"], config.environment)?.walDirectory == "/d")
    for words in [["version"], ["help"], ["completion", "bash"], ["profile", "use", "--none"]] {
      guard case .run = try CLI.parse(words, environment: config.environment) else {
        Issue.record("\(words) did not parse")
        continue
      }
    }
  }

  @Test func profileSetTakesTheFaceOptionsAsItsOwn() throws {
    guard case .run(let command) = try CLI.parse(
      ["profile", "set", "p", "--base-url", "http://h:1", "--wal-dir", "rel/dir"], environment: ["DRIFTQ_URL": "http://env:1"])
    else {
      Issue.record("not a run")
      return
    }
    let set = try #require(command as? ProfileSetCommand)
    #expect(set.profile.baseURL == "http://h:1" && set.profile.walDirectory?.hasPrefix("/") == true)
    #expect(set.profile.walDirectory?.hasSuffix("/rel/dir") == true)
    #expect(throws: UsageError.self) { try CLI.parse(["profile", "set", "p", "--base-url", "http://h:1", "--token", "t"], environment: [:]) }
    #expect(throws: UsageError.self) { try CLI.parse(["profile", "set", "p", "--token-file", "/t"], environment: [:]) }
    #expect(throws: UsageError.self) { try CLI.parse(["profile", "set", "p", "--base-url", "ftp://h"], environment: [:]) }
    #expect(throws: UsageError.self) { try CLI.parse(["profile", "set", "p"], environment: [:]) }
  }
}
