#!/usr/bin/env bash
# Time to frame: <MomentsEmbed/> (default props) against a hand-written vanilla-JS page
# doing the same fetch + iframe, same companion + sandbox, same browser. Prints medians
# and ratios; asserts nothing.
#   bench/ttf.sh [runs]    (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export PATH="$ROOT/.tools/binaryen/node_modules/.bin:$PATH"
scripts/setup >/dev/null
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
SITE="$TARGET_DIR/ttf-site"
rm -rf "$SITE" && mkdir -p "$SITE"
# The component page is the size probe: <MomentsEmbed/> alone, built like the demo.
cargo build --quiet --locked --profile wasm-release --target wasm32-unknown-unknown \
  -p moments-size-probes --bin size-embed
wasm-bindgen --target web --no-typescript --out-dir "$SITE" --out-name size-embed \
  "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/size-embed.wasm"
wasm-opt -Oz --output "$SITE/size-embed_bg.wasm" "$SITE/size-embed_bg.wasm"
for page in component vanilla; do
  python3 - "$page" "$SITE" <<'PY'
import sys
page, site = sys.argv[1], sys.argv[2]
timing = open("bench/ttf/timing.html").read()
html = open(f"bench/ttf/{page}.html").read().replace("<!--TIMING-->", timing)
open(f"{site}/{page}.html", "w").write(html)
PY
done
cp "$SITE/component.html" "$SITE/index.html"
cargo build --quiet --locked --release -p moments-e2e --bin ttf
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
TMPDIR="$SCRATCH" "$TARGET_DIR/release/ttf" "$SITE" "${1:-30}"
