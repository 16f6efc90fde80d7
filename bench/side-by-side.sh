#!/usr/bin/env bash
# Runs one load scenario against the gateway (in front of Prosody) and against Prosody's own BOSH and
# WebSocket endpoints, in one go on this machine, and prints the figures side by side with ratios.
#   bench/side-by-side.sh [USERS] [RATE] [SECONDS]      (defaults 200 users, 200 msg/s, 20 s)
#   SCENARIO=chat|idle  TRANSPORTS="websocket bosh"
# Everything runs on loopback; every run is bounded by SECONDS plus login time. Results (JSON, one
# file per run) go to .tmp/bench/<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-200} rate=${2:-200} seconds=${3:-20}
scenario=${SCENARIO:-chat}
transports=${TRANSPORTS:-websocket bosh}
out=.tmp/bench/$(date +%Y%m%d-%H%M%S); mkdir -p "$out"
c2s=25722 http=25780 gw=25790
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "== building (Release)"
dotnet build src/BoshGateway -c Release -v quiet -nologo >/dev/null
dotnet build bench/BoshGateway.LoadGenerator -c Release -v quiet -nologo >/dev/null
gen=bench/BoshGateway.LoadGenerator/bin/Release/net10.0/BoshGateway.LoadGenerator.dll

echo "== Prosody with $users accounts (load1..load$users; each has only its chat partner as a contact)"
accounts=(); for i in $(seq 1 "$users"); do accounts+=("load$i"); done
PROSODY_ROSTER=pairs tests/servers/prosody.sh start "$out/prosody" "$c2s" "$http" "${accounts[@]}" >/dev/null
prosody_pid=$(cat "$out/prosody/server.pid")
dotnet src/BoshGateway/bin/Release/net10.0/BoshGateway.dll --urls "http://127.0.0.1:$gw" \
    --Gateway:Backends:Default:Port="$c2s" --Gateway:Backends:Default:Tls=None \
    --Gateway:MaxSessionsPerClientAddress=100000 --Logging:LogLevel:Default=Warning >"$out/gateway.log" 2>&1 &
gateway_pid=$!
trap 'kill $gateway_pid 2>/dev/null; wait $gateway_pid 2>/dev/null; tests/servers/prosody.sh stop "$out/prosody"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$gw/alive" >/dev/null && break; sleep 0.2; done

run() { # label transport url pids...
    local label=$1 transport=$2 url=$3; shift 3
    local pids=(); for p in "$@"; do pids+=(--pid "$p"); done
    echo "== $label over $transport ($scenario, $users users)"
    dotnet "$gen" --label "$label" --transport "$transport" --url "$url" --domain localhost --user-prefix load \
        --users "$users" --scenario "$scenario" --rate "$rate" --duration "$seconds" --wait 30 \
        --json "$out/$label-$transport.json" "${pids[@]}" | sed 's/^/   /'
}
for t in $transports; do
    if [ "$t" = websocket ]; then gw_url=ws://127.0.0.1:$gw/xmpp-websocket; own_url=ws://127.0.0.1:$http/xmpp-websocket
    else gw_url=http://127.0.0.1:$gw/http-bind; own_url=http://127.0.0.1:$http/http-bind; fi
    run gateway "$t" "$gw_url" "gateway=$gateway_pid" "prosody=$prosody_pid"
    run prosody "$t" "$own_url" "prosody=$prosody_pid"
done

echo "== side by side ($out)"
python3 - "$out" <<'PY'
import json, sys, glob, os
out = sys.argv[1]
runs = {os.path.basename(f)[:-5]: json.load(open(f)) for f in sorted(glob.glob(out + "/*.json"))}
keys = ["rate_per_second", "messages_lost", "messages_duplicated", "messages_reordered", "latency_ms_p50", "latency_ms_p99",
        "latency_ms_p999", "prosody_cpu_ms_per_message", "gateway_cpu_ms_per_message", "logins_per_second",
        "gateway_kib_per_session", "prosody_kib_per_session"]
for t in ("websocket", "bosh"):
    g, p = runs.get("gateway-" + t), runs.get("prosody-" + t)
    if not g or not p: continue
    print(f"\n{t}: gateway in front of Prosody vs Prosody's own endpoint")
    print(f"  {'figure':32} {'gateway':>12} {'prosody':>12} {'ratio':>8}")
    for k in keys:
        if k in g or k in p:
            a, b = g.get(k, ""), p.get(k, "")
            ratio = f"{a / b:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else ""
            print(f"  {k:32} {a!s:>12} {b!s:>12} {ratio:>8}")
PY
