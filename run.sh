#!/usr/bin/env bash
# The gateway's main job on one machine: a local Prosody on loopback with demo accounts, and the
# gateway in front of it with the in-memory session directory and the Converse.js demo chat page at /.
# Ctrl-C stops both.
#   GATEWAY_PORT (default 5380)  PROSODY_C2S_PORT (default 25222)  PROSODY_HTTP_PORT (default 25280)
set -euo pipefail
cd "$(dirname "$0")"
gateway_port=${GATEWAY_PORT:-5380}
c2s_port=${PROSODY_C2S_PORT:-25222}
http_port=${PROSODY_HTTP_PORT:-25280}

if ! command -v prosody >/dev/null; then
    if [ "$(id -u)" != 0 ]; then echo "Prosody is not installed: sudo apt-get install prosody" >&2; exit 1; fi
    echo "== installing prosody"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prosody openssl >/dev/null
    service prosody stop >/dev/null 2>&1 || true
fi
if ! command -v npm >/dev/null; then
    if [ "$(id -u)" != 0 ]; then echo "npm is not installed (it fetches the demo page's Converse.js): sudo apt-get install nodejs npm" >&2; exit 1; fi
    echo "== installing nodejs npm"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
# Converse.js for the demo page, pinned by its package-lock.json; the build copies it beside the binary.
demo_page=src/BoshGateway/DemoPage
if [ ! -f "$demo_page/node_modules/.package-lock.json" ] || [ "$demo_page/package-lock.json" -nt "$demo_page/node_modules/.package-lock.json" ]; then
    echo "== npm ci ($demo_page: Converse.js for the demo page)"
    npm ci --prefix "$demo_page" --no-audit --no-fund --loglevel=error >/dev/null
fi
# uPlot for the status page, likewise.
status_page=src/BoshGateway/StatusPage
if [ ! -f "$status_page/node_modules/.package-lock.json" ] || [ "$status_page/package-lock.json" -nt "$status_page/node_modules/.package-lock.json" ]; then
    echo "== npm ci ($status_page: uPlot for the status page)"
    npm ci --prefix "$status_page" --no-audit --no-fund --loglevel=error >/dev/null
fi

demo=.tmp/demo
echo "== starting Prosody on 127.0.0.1:$c2s_port (data in $demo)"
tests/servers/prosody.sh start "$demo" "$c2s_port" "$http_port" alice bob carol
trap 'tests/servers/prosody.sh stop "$demo"' EXIT

cat <<INFO

  Demo chat page: http://127.0.0.1:$gateway_port/   (log in as alice; as bob in a private window, and chat)
  BOSH URL:       http://127.0.0.1:$gateway_port/http-bind
  WebSocket URL:  ws://127.0.0.1:$gateway_port/xmpp-websocket
  XMPP domain:    localhost
  Demo accounts:  alice@localhost, bob@localhost, carol@localhost   (password: secret)
                  Everyone has everyone else as a contact.
  Backend:        Prosody c2s on 127.0.0.1:$c2s_port (plain TCP: loopback only)
  Status page:    http://127.0.0.1:$gateway_port/status   (live charts; loopback only)
  Metrics:        http://127.0.0.1:$gateway_port/metrics  (Prometheus)   Health: /health, /alive

INFO
echo "== building the gateway"
dotnet build src/BoshGateway -c Release -v quiet -nologo >/dev/null
dotnet src/BoshGateway/bin/Release/net10.0/BoshGateway.dll \
    --urls "http://127.0.0.1:$gateway_port" \
    --Gateway:Backends:Default:Host=127.0.0.1 \
    --Gateway:Backends:Default:Port="$c2s_port" \
    --Gateway:Backends:Default:Tls=None \
    --Gateway:ShutdownGrace=0 \
    --Gateway:DemoPage:Enabled=true --Gateway:DemoPage:Domain=localhost \
    --Gateway:Status:Enabled=true \
    "--Gateway:DemoPage:Notice=Demo accounts: alice, bob, carol (password: secret). Log in as a second one in a private window to chat." &
gateway=$!
# Ctrl-C or kill: stop the gateway (it ends its sessions with system-shutdown), then Prosody.
trap 'kill -TERM $gateway 2>/dev/null; wait $gateway 2>/dev/null; tests/servers/prosody.sh stop "$demo"' EXIT
trap 'exit 130' INT TERM
wait $gateway
