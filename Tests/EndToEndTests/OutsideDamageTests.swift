import Foundation
import Testing
import TestSupport

/// Outside damage is never called a torn tail: it is corruption with its place, nothing is cut
/// without a copy, and `wal repair --salvage` keeps every record that survived.
@Suite struct OutsideDamageTests {
  /// A directory with `count` messages on one partition of topic `t`, in small segments.
  func directory(_ name: String, count: Int) throws -> CLIProcess {
    let cli = CLIProcess(TemporaryDirectory(name))
    try cli.run(["topics", "create", "--name", "t", "--partitions", "1"])
    let input = (0..<count).map { #"{"value":"message-\#($0)-\#(String(repeating: "x", count: 200))"}"# }.joined(separator: "\n") + "\n"
    #expect(try cli.run(["--segment-size", "4KiB", "publish", "--batch", "--topic", "t"], input: input).status == 0)
    return cli
  }

  /// Where each record is: (LSN, segment path, byte).
  func places(_ cli: CLIProcess) throws -> [(lsn: Int, segment: String, byte: Int)] {
    try cli.run(["wal", "dump", "-o", "ndjson"]).lines.compactMap { line in
      guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let lsn = object["lsn"] as? Int, let segment = object["segment"] as? String, let byte = object["byte"] as? Int
      else { return nil }
      return (lsn, cli.walDirectory + "/wal/" + segment, byte)
    }
  }

  func values(_ cli: CLIProcess) throws -> [String] {
    // A new group reads every message once.
    try cli.run(["consume", "--topic", "t", "--group", "reader-\(UUID().uuidString)", "--owner", "w", "--max", "1000", "--max-inflight", "0", "-o", "ndjson"]).lines.compactMap { line in
      (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["value"] as? String
    }
  }

  @Test func aLogCutShorterThanItsCheckpointIsLostDataUntilRepaired() throws {
    let cli = try directory("cut-below-checkpoint", count: 10)
    #expect(try cli.run(["wal", "checkpoint"]).status == 0)
    let last = try #require(try places(cli).last)
    // The end of the newest segment is cut at a frame boundary: no damage a scan can see.
    try FileHandle(forWritingTo: URL(fileURLWithPath: last.segment)).truncate(atOffset: UInt64(last.byte))
    let refused = try cli.run(["publish", "--topic", "t", "--value", "new"])
    #expect(refused.status == 3)
    #expect(refused.stderr.contains("acknowledged records were lost"))
    #expect(try cli.run(["topics", "lag", "--group", "g"]).status == 3)
    let repair = try cli.run(["wal", "repair"])
    #expect(repair.status == 0 && repair.stdout.contains("set aside"))
    #expect(try cli.run(["publish", "--topic", "t", "--value", "new"]).status == 0)
    #expect(try values(cli).count == 10)
  }

  @Test func aFlippedByteInTheLastFrameStopsTheWriterAndCutsNothing() throws {
    let cli = try directory("flip-last-frame", count: 5)
    let last = try #require(try places(cli).last)
    var bytes = FileBytes.read(last.segment)
    bytes[last.byte + 60] ^= 0x04
    FileBytes.write(last.segment, bytes)
    let refused = try cli.run(["publish", "--topic", "t", "--value", "new"])
    #expect(refused.status == 3 && refused.stderr.contains("damage, not a torn tail"))
    #expect(FileBytes.read(last.segment) == bytes)
    #expect(try cli.run(["wal", "verify"]).status == 3)
  }

  @Test func salvageKeepsEveryIntactRecordAfterTheDamageAndNamesTheLost() throws {
    let cli = try directory("salvage", count: 40)
    let all = try places(cli)
    #expect(Set(all.map(\.segment)).count >= 3)
    // One flipped byte in a record in the middle of a sealed segment.
    let victim = all[all.count / 2]
    var bytes = FileBytes.read(victim.segment)
    bytes[victim.byte + 40] ^= 0x01
    FileBytes.write(victim.segment, bytes)
    #expect(try cli.run(["wal", "verify"]).status == 3)
    #expect(try cli.run(["wal", "repair"]).status == 3)
    let salvage = try cli.run(["wal", "repair", "--salvage"])
    #expect(salvage.status == 0)
    #expect(salvage.stdout.contains("lost LSNs \(victim.lsn)"), "\(salvage.stdout)")
    #expect(FileManager.default.fileExists(atPath: victim.segment + ".broken"))
    #expect(try cli.run(["wal", "verify"]).status == 0)
    // Every message but the lost one is there, the ones after it included.
    let survived = try values(cli)
    #expect(survived.count == 39)
    #expect(survived.last?.hasPrefix("message-39-") == true)
    let peek = try cli.run(["topics", "peek", "--topic", "t", "--n", "100"])
    #expect(peek.status == 0 && peek.lines.count == 39)
    #expect(try cli.run(["publish", "--topic", "t", "--value", "after"]).status == 0)
  }
}
