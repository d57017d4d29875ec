/// DriftQ's partition choice: FNV-1a 32-bit of the key bytes modulo the partition count; an
/// empty key always goes to partition 0.
public enum Partitioner {
  public static func fnv1a32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    var hash: UInt32 = 0x811C_9DC5
    for byte in bytes {
      hash ^= UInt32(byte)
      hash = hash &* 0x0100_0193
    }
    return hash
  }

  public static func partition<C: Collection>(forKey key: C, partitions: Int) -> Int where C.Element == UInt8 {
    guard !key.isEmpty, partitions > 1 else { return 0 }
    return Int(fnv1a32(key) % UInt32(partitions))
  }
}
