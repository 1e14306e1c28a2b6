#!/usr/bin/env bash
# The spike bench's whole matrix (docs/BENCHMARKS.md, "The front-page spike"): both layouts,
# Stripe latency 0 and 300 ms, 10, 50 and 200 donors, 60 s each; one JSON line per run.
#   bench/spike_matrix.sh [out.jsonl]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-var/spike.jsonl}"
mkdir -p "$(dirname "$out")"
for layout in run scale; do
  for donors in 10 50 200; do
    for latency in 0 300; do
      echo "== $layout, $donors donors, Stripe +${latency} ms" >&2
      .venv/bin/python bench/spike.py --layout "$layout" --donors "$donors" \
        --latency-ms "$latency" --seconds 60 --idle 15 --json "$out" > /dev/null
    done
  done
done
.venv/bin/python bench/spike.py --table "$out"
