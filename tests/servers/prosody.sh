#!/usr/bin/env bash
# Starts or stops a throwaway Prosody on loopback for the demo and the tests.
#   prosody.sh start DIR C2S_PORT HTTP_PORT USER...   (accounts get the password "secret"... unless USER is name:password)
#   prosody.sh stop DIR
#   prosody.sh restart DIR C2S_PORT                   (after a kill: same config and data)
# Plain c2s with STARTTLS offered (self-signed certificate, not required), SASL PLAIN and SCRAM-SHA-1,
# XEP-0198, and Prosody's own BOSH and WebSocket endpoints on HTTP_PORT for comparison.
# Optional knobs (unset: as above):
#   PROSODY_CERT=PATH/NAME       serve NAME.crt/NAME.key (e.g. from test-ca.sh) instead of the self-signed one
#   PROSODY_REQUIRE_TLS=1        STARTTLS required (c2s_require_encryption), no PLAIN before it
#   PROSODY_DIRECT_TLS_PORT=N    also listen for direct TLS (XEP-0368) on N, with the same certificate
#   PROSODY_MAM=1                archive every message (XEP-0313, mod_mam) so a client can look up what it missed
set -euo pipefail
cmd=$1 dir=$(mkdir -p "$2" && cd "$2" && pwd)
domain=${PROSODY_DOMAIN:-localhost}

# Prosody writes no pid file without mod_posix (not loaded in the foreground), so we keep our own (stop: pidfile.sh).
# shellcheck source=pidfile.sh
source "$(dirname "$0")/pidfile.sh"

