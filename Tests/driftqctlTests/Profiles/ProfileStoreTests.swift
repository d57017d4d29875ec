@testable import driftqctl
import Foundation
import Testing
import TestSupport

/// The profiles file: where it lives, atomic private writes, and damage that is an error with
/// its place, never a crash.
@Suite struct ProfileStoreTests {
  @Test func theDirectoryFollowsXDGThenHome() {
    #expect(ProfileStore.directory(in: ["XDG_CONFIG_HOME": "/x/conf/", "HOME": "/home/u"]) == "/x/conf/driftqctl")
    #expect(ProfileStore.directory(in: ["XDG_CONFIG_HOME": "relative", "HOME": "/home/u"]) == "/home/u/.config/driftqctl")
    #expect(ProfileStore.directory(in: ["HOME": "/home/u"]) == "/home/u/.config/driftqctl")
    #expect(ProfileStore.directory(in: ["HOME": "/"]) == "/.config/driftqctl")
    #expect(ProfileStore.directory(in: [:]) == nil)
  }

  @Test func aMissingFileHoldsNoProfiles() throws {
    let scratch = TemporaryDirectory("profiles-missing")
    let store = ProfileStore(directory: scratch.appending("driftqctl"))
    #expect(try store.load() == ProfileFile())
    #expect(try store.resolve(named: nil, source: "--profile") == nil)
  }

  @Test func changesAreWrittenPrivatelyAndReadBack() throws {
    let scratch = TemporaryDirectory("profiles-write")
    let store = ProfileStore(directory: scratch.appending("a/b/driftqctl"))
    let prod = Profile(name: "prod", baseURL: "http://prod:8080", tokenFile: "/t/prod \"quoted\".token")
    try store.update { file in
      file.set(prod)
      file.set(Profile(name: "dev", walDirectory: "/srv/dev"))
      file.current = "prod"
    }
    let file = try store.load()
    #expect(file.current == "prod" && file.profiles.map(\.name) == ["dev", "prod"] && file["prod"] == prod)
    let attributes = try FileManager.default.attributesOfItem(atPath: store.path)
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
    let directory = try FileManager.default.attributesOfItem(atPath: store.directory)
    #expect(((directory[.posixPermissions] as? Int) ?? 0) & 0o077 == 0, "the directory is the owner's only")
    #expect(FileBytes.list(store.directory).allSatisfy { !$0.hasSuffix(".tmp") }, "no temporary file is left behind")
    #expect(try ProfileFile(parsing: file.encoded()) == file, "encoding and parsing are mirror images")
  }

  @Test func deletingTheCurrentProfileLeavesNoneCurrent() throws {
    var file = ProfileFile()
    file.set(Profile(name: "a", baseURL: "http://a:1"))
    file.current = "a"
    #expect(file.delete("a") && file.current == nil && !file.delete("a"))
  }

  @Test(arguments: [
    ("{\"version\":1,", "invalid JSON"),
    ("[]", "not a JSON object"),
    ("{\"version\":2,\"profiles\":{}}", "newer driftqctl"),
    ("{\"version\":1,\"profiles\":{\"p\":{\"base-url\":\"http://x:1\"}}}", "unknown setting \"base-url\""),
    ("{\"version\":1,\"profiles\":{\"p\":{\"token_file\":\"/t\"}}}", "neither"),
    ("{\"version\":1,\"profiles\":{\"bad name\":{\"wal_dir\":\"/d\"}}}", "invalid profile name"),
    ("{\"version\":1,\"current\":3,\"profiles\":{}}", "\"current\" is a number"),
    ("{\"version\":1,\"profiles\":{\"p\":{\"wal_dir\":7}}}", "must be a non-empty string"),
  ])
  func aDamagedFileIsAnErrorThatSaysWhere(text: String, expected: String) throws {
    let scratch = TemporaryDirectory("profiles-damaged")
    let store = ProfileStore(directory: scratch.path)
    FileBytes.write(store.path, Array(text.utf8))
    do {
      _ = try store.load()
      Issue.record("\(text) loaded")
    } catch {
      #expect(error.status == .failure)
      #expect(error.message.contains(store.path) && error.message.contains(expected), "\(error.message)")
    }
  }

  @Test func aMissingNamedOrCurrentProfileIsNotFound() throws {
    let scratch = TemporaryDirectory("profiles-resolve")
    let store = ProfileStore(directory: scratch.path)
    try store.update { file in
      file.set(Profile(name: "a", baseURL: "http://a:1"))
      file.current = "a"
    }
    #expect(try store.resolve(named: nil, source: "DRIFTQ_PROFILE")?.name == "a")
    #expect(throws: CommandFailure.self) { try store.resolve(named: "b", source: "--profile") }
    FileBytes.write(store.path, Array(#"{"version":1,"current":"gone","profiles":{}}"#.utf8))
    do {
      _ = try store.resolve(named: nil, source: "--profile")
      Issue.record("a dangling current profile resolved")
    } catch {
      #expect(error.status == .notFound && error.message.contains("profile use --none"))
    }
  }

  @Test func namesAreChecked() {
    for good in ["prod", "eu-west.1", "A_b"] { #expect(Profile.problem(withName: good) == nil, "\(good)") }
    for bad in ["", "-x", ".hidden", "a/b", "a b", "é", String(repeating: "x", count: 65)] {
      #expect(Profile.problem(withName: bad) != nil, "\(bad)")
    }
  }
}
