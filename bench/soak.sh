#!/usr/bin/env bash
# The soak (issue #14): USERS users, half over BOSH and half over WebSocket, chat at RATE messages/s
# for SECONDS while a fraction of them log out, reload the page or drop and come back every second;
# then everyone logs out and the gateway must go back to where it was: memory, open files, threads,
# sessions, backend connections (beside the warm pool's idle streams) and (with Redis) Redis keys as
# before the soak, within tolerances.
#   bench/soak.sh [USERS] [RATE] [SECONDS]        (defaults 200 users, 50 msg/s, 120 s)
#   SOAK_REDIS=1        a local redis-server under the gateway (Gateway:Redis, Gateway:Cluster:Secret)
#   SOAK_BOSH_SHARE=0.5 fraction of the users over BOSH (the others over WebSocket), at most one per chat pair
#   SOAK_CHURN=0.01     fraction of the users that churn every second (logout / reload / drop, evenly)
#   SOAK_SETTLE=25      seconds of quiet before each measurement (idle thread-pool threads retire after 20 s)
#   SOAK_RSS_TOLERANCE_PCT=25 SOAK_RSS_TOLERANCE_MIB=32  RSS outside the GC's committed memory may end up
#                       this much above the baseline (the larger); RSS itself is reported
#   SOAK_HEAP_TOLERANCE_PCT=10 SOAK_HEAP_TOLERANCE_MIB=4 managed heap after a full GC, likewise
#   SOAK_FD_TOLERANCE=8 SOAK_THREAD_TOLERANCE=8         open files / threads above the baseline
#   GATEWAY_ARGS="--Some:Option=value ..."              extra gateway options
#   GATEWAY_ENV="DOTNET_GCHeapHardLimit=0x10000000 ..." extra environment for the gateway process only
#   SOAK_MALLOC_ARENA_MAX=2  glibc malloc arenas of the gateway, as the shipped systemd unit and container image set
#                       it (README, Capacity of one box); empty: glibc's default (8 per core)
#   SOAK_GCDUMP=1       also write the gateway's heap by type at baseline and end (needs dotnet-gcdump on PATH)
# A fresh Prosody (accounts load1..loadN, password "secret", each with its partner as contact), and a
# fresh gateway (Release, throttles relaxed: every user comes from 127.0.0.1) on free loopback ports.
# Baseline: after a 15 s warm-up with the same users and rate (churn 0.05/s) and the same settling as the end. Each
# measurement waits until the gateway reports 0 sessions and 0 backend connections, waits SOAK_SETTLE
# seconds, has the gateway run a full blocking GC (through its diagnostics port, as dotnet-gcdump
# does), then reads /proc and /metrics. Exit 0 only when every figure is back within its tolerance, no
# message was lost under the generator's oracle (bench/README.md), the generator saw no error, and the
# gateway logged nothing at Error or Critical. Everything goes to .tmp/soak/<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-200} rate=${2:-50} seconds=${3:-120}
churn=${SOAK_CHURN:-0.01} bosh_share=${SOAK_BOSH_SHARE:-0.5} settle=${SOAK_SETTLE:-25}
rss_pct=${SOAK_RSS_TOLERANCE_PCT:-25} rss_mib=${SOAK_RSS_TOLERANCE_MIB:-32}
heap_pct=${SOAK_HEAP_TOLERANCE_PCT:-10} heap_mib=${SOAK_HEAP_TOLERANCE_MIB:-4}
fd_tol=${SOAK_FD_TOLERANCE:-8} thread_tol=${SOAK_THREAD_TOLERANCE:-8}
redis=${SOAK_REDIS:-0}
out=.tmp/soak/$(date +%Y%m%d-%H%M%S)$([ "$redis" = 1 ] && echo -redis || true); mkdir -p "$out"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
c2s=$(free_port) http=$(free_port) gw=$(free_port) redis_port=$(free_port)
# Each session holds a client socket and a backend socket in the gateway.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "== building (Release)"
dotnet build src/BoshGateway -c Release -v quiet -nologo >/dev/null
dotnet build bench/BoshGateway.LoadGenerator -c Release -v quiet -nologo >/dev/null
gen=bench/BoshGateway.LoadGenerator/bin/Release/net10.0/BoshGateway.LoadGenerator.dll
accounts=(); for i in $(seq 1 "$users"); do accounts+=("load$i"); done

gateway_pid='' redis_pid='' server_dir="$out/prosody"
stop_all() {
    if [ -n "$gateway_pid" ]; then kill "$gateway_pid" 2>/dev/null || true; wait "$gateway_pid" 2>/dev/null || true; fi
    tests/servers/prosody.sh stop "$server_dir" 2>/dev/null || true
    if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
}
trap stop_all EXIT

