@testable import driftqctl
import Testing

/// Precedence of the face settings: flag > environment > profile > default, per setting, with
/// the face chosen whole and a profile's token kept for the profile's own server.
@Suite struct FaceSettingsTests {
  typealias Layer = FaceSettings.Layer
  let prod = Profile(name: "prod", baseURL: "http://prod:8080", tokenFile: "/secrets/prod.token", walDirectory: "/srv/prod")
  let remoteOnly = Profile(name: "remote", baseURL: "http://remote:8080", tokenFile: "/secrets/remote.token")

  func resolve(_ flags: Layer = Layer(), _ environment: Layer = Layer(), _ profile: Profile? = nil) throws -> FaceSettings {
    try FaceSettings.resolve(flags: flags, environment: environment, profile: profile)
  }

  @Test func withNothingGivenTheDefaultDirectoryIsUsed() throws {
    let settings = try resolve()
    #expect(settings.walDirectory == "./driftq-data" && settings.baseURL == nil && settings.token == nil)
  }

  @Test func aProfileSuppliesEverySettingNothingElseGives() throws {
    let settings = try resolve(Layer(), Layer(), prod)
    #expect(settings.walDirectory == "/srv/prod")
    #expect(settings.baseURL == "http://prod:8080" && settings.baseURLProfile == "prod" && !settings.baseURLGiven)
    #expect(settings.token == .file("/secrets/prod.token", profile: "prod"))
  }

  @Test func anExplicitDirectoryBeatsEveryURL() throws {
    let settings = try resolve(Layer(walDirectory: "/flag"), Layer(baseURL: "http://env:1"), prod)
    #expect(settings.walDirectory == "/flag" && settings.baseURL == nil && settings.token == nil)
  }

  @Test func bothFacesOnTheCommandLineAreAUsageError() {
    #expect(throws: UsageError.self) { try resolve(Layer(walDirectory: "/d", baseURL: "http://x:1")) }
    #expect(throws: UsageError.self) { try resolve(Layer(token: "t", tokenFile: "/f")) }
  }

  @Test func aFlagURLBeatsTheEnvironmentAndTheProfileAndTakesNoProfileToken() throws {
    let settings = try resolve(Layer(baseURL: "http://flag:1"), Layer(baseURL: "http://env:1"), prod)
    #expect(settings.baseURL == "http://flag:1" && settings.baseURLGiven)
    #expect(settings.token == nil, "the profile's token must not go to another server")
    #expect(settings.walDirectory == "/srv/prod", "the directory setting is separate: the profile still gives it")
  }

  @Test func anEnvironmentURLBeatsTheProfile() throws {
    let settings = try resolve(Layer(), Layer(baseURL: "http://env:1"), prod)
    #expect(settings.baseURL == "http://env:1" && settings.baseURLProfile == nil && settings.token == nil)
  }

  @Test func anEnvironmentDirectoryChoosesTheLocalFaceOverAProfilesServer() throws {
    let settings = try resolve(Layer(), Layer(walDirectory: "/env"), remoteOnly)
    #expect(settings.walDirectory == "/env" && settings.baseURL == nil && settings.token == nil)
  }

  @Test func tokensComeFromTheFlagThenTheEnvironmentThenTheProfile() throws {
    #expect(try resolve(Layer(tokenFile: "/flag.token"), Layer(token: "env"), prod).token == .file("/flag.token", profile: nil))
    #expect(try resolve(Layer(token: "flag"), Layer(tokenFile: "/env.token"), prod).token == .text("flag"))
    #expect(try resolve(Layer(), Layer(token: "env", tokenFile: "/env.token"), prod).token == .text("env"))
    #expect(try resolve(Layer(), Layer(tokenFile: "/env.token"), prod).token == .file("/env.token", profile: nil))
  }

  @Test func aProfileMattersUnlessADirectoryIsNamed() {
    #expect(FaceSettings.profileMatters(flags: Layer(), environment: Layer()))
    #expect(FaceSettings.profileMatters(flags: Layer(baseURL: "http://x:1"), environment: Layer()))
    #expect(!FaceSettings.profileMatters(flags: Layer(walDirectory: "/d"), environment: Layer()))
    #expect(!FaceSettings.profileMatters(flags: Layer(), environment: Layer(walDirectory: "/d")))
  }
}
