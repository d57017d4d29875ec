#if canImport(Glibc)
import Glibc
#endif

/// SplitMix64: small, fast, and the same sequence for the same seed on every machine.
public struct SeededRandom: RandomNumberGenerator, Sendable {
  private var state: UInt64
  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  public mutating func bytes(_ count: Int) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
  }
}

/// The seed of this test run: `DRIFTQ_TEST_SEED` when set (to reproduce a failure), else
/// chosen at random. Printed once so any failure can be replayed.
public enum TestSeed {
  public static let current: UInt64 = {
    let seed: UInt64
    if let text = getenv("DRIFTQ_TEST_SEED").map({ String(cString: $0) }), let value = UInt64(text) {
      seed = value
    } else {
      seed = UInt64.random(in: 0...UInt64.max)
    }
    print("driftq test seed: \(seed) (set DRIFTQ_TEST_SEED=\(seed) to reproduce)")
    return seed
  }()

  /// A generator for one test, derived from the run seed and the test's name.
  public static func generator(for test: String) -> SeededRandom {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in test.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return SeededRandom(seed: current ^ hash)
  }
}
