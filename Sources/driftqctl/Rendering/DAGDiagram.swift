import ReplayEngine

/// A run's workflow drawn as inline SVG: a column per depth (roots on the left), a box per
/// step coloured by its standing (as `runs graph` colours it), and an arrow per dependency.
enum DAGDiagram {
  static let boxWidth = 180
  static let boxHeight = 58
  static let columnGap = 56
  static let rowGap = 16
  static let margin = 12

  static func svg(_ graph: RunGraph) -> String {
    let e = HTMLEscaping.escape
    var columns: [[RunGraph.Node]] = []
    for node in graph.nodes {
      while columns.count <= node.depth { columns.append([]) }
      columns[node.depth].append(node)
    }
    var place: [String: (x: Int, y: Int)] = [:]
    for (c, column) in columns.enumerated() {
      for (r, node) in column.enumerated() {
        place[node.id] = (margin + c * (boxWidth + columnGap), margin + r * (boxHeight + rowGap))
      }
    }
    let width = margin * 2 + max(1, columns.count) * (boxWidth + columnGap) - columnGap
    let height = margin * 2 + max(1, columns.map(\.count).max() ?? 1) * (boxHeight + rowGap) - rowGap
    var out = """
      <svg class="dag" xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" role="img" aria-label="workflow \(e(graph.workflowID))">
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#6b7280"/></marker></defs>

      """
    for edge in graph.edges {
      guard let a = place[edge.from], let b = place[edge.to] else { continue }
      let (x1, y1, x2, y2) = (a.x + boxWidth, a.y + boxHeight / 2, b.x, b.y + boxHeight / 2)
      let bend = max(20, (x2 - x1) / 2)
      out += "<path d=\"M\(x1),\(y1) C\(x1 + bend),\(y1) \(x2 - bend),\(y2) \(x2),\(y2)\" fill=\"none\" stroke=\"#6b7280\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>\n"
    }
    for node in graph.nodes {
      guard let p = place[node.id] else { continue }
      let look = GraphRendering.look(node)
      let dash = look.dashed ? " stroke-dasharray=\"5 3\"" : ""
      out += "<g><title>\(e(node.id)): \(e(GraphRendering.words(node)))</title>"
      out += "<rect x=\"\(p.x)\" y=\"\(p.y)\" width=\"\(boxWidth)\" height=\"\(boxHeight)\" rx=\"8\" fill=\"\(look.fill)\" stroke=\"\(look.stroke)\" stroke-width=\"1.5\"\(dash)/>"
      let lines = [(node.id, "step"), (GraphRendering.words(node), "words"), (GraphRendering.cost(node) ?? "", "cost")]
      for (index, line) in lines.enumerated() where !line.0.isEmpty {
        out += "<text class=\"\(line.1)\" x=\"\(p.x + 10)\" y=\"\(p.y + 18 + index * 16)\" fill=\"\(look.text)\">\(e(clip(line.0, 26)))</text>"
      }
      out += "</g>\n"
    }
    return out + "</svg>"
  }

  /// A label that fits its box (the whole text is in the box's title).
  static func clip(_ text: String, _ limit: Int) -> String {
    text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
  }
}
