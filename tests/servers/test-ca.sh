#!/usr/bin/env bash
# Makes a throwaway PKI for the TLS tests in DIR (idempotent: a complete DIR is left as it is).
#   test-ca.sh DIR
#   ca.crt/.key          test root CA: the one to trust (Gateway:Backends:Default:TrustedCaFile=DIR/ca.crt)
#   localhost.crt/.key   signed by it, SAN DNS:localhost and IP:127.0.0.1
#   wrongname.crt/.key   signed by it, for not-localhost.example only (a name mismatch for localhost)
#   unknownca.crt/.key   for localhost, signed by other-ca.crt/.key, a second CA nobody trusts
# Leaves carry serverAuth and a SAN, CAs basicConstraints CA:TRUE and keyCertSign, as .NET's chain
# builder (and any modern client) expects. All files are made anew together, into a temporary
# folder and then moved, so a half-made set never mixes with another or is seen by a reader.
set -euo pipefail
dir=$(mkdir -p "$1" && cd "$1" && pwd)
files=(ca other-ca localhost wrongname unknownca)
complete=1
for f in "${files[@]}"; do [ -s "$dir/$f.crt" ] && [ -s "$dir/$f.key" ] || complete=0; done
[ "$complete" = 1 ] && exit 0

work=$(mktemp -d "$dir/.new.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
ca() { # name common-name
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$2" -keyout "$1.key" -out "$1.crt" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" 2>/dev/null
}
leaf() { # name issuer common-name subject-alt-names
    openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$3" -keyout "$1.key" -out "$1.csr" 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
        "extendedKeyUsage=serverAuth" "subjectAltName=$4" "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -set_serial "0x$(openssl rand -hex 8)" -days 3650 \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
ca ca "BoshGateway test CA"
ca other-ca "BoshGateway untrusted test CA"
leaf localhost ca localhost "DNS:localhost,IP:127.0.0.1"
leaf wrongname ca not-localhost.example "DNS:not-localhost.example"
leaf unknownca other-ca localhost "DNS:localhost,IP:127.0.0.1"
openssl verify -CAfile ca.crt localhost.crt wrongname.crt >/dev/null
chmod 644 ./*.crt && chmod 600 ./*.key
for f in "${files[@]}"; do mv -f "$f.key" "$dir/"; mv -f "$f.crt" "$dir/"; done
