@main
enum Entrypoint {
  static func main() {}
}
