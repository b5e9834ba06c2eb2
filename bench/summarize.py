#!/usr/bin/env python3
"""Medians of bench/run's raw results, as a Markdown report (stdout).

    python3 bench/summarize.py bench/results/<stamp> moments-par [other targets...]
"""
import json
import statistics
import sys
from pathlib import Path


def load(path):
    return json.loads(Path(path).read_text())


def median(values):
    return statistics.median(values) if values else float("nan")


def main(out, targets):
    out = Path(out)
    meta = load(out / "meta.json")
    runs = meta["runs"]
    lines = [
        f"# moments-par benchmark ({meta['machine']}; load average before: {meta['loadavg']})",
        "",
        f"Medians of {runs} runs. Latency: open loop at {meta['rate']} requests/s for "
        f"{meta['duration_s']} s per run; throughput: closed loop, {meta['concurrency']} workers. "
        "\"Direct\" is the same load sent straight to the stub Infobip; "
        "\"added\" is target minus direct, per run, then the median.",
        "",
        f"moments-par release binary: {meta['binary_bytes'] / 1e6:.1f} MB "
        f"({meta['binary_stripped_bytes'] / 1e6:.1f} MB stripped), built without the sandbox.",
        "",
        "| target | p50 µs | p99 µs | p99.9 µs | added p50 µs | added p99 µs | p99 ratio | errors | throughput rps | throughput ratio | upstream conns / 1,000 req | RSS start / after / peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in targets:
        direct = [load(out / f"direct-rate-{name}-{r}.json") for r in range(1, runs + 1)]
        target = [load(out / f"{name}-rate-{r}.json") for r in range(1, runs + 1)]
        direct_tput = [load(out / f"direct-throughput-{name}-{r}.json") for r in range(1, runs + 1)]
        target_tput = [load(out / f"{name}-throughput-{r}.json") for r in range(1, runs + 1)]
        conns = [load(out / f"{name}-connections-{r}.json")["connections"] for r in range(1, runs + 1)]
        rss = {**load(out / f"{name}-rss-start.json"), **load(out / f"{name}-rss-end.json")}
        # Connections are counted over warm-up and measurement: so are the requests.
        per_1000 = [1000 * c / max(t["all_requests"], 1) for c, t in zip(conns, target)]
        m = lambda rows, key: median([row[key] for row in rows])
        added = lambda key: median([t[key] - d[key] for t, d in zip(target, direct)])
        lines.append(
            f"| direct (stub) | {m(direct, 'p50_us'):.0f} | {m(direct, 'p99_us'):.0f} | "
            f"{m(direct, 'p999_us'):.0f} | | | 1.00 | {m(direct, 'errors'):.0f} | "
            f"{m(direct_tput, 'throughput_rps'):.0f} | 1.00 | | |"
        )
        lines.append(
            f"| {name} | {m(target, 'p50_us'):.0f} | {m(target, 'p99_us'):.0f} | "
            f"{m(target, 'p999_us'):.0f} | {added('p50_us'):.0f} | {added('p99_us'):.0f} | "
            f"{m(target, 'p99_us') / m(direct, 'p99_us'):.2f} | {m(target, 'errors'):.0f} | "
            f"{m(target_tput, 'throughput_rps'):.0f} | "
            f"{m(target_tput, 'throughput_rps') / m(direct_tput, 'throughput_rps'):.2f} | "
            f"{median(per_1000):.2f} | {rss['rss_start_kib'] / 1024:.1f} / "
            f"{rss['rss_end_kib'] / 1024:.1f} / {rss['rss_peak_kib'] / 1024:.1f} |"
        )
    lines += [
        "",
        "Send lag p99 (how late the generator itself sent against its schedule; its timer ticks every 1 ms, so more than ~1,000 µs means a busy machine), "
        "median per run: "
        + ", ".join(
            f"{name} {median([load(out / f'{name}-rate-{r}.json').get('send_lag_p99_us', 0) for r in range(1, runs + 1)]):.0f} µs"
            for name in targets
        )
        + ".",
        "",
        "Targets: p99 added latency ≤ 1,000 µs at 1k rps; ≤ 10 upstream connections per "
        "1,000 requests; RSS ≤ 20 MB.",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
