#!/usr/bin/env bash
# "Nothing lost", counted: users chat through nginx in front of three gateway nodes sharing Redis (the
# deploy/local-cluster.sh recipe, on its own ports) while one fault is injected; then every recipient's
# ledger is compared with what was sent (bench/BoshGateway.LoadGenerator, scenario ledger). Half the pairs
# use XEP-0198 (enable, ack, resume through any node), half do not. See docs/reliability.md.
#   bench/ledger.sh FAULT [TRANSPORT] [USERS] [SECONDS] [RATE]
#   FAULT      none | kill-node | stop-node | rolling | kill-prosody | redis-restart | sentinel | nginx-reload
#              (sentinel: the nodes use a Redis master, a replica and a Sentinel; the master is killed)
#   TRANSPORT  both (default: odd users BOSH, even WebSocket) | bosh | websocket
#   USERS 40, SECONDS of chat 30, RATE 40 messages/s in all; the fault comes 8 s into the chat.
#   LEDGER_SERVER=ejabberd  ejabberd behind the nodes instead of Prosody (every fault but kill-prosody)
#   REDIS_AOF=everysec      Redis keeps an append-only file synced every second; redis-restart then kills it -9
#   SENTINEL_LOSS=SECONDS   sentinel: the replica replicates through bench/tcp-relay.py, which is stopped that
#                           long before the master's kill -9, so the promoted replica lacks those writes (reported)
#   BALANCER=haproxy        deploy/haproxy/boshgateway.cfg in front instead of nginx (it polls /health and
#                           drops what it holds on a node that stops answering; every fault but nginx-reload)
#   NOTICED_WITHIN=MS       also fail when a user without XEP-0198 noticed the fault later than MS after it
# Exit 0 when the XEP-0198 users lost nothing (no duplicate or reordering either, unless a resumption
# failed), everyone came back and nothing went to the wrong user. Last line: "ledger FAULT TRANSPORT: ok|FAILED".
set -euo pipefail
cd "$(dirname "$0")/.."
fault=${1:-kill-node} transport=${2:-both} users=${3:-40} seconds=${4:-30} rate=${5:-40}
case $fault in none|kill-node|stop-node|rolling|kill-prosody|redis-restart|sentinel|nginx-reload) ;; *) echo "unknown fault $fault" >&2; exit 2;; esac
server=${LEDGER_SERVER:-prosody}
[ "$server" = ejabberd ] && [ "$fault" = kill-prosody ] && { echo "kill-prosody needs Prosody" >&2; exit 2; }
export BALANCER=${BALANCER:-nginx}
[ "$BALANCER" != nginx ] && [ "$fault" = nginx-reload ] && { echo "nginx-reload needs nginx" >&2; exit 2; }
work=$PWD/.tmp/ledger/$fault-$transport$([ "$server" = prosody ] || echo "-$server")$([ "$BALANCER" = nginx ] || echo "-$BALANCER")
rm -rf "$work" && mkdir -p "$work"
export FRONT_PORT=5480 NODE_BASE_PORT=5481 REDIS_PORT=6490 PROSODY_C2S_PORT=26222 PROSODY_HTTP_PORT=26280
export CLUSTER_WORK=$work CLUSTER_USERS="$users ledger" PROSODY_MAM=1 EJABBERD_MAM=1 CLUSTER_SERVER=$server
export PATH=$PATH:/usr/sbin
# Every user comes from 127.0.0.1 through nginx: above 500 users the per-address limits (500 sessions,
# 50 unauthenticated) would refuse the harness itself. nginx needs a connection per held request on
# each side, two requests per BOSH user.
if [ "$users" -gt 400 ]; then
    export NODE_ARGS="--Gateway:MaxSessionsPerClientAddress=$((users * 2)) --Gateway:Throttle:MaxUnauthenticatedPerAddress=$((users * 2)) --Gateway:Throttle:SessionsPerSecond=0 ${NODE_ARGS:-}"
fi
export NGINX_WORKER_CONNECTIONS=$((users * 4 + 1024))
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
front=http://127.0.0.1:$FRONT_PORT

