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

  /// Every implementation the CPU has against slicing-by-8, over lengths around each path's
  /// block boundaries and random lengths up to 70,000 bytes, at every alignment to 64.
  @Test func everyImplementationAgreesAtAnyLengthAndAlignment() {
    var rng = TestSeed.generator(for: "crc-implementations")
    let buffer = rng.bytes(70_000 + 64)
    // The three-stream path joins blocks of 8...512 words per stream (192...12,288 bytes);
    // the folding one takes 256 bytes at a time, then 64, then hands on the rest.
    let edges = [
      0, 1, 7, 8, 9, 183, 191, 192, 193, 199, 200, 255, 256, 257, 319, 320, 321, 511, 512, 513, 575, 576,
      12_287, 12_288, 12_289, 12_295, 24_576, 36_871,
    ]
    let lengths = edges + (0..<400).map { _ in Int.random(in: 0...70_000, using: &rng) }
    buffer.withUnsafeBytes { raw in
      for length in lengths {
        let offset = Int.random(in: 0..<64, using: &rng)
        let bytes = UnsafeRawBufferPointer(rebasing: raw[offset..<offset + length])
        let seed = UInt32.random(in: 0...UInt32.max, using: &rng)
        let expected = CRC32C.checksum(bytes, seed: seed, using: .software)
        for implementation in CRC32C.Implementation.available.dropFirst() {
          #expect(
            CRC32C.checksum(bytes, seed: seed, using: implementation) == expected,
            "\(implementation), length \(length), offset \(offset), seed \(TestSeed.current)")
        }
        #expect(CRC32C.checksum(bytes, seed: seed) == expected, "length \(length), offset \(offset), seed \(TestSeed.current)")
      }
    }
  }

  @Test func checksumCanBeExtendedInPieces() {
    let bytes = Array("hello, durable world".utf8)
    let whole = CRC32C.checksum(bytes)
    let first = CRC32C.checksum(Array(bytes[0..<7]))
    #expect(CRC32C.checksum(Array(bytes[7...]), seed: first) == whole)
  }
}