# Runs Prosody on DIR's config and data (the prosody user's own, when root) and waits for its ports.
launch() {
    if [ "$(id -u)" = 0 ]; then
        chown -R prosody:prosody "$dir"
        (ulimit -n 20000; exec setpriv --reuid=prosody --regid=prosody --init-groups prosody --config "$dir/prosody.cfg.lua" -F) >"$dir/stdout.log" 2>&1 </dev/null &
    else
        (exec prosody --config "$dir/prosody.cfg.lua" -F) >"$dir/stdout.log" 2>&1 </dev/null &
    fi
    echo $! > "$dir/server.pid"
    for _ in $(seq 100); do
        if (exec 3<>/dev/tcp/127.0.0.1/"$c2s") 2>/dev/null \
            && { [ -z "${PROSODY_DIRECT_TLS_PORT:-}" ] || (exec 3<>/dev/tcp/127.0.0.1/"$PROSODY_DIRECT_TLS_PORT") 2>/dev/null; }; then exit 0; fi
        sleep 0.1
    done
    echo "prosody did not start; see $dir/prosody.log and $dir/stdout.log" >&2
    cat "$dir/stdout.log" >&2 || true
    exit 1
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
# Again after a crash or kill, on the same config and data (accounts, offline messages kept).
if [ "$cmd" = restart ]; then c2s=$3; stop; launch; fi

c2s=$3 http=$4; shift 4
stop
rm -rf "$dir/data" && mkdir -p "$dir/data/$domain/accounts" "$dir/data/$domain/roster" "$dir/certs"
if [ -n "${PROSODY_CERT:-}" ]; then
    # A copy in its own folder: the prosody user must read the key, and the self-signed pair stays apart.
    certs=$dir/certs-given
    rm -rf "$certs" && mkdir -p "$certs"
    cp "$PROSODY_CERT.crt" "$certs/$domain.crt" && cp "$PROSODY_CERT.key" "$certs/$domain.key"
else
    certs=$dir/certs
    if [ ! -f "$certs/$domain.crt" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$domain" \
            -keyout "$certs/$domain.key" -out "$certs/$domain.crt" >/dev/null 2>&1
    fi
fi
require_tls=false plain_auth=true
if [ "${PROSODY_REQUIRE_TLS:-0}" = 1 ]; then require_tls=true plain_auth=false; fi
# Accounts are stored hashed (SCRAM-SHA-1 keys, as Prosody's default internal_hashed does), so a
# client that logs in again with cached SCRAM keys (Converse.js after a page reload) finds the same
# salt every time. A fixed salt per password keeps this to a few openssl calls per run.
hex_bytes() { printf "$(sed 's/../\\x&/g' <<<"$1")"; }
scram_keys() { # password -> "stored_key server_key" (hex), salt $scram_salt, 4096 iterations
    local salted client
    salted=$(openssl kdf -keylen 20 -kdfopt digest:SHA1 -kdfopt "pass:$1" -kdfopt "salt:$scram_salt" -kdfopt iter:4096 PBKDF2 | tr -d ':' | tr 'A-F' 'a-f')
    client=$(printf 'Client Key' | openssl dgst -sha1 -mac HMAC -macopt "hexkey:$salted" -r | cut -d' ' -f1)
    echo "$(hex_bytes "$client" | openssl dgst -sha1 -r | cut -d' ' -f1) $(printf 'Server Key' | openssl dgst -sha1 -mac HMAC -macopt "hexkey:$salted" -r | cut -d' ' -f1)"
}
scram_salt=boshgateway-test-salt
declare -A keys=()
users=()
for spec in "$@"; do
    user=${spec%%:*}; pass=secret; [ "$spec" != "$user" ] && pass=${spec#*:}
    users+=("$user")
    [ -n "${keys[$pass]:-}" ] || keys[$pass]=$(scram_keys "$pass")
    read -r stored server <<<"${keys[$pass]}"
    printf 'return {\n\t["iteration_count"] = 4096;\n\t["salt"] = "%s";\n\t["stored_key"] = "%s";\n\t["server_key"] = "%s";\n};\n' \
        "$scram_salt" "$stored" "$server" > "$dir/data/$domain/accounts/$user.dat"
done
# Everyone has everyone else as a contact (Converse.js shows messages from contacts only), or, with
# PROSODY_ROSTER=pairs (load tests: no full-mesh presence storm), only the partner: 1st↔2nd, 3rd↔4th, ...
for i in "${!users[@]}"; do
    user=${users[$i]}
    {
        printf 'return {\n\t[false] = { ["version"] = 1; };\n'
        if [ "${PROSODY_ROSTER:-all}" = pairs ]; then contacts=("${users[$((i ^ 1))]:-}"); else contacts=("${users[@]}"); fi
        for other in "${contacts[@]}"; do
            [ -z "$other" ] || [ "$other" = "$user" ] && continue
            printf '\t["%s@%s"] = { ["subscription"] = "both"; ["groups"] = {}; ["name"] = "%s"; };\n' "$other" "$domain" "$other"
        done
        printf '};\n'
    } > "$dir/data/$domain/roster/$user.dat"
done

cat > "$dir/prosody.cfg.lua" <<CFG
-- Generated by tests/servers/prosody.sh: a loopback-only test server.
data_path = "$dir/data"
log = { { levels = { min = "info" }, to = "file", filename = "$dir/prosody.log" } }
interfaces = { "127.0.0.1" }
c2s_ports = { $c2s }
c2s_direct_tls_ports = { ${PROSODY_DIRECT_TLS_PORT:-} }
-- The direct-TLS listener takes its default certificate from c2s_direct_tls_ssl (portmanager), and for
-- SNI "$domain" from the same key or the certificates folder: both are the one served on STARTTLS.
c2s_direct_tls_ssl = { key = "$certs/$domain.key"; certificate = "$certs/$domain.crt" }
s2s_ports = { }
http_ports = { $http }
http_interfaces = { "127.0.0.1" }
https_ports = { }
c2s_require_encryption = $require_tls
allow_unencrypted_plain_auth = $plain_auth
authentication = "internal_hashed"
storage = "internal"
certificates = "$certs"
consider_bosh_secure = true
consider_websocket_secure = true
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "bosh"; "websocket"; "smacks"; "carbons"; "offline"; "presence"; "message"; "iq"$([ "${PROSODY_MAM:-0}" = 1 ] && echo '; "mam"' || true) }
default_archive_policy = true
max_archive_query_results = 5000
modules_disabled = { "s2s"; "posix" }
VirtualHost "$domain"
    ssl = { key = "$certs/$domain.key"; certificate = "$certs/$domain.crt" }
CFG

launch