cluster= gen= extra=()
cleanup() {
    trap - EXIT
    set +e   # a kill of something already gone must not end the cleanup
    [ -n "$gen" ] && kill "$gen" 2>/dev/null
    for pid in "${extra[@]}"; do kill "$pid" 2>/dev/null || true; done
    for f in "$work"/node*.pid; do [ -f "$f" ] && kill -CONT "$(cat "$f")" 2>/dev/null; done
    if [ -n "$cluster" ]; then kill -TERM "$cluster" 2>/dev/null; wait "$cluster" 2>/dev/null; fi
}
trap cleanup EXIT

if [ "$fault" = sentinel ]; then
    # Debian's redis-sentinel is redis-server in sentinel mode: a master, a replica, one Sentinel (quorum 1).
    redis-server --port 6491 --bind 127.0.0.1 --dir "$work" --save '' --appendonly no >"$work/master.log" 2>&1 & extra+=($!); echo $! >"$work/master.pid"
    upstream=6491
    if [ -n "${SENTINEL_LOSS:-}" ]; then
        python3 bench/tcp-relay.py 6493 6491 & extra+=($!); echo $! >"$work/relay.pid"; upstream=6493
        for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/6493) 2>/dev/null && break; sleep 0.1; done
    fi
    redis-server --port 6492 --bind 127.0.0.1 --dir "$work" --save '' --appendonly no --replicaof 127.0.0.1 "$upstream" >"$work/replica.log" 2>&1 & extra+=($!)
    printf '%s\n' 'port 26491' 'bind 127.0.0.1' 'sentinel monitor bgw 127.0.0.1 6491 1' 'sentinel down-after-milliseconds bgw 1000' \
        'sentinel failover-timeout bgw 5000' >"$work/sentinel.conf"
    redis-server "$work/sentinel.conf" --sentinel >"$work/sentinel.log" 2>&1 & extra+=($!)
    for _ in $(seq 50); do redis-cli -p 26491 sentinel get-master-addr-by-name bgw 2>/dev/null | grep -q 6491 && break; sleep 0.2; done
    export NODE_ARGS="--Gateway:Redis=127.0.0.1:26491,serviceName=bgw"
fi
deploy/local-cluster.sh 3 >"$work/cluster.out" 2>&1 &
cluster=$!
for _ in $(seq 600); do
    grep -q '^ready' "$work/cluster.out" && break
    kill -0 "$cluster" 2>/dev/null || { cat "$work/cluster.out" >&2; echo "ledger $fault $transport: FAILED (cluster did not start)"; exit 1; }
    sleep 0.2
done
grep -q '^ready' "$work/cluster.out" || { echo "ledger $fault $transport: FAILED (cluster not ready)"; exit 1; }

dotnet build bench/BoshGateway.LoadGenerator -c Release -v quiet -nologo >/dev/null
args=(--scenario ledger --users "$users" --user-prefix ledger --rate "$rate" --duration "$seconds" --sm both
      --concurrency 20 --fault-file "$work/fault-at" --json "$work/result.json" --label "ledger-$fault")
[ -n "${NOTICED_WITHIN:-}" ] && args+=(--noticed-within "$NOTICED_WITHIN")
case $transport in
    both) args+=(--transport both --url "$front/http-bind" --ws-url "ws://127.0.0.1:$FRONT_PORT/xmpp-websocket");;
    bosh) args+=(--transport bosh --url "$front/http-bind");;
    websocket) args+=(--transport websocket --url "ws://127.0.0.1:$FRONT_PORT/xmpp-websocket");;
esac
dotnet bench/BoshGateway.LoadGenerator/bin/Release/net10.0/BoshGateway.LoadGenerator.dll "${args[@]}" >"$work/generator.out" 2>"$work/generator.err" &
gen=$!
for _ in $(seq 600); do
    grep -q 'users online' "$work/generator.err" && break
    kill -0 "$gen" 2>/dev/null || break
    sleep 0.1
done
sleep 8

