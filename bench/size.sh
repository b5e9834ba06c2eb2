#!/usr/bin/env bash
# What moments-embed costs in the browser, built exactly like the demo (profile
# wasm-release, wasm-bindgen --target web, wasm-opt -Oz), raw / gzip -9 / brotli -q 11:
#   1. the demo bundle (dist/ from `trunk build --release`);
#   2. the component's marginal size: bench/size/src/bin/embed.rs minus
#      - bare.rs: a static Leptos page with a plain iframe (the baseline the
#        budget is counted over: <= 48 KB gzip, issue 22), and
#      - typical.rs: the fetch + signal + iframe page a host would write by
#        hand, which already pays for leptos' reactive runtime and async tasks;
#   3. what keeping the person's place costs an app that keeps an embed: kept.rs
#      (the same page, `keep_alive="campaigns"`) minus embed.rs. An app that keeps
#      nothing links none of it.
# A measurement, not a test: it prints figures and asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export PATH="$ROOT/.tools/binaryen/node_modules/.bin:$PATH"
scripts/setup >/dev/null
command -v brotli >/dev/null || {
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q brotli >/dev/null
}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OUT="$TARGET_DIR/size-bench"
rm -rf "$OUT" && mkdir -p "$OUT"

sizes() { # file -> "raw gzip brotli"
  printf '%s %s %s' "$(wc -c <"$1")" "$(gzip -9 -c "$1" | wc -c)" "$(brotli -q 11 -c "$1" | wc -c)"
}
row() { # label raw gz br
  printf '  %-34s %9s %9s %9s\n' "$1" "$2" "$3" "$4"
}

probe() { # example name -> prints "raw gzip brotli" of wasm+js
  local name=$1
  cargo build --quiet --locked --profile wasm-release --target wasm32-unknown-unknown \
    -p moments-size-probes --bin "$name"
  wasm-bindgen --target web --no-typescript --out-dir "$OUT/$name" --out-name "$name" \
    "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/$name.wasm"
  wasm-opt -Oz --output "$OUT/$name/${name}_bg.opt.wasm" "$OUT/$name/${name}_bg.wasm"
  read -r wr wg wb <<<"$(sizes "$OUT/$name/${name}_bg.opt.wasm")"
  read -r jr jg jb <<<"$(sizes "$OUT/$name/$name.js")"
  echo "$((wr + jr)) $((wg + jg)) $((wb + jb)) $wr $wg $wb $jr $jg $jb"
}

echo "== demo bundle (trunk build --release)"
trunk build --release >/dev/null 2>&1
row "file" "raw" "gzip" "brotli"
for file in dist/*.wasm dist/*.js; do
  read -r r g b <<<"$(sizes "$file")"
  row "$(basename "$file" | sed -E 's/-[0-9a-f]{8,}//')" "$r" "$g" "$b"
done

echo "== component marginal size (same build as the demo; wasm+js)"
read -r br bg bb _ <<<"$(probe size-bare)"
read -r tr tg tb _ <<<"$(probe size-typical)"
read -r er eg eb _ <<<"$(probe size-embed)"
read -r kr kg kb _ <<<"$(probe size-kept)"
row "" "raw" "gzip" "brotli"
row "bare: static Leptos page + <iframe>" "$br" "$bg" "$bb"
row "typical: hand-written fetch + <iframe>" "$tr" "$tg" "$tb"
row "with <MomentsEmbed/>" "$er" "$eg" "$eb"
row "marginal over bare" "$((er - br))" "$((eg - bg))" "$((eb - bb))"
row "marginal over typical" "$((er - tr))" "$((eg - tg))" "$((eb - tb))"
printf '  budget (issue 22): marginal over bare <= 49152 bytes gzip: %s\n' \
  "$([[ $((eg - bg)) -le 49152 ]] && echo met || echo MISSED)"
echo "== keeping the person's place (keep_alive), for an app that uses it"
row "" "raw" "gzip" "brotli"
row "with <MomentsEmbed keep_alive=…/>" "$kr" "$kg" "$kb"
row "over <MomentsEmbed/>" "$((kr - er))" "$((kg - eg))" "$((kb - eb))"
