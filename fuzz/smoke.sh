#!/usr/bin/env bash
# CI smoke for fuzzing: first every committed corpus file through every target without AFL (deterministic,
# a few seconds), then each target under afl-fuzz for a short time.
#   fuzz/smoke.sh [seconds-per-target]    default 20; 0 = replay only (no AFL, no instrumentation)
# Exit 0 only when the replay and every fuzzing run found nothing. The last line is the run.sh summary.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "== replay fuzz/corpus through every target"
dotnet build fuzz/BoshGateway.Fuzz -c Release -v q -nologo -o .tmp/fuzz/build 2>&1 | grep -E ' error |warn' | sort -u
[ -f .tmp/fuzz/build/BoshGateway.Fuzz.dll ] || { echo "build failed" >&2; exit 2; }
dotnet .tmp/fuzz/build/BoshGateway.Fuzz.dll all --replay fuzz/corpus
replay=$?
[ "$seconds" = 0 ] && exit $replay

fuzz/run.sh all "$seconds"
fuzzed=$?
[ $replay -eq 0 ] && [ $fuzzed -eq 0 ]
