/// What an option's or argument's value is, so that shell completion can offer values (a
/// list of words, paths, or names driftqctl lists itself); parsing and help do not read it.
enum ValueKind: Hashable, Sendable {
  /// Anything: nothing to offer.
  case text
  /// These words (the values of an enumeration, which shells offer).
  case choices([String])
  case file
  case directory
  /// A topic name (`topics list` says which exist).
  case topic
  /// A saved profile's name (`profile list` says which exist).
  case profile
  /// Command words (`help topics create`).
  case command

  /// The kind a placeholder implies: FILE and PATH name files, DIR a directory, TOPIC a topic.
  init(placeholder: String) {
    switch placeholder {
    case "FILE", "PATH": self = .file
    case "DIR": self = .directory
    case "TOPIC": self = .topic
    default: self = .text
    }
  }
}