echo "== Prosody (c2s $c2s, $users accounts)"
PROSODY_ROSTER=pairs tests/servers/prosody.sh start "$server_dir" "$c2s" "$http" "${accounts[@]}" >/dev/null
cluster_args=()
if [ "$redis" = 1 ]; then
    echo "== redis-server (port $redis_port)"
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$out" --save '' --appendonly no --daemonize no >"$out/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    cluster_args=(--Gateway:Redis="127.0.0.1:$redis_port" --Gateway:Cluster:Secret="$(openssl rand -hex 24)" --Gateway:Node:Id=soak)
fi

arena=${SOAK_MALLOC_ARENA_MAX-2}
arena_env=${arena:+MALLOC_ARENA_MAX=$arena}
echo "== gateway (port $gw${arena_env:+, $arena_env})"
# shellcheck disable=SC2086
env $arena_env ${GATEWAY_ENV:-} dotnet src/BoshGateway/bin/Release/net10.0/BoshGateway.dll --urls "http://127.0.0.1:$gw" \
    --Gateway:Backends:Default:Port="$c2s" --Gateway:Backends:Default:Tls=None \
    --Gateway:MaxSessionsPerClientAddress=100000 --Gateway:Throttle:SessionsPerSecond=0 --Gateway:Throttle:UnknownSidsPerSecond=0 \
    --Gateway:Throttle:MaxUnauthenticatedPerAddress=100000 --Gateway:Telemetry:PrometheusEnabled=true \
    --Gateway:Backends:Pool:Domains:0=localhost --Gateway:ShutdownGrace=0 \
    --Logging:LogLevel:Default=Warning "${cluster_args[@]}" ${GATEWAY_ARGS:-} >"$out/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$gw/alive" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$gw/alive" >/dev/null || { echo "gateway did not start; see $out/gateway.log" >&2; exit 1; }

# Sum of every series of one metric in the gateway's Prometheus text (from $2, or a fresh scrape).
metric() { { if [ -n "${2:-}" ]; then printf '%s\n' "$2"; else curl -sf "http://127.0.0.1:$gw/metrics"; fi; } | awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $2 } END { printf "%d\n", s }'; }
# Backend connections and c2s sockets held by sessions: the totals less the warm pool's idle streams (the
# shipped default keeps Pool:Size of them per domain), read from one scrape; a refill or recycle in
# flight makes them differ for a moment, so read until they agree twice in a row (at most 10 s).
held_backend() { # prints "connections sockets pool"
    local text idle conn sock last='' now
    for _ in $(seq 10); do
        text=$(curl -sf "http://127.0.0.1:$gw/metrics")
        idle=$(metric boshgateway_backend_pool_idle "$text")
        conn=$(( $(metric boshgateway_backend_active_connections "$text") - idle ))
        sock=$(( $(ss -Htn state established "( dport = :$c2s )" | wc -l) - idle ))
        now="$conn $sock $idle"
        [ "$now" = "$last" ] && break
        last=$now; sleep 1
    done
    echo "$now"
}
gen2_collections() { curl -sf "http://127.0.0.1:$gw/metrics" | awk '$1 ~ /^dotnet_gc_collections_total\{.*gen2/ { s += $2 } END { printf "%d\n", s }'; }
proc_status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$gateway_pid/status"; }
open_fds() { find "/proc/$gateway_pid/fd" -mindepth 1 2>/dev/null | wc -l; }

