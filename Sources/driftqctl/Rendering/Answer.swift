import ReplayEngine

/// A command's answer, built once and rendered by the one output path for `-o text|json|ndjson`.
///
/// Commands build an `Answer` instead of switching on the format, so every command keeps the
/// same rules: `-o json` is exactly one JSON document; `-o ndjson` is one object per line (the
/// rows of a list, or the document itself); text keeps the Go driftqctl's lines and is built
/// only when it is printed.
struct Answer {
  /// The one document printed by `-o json`.
  var document: JSONValue
  /// The objects printed by `-o ndjson`, one per line.
  var lines: [JSONValue]
  /// The text form, built on demand.
  var text: () -> String
  /// The text form for a terminal, when it differs (drawn for the eye: bars, aligned
  /// columns); a pipe or file always gets `text`, so scripts never see it.
  var terminalText: (() -> String)? = nil

  /// A list answer: `{<extra…>, "<key>": [rows…]}` as one document, or one row per line.
  /// `text` is printed as given (end each line with "\n").
  static func list(_ key: String, _ rows: [JSONValue], extra: [(String, JSONValue)] = [], text: @escaping () -> String) -> Answer {
    Answer(document: .object(extra + [(key, .array(rows))]), lines: rows, text: text)
  }

  /// A single-object answer: the same object in JSON and as one NDJSON line.
  static func object(_ value: JSONValue, text: @escaping () -> String) -> Answer {
    Answer(document: value, lines: [value], text: text)
  }

  /// Joins text lines, each ending in "\n" (no lines: nothing).
  static func lines(_ lines: [String]) -> String {
    lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
  }

  /// The same answer with text lines around its own: lines of a longer story (a demo's steps
  /// and totals) that the JSON forms leave out.
  func addingText(before: String = "", after: String = "") -> Answer {
    let own = text
    let terminal = terminalText
    return Answer(document: document, lines: lines, text: { before + own() + after }, terminalText: terminal.map { t in { before + t() + after } })
  }

  /// The same answer, drawn differently on a terminal.
  func onTerminal(_ text: @escaping () -> String) -> Answer {
    var answer = self
    answer.terminalText = text
    return answer
  }
}

extension CommandContext {
  /// The one output path: prints `answer` in `format` on stdout.
  func print(_ answer: Answer, as format: OutputFormat) {
    switch format {
    case .text: stdout.write((stdout.isTerminal ? answer.terminalText : nil)?() ?? answer.text())
    case .json: stdout.line(JSONWriter.encode(answer.document))
    case .ndjson: for line in answer.lines { stdout.line(JSONWriter.encode(line)) }
    }
  }

  /// Prints a report's answer and passes on the exit status it came with (3 for damage found).
  func print(_ report: (Answer, ExitStatus), as format: OutputFormat) -> ExitStatus {
    print(report.0, as: format)
    return report.1
  }

  /// A progress line that only NDJSON prints, as it happens (each message a redrive moved);
  /// the answer printed after it says the totals in every format.
  func progress(_ json: @autoclosure () -> JSONValue, as format: OutputFormat) {
    if format == .ndjson { stdout.line(JSONWriter.encode(json())) }
  }
}

/// The output path for answers that arrive as a stream (consume, dumps, followed events):
/// text and NDJSON print each row as it comes; JSON prints one document
/// `{"<key>":[row,…]}` whose rows are written as they come and whose end is written by
/// `finish` (a stream cut by a signal leaves the document unclosed, as a pipe would).
struct AnswerStream {
  let key: String
  let format: OutputFormat
  let out: OutputStream
  private var rows = 0
  private var started = false

  init(_ key: String, format: OutputFormat, out: OutputStream) {
    self.key = key
    self.format = format
    self.out = out
  }

  /// Prints one row: `text` in text mode (a line, without its "\n"), `json` otherwise.
  mutating func row(_ json: @autoclosure () -> JSONValue, text: @autoclosure () -> String) {
    row(encoded: JSONWriter.encode(json()), text: text())
  }

  /// Prints a row that only the JSON forms show (text closes with a summary line instead).
  mutating func row(_ json: @autoclosure () -> JSONValue) {
    guard format != .text else { return }
    row(encoded: JSONWriter.encode(json()), text: "")
  }

  /// Prints one row already encoded as one compact JSON object (a ConsumeItem as the broker
  /// wrote it), without decoding it again.
  mutating func row(encoded json: @autoclosure () -> String, text: @autoclosure () -> String) {
    switch format {
    case .text: out.line(text())
    case .ndjson: out.line(json())
    case .json:
      begin()
      out.write((rows == 0 ? "\n" : ",\n") + json())
    }
    rows += 1
  }

  /// Prints a text-only line (headers, notes that have no JSON form).
  func text(_ line: String) {
    if format == .text { out.line(line) }
  }

  /// Ends the JSON document, with `extra` members after the rows.
  mutating func finish(extra: [(String, JSONValue)] = []) {
    guard format == .json else { return }
    begin()
    var tail = rows == 0 ? "]" : "\n]"
    for (name, value) in extra { tail += "," + JSONWriter.encode(.string(name)) + ":" + JSONWriter.encode(value) }
    out.line(tail + "}")
  }

  /// Runs `body`, which prints the rows, then ends the document; also when `body` throws
  /// after a row, so the rows before the error still parse as one document (an error before
  /// any row leaves stdout empty, as for any failed command).
  /// `extra` gives members to write after the rows from what `body` returned.
  mutating func finishing<T>(extra: (T) -> [(String, JSONValue)] = { _ in [] }, _ body: (inout AnswerStream) throws -> T) rethrows -> T {
    let value: T
    do { value = try body(&self) } catch {
      if started { finish() }
      throw error
    }
    finish(extra: extra(value))
    return value
  }

  private mutating func begin() {
    guard !started else { return }
    started = true
    out.write("{" + JSONWriter.encode(.string(key)) + ":[")
  }
}
