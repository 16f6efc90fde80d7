#!/usr/bin/env bash
# Runs one load scenario through the gateway (in front of Prosody, then ejabberd) and against each
# server's own BOSH and WebSocket endpoints, in one go on this machine, and prints the figures side by
# side with ratios. Every run gets freshly started processes (server, and gateway where used), so
# memory and CPU figures belong to that run alone.
#   bench/side-by-side.sh [USERS] [RATE] [SECONDS]      (defaults 200 users, 200 msg/s, 20 s)
#   SCENARIO=chat|idle|ping|login-storm|reconnect-storm|session-start   SERVERS="prosody ejabberd"
#   TRANSPORTS="websocket bosh"   LABELS="gateway native"   MECHANISM=PLAIN|SCRAM-SHA-1
#   CONCURRENCY=50 (session-start: 1)
#   GATEWAY_ARGS="--Some:Option=value ..." (extra gateway options, e.g. to compare a setting)
#   GATEWAY_DLL=path/BoshGateway.dll (another build of the gateway, e.g. to compare a change: dotnet build src/BoshGateway -c Release -o DIR)
#   BACKEND_TLS=1: Prosody requires STARTTLS with a certificate from a test CA made in the run's folder
#     (tests/servers/test-ca.sh), and the gateway verifies it (Tls=Auto, TrustedCaFile) instead of Tls=None
#   PAUSE_MS=50 (session-start: pause between one session's end and the next start)
#   BOSH_ACK=1: BOSH users acknowledge answers (XEP-0124 ack; Strophe.js and StanzaJS do not), which lets the
#     gateway write an answer without AnswerSpacing after an acknowledged one
#   WARMUP=0 (chat, idle, ping: that many users log in and out, unmeasured, before the measured ramp)
#   ROUNDS=400 (ping: serial pings per user, measured after 100 unmeasured ones; RATE is not used)
# RATE is messages/s for chat and the first step's logins/s for login-storm. Everything runs on
# loopback; every run is bounded (SECONDS plus login time; the generator stops itself after 10 min
# more). Results (JSON, one file per run, and the logs) go to .tmp/bench/<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-200} rate=${2:-200} seconds=${3:-20}
scenario=${SCENARIO:-chat}
servers=${SERVERS:-prosody ejabberd}
transports=${TRANSPORTS:-websocket bosh}
mechanism=${MECHANISM:-PLAIN}
if [ "$scenario" = session-start ]; then concurrency=${CONCURRENCY:-1}; else concurrency=${CONCURRENCY:-50}; fi
backend_tls=${BACKEND_TLS:-0}
out=.tmp/bench/$(date +%Y%m%d-%H%M%S)-$scenario; mkdir -p "$out"; chmod 755 .tmp "$out" 2>/dev/null || true
c2s=25722 http=25780 gw=25790
# Each session holds a client socket and a backend socket in the gateway: raise the open-file limit
# for everything started from here (the servers inherit it).
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "== building (Release)"
dotnet build src/BoshGateway -c Release -v quiet -nologo >/dev/null
dotnet build bench/BoshGateway.LoadGenerator -c Release -v quiet -nologo >/dev/null
gen=bench/BoshGateway.LoadGenerator/bin/Release/net10.0/BoshGateway.LoadGenerator.dll
accounts=(); for i in $(seq 1 "$users"); do accounts+=("load$i"); done
gateway_tls=(--Gateway:Backends:Default:Tls=None)
if [ "$backend_tls" = 1 ]; then
    # The gateway dials 127.0.0.1 and checks the certificate against the domain, localhost (the SAN).
    tests/servers/test-ca.sh "$out/ca"
    gateway_tls=(--Gateway:Backends:Default:Tls=Auto "--Gateway:Backends:Default:TrustedCaFile=$(cd "$out/ca" && pwd)/ca.crt")
fi

