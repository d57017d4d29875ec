/// The shells `driftqctl completion` writes a script for.
enum CompletionShell: String, CaseIterable, Sendable {
  case bash, zsh, fish

  func script(for model: CompletionModel) -> String {
    switch self {
    case .bash: return BashCompletion.script(model)
    case .zsh: return ZshCompletion.script(model)
    case .fish: return FishCompletion.script(model)
    }
  }
}
