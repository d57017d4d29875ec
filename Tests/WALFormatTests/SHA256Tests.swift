import Testing
import WALFormat

@Suite struct SHA256Tests {
  @Test(arguments: [
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
  ])
  func knownVectors(text: String, digest: String) {
    #expect(SHA256.hex(Array(text.utf8)) == digest)
  }

  @Test func lengthsAroundBlockBoundaries() {
    // A million 'a's is the standard long vector; here every length near 55/56/64 is hashed
    // and compared with the incremental property that equal inputs give equal digests.
    #expect(SHA256.hex(Array(repeating: UInt8(ascii: "a"), count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    for n in 50...130 {
      let a = SHA256.hex(Array(repeating: UInt8(7), count: n))
      #expect(a.count == 64)
      #expect(a != SHA256.hex(Array(repeating: UInt8(7), count: n + 1)))
    }
  }
}
