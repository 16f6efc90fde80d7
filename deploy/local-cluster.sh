#!/usr/bin/env bash
# Several gateway nodes serving as one, on this machine, all on loopback: Redis, NODES gateway
# processes, nginx in front balancing round-robin (no stickiness) over them with the shipped
# nginx/boshgateway.conf, and a local Prosody with demo accounts behind. Ctrl-C stops everything.
#   deploy/local-cluster.sh [NODES]          (default 3)
#   BALANCER (nginx)  or haproxy: deploy/haproxy/boshgateway.cfg instead, which polls /health and drops
#                     what it holds on a node that stops answering (nodes then get Gateway:ShutdownGrace=00:00:02)
#   FRONT_PORT (5380: the balancer, plain HTTP)  NODE_BASE_PORT (5381: node i listens on base+i-1)
#   REDIS_PORT (6390)  PROSODY_C2S_PORT (25222)  PROSODY_HTTP_PORT (25280)  CLUSTER_SECRET (random)
#   CLUSTER_USERS=N PREFIX  also accounts PREFIX1..PREFIXN, each with its partner (1<->2, ...) as contact
#   CLUSTER_WORK (.tmp/local-cluster)  where logs, pid files and nodeN.sh (start node N again) go
#   CLUSTER_SERVER (prosody)  or ejabberd: the XMPP server behind the nodes (tests/servers/<server>.sh)
#   NODE_ARGS  extra options for every node ("--Gateway:Some:Key=value ...")
#   NGINX_WORKER_CONNECTIONS (4096)  nginx holds two connections per request in flight (client and node)
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-3}
front=${FRONT_PORT:-5380}
base=${NODE_BASE_PORT:-5381}
redis_port=${REDIS_PORT:-6390}
c2s=${PROSODY_C2S_PORT:-25222}
http=${PROSODY_HTTP_PORT:-25280}
secret=${CLUSTER_SECRET:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
server=${CLUSTER_SERVER:-prosody}
case $server in prosody|ejabberd) ;; *) echo "CLUSTER_SERVER must be prosody or ejabberd" >&2; exit 2;; esac
balancer=${BALANCER:-nginx}
case $balancer in nginx|haproxy) ;; *) echo "BALANCER must be nginx or haproxy" >&2; exit 2;; esac
# nginx never polls /health, so a grace would only delay every stop; HAProxy sees readiness fail within
# its check interval (1 s).
grace=0; [ "$balancer" = haproxy ] && grace=00:00:02
work=$(mkdir -p "${CLUSTER_WORK:-.tmp/local-cluster}" && cd "${CLUSTER_WORK:-.tmp/local-cluster}" && pwd)

missing=()
if [ "$server" = ejabberd ]; then command -v ejabberdctl >/dev/null || [ -x /usr/sbin/ejabberdctl ] || missing+=(ejabberd)
else command -v prosody >/dev/null || missing+=(prosody); fi
command -v redis-server >/dev/null || missing+=(redis-server)
command -v "$balancer" >/dev/null || [ -x "/usr/sbin/$balancer" ] || missing+=("$balancer")
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then echo "missing: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2; exit 1; fi
    echo "== installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" openssl >/dev/null
    for svc in prosody ejabberd nginx haproxy redis-server; do service "$svc" stop >/dev/null 2>&1 || true; done
fi
export PATH=$PATH:/usr/sbin

