/// RFC 3339 timestamps without Foundation: formatting (UTC, nanoseconds trimmed like Go's
/// RFC3339Nano) and parsing (any offset, fractional seconds up to nanoseconds).
public enum RFC3339 {
  /// Formats as `2026-11-21T15:08:17.123456789Z`, dropping trailing zeros of the fraction.
  public static func format(_ time: WALTimestamp) -> String {
    let ns = time.nanoseconds
    var seconds = ns / 1_000_000_000
    var fraction = ns % 1_000_000_000
    if fraction < 0 { fraction += 1_000_000_000; seconds -= 1 }
    var days = seconds / 86_400
    var secondOfDay = seconds % 86_400
    if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
    let (year, month, day) = civil(fromDays: days)
    var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
    text += pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
    if fraction != 0 {
      var digits = pad(fraction, 9)
      while digits.hasSuffix("0") { digits.removeLast() }
      text += "." + digits
    }
    return text + "Z"
  }

  /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil when it is not that.
  public static func parse(_ text: String) -> WALTimestamp? {
    let b = Array(text.utf8)
    func number(_ from: Int, _ count: Int) -> Int64? {
      guard from + count <= b.count else { return nil }
      var value: Int64 = 0
      for i in from..<from + count {
        guard b[i] >= 48 && b[i] <= 57 else { return nil }
        value = value * 10 + Int64(b[i] - 48)
      }
      return value
    }
    guard b.count >= 20, b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 116 || b[10] == 32,
      b[13] == 58, b[16] == 58,
      let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
      let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
      (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
      hour < 24, minute < 60, second < 61
    else { return nil }
    var i = 19
    var fraction: Int64 = 0
    if i < b.count && b[i] == 46 {
      i += 1
      var digits = 0
      while i < b.count && b[i] >= 48 && b[i] <= 57 {
        if digits < 9 { fraction = fraction * 10 + Int64(b[i] - 48) }
        digits += 1
        i += 1
      }
      guard digits > 0 else { return nil }
      for _ in digits..<max(digits, 9) { fraction *= 10 }
    }
    guard i < b.count else { return nil }
    var offsetSeconds: Int64 = 0
    if b[i] == 90 || b[i] == 122 {
      i += 1
    } else if b[i] == 43 || b[i] == 45, let oh = number(i + 1, 2), i + 3 < b.count, b[i + 3] == 58,
      let om = number(i + 4, 2), oh < 24, om < 60
    {
      offsetSeconds = (oh * 3600 + om * 60) * (b[i] == 45 ? -1 : 1)
      i += 6
    } else {
      return nil
    }
    guard i == b.count else { return nil }
    let days = days(fromCivil: year, month, day)
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
    // Times past what nanoseconds since 1970 in an Int64 can hold (1677-09-21 to 2262-04-11)
    // are refused. Before 1970 the fraction counts from the next second down, so that the
    // earliest second of the range (whose whole seconds alone do not fit) still parses.
    let borrow = seconds < 0 && fraction > 0
    let (ns, overflow) = (borrow ? seconds + 1 : seconds).multipliedReportingOverflow(by: 1_000_000_000)
    guard !overflow else { return nil }
    let (total, past) = ns.addingReportingOverflow(borrow ? fraction - 1_000_000_000 : fraction)
    guard !past else { return nil }
    return WALTimestamp(nanoseconds: total)
  }

  private static func pad(_ value: Int64, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
  }

  private static func daysIn(month: Int64, year: Int64) -> Int64 {
    switch month {
    case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  // Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
  static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }
}
