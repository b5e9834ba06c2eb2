# moments-embed: the two commands a newcomer needs, and the pieces behind them.
# Every target runs scripts/setup first (seconds when everything is installed).

.PHONY: demo test soak setup dist bench clean

## make demo: companion + sandbox + `trunk serve` on http://127.0.0.1:8080 (Ctrl-C stops all)
demo:
	scripts/demo

## make test: fmt, clippy (native, wasm32, ssr), native + e2e tests, browser tests
test:
	scripts/test

## make soak: the slow runs (a million fuzz cases per parser; load test); under 10 minutes
soak:
	scripts/soak

## make setup: install the pinned toolchain (wasm32, Chromium, trunk, wasm-pack, wasm-bindgen, wasm-opt)
setup:
	scripts/setup

## make dist: build the demo for release into dist/ (served by `moments-par --static-dir dist`)
dist: setup
	PATH="$(CURDIR)/.tools/binaryen/node_modules/.bin:$$PATH" trunk build --release

## make bench: moments-par against a stub Infobip beside the same load sent straight to it, then beside a bare proxy, in throughput and in instructions per request (release build; about 10 min)
bench:
	bench/run
	bench/pair
	bench/instructions/run

clean:
	cargo clean
	rm -rf dist examples/csr-app/dist .tools
