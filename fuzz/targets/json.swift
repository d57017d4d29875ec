// Fuzz target: the strict JSON parser (ReplayEngine/JSON), with its writer and canonical form.
//
// Input: any bytes, parsed as one JSON document.
// Properties, for every document that parses:
//   - encode then parse gives the same value, and encoding that again gives the same bytes;
//   - the pretty form parses to the same value;
//   - the canonical form (keys sorted) is a fixed point: parse(canonical) re-encodes to it;
//   - parsing the bytes as bytes and as a String agree (when they are valid UTF-8);
// and for a failure, its offset lies within the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeBufferPointer(start: data, count: size)
  let value: JSONValue
  do {
    value = try JSONParser.parse(bytes: bytes)
  } catch {
    guard error.offset >= 0, error.offset <= size else { fail("failure offset \(error.offset) for \(size) bytes") }
    _ = error.description
    if let text = String(validating: bytes, as: UTF8.self), (try? JSONParser.parse(text)) != nil {
      fail("the String parse accepts what the byte parse refused")
    }
    return 0
  }
  if let text = String(validating: bytes, as: UTF8.self) {
    guard let again = try? JSONParser.parse(text), again == value else { fail("the String parse differs from the byte parse") }
  }
  let compact = JSONWriter.encode(value)
  let reparsed: JSONValue
  do { reparsed = try JSONParser.parse(compact) } catch { fail("own output does not parse: \(error) in \(compact)") }
  guard reparsed == value else { fail("encode/parse changed the value: \(compact)") }
  guard JSONWriter.encode(reparsed) == compact else { fail("encoding is not stable: \(compact)") }
  guard let pretty = try? JSONParser.parse(JSONWriter.encodePretty(value)), pretty == value else {
    fail("the pretty form does not parse back: \(JSONWriter.encodePretty(value))")
  }
  let canonical = CanonicalJSON.encode(value)
  guard let sorted = try? JSONParser.parse(canonical), CanonicalJSON.encode(sorted) == canonical, sorted == CanonicalJSON.sorted(value) else {
    fail("the canonical form is not a fixed point: \(canonical)")
  }
  touch(value)
  return 0
}

/// The accessors that read numbers and fields out of a value.
func touch(_ value: JSONValue) {
  _ = value.int64Value
  _ = value.doubleValue
  _ = value.typeName
  switch value {
  case .array(let items): items.forEach(touch)
  case .object(let members):
    for (i, (key, member)) in members.enumerated() {
      // Keys are unique (duplicates are refused), so the lookup finds this member. (A lookup
      // is linear: only the first members, so that a large object stays a linear check.)
      guard i >= 64 || value[key] == member else { fail("subscript [\(key)] does not find its member") }
      touch(member)
    }
  default: break
  }
}

func fail(_ message: String) -> Never {
  fatalError("property violated: \(message)")
}
