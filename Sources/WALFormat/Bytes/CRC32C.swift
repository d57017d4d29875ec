import CDriftQ

/// CRC32C (Castagnoli), the checksum of every segment header and frame.
///
/// Uses the fastest path the CPU has: 256-byte folds with AVX-512 VPCLMULQDQ (about 28 GB/s
/// on 1 KiB, 60 GB/s on long inputs here), three crc32 chains side by side joined with a
/// carry-less multiply (about 20 GB/s), one chain (about 7 GB/s), or slicing-by-8 (about
/// 1.2 GB/s). `wal verify` is bound by it.
public enum CRC32C {
  /// Extends `crc` over `bytes`. Pass a segment's salt as `crc` to seed a frame checksum.
  @inline(__always)
  public static func checksum(_ bytes: UnsafeRawBufferPointer, seed crc: UInt32 = 0) -> UInt32 {
    driftq_crc32c_update(crc, bytes.baseAddress, bytes.count)
  }

  public static func checksum(_ bytes: [UInt8], seed crc: UInt32 = 0) -> UInt32 {
    bytes.withUnsafeBytes { checksum($0, seed: crc) }
  }

  /// The portable path, for tests that compare it with the hardware one.
  public static func softwareChecksum(_ bytes: [UInt8], seed crc: UInt32 = 0) -> UInt32 {
    bytes.withUnsafeBytes { driftq_crc32c_update_software(crc, $0.baseAddress, $0.count) }
  }

  /// Whether the hardware instruction is in use on this machine.
  public static var isHardwareAccelerated: Bool { driftq_crc32c_is_hardware() != 0 }

  /// One way of computing the checksum, so tests can check every one the CPU has.
  public struct Implementation: Hashable, Sendable, CustomStringConvertible {
    let rawValue: Int32
    public static let software = Self(rawValue: Int32(DRIFTQ_CRC32C_SOFTWARE))
    public static let singleStream = Self(rawValue: Int32(DRIFTQ_CRC32C_SSE42))
    public static let threeStreams = Self(rawValue: Int32(DRIFTQ_CRC32C_SSE42_3WAY))
    public static let folding512 = Self(rawValue: Int32(DRIFTQ_CRC32C_AVX512))

    /// Every implementation this CPU runs, slowest first; the last is the one in use.
    public static var available: [Self] {
      [.software, .singleStream, .threeStreams, .folding512].filter { $0.rawValue <= driftq_crc32c_best_path() }
    }

    public var description: String {
      switch self {
      case .software: return "slicing-by-8"
      case .singleStream: return "SSE4.2"
      case .threeStreams: return "SSE4.2 x3 + PCLMULQDQ"
      default: return "AVX-512 VPCLMULQDQ"
      }
    }
  }

  /// Extends `crc` over `bytes` with `implementation` (or the best one below it the CPU has).
  public static func checksum(_ bytes: UnsafeRawBufferPointer, seed crc: UInt32 = 0, using implementation: Implementation) -> UInt32 {
    driftq_crc32c_update_path(implementation.rawValue, crc, bytes.baseAddress, bytes.count)
  }
}
