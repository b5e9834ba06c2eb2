# bench/lib.sh: what bench/run and bench/pair share. Sourced, not run.
# Builds the release binaries, starts the stub Infobip and a Redis on free ports, and
# stops everything it started by PID on exit.

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

echo "bench: building (release) ..."
# The production binary: without the sandbox, as a deployment would build it.
# Two builds: the examples' dev-dependencies turn on the sandbox, which a build of the
# binary in the same cargo invocation would then include.
cargo build --release --locked -q -p moments-par --features cli,redis --bin moments-par
cargo build --release --locked -q -p moments-par --example bench_stub --example bench_load --example bench_bare_proxy
BIN="$TARGET_DIR/release"
export BIN

pids=()
stop() { # pid: SIGTERM, then wait for it
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() { for pid in "${pids[@]}"; do stop "$pid"; done; }
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for_port() { # port, pid
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "bench: the process on port $1 exited" >&2; return 1; }
    sleep 0.1
  done
  echo "bench: nothing listens on port $1 after 10 s" >&2
  return 1
}
kib() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; } # pid, VmRSS|VmHWM
stub_connections() { curl -fsS "$STUB_URL/__stub/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])'; }
# PIN=1: the targets on CPU 1, the stub and the load generator on CPU 0, so a target's
# throughput is what one core of its own serves, not what the scheduler leaves it.
if [[ ${PIN:-0} == 1 ]]; then
  CLIENT_CPU=(taskset -c 0)
  TARGET_CPU="taskset -c 1"
else
  CLIENT_CPU=()
  TARGET_CPU=""
fi
load() { "${CLIENT_CPU[@]}" "$BIN/examples/bench_load" --warmup "$WARMUP" "$@"; }
start_target() { # name -> sets TARGET_PID and TARGET_URL
  local port
  port=$(free_port)
  PORT=$port WRAP="$TARGET_CPU ${WRAP:-}" "bench/targets/$1" >"$OUT/$1.log" 2>&1 &
  TARGET_PID=$!
  pids+=("$TARGET_PID")
  wait_for_port "$port" "$TARGET_PID"
  TARGET_URL="http://127.0.0.1:$port/api/moments/session"
}

STUB_PORT=$(free_port)
"${CLIENT_CPU[@]}" "$BIN/examples/bench_stub" --listen "127.0.0.1:$STUB_PORT" >"$OUT/stub.log" 2>&1 &
stub=$!
pids+=("$stub")
wait_for_port "$STUB_PORT" "$stub"
STUB_URL="http://127.0.0.1:$STUB_PORT"
export STUB_URL
# A Redis for the targets that keep their rate limit in one (moments-par-redis), ended
# by its PID with everything else.
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$OUT/redis.log" 2>&1 &
redis=$!
pids+=("$redis")
wait_for_port "$REDIS_PORT" "$redis"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export REDIS_URL

