/// The index files of a directory, `DIR/index/<base LSN>.idx`: loaded, checked against their
/// segment, and rebuilt or extended when they do not match it. Saving one is best effort and
/// unsynced (it is checksummed and derived): a reader without write permission, or a crash,
/// costs only a rebuild.
enum SegmentIndexStore {
  static func path(for file: SegmentFile, in directory: WALDirectory) -> String {
    directory.indexPath + "/" + SegmentName.fileName(baseLSN: file.baseLSN, suffix: ".idx")
  }

  /// The index of the segment `scanner` reads, covering the segment as it is now. `rebuild`
  /// ignores the file (after a position it gave did not hold the frame it promised).
  /// Leaves the scanner at an arbitrary position: reposition it.
  static func current(for scanner: SegmentScanner, in directory: WALDirectory, rebuild: Bool = false) throws(WALError) -> SegmentIndex {
    let path = path(for: scanner.file, in: directory)
    let size = try scanner.fileSize()
    var stored = rebuild ? nil : (try? Syscalls.readSmallFile(path, limit: SegmentIndex.maximumFileSize + 1)).flatMap(SegmentIndex.init(decoding:))
    if let index = stored, index.salt != scanner.header.salt || index.interval != SegmentIndex.defaultInterval
      || index.coveredBytes > size || index.coveredBytes < SegmentHeader.size || index.endLSN < scanner.header.baseLSN {
      stored = nil
    }
    var index = stored ?? SegmentIndex(salt: scanner.header.salt, interval: SegmentIndex.defaultInterval, baseLSN: scanner.header.baseLSN)
    if index.coveredBytes < size { try index.extend(with: scanner) }
    if index != stored {
      try? Syscalls.makeDirectory(directory.indexPath)
      try? Syscalls.writeFileReplacing(path, contents: index.encoded())
    }
    return index
  }
}