# Waits until the gateway holds nothing, lets it rest, collects, and reads every figure into $1_*.
measure() { # name
    local name=$1 waited=0 sessions backend
    while :; do
        sessions=$(metric boshgateway_active_sessions) backend=$(metric boshgateway_backend_active_connections)
        backend=$((backend - $(metric boshgateway_backend_pool_idle)))
        [ "$sessions" = 0 ] && [ "$backend" = 0 ] && break
        if [ "$waited" -ge 180 ]; then echo "   still $sessions sessions, $backend backend connections after ${waited} s" >&2; break; fi
        sleep 1; waited=$((waited + 1))
    done
    echo "   sessions and backend connections held by sessions at 0 after ${waited} s"
    # A BOSH session that ended without its client collecting the end (a reload, a drop) stays in the
    # session table for one Bosh:Inactivity (60 s), closed, so that the client's next request still
    # gets its terminate; /health counts the table. Measured before it empties, those ended sessions
    # (a few hundred at 6,000 users) read as heap growth.
    local listed waited_table=0
    while listed=$(curl -sf "http://127.0.0.1:$gw/health" | grep -oE 'bosh=[0-9]+ websocket=[0-9]+'); [ "$listed" != "bosh=0 websocket=0" ] && [ "$waited_table" -lt 90 ]; do
        sleep 1; waited_table=$((waited_table + 1))
    done
    echo "   session table empty ($listed) after ${waited_table} s more (ended BOSH sessions stay listed for Bosh:Inactivity)"
    if [ "$redis" = 1 ]; then
        # A session that ended without its client collecting the end (a reload, a drop, the server's
        # conflict) keeps its record for one Bosh:Inactivity (60 s), so that the client's next request,
        # through any node, still reaches the owner and gets its terminate. Then it must be gone.
        local keys waited_keys=0
        while keys=$(redis-cli -p "$redis_port" --scan --pattern 'bg:s:*' | wc -l); [ "$keys" != 0 ] && [ "$waited_keys" -lt 90 ]; do
            sleep 1; waited_keys=$((waited_keys + 1))
        done
        echo "   Redis session keys: $keys after ${waited_keys} s more (ended sessions keep theirs for Bosh:Inactivity)"
    fi
    echo "   resting ${settle} s, then a full GC"
    sleep "$settle"
    local gen2; gen2=$(gen2_collections)
    dotnet "$gen" gc "$gateway_pid"
    sleep 2
    echo "   full GC induced (gen2 collections $gen2 → $(gen2_collections))"
    if [ "${SOAK_GCDUMP:-0}" = 1 ]; then
        # What the managed heap holds, by type (dotnet-gcdump, a dotnet global tool): compare $out/*.heap.txt.
        dotnet-gcdump collect -p "$gateway_pid" -o "$out/$name.gcdump" >/dev/null && dotnet-gcdump report "$out/$name.gcdump" >"$out/$name.heap.txt" \
            && echo "   heap by type: $out/$name.heap.txt"
    fi
    # The process's mappings, to tell what native memory grew (GC bookkeeping, malloc arenas, stacks) between the two.
    cp "/proc/$gateway_pid/smaps" "$out/$name.smaps" 2>/dev/null || true
    printf -v "${name}_rss" %s "$(proc_status VmRSS)"                            # KiB
    printf -v "${name}_heap" %s "$(metric dotnet_gc_last_collection_heap_size_bytes)"
    printf -v "${name}_committed" %s "$(metric dotnet_gc_last_collection_memory_committed_size_bytes)"
    printf -v "${name}_fds" %s "$(open_fds)"
    printf -v "${name}_threads" %s "$(proc_status Threads)"
    printf -v "${name}_sessions" %s "$(metric boshgateway_active_sessions)"
    local held; read -r -a held <<<"$(held_backend)"
    printf -v "${name}_backend" %s "${held[0]}"
    printf -v "${name}_sockets" %s "${held[1]}"
    printf -v "${name}_pool" %s "${held[2]}"
    printf -v "${name}_redis" %s "$([ "$redis" = 1 ] && redis-cli -p "$redis_port" dbsize || echo -)"
    printf -v "${name}_redis_sessions" %s "$([ "$redis" = 1 ] && redis-cli -p "$redis_port" --scan --pattern 'bg:s:*' | wc -l || echo -)"
    if [ "$redis" = 1 ] && [ "$(redis-cli -p "$redis_port" --scan --pattern 'bg:s:*' | wc -l)" != 0 ]; then
        # Session keys left with no session open: keep a few, with their fields and time to live, to see why.
        for key in $(redis-cli -p "$redis_port" --scan --pattern 'bg:s:*' | head -3); do
            { echo "$key ttl=$(redis-cli -p "$redis_port" ttl "$key")"; redis-cli -p "$redis_port" hgetall "$key" | paste - - | cut -c1-200; } >>"$out/$name-redis-leftovers.txt"
        done
    fi
}

generator() { # label users rate seconds churn
    dotnet "$gen" --label "$1" --transport both --url "http://127.0.0.1:$gw/http-bind" --ws-url "ws://127.0.0.1:$gw/xmpp-websocket" \
        --domain localhost --user-prefix load --users "$2" --scenario soak --rate "$3" --duration "$4" --churn "$5" --bosh-share "$bosh_share" \
        --concurrency "${CONCURRENCY:-50}" --json "$out/$1.json" --pid "gateway=$gateway_pid" 2>&1 | tee "$out/$1.txt" | sed 's/^/   /'
    return "${PIPESTATUS[0]}"
}

