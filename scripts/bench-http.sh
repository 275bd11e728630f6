#!/usr/bin/env bash
# Benchmarks posbot's HTTP API against a bare net/http server side by side.
#
# It builds posbot and the yardstick (scripts/bench/bare: decodes the same
# JSON, answers 1 KB, nothing else), starts both on loopback, and runs wrk
# against each in turn at 8 and 64 connections with scripts/bench/messages.lua
# (merchants' messages in turn, every request in a conversation of its own).
# It prints requests per second, p50 and p99 latency, the server's CPU time
# per request (from /proc: unlike req/s, not moved by other work on the
# machine) and posbot's share of the bare server's requests per second.
#
# posbot runs as `posbot serve` does by default (in memory, offline engine,
# JSON logs at info, one `answered` line per message, written to a file),
# except for the limits that would otherwise measure themselves:
#   POSBOT_RATE_GLOBAL=0   the process-wide budget (200 messages/s) is off;
#   distinct conversation ids keep the per-conversation limit (20/min) and
#   the per-address limit on new conversations (requests without an id) out
#   of the way.
#
# Needs wrk (Debian: sudo apt-get install wrk); it installs nothing itself.
#   scripts/bench-http.sh                   # 10 s per run, 8 and 64 connections
#   DURATION=30s CONNS="8" scripts/bench-http.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-"8 64"}
THREADS=${THREADS:-2}
BARE_ADDR=${BARE_ADDR:-127.0.0.1:18081}
POSBOT_ADDR=${POSBOT_ADDR:-127.0.0.1:18080}

command -v wrk >/dev/null || { echo "wrk not found: sudo apt-get install wrk" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "building posbot and the bare server…"
go build -o "$tmp/posbot" ./cmd/posbot
go build -o "$tmp/bare" ./scripts/bench/bare

"$tmp/bare" -addr "$BARE_ADDR" 2>"$tmp/bare.log" &
bare_pid=$!
pids+=($!)
env -i PATH="$PATH" HOME="$HOME" POSBOT_HTTP_ADDR="$POSBOT_ADDR" POSBOT_RATE_GLOBAL=0 \
  "$tmp/posbot" serve 2>"$tmp/posbot.log" &
posbot_pid=$!
pids+=($!)

ready() { # url
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' \
      -d '{"conversation_id":"ready","text":"51"}' "$1/v1/messages" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "no answer from $1" >&2; exit 1
}
ready "http://$BARE_ADDR"
ready "http://$POSBOT_ADDR"

# cpu PID: the process's CPU time so far (user and system), in clock ticks.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run NAME ADDR CONNS PID: one wrk run; prints "rps p50 p99 cpu", cpu being
# the server's CPU time per request in microseconds (from /proc, so other
# work on the machine does not count in it as it does in req/s).
run() {
  local out line errs before after
  before=$(cpu "$4")
  out=$(wrk -t"$THREADS" -c"$3" -d"$DURATION" -s scripts/bench/messages.lua "http://$2/v1/messages")
  after=$(cpu "$4")
  line=$(grep '^RESULT' <<<"$out")
  errs=$(sed -E 's/.*errors=([0-9]+).*/\1/' <<<"$line")
  if [ "$errs" != 0 ]; then echo "$1: $errs errors" >&2; echo "$out" >&2; exit 1; fi
  sed -E 's/.*requests=([0-9]+) rps=([0-9.]+) p50_ms=([0-9.]+) p99_ms=([0-9.]+).*/\2 \3 \4 \1/' <<<"$line" |
    awk -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" '{printf "%s %s %s %.0f\n", $1, $2, $3, t * 1e6 / hz / $4}'
}

echo "warming up…"
wrk -t"$THREADS" -c8 -d2s -s scripts/bench/messages.lua "http://$BARE_ADDR/v1/messages" >/dev/null
wrk -t"$THREADS" -c8 -d2s -s scripts/bench/messages.lua "http://$POSBOT_ADDR/v1/messages" >/dev/null

lines_before=$(grep -c . "$tmp/posbot.log" || true)
requests=0
printf '\n%-5s  %-35s  %-35s  %s\n' "conns" "bare: req/s  p50 ms  p99 ms  µs CPU" "posbot: req/s  p50 ms  p99 ms  µs CPU" "posbot/bare req/s"
for c in $CONNS; do
  read -r brps bp50 bp99 bcpu < <(run bare "$BARE_ADDR" "$c" "$bare_pid")
  read -r prps pp50 pp99 pcpu < <(run posbot "$POSBOT_ADDR" "$c" "$posbot_pid")
  requests=$(awk -v r="$requests" -v p="$prps" -v d="${DURATION%s}" 'BEGIN{printf "%d", r + p * d}')
  printf '%-5s  %8.0f  %6.2f  %6.2f  %6.0f       %8.0f  %6.2f  %6.2f  %6.0f         %5.1f%%\n' \
    "$c" "$brps" "$bp50" "$bp99" "$bcpu" "$prps" "$pp50" "$pp99" "$pcpu" "$(awk -v a="$prps" -v b="$brps" 'BEGIN{print 100 * a / b}')"
done
lines=$(( $(grep -c . "$tmp/posbot.log" || true) - lines_before ))
echo
echo "posbot log: $lines lines for about $requests messages (one \"answered\" line per message)"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); wrk -t$THREADS, $DURATION per run"
