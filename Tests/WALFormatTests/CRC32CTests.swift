import Testing
import TestSupport
import WALFormat

@Suite struct CRC32CTests {
  @Test func checkValueMatchesTheStandard() {
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    #expect(CRC32C.softwareChecksum(Array("123456789".utf8)) == 0xE306_9283)
    #expect(CRC32C.checksum([]) == 0)
  }

  @Test func hardwareAndSoftwarePathsAgree() {
    var rng = TestSeed.generator(for: "crc-agree")
    for _ in 0..<300 {
      let bytes = rng.bytes(Int.random(in: 0...300, using: &rng))
      let seed = UInt32.random(in: 0...UInt32.max, using: &rng)
      #expect(CRC32C.checksum(bytes, seed: seed) == CRC32C.softwareChecksum(bytes, seed: seed), "seed \(TestSeed.current)")
    }
  }

  @Test func checksumCanBeExtendedInPieces() {
    let bytes = Array("hello, durable world".utf8)
    let whole = CRC32C.checksum(bytes)
    let first = CRC32C.checksum(Array(bytes[0..<7]))
    #expect(CRC32C.checksum(Array(bytes[7...]), seed: first) == whole)
  }
}
