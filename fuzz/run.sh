#!/usr/bin/env bash
# Coverage-guided fuzzing of the gateway's parsers and BOSH state machine with AFL++ through SharpFuzz.
#   fuzz/run.sh <target|all> <seconds>      targets: bosh-body ws-message stream-reader bosh-session address-checks
# Builds fuzz/BoshGateway.Fuzz (Release) into .tmp/fuzz/bin, instruments BoshGateway.Protocol.dll and
# BoshGateway.dll there with `sharpfuzz` (the dotnet local tool in .config/dotnet-tools.json), runs afl-fuzz
# for <seconds> per target (seeds fuzz/corpus/<target>, dictionary fuzz/xmpp.dict, output .tmp/fuzz/<target>),
# then prints one line per target from fuzzer_stats. Exit 1 if any target found a crash or a hang, 2 on setup errors.
# Crashing inputs are replayed through the uninstrumented build so the exception is printed.
# Environment: FUZZ_TIMEOUT_MS (afl -t, default 5000: a real hang; the harness itself fails an input slower
# than FUZZ_SLOW_MS, default 1000), FUZZ_RESUME=1 to continue a previous run's queue instead of starting over,
# FUZZ_EXECS=N to stop a target after about N executions (afl -E) if that comes before <seconds>.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
targets_all=(bosh-body ws-message stream-reader bosh-session address-checks)

if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
    echo "usage: fuzz/run.sh <${targets_all[*]// /|}|all> <seconds>" >&2
    exit 2
fi
if [ "$1" = all ]; then targets=("${targets_all[@]}"); else targets=("$1"); fi
for t in "${targets[@]}"; do
    [[ " ${targets_all[*]} " == *" $t "* ]] || { echo "unknown target '$t'" >&2; exit 2; }
done
seconds=$2
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! command -v afl-fuzz >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        echo "== installing afl++"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
    fi
    command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found (Debian package afl++)" >&2; exit 2; }
fi

out=$root/.tmp/fuzz
bin=$out/bin
echo "== build (Release) and instrument"
dotnet tool restore >/dev/null || { echo "dotnet tool restore failed" >&2; exit 2; }
dotnet build fuzz/BoshGateway.Fuzz -c Release -v q -nologo -o "$out/build" 2>&1 | grep -E ' error |warn' | sort -u
[ -f "$out/build/BoshGateway.Fuzz.dll" ] || { echo "build failed" >&2; exit 2; }
rm -rf "$bin" && cp -r "$out/build" "$bin"
for dll in BoshGateway.Protocol.dll BoshGateway.dll; do
    dotnet sharpfuzz "$bin/$dll" >/dev/null || { echo "sharpfuzz failed on $dll" >&2; exit 2; }
done

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
# The gateway's own knobs stay at their defaults; the runtime should not compete for the two cores.
export DOTNET_TieredPGO=0 DOTNET_gcServer=0

stat() { grep -E "^$1 +:" "$2" | sed -E 's/^[^:]+: *//'; }
failed=0
summary=()
for t in "${targets[@]}"; do
    dir=$out/$t
    input=(-i "fuzz/corpus/$t")
    if [ "${FUZZ_RESUME:-0}" = 1 ] && [ -f "$dir/default/fuzzer_stats" ]; then
        input=(-i -)
    else
        rm -rf "$dir"
    fi
    mkdir -p "$dir"
    limit=(-V "$seconds")
    [ -n "${FUZZ_EXECS:-}" ] && limit+=(-E "$FUZZ_EXECS")
    echo "== afl-fuzz $t for ${seconds}s${FUZZ_EXECS:+ or $FUZZ_EXECS executions} (log $dir/afl.log)"
    afl-fuzz "${input[@]}" -o "$dir" -x fuzz/xmpp.dict -m none -t "${FUZZ_TIMEOUT_MS:-5000}" "${limit[@]}" \
        -- dotnet "$bin/BoshGateway.Fuzz.dll" "$t" >"$dir/afl.log" 2>&1
    rc=$?
    stats=$dir/default/fuzzer_stats
    if [ ! -f "$stats" ]; then
        echo "afl-fuzz $t ended (exit $rc) without stats; last lines of $dir/afl.log:"
        tail -20 "$dir/afl.log"
        summary+=("$t: afl-fuzz failed to start (exit $rc)")
        failed=1
        continue
    fi
    execs=$(stat execs_done "$stats"); run=$(stat run_time "$stats")
    paths=$(stat corpus_count "$stats"); found=$(stat corpus_found "$stats")
    edges=$(stat edges_found "$stats"); total_edges=$(stat total_edges "$stats")
    crashes=$(stat saved_crashes "$stats"); hangs=$(stat saved_hangs "$stats"); stability=$(stat stability "$stats")
    last_find=$(stat last_find "$stats"); last_update=$(stat last_update "$stats")
    rate=$(awk -v e="$execs" -v r="$run" 'BEGIN { printf "%.0f", (r > 0 ? e / r : 0) }')
    since=$([ "${last_find:-0}" -gt 0 ] && echo "$((last_update - last_find)) s" || echo "none")
    summary+=("$t: ${execs} executions in ${run} s, ${rate} exec/s, ${paths} paths (${found} new), ${edges}/${total_edges} edges, stability ${stability}, ${crashes} crashes, ${hangs} hangs, last new path ${since} before the end")
    if [ "${crashes:-0}" != 0 ] || [ "${hangs:-0}" != 0 ]; then
        failed=1
        for f in "$dir"/default/crashes/id:* "$dir"/default/hangs/id:*; do
            [ -f "$f" ] || continue
            echo "-- replaying $f"
            timeout 60 dotnet "$out/build/BoshGateway.Fuzz.dll" "$t" --replay "$f" | head -20
        done
    fi
done
echo "== fuzzing summary (AFL++ $(afl-fuzz -h 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | grep -oE '\+\+[0-9][0-9a-z.]*' | head -1), $(nproc) cores)"
printf '%s\n' "${summary[@]}"
exit $failed