server_pid='' gateway_pid='' server_dir=''
start_server() { # server run-name
    server_dir=$out/$2-server
    if [ "$1" = prosody ] && [ "$backend_tls" = 1 ]; then
        PROSODY_CERT="$out/ca/localhost" PROSODY_REQUIRE_TLS=1 PROSODY_ROSTER=pairs tests/servers/prosody.sh start "$server_dir" "$c2s" "$http" "${accounts[@]}" >/dev/null
        server_pid=$(cat "$server_dir/server.pid")
    elif [ "$1" = prosody ]; then
        PROSODY_ROSTER=pairs tests/servers/prosody.sh start "$server_dir" "$c2s" "$http" "${accounts[@]}" >/dev/null
        server_pid=$(cat "$server_dir/server.pid")
    else
        EJABBERD_ROSTER=pairs tests/servers/ejabberd.sh start "$server_dir" "$c2s" "$http" "${accounts[@]}" >/dev/null
        server_pid=$(cat "$server_dir/ejabberd.pid")
    fi
}
stop_all() {
    if [ -n "$gateway_pid" ]; then kill "$gateway_pid" 2>/dev/null || true; wait "$gateway_pid" 2>/dev/null || true; gateway_pid=''; fi
    if [ -n "$server_dir" ]; then
        tests/servers/prosody.sh stop "$server_dir" 2>/dev/null || true
        [ -f "$server_dir/ejabberdctl.cfg" ] && tests/servers/ejabberd.sh stop "$server_dir"
        server_dir=''
    fi
}
trap stop_all EXIT
start_gateway() { # run-name
    # shellcheck disable=SC2086
    dotnet "${GATEWAY_DLL:-src/BoshGateway/bin/Release/net10.0/BoshGateway.dll}" --urls "http://127.0.0.1:$gw" \
        --Gateway:Backends:Default:Port="$c2s" "${gateway_tls[@]}" \
        --Gateway:MaxSessionsPerClientAddress=100000 --Gateway:Throttle:SessionsPerSecond=0 --Gateway:Throttle:UnknownSidsPerSecond=0 --Gateway:Throttle:MaxUnauthenticatedPerAddress=100000 --Gateway:ShutdownGrace=0 --Logging:LogLevel:Default=Warning ${GATEWAY_ARGS:-} >"$out/$1-gateway.log" 2>&1 &
    gateway_pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$gw/alive" >/dev/null && return; sleep 0.2; done
    echo "gateway did not start; see $out/$1-gateway.log" >&2; exit 1
}

run() { # server transport label(gateway|native)
    local server=$1 transport=$2 label=$3 name="$1-$2-$3" url pids
    start_server "$server" "$name"
    pids=(--pid "$server=$server_pid")
    if [ "$label" = gateway ]; then
        start_gateway "$name"
        pids=(--pid "gateway=$gateway_pid" "${pids[@]}")
        if [ "$transport" = websocket ]; then url=ws://127.0.0.1:$gw/xmpp-websocket; else url=http://127.0.0.1:$gw/http-bind; fi
    elif [ "$server" = prosody ]; then
        if [ "$transport" = websocket ]; then url=ws://127.0.0.1:$http/xmpp-websocket; else url=http://127.0.0.1:$http/http-bind; fi
    else
        if [ "$transport" = websocket ]; then url=ws://127.0.0.1:$http/ws; else url=http://127.0.0.1:$http/bosh; fi
    fi
    echo "== $label over $transport to $server ($scenario, $users users)"
    dotnet "$gen" --label "$label" --transport "$transport" --url "$url" --domain localhost --user-prefix load \
        --users "$users" --scenario "$scenario" --rate "$rate" --duration "$seconds" --wait 30 --mechanism "$mechanism" \
        --concurrency "$concurrency" --pause "${PAUSE_MS:-50}" --rounds "${ROUNDS:-400}" --warm-up "${WARMUP:-0}" --bosh-ack "$([ "${BOSH_ACK:-0}" = 1 ] && echo on || echo off)" --json "$out/$name.json" "${pids[@]}" 2>&1 | sed 's/^/   /' || true
    if [ "$label" = gateway ] && [ -f "$out/$name.json" ]; then
        # Where the sessions' server streams came from (warm pool or a fresh connect), from /metrics.
        curl -sf "http://127.0.0.1:$gw/metrics" | python3 -c 'import json, re, sys
takes = {m[0]: int(float(m[1])) for m in re.findall(r"boshgateway_backend_pool_takes[_a-z]*\{[^}]*result=\"(hit|miss)\"[^}]*\} (\S+)", sys.stdin.read())}
f = sys.argv[1]; r = json.load(open(f)); r["gateway_pool_hits"] = takes.get("hit", 0); r["gateway_pool_misses"] = takes.get("miss", 0)
json.dump(r, open(f, "w"), indent=2)' "$out/$name.json" || true
    fi
    stop_all
}
for s in $servers; do
    for t in $transports; do
        for l in ${LABELS:-gateway native}; do run "$s" "$t" "$l"; done
    done
done

echo "== side by side ($out)"
python3 bench/summarize.py "$out"
