import Foundation
import Testing
import TestSupport

/// Profiles as a user meets them: saved, listed, chosen, used against a real server with its
/// token file, and a damaged file reported, never a crash.
@Suite struct ProfileProcessTests {
  func json(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
  }

  @Test func setListUseShowDelete() throws {
    let cli = CLIProcess(TemporaryDirectory("profile-life"))
    let files = TemporaryDirectory("profile-life-files")
    let tokenFile = files.appending("prod.token")
    try Data("very-s3cret\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
    let set = try cli.run(["profile", "set", "prod", "--base-url", "http://127.0.0.1:1", "--token-file", tokenFile], namingDirectory: false)
    #expect(set.status == 0, "\(set.stderr)")
    #expect(set.stdout == "saved profile \"prod\" base_url=http://127.0.0.1:1 token_file=\(tokenFile)\nnext: driftqctl profile use prod\n")
    #expect(try cli.run(["profile", "set", "local", "--wal-dir", cli.walDirectory], namingDirectory: false).status == 0)
    let path = cli.configDirectory + "/driftqctl/profiles.json"
    let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    #expect(mode == 0o600)

    #expect(try cli.run(["profile", "use", "prod"]).stdout == "using profile \"prod\"\n")
    let list = try cli.run(["profile", "list"])
    #expect(list.stdout.split(separator: "\n").contains { $0.hasPrefix("*") && $0.contains("prod") }, "\(list.stdout)")
    #expect(list.stdout.split(separator: "\n").contains { $0.hasPrefix(" ") && $0.contains("local") }, "\(list.stdout)")
    let listed = json(try cli.run(["profile", "list", "-o", "json"]).stdout)
    #expect(listed?["current"] as? String == "prod" && (listed?["profiles"] as? [Any])?.count == 2)
    let shown = try cli.run(["profile", "show"])
    #expect(shown.stdout.contains("name=prod\ncurrent=true\nbase_url=http://127.0.0.1:1\ntoken_file=\(tokenFile)\n"), "\(shown.stdout)")
    #expect(json(try cli.run(["profile", "show", "local", "-o", "json"]).stdout)?["wal_dir"] as? String == cli.walDirectory)

    // The token itself is never in any output, nor in the file.
    var everything = set.stdout + set.stderr + list.stdout + shown.stdout + shown.stderr
    everything += String(decoding: FileBytes.read(path), as: UTF8.self)
    #expect(!everything.contains("very-s3cret"))

    let deleted = try cli.run(["profile", "delete", "prod"])
    #expect(deleted.stdout == "deleted profile \"prod\" (it was the current one: no profile is in use now)\n")
    #expect(json(try cli.run(["profile", "list", "-o", "json"]).stdout)?["current"] is NSNull)
    let missing = try cli.run(["profile", "use", "prod"])
    #expect(missing.status == 4 && missing.stderr.contains("no profile named \"prod\""))
    #expect(try cli.run(["profile", "use", "--none"]).stdout == "using no profile\n")
  }

  @Test func aProfilesServerAndTokenAreUsedUnlessTheCommandLineOrEnvironmentSaysOtherwise() throws {
    let cli = CLIProcess(TemporaryDirectory("profile-serve"))
    let server = try ServeProcess(cli, arguments: ["--token", "prof-s3cret"])
    let files = TemporaryDirectory("profile-serve-files")
    let tokenFile = files.appending("token")
    try Data("prof-s3cret\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
    let url = "http://127.0.0.1:\(server.port)"
    #expect(try cli.run(["profile", "set", "dev", "--base-url", url, "--token-file", tokenFile], namingDirectory: false).status == 0)

    // Named for one command, then current: the server answers with the profile's token.
    let created = try cli.run(["--profile", "dev", "topics", "create", "--name", "t"], namingDirectory: false)
    #expect(created.status == 0 && created.stdout.hasPrefix("created topic"), "\(created.stderr)")
    #expect(try cli.run(["profile", "use", "dev"]).status == 0)
    let listed = try cli.run(["topics", "list"], namingDirectory: false)
    #expect(listed.status == 0 && listed.stdout == "t\n", "\(listed.stderr)")
    #expect(!(created.stdout + created.stderr + listed.stdout + listed.stderr).contains("prof-s3cret"))

    // DRIFTQ_WAL_DIR and --wal-dir choose the local face over the profile's server.
    let local = TemporaryDirectory("profile-serve-local")
    let empty = try cli.run(["topics", "list"], environment: ["DRIFTQ_WAL_DIR": local.appending("none")], namingDirectory: false)
    #expect(empty.status == 4, "the local directory, not the server: \(empty.stderr)")
    #expect(try cli.run(["--wal-dir", local.appending("none"), "topics", "list"], namingDirectory: false).status == 4)
    // DRIFTQ_URL beats the profile, and gets none of its token.
    let other = try ServeProcess(CLIProcess(TemporaryDirectory("profile-serve-other")))
    let elsewhere = try cli.run(["topics", "list"], environment: ["DRIFTQ_URL": "http://127.0.0.1:\(other.port)"], namingDirectory: false)
    #expect(elsewhere.status == 0 && elsewhere.stdout == "(no topics)\n", "\(elsewhere.stderr)")
    #expect(other.stop() == 0)
    #expect(server.stop() == 0)
  }

  @Test func aDamagedFileOrMissingProfileIsAClearError() throws {
    let cli = CLIProcess(TemporaryDirectory("profile-damage"))
    try FileManager.default.createDirectory(atPath: cli.configDirectory + "/driftqctl", withIntermediateDirectories: true)
    let path = cli.configDirectory + "/driftqctl/profiles.json"
    FileBytes.write(path, Array("{\"version\":1,\"profiles\":{\"p\":{\"wal_dir\":".utf8))
    let damaged = try cli.run(["topics", "list", "-o", "json"], namingDirectory: false)
    #expect(damaged.status == 1 && damaged.stderr.contains("\(path) is damaged"), "\(damaged.stderr)")
    #expect(damaged.stderr.contains(#""code":"failure""#))
    #expect(try cli.run(["profile", "list"]).status == 1)
    // A named directory needs no profile, so the file is not read.
    #expect(try cli.run(["topics", "create", "--name", "t"]).status == 0)
    FileBytes.remove(path)
    let missing = try cli.run(["topics", "list"], environment: ["DRIFTQ_PROFILE": "nosuch"], namingDirectory: false)
    #expect(missing.status == 4 && missing.stderr.contains("DRIFTQ_PROFILE: no profile named \"nosuch\""), "\(missing.stderr)")
    let token = try cli.run(["profile", "set", "p", "--base-url", "http://127.0.0.1:1", "--token", "x"])
    #expect(token.status == 2 && token.stderr.contains("never a token"))
    let noFile = try cli.run(["profile", "set", "p", "--base-url", "http://127.0.0.1:1", "--token-file", "/nonexistent/token"])
    #expect(noFile.status == 2 && noFile.stderr.contains("/nonexistent/token"))
  }
}