now_ms() { date +%s%3N; }
healthy() { for _ in $(seq 150); do curl -sf "http://127.0.0.1:$1/health" >/dev/null && return 0; sleep 0.2; done; return 1; }
node_port() { echo $((NODE_BASE_PORT + $1 - 1)); }
echo "== fault: $fault"
case $fault in
    none) now_ms >"$work/fault-at";;
    kill-node)
        now_ms >"$work/fault-at"; kill -9 "$(cat "$work/node1.pid")";;
    stop-node)
        # Longer than the node lease (10 s): the others count it gone; once it runs again it must serve nothing.
        now_ms >"$work/fault-at"; kill -STOP "$(cat "$work/node1.pid")"; sleep 15; kill -CONT "$(cat "$work/node1.pid")";;
    rolling)
        now_ms >"$work/fault-at"
        for i in 1 2 3; do
            pid=$(cat "$work/node$i.pid")
            kill -TERM "$pid"
            while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
            "$work/node$i.sh" & extra+=($!)
            healthy "$(node_port "$i")" || echo "node$i did not come back" >&2
            sleep 3
        done;;
    kill-prosody)
        now_ms >"$work/fault-at"; kill -9 "$(cat "$work/prosody/server.pid")"; sleep 2
        tests/servers/prosody.sh restart "$work/prosody" "$PROSODY_C2S_PORT";;
    redis-restart)
        # Without persistence Redis is shut down without saving (everything gone); with REDIS_AOF=everysec it is
        # killed -9 and comes back from its append-only file, without what the last second wrote.
        now_ms >"$work/fault-at"
        if [ "${REDIS_AOF:-}" = everysec ]; then
            kill -9 "$(redis-cli -p "$REDIS_PORT" info server | tr -d '\r' | sed -n 's/^process_id://p')"; sleep 1
            persistence=(--save '' --appendonly yes --appendfsync everysec)
        else
            redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; sleep 1
            persistence=(--save '' --appendonly no)
        fi
        redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$work" "${persistence[@]}" --daemonize no >>"$work/redis.log" 2>&1 & extra+=($!);;
    sentinel)
        if [ -n "${SENTINEL_LOSS:-}" ]; then
            # The replica stops receiving while the master goes on taking writes; then the master dies.
            kill -STOP "$(cat "$work/relay.pid")"; sleep "$SENTINEL_LOSS"
            offset() { redis-cli -p "$1" info replication | tr -d '\r' | sed -n "s/^$2://p"; }
            master_offset=$(offset 6491 master_repl_offset) replica_offset=$(offset 6492 slave_repl_offset)
            master_keys=$(redis-cli -p 6491 dbsize) replica_keys=$(redis-cli -p 6492 dbsize)
        fi
        now_ms >"$work/fault-at"; kill -9 "$(cat "$work/master.pid")"
        for _ in $(seq 100); do redis-cli -p 26491 sentinel get-master-addr-by-name bgw | grep -q 6492 && break; sleep 0.1; done
        echo "Sentinel names $(redis-cli -p 26491 sentinel get-master-addr-by-name bgw | tr '\n' ' ')the master"
        if [ -n "${SENTINEL_LOSS:-}" ]; then
            kill -CONT "$(cat "$work/relay.pid")"
            echo "writes lost in the failover: $((master_offset - replica_offset)) bytes of the replication stream (master offset $master_offset, replica $replica_offset); keys: master $master_keys, promoted replica $replica_keys"
        fi;;
    nginx-reload)
        now_ms >"$work/fault-at"
        for _ in 1 2 3; do nginx -c "$work/nginx.conf" -s reload; sleep 2; done;;
esac
echo "== fault done; waiting for the ledger"
status=0
wait "$gen" || status=$?
gen=
cat "$work/generator.out"
grep -v '^bosh request' "$work/generator.err" | tail -5 >&2 || true
if [ "$status" = 0 ]; then echo "ledger $fault $transport ($server, $BALANCER): ok"; else echo "ledger $fault $transport ($server, $BALANCER): FAILED (see $work)"; fi
exit "$status"