pids=()
cleanup() {
    trap - EXIT INT TERM
    echo "== stopping"
    # Nodes by their pid files too: one started again (nodeN.sh) is not a child of this script.
    for f in "$work"/node*.pid; do [ -f "$f" ] && pids+=("$(cat "$f")"); done
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; done
    [ -f "$work/nginx.pid" ] && nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true
    tests/servers/"$server".sh stop "$work/$server" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== building the gateway"
dotnet build src/BoshGateway -c Release -v quiet -nologo >/dev/null
dll=src/BoshGateway/bin/Release/net10.0/BoshGateway.dll

accounts=(alice bob carol)
if [ -n "${CLUSTER_USERS:-}" ]; then
    read -r count prefix <<<"$CLUSTER_USERS"
    accounts=()
    for i in $(seq 1 "$count"); do accounts+=("$prefix$i"); done
    export PROSODY_ROSTER=pairs EJABBERD_ROSTER=pairs
fi
echo "== $server on 127.0.0.1:$c2s (${#accounts[@]} accounts: ${accounts[0]}...; password: secret)"
tests/servers/"$server".sh start "$work/$server" "$c2s" "$http" "${accounts[@]}"

# REDIS_AOF=everysec: an append-only file synced every second (what a crash then loses: the last second).
redis_persistence=(--save '' --appendonly no) redis_kind="no persistence"
if [ "${REDIS_AOF:-}" = everysec ]; then
    redis_persistence=(--save '' --appendonly yes --appendfsync everysec) redis_kind="append-only file, fsync every second"
fi
echo "== Redis on 127.0.0.1:$redis_port ($redis_kind)"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" "${redis_persistence[@]}" --daemonize no >"$work/redis.log" 2>&1 &
pids+=($!)

upstreams="" servers=""
for i in $(seq 1 "$nodes"); do
    port=$((base + i - 1))
    echo "== gateway node$i on 127.0.0.1:$port"
    # nodeN.sh starts the node (again, after a test stopped it) and records its pid.
    cat >"$work/node$i.sh" <<NODE
#!/usr/bin/env bash
echo \$\$ >"$work/node$i.pid"
export MALLOC_ARENA_MAX=2   # as the systemd unit and the container image (README, Capacity of one box)
exec dotnet "$PWD/$dll" --urls "http://127.0.0.1:$port" \\
        --Gateway:Node:Id="node$i" \
        --Gateway:Redis="127.0.0.1:$redis_port" \
        --Gateway:Cluster:Secret="$secret" \
        --Gateway:Backends:Default:Host=127.0.0.1 \
        --Gateway:Backends:Default:Port="$c2s" \
        --Gateway:Backends:Default:Tls=None \
        --Gateway:ShutdownGrace=$grace \
        --Gateway:TrustedProxies:0=127.0.0.2 ${NODE_ARGS:-} >>"$work/node$i.log" 2>&1
NODE
    chmod +x "$work/node$i.sh"
    : >"$work/node$i.log"
    "$work/node$i.sh" &
    pids+=($!)
    upstreams+="server 127.0.0.1:$port;\n    "
    servers+="server node$i 127.0.0.1:$port\n    "
done

start_haproxy() {
    # The shipped configuration, with the node list, a plain-HTTP loopback listener and the log on stderr.
    sed -e "s|^    server node1 127.0.0.1:5380|    $servers|" \
        -e "s|bind :443 ssl crt .*|bind 127.0.0.1:$front|" \
        -e "/X-Forwarded-Proto https/d" \
        -e "s|maxconn 20000|maxconn $(( ($(ulimit -n) - 100) / 2 ))|" \
        -e "s|log /dev/log local0|log stderr format short local0 notice|" deploy/haproxy/boshgateway.cfg >"$work/haproxy.cfg"
    haproxy -c -q -f "$work/haproxy.cfg"
    haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
    pids+=($!)
}

start_nginx() {
    # The shipped site, with the node list and a plain-HTTP loopback listener instead of TLS.
    sed -e "s|server 127.0.0.1:5380;|$upstreams|" \
        -e "s|listen 443 ssl;|listen 127.0.0.1:$front;|" \
        -e "/ssl_certificate/d" nginx/boshgateway.conf >"$work/boshgateway.conf"
    local user=""; [ "$(id -u)" = 0 ] && user="user root;"
    cat >"$work/nginx.conf" <<NGINX
$user
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections ${NGINX_WORKER_CONNECTIONS:-4096}; }
http {
    access_log off;
    client_body_temp_path $work/client_body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    include $work/boshgateway.conf;
}
NGINX
    nginx -t -q -c "$work/nginx.conf"
    nginx -c "$work/nginx.conf"
}

"start_$balancer"

for i in $(seq 1 "$nodes"); do
    port=$((base + i - 1))
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" | grep -q '^ok' && break; sleep 0.2; done
    curl -sf "http://127.0.0.1:$port/health" | grep -q '^ok' || { echo "node$i did not start; see $work/node$i.log" >&2; exit 1; }
done

cat <<INFO

  BOSH URL:       http://127.0.0.1:$front/http-bind        ($balancer, round-robin over $nodes nodes)
  WebSocket URL:  ws://127.0.0.1:$front/xmpp-websocket
  XMPP domain:    localhost     accounts: alice, bob, carol (password: secret)
  Node health:    curl http://127.0.0.1:$base/health      (forwarded= counts requests passed to owners)
  Logs:           $work/

ready
INFO
wait "${pids[@]}"