# The warm-up runs the same load (all users, RATE, churn 0.05/s) for 15 s: the runtime grows its heap,
# thread pool and buffer pools to this load's size once, so the baseline includes that high-water
# mark, and what the soak adds on top of it (the leak a soak looks for) is not hidden by what .NET
# keeps after any peak (committed GC regions, pooled buffers are not returned to the OS at once).
echo "== warm-up ($users users, $rate msg/s, churn 0.05/s, 15 s)"
generator warm-up "$users" "$rate" 15 0.05 >/dev/null || echo "   the warm-up failed (see $out/warm-up.txt); going on"
echo "== baseline"
measure base
# How many users that makes on each transport, the generator's summary says (bosh_users, websocket_users).
echo "== soak: $users users (BOSH share $bosh_share), $rate msg/s, ${seconds} s, churn $churn/s"
# The gateway's open files during the soak, sampled every 5 s: how close the peak came to the limit.
peak_fds_file=$out/peak-fds
( peak=0; while kill -0 "$gateway_pid" 2>/dev/null; do
    n=$(open_fds); [ "$n" -gt "$peak" ] && peak=$n && echo "$peak" >"$peak_fds_file"
    sleep 5; done ) &
sampler_pid=$!
soak_status=0
started=$(date +%s)
generator soak "$users" "$rate" "$seconds" "$churn" || soak_status=$?
kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true
echo "== after the soak ($(( $(date +%s) - started )) s)"
measure end

failed=0
row() { # what base end allowed unit
    local verdict=ok; [ "$4" = - ] && verdict=info
    if [ "$3" != - ] && [ "$4" != - ] && [ "$3" -gt "$4" ]; then verdict=FAIL; failed=1; fi
    printf '| %-34s | %12s | %12s | %14s | %-4s |\n' "$1" "$2" "$3" "$([ "$4" = - ] && echo - || echo "≤ $4")" "$verdict" | tee -a "$out/summary.md"
}
allow_pct_or() { # base pct abs -> base + max(base*pct/100, abs)
    local by_pct=$(($1 * $2 / 100)); echo $(($1 + (by_pct > $3 ? by_pct : $3)))
}
: >"$out/summary.md"
echo "== figures (baseline after warm-up → after the soak)"
printf '| %-34s | %12s | %12s | %14s | %-4s |\n|---|---|---|---|---|\n' figure baseline end allowed "" | tee -a "$out/summary.md"
# RSS includes memory the GC keeps committed for reuse after a peak (freed regions it returns to the
# OS only lazily, or under memory pressure): gated is RSS outside the GC's committed memory (native
# allocations, stacks, code), with the managed heap after the full GC as the check on live objects.
row "gateway RSS (KiB)" "$base_rss" "$end_rss" -
row "RSS outside GC committed memory (KiB)" $((base_rss - base_committed / 1024)) $((end_rss - end_committed / 1024)) \
    "$(allow_pct_or $((base_rss - base_committed / 1024)) "$rss_pct" $((rss_mib * 1024)))"
row "managed heap after full GC (bytes)" "$base_heap" "$end_heap" "$(allow_pct_or "$base_heap" "$heap_pct" $((heap_mib * 1024 * 1024)))"
row "GC committed memory (bytes)" "$base_committed" "$end_committed" -
row "open file descriptors" "$base_fds" "$end_fds" $((base_fds + fd_tol))
row "open files at the soak's peak (limit $(ulimit -n))" - "$(cat "$peak_fds_file" 2>/dev/null || echo 0)" -
row "threads" "$base_threads" "$end_threads" $((base_threads + thread_tol))
row "live sessions (metric)" "$base_sessions" "$end_sessions" 0
row "backend connections of sessions" "$base_backend" "$end_backend" 0
row "sockets to Prosody c2s of sessions" "$base_sockets" "$end_sockets" 0
row "warm pooled streams (idle)" "$base_pool" "$end_pool" -
if [ "$redis" = 1 ]; then
    row "Redis keys (DBSIZE)" "$base_redis" "$end_redis" -
    row "Redis session keys (bg:s:*)" "$base_redis_sessions" "$end_redis_sessions" 0
fi
errors=$(grep -cE '^(fail|crit):|Unhandled exception' "$out/gateway.log" || true)
warnings=$(grep -c '^warn:' "$out/gateway.log" || true)
echo "   gateway log: $errors errors, $warnings warnings ($out/gateway.log)" | tee -a "$out/summary.md"
[ "$errors" = 0 ] || { failed=1; grep -E -A3 '^(fail|crit):|Unhandled exception' "$out/gateway.log" | head -20; }
if [ "$soak_status" != 0 ]; then echo "   the load generator reported lost messages or errors (exit $soak_status)" | tee -a "$out/summary.md"; failed=1; fi
if [ "$failed" = 0 ]; then echo "== soak passed ($out)"; else echo "== soak FAILED ($out)"; fi
exit "$failed"
