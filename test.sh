#!/usr/bin/env bash
# Runs every test: unit tests, and integration tests against a real Prosody and ejabberd on loopback,
# a real nginx and HAProxy in front of the gateway, a real Redis under several gateway nodes, a real DNS server (dnsmasq) for SRV lookups, a real Prometheus scraping them, StanzaJS under Node, and web
# chat clients (Converse.js, Strophe.js, StanzaJS, xmpp.js) in Debian's headless Chromium. Installs what it needs
# when it can (root: apt-get; npm ci for the JavaScript).
# Ends with one line "N passed, N failed[, N skipped]". Exit code 0 only when nothing failed.
#   BOSHGW_REQUIRE_SERVERS=1  turns a missing server or client library into a failure (CI sets it).
set -uo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v prosody >/dev/null || need_apt+=(prosody)
command -v ejabberdctl >/dev/null || [ -x /usr/sbin/ejabberdctl ] || need_apt+=(ejabberd)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_apt+=(nginx)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || need_apt+=(haproxy)
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v curl >/dev/null || need_apt+=(curl)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v node >/dev/null || need_apt+=(nodejs npm)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v prometheus >/dev/null && command -v promtool >/dev/null || need_apt+=(prometheus)
command -v ss >/dev/null || need_apt+=(iproute2)
command -v python3 >/dev/null || need_apt+=(python3)
command -v afl-fuzz >/dev/null || need_apt+=(afl++)
command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || need_apt+=(dnsmasq-base)   # the binary alone: no system service to start, no resolv.conf changes
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "== installing ${need_apt[*]}"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
        # The packages start system instances we do not use; tests start their own on free ports.
        for svc in prosody ejabberd nginx haproxy redis-server prometheus prometheus-node-exporter; do service "$svc" stop >/dev/null 2>&1 || true; done
    else
        echo "== missing ${need_apt[*]}: tests that need them will be skipped (run as root to install)"
    fi
fi
if command -v npm >/dev/null; then
    echo "== npm ci (tests/js)"
    npm ci --prefix tests/js --no-audit --no-fund --loglevel=error >/dev/null || echo "npm ci failed: JavaScript client tests will not run"
    echo "== npm ci (tests/browser, src/BoshGateway/DemoPage, src/BoshGateway/StatusPage)"
    npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error >/dev/null || echo "npm ci failed: browser tests will not run"
    npm ci --prefix src/BoshGateway/DemoPage --no-audit --no-fund --loglevel=error >/dev/null || echo "npm ci failed: the demo page has no Converse.js"
    npm ci --prefix src/BoshGateway/StatusPage --no-audit --no-fund --loglevel=error >/dev/null || echo "npm ci failed: the status page has no uPlot"
fi
# Screenshots of the browser scenarios (Chromium through the gateway) go here; not committed.
export BOSHGW_SCREENSHOTS="$PWD/.tmp/browser-screenshots/$(date +%Y%m%d-%H%M%S)"

log=$(mktemp)
echo "== dotnet test"
dotnet test BoshGateway.sln 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

total=$(grep -E '^\s+total: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
failed=$(grep -E '^\s+failed: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
passed=$(grep -E '^\s+succeeded: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
skipped=$(grep -E '^\s+skipped: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
# Each failed test's block (name, message, stack), kept to repeat just above the summary line, where
# whoever reads only the end of the output sees which test failed and why.
failures=$(awk '/^failed / { n = 40; print; next } /^[^ ]/ { n = 0 } n > 0 { print; if (--n == 0) print "  (cut)" }' "$log")
rm -f "$log"
if [ -z "$total" ]; then
    echo "0 passed, 1 failed"   # the build or the test host failed before any test ran
    exit 1
fi
[ "$status" -ne 0 ] && [ "${failed:-0}" = 0 ] && failed=1

# A few minutes of the soak (docs/robustness.md, Soak): BOSH and WebSocket users chatting with churn,
# then the gateway's memory, fds, threads, sessions and backend connections must be back to baseline
# and no message lost. It runs alone, after the suite, so neither disturbs the other; it counts as one test.
echo "== short soak: bench/soak.sh 300 60 60"
if bench/soak.sh 300 60 60; then
    passed=$((${passed:-0} + 1))
else
    failed=$((${failed:-0} + 1))
    status=1
fi
# Coverage-guided fuzzing (docs/fuzzing.md): every target under AFL++ for a few seconds from the committed corpus (the
# corpus replay itself is a unit test). A crash or a hang fails it; it counts as one test.
echo "== fuzz smoke: fuzz/smoke.sh 15"
if ! command -v afl-fuzz >/dev/null && [ "${BOSHGW_REQUIRE_SERVERS:-0}" != 1 ]; then
    echo "skipped: afl-fuzz not installed (Debian package afl++)"
    skipped=$((${skipped:-0} + 1))
elif fuzz/smoke.sh 15; then
    passed=$((${passed:-0} + 1))
else
    failed=$((${failed:-0} + 1))
    status=1
fi
# The ledger (docs/reliability.md): through nginx in front of three nodes, a node killed, then all three
# restarted one after another, under chat; and through HAProxy, a node stalled past its lease. XEP-0198
# users must lose nothing and everyone must be back; each run counts as one test. Behind HAProxy every
# plain user must be told of the stall within NodeLease + HeartbeatInterval (12 s) and half a second for
# its resend (nginx leaves some waiting until the node wakes, 15 s).
for run in "nginx kill-node" "nginx rolling" "haproxy stop-node 12500"; do
    read -r balancer fault within <<<"$run"
    echo "== ledger: BALANCER=$balancer NOTICED_WITHIN=${within:-} bench/ledger.sh $fault both 40 20"
    if BALANCER=$balancer NOTICED_WITHIN=${within:-} bench/ledger.sh "$fault" both 40 20; then
        passed=$((${passed:-0} + 1))
    else
        failed=$((${failed:-0} + 1))
        status=1
    fi
done
[ -d "$BOSHGW_SCREENSHOTS" ] && echo "Browser screenshots: $BOSHGW_SCREENSHOTS"
if [ -n "$failures" ]; then
    echo "== failed tests (repeated from above)"
    printf '%s\n' "$failures"
fi
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
[ "$status" -eq 0 ] && [ "${failed:-0}" = 0 ]
