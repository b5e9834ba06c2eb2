#!/usr/bin/env bash
# Builds the full-stack example into the layout cargo-leptos makes, without cargo-leptos
# (its current release needs a newer rustc than this project's 1.95):
#
#   <target>/site/pkg/fullstack.js, fullstack_bg.wasm   the browser half (lib, `hydrate`)
#   <target>/debug/fullstack                            the server (bin, `ssr`)
#
# as cargo-leptos's `lib-features`, `bin-features` and `lib-profile-release` in
# Cargo.toml say. Run the server with LEPTOS_SITE_ROOT=<target>/site.
#
#   examples/fullstack/build.sh            (CARGO_TARGET_DIR is honoured)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export PATH="$ROOT/.tools/binaryen/node_modules/.bin:$PATH"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
SITE="$TARGET_DIR/site"

# The browser half: the library for wasm32 with `hydrate`, size first, then
# wasm-bindgen (the CLI scripts/setup installs at the Cargo.lock version) and wasm-opt.
cargo build --locked -p fullstack --lib --target wasm32-unknown-unknown \
  --features hydrate --profile wasm-release
mkdir -p "$SITE/pkg"
wasm-bindgen --target web --no-typescript --out-dir "$SITE/pkg" --out-name fullstack \
  "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/fullstack.wasm"
# wasm-opt shrinks the wasm (size first, -Oz); without it the site works all the same.
# Use binaryen 132 or newer (`npm install binaryen@132`): older ones break current
# wasm-bindgen output.
if command -v wasm-opt >/dev/null; then
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    --output "$SITE/pkg/fullstack_bg.wasm" "$SITE/pkg/fullstack_bg.wasm"
else
  echo "fullstack: no wasm-opt on PATH; the wasm is left unoptimised" >&2
fi

# The server half: the binary with `ssr`.
cargo build --locked -p fullstack --bin fullstack --features ssr

echo "fullstack: site in $SITE, server at $TARGET_DIR/debug/fullstack"
