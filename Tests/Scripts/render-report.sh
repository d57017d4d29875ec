#!/usr/bin/env bash
# Renders the ai-news demo's `runs report` in headless Chromium and fails on a blank or broken
# page: the DOM must hold the run, both SVG figures and the replay's savings, and the
# screenshot must be mostly drawn (not a white page, not an error page).
#
#   Tests/Scripts/render-report.sh [OUT_DIR]     # writes report.html and report.png there
#
# Needs chromium (Debian: apt-get install chromium) and python3; exits 77 (skipped) without
# chromium. Uses $DRIFTQCTL_BIN, else .build/debug/driftqctl (run `swift build` first).
# Takes about 3 s on a two-core machine once built (two demo runs, one replay, one render).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${DRIFTQCTL_BIN:-.build/debug/driftqctl}
[ -x "$bin" ] || { echo "render-report: no $bin (run swift build, or set DRIFTQCTL_BIN)" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "render-report: skipped, no chromium (apt-get install chromium)" >&2; exit 77; }
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/driftq-report-XXXXXX")}
mkdir -p "$out"
data="$out/data"
rm -rf "$data"
started=$(date +%s.%N)

first=$("$bin" --wal-dir "$data" runs demo --workflow ai-news 2>/dev/null | head -1)
run_id=${first%% *}
run_id=${run_id#run_id=}
"$bin" --wal-dir "$data" runs demo --workflow ai-news --run-id "$run_id" --report-prompt 'Shorter, with links' >/dev/null
"$bin" --wal-dir "$data" runs report --run-id "$run_id" > "$out/report.html"

# Nothing fetched: the only URL is the SVG namespace, which is never loaded.
if grep -Eq '(src|href)="|@import|url\((https?:)?//' "$out/report.html"; then
  echo "render-report: the page refers to something outside itself" >&2; exit 1
fi
if grep -qi '<script' "$out/report.html"; then echo "render-report: the page has a script" >&2; exit 1; fi

flags=(--headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions --user-data-dir="$out/profile")
"$browser" "${flags[@]}" --dump-dom "file://$out/report.html" > "$out/dom.html" 2>/dev/null
"$browser" "${flags[@]}" --window-size=1200,1600 --screenshot="$out/report.png" "file://$out/report.html" >/dev/null 2>&1

python3 - "$out/dom.html" "$out/report.png" "$run_id" <<'PY'
import struct, sys, zlib
dom, png, run_id = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2], sys.argv[3]
for needle in [run_id, '<svg class="dag"', '<svg class="timeline"', "so it saved", "summarize_5", "report"]:
    if needle not in dom:
        sys.exit(f"render-report: the rendered page lacks {needle!r}")

def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("render-report: the screenshot is not a PNG")
    pos, idat, head = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR": head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT": idat += body
        pos += 12 + length
    width, height, depth, color = head[0], head[1], head[2], head[3]
    if depth != 8 or color not in (2, 6):
        sys.exit(f"render-report: unexpected PNG (depth {depth}, color type {color})")
    bpp = 4 if color == 6 else 3
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1: line[i] = (line[i] + a) & 255
            elif kind == 2: line[i] = (line[i] + b) & 255
            elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows

width, height, bpp, rows = pixels(png)
drawn, colours = 0, set()
for row in rows[::4]:
    for x in range(0, width * bpp, bpp * 4):
        rgb = row[x:x + 3]
        colours.add(rgb)
        if rgb != b"\xff\xff\xff": drawn += 1
share = drawn / (len(rows[::4]) * len(range(0, width * bpp, bpp * 4)))
if share < 0.03 or len(colours) < 12:
    sys.exit(f"render-report: the page looks blank ({share:.1%} drawn, {len(colours)} colours)")
print(f"render-report: ok, {width}x{height}, {share:.1%} of the page drawn, {len(colours)} colours")
PY
elapsed=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$started" "$(date +%s.%N)")
echo "render-report: $out/report.html -> $out/report.png in ${elapsed}s"
