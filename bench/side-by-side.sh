#!/usr/bin/env bash
# Runs one load scenario through the gateway (in front of Prosody, then ejabberd) and against each
# server's own BOSH and WebSocket endpoints, in one go on this machine, and prints the figures side by
# side with ratios. Every run gets freshly started processes (server, and gateway where used), so
# memory and CPU figures belong to that run alone.
#   bench/side-by-side.sh [USERS] [RATE] [SECONDS]      (defaults 200 users, 200 msg/s, 20 s)
#   SCENARIO=chat|idle|login-storm|reconnect-storm   SERVERS="prosody ejabberd"
#   TRANSPORTS="websocket bosh"   LABELS="gateway native"   MECHANISM=PLAIN|SCRAM-SHA-1   CONCURRENCY=50
#   GATEWAY_ARGS="--Some:Option=value ..." (extra gateway options, e.g. to compare a setting)
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

server_pid='' gateway_pid='' server_dir=''
start_server() { # server run-name
    server_dir=$out/$2-server
    if [ "$1" = prosody ]; then
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
    dotnet src/BoshGateway/bin/Release/net10.0/BoshGateway.dll --urls "http://127.0.0.1:$gw" \
        --Gateway:Backends:Default:Port="$c2s" --Gateway:Backends:Default:Tls=None \
        --Gateway:MaxSessionsPerClientAddress=100000 --Gateway:Throttle:SessionsPerSecond=0 --Gateway:Throttle:UnknownSidsPerSecond=0 --Gateway:Throttle:MaxUnauthenticatedPerAddress=100000 --Logging:LogLevel:Default=Warning ${GATEWAY_ARGS:-} >"$out/$1-gateway.log" 2>&1 &
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
        --concurrency "${CONCURRENCY:-50}" --json "$out/$name.json" "${pids[@]}" 2>&1 | sed 's/^/   /' || true
    stop_all
}
for s in $servers; do
    for t in $transports; do
        for l in ${LABELS:-gateway native}; do run "$s" "$t" "$l"; done
    done
done

echo "== side by side ($out)"
python3 bench/summarize.py "$out"
