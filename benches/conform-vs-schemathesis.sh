#!/usr/bin/env bash
# vouch conform side by side with Schemathesis on the same target: the pets fake
# (examples/pets_fake.rs, spec tests/conform/pets.yaml) healthy and with each injected fault,
# a fresh fake for each tool. Prints, per fault, whether each tool found it (exit 1), in how
# many seconds (wall clock, the tool's whole run), with how many cases, and which checks failed.
#
#   benches/conform-vs-schemathesis.sh            # vouch: target/release/vouch if built, else debug
#   VOUCH_BIN=target/debug/vouch ST_MAX_EXAMPLES=5 benches/conform-vs-schemathesis.sh
#
# The token comes from VOUCH_TOKEN (default: the fake's own, pets-test-token): the fake asks for
# it, vouch reads it from the environment, Schemathesis gets it as its `X-Api-Key` header (-H).
# Schemathesis is optional: `st` on the PATH, or ST_BIN; without it only vouch runs.
set -euo pipefail
cd "$(dirname "$0")/.."

SPEC=tests/conform/pets.yaml
FAULTS=(none wrong-type out-of-range no-auth no-read-back malformed-500)
export VOUCH_TOKEN=${VOUCH_TOKEN:-pets-test-token}
ST_MAX_EXAMPLES=${ST_MAX_EXAMPLES:-5}
if [[ -z ${VOUCH_BIN:-} ]]; then
    VOUCH_BIN=target/release/vouch
    [[ -x $VOUCH_BIN ]] || VOUCH_BIN=target/debug/vouch
fi
[[ -x $VOUCH_BIN ]] || { echo "no $VOUCH_BIN: run cargo build first" >&2; exit 2; }
ST_BIN=${ST_BIN:-$(command -v st || true)}
if [[ -z $ST_BIN ]]; then
    echo "Schemathesis (st) not found: set ST_BIN or put st on the PATH; running vouch only." >&2
fi
cargo build --quiet --example pets_fake
FAKE=target/debug/examples/pets_fake
WORK=$(mktemp -d "${TMPDIR:-/tmp}/conform-vs-st.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

seconds() { # start, end ($EPOCHREALTIME)
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

# Runs "$@" (the tool, with URL in it as {URL}) against a fresh fake with fault $1; leaves its
# output in $WORK/out and sets RC and SECS.
against_fake() {
    local fault=$1 args=() a
    shift
    coproc FAKE_PROC { exec "$FAKE" --fault "$fault" --port 0; }
    local url
    read -r url <&"${FAKE_PROC[0]}"
    for a in "$@"; do args+=("${a//\{URL\}/$url}"); done
    local t0=$EPOCHREALTIME
    RC=0
    (cd "$WORK" && "${args[@]}") >"$WORK/out" 2>&1 || RC=$?
    SECS=$(seconds "$t0" "$EPOCHREALTIME")
    kill "$FAKE_PROC_PID"
    wait "$FAKE_PROC_PID" 2>/dev/null || true
}

verdict() { # exit code: 1 found, 0 not found, else the tool failed
    case $1 in 1) echo y ;; 0) echo n ;; *) echo "error (exit $1)" ;; esac
}

VOUCH_ABS=$(realpath "$VOUCH_BIN")
SPEC_ABS=$(realpath "$SPEC")
ROW='| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n'
printf "$ROW" fault 'vouch found' seconds cases 'vouch checks' 'Schemathesis found' seconds \
    cases 'Schemathesis checks'
printf "$ROW" --- --- --: --: --- --- --: --: ---
for fault in "${FAULTS[@]}"; do
    against_fake "$fault" "$VOUCH_ABS" conform --spec "$SPEC_ABS" --base-url '{URL}' \
        --allow-destructive
    v_found=$(verdict "$RC")
    v_secs=$SECS
    v_cases=$(grep -oE '^[0-9]+ case\(s\)' "$WORK/out" | grep -oE '^[0-9]+' || echo '?')
    v_checks=$(grep -oE '^FAIL [^ ]+ \[[^]]+\]' "$WORK/out" | cut -d' ' -f2- | sort -u |
        sed 's/^pets\.//' |
        paste -sd' ' - || true)
    st_found=- st_secs=- st_cases=- st_checks=
    if [[ -n $ST_BIN ]]; then
        against_fake "$fault" "$ST_BIN" run "$SPEC_ABS" --url '{URL}' \
            -H "X-Api-Key: $VOUCH_TOKEN" --checks all --mode all \
            --max-examples "$ST_MAX_EXAMPLES" --seed 1 --generation-database none --no-color
        st_found=$(verdict "$RC")
        st_secs=$SECS
        st_cases=$(grep -oE '[0-9]+ generated' "$WORK/out" | grep -oE '^[0-9]+' || echo '?')
        st_checks=$(grep -oE '^  ❌ ST[0-9]+ [^:]+' "$WORK/out" | sed 's/^  ❌ //' | sort -u |
            paste -sd';' - | sed 's/;/; /g' || true)
    fi
    printf "$ROW" "$fault" "$v_found" "$v_secs" "$v_cases" "${v_checks:--}" "$st_found" \
        "$st_secs" "$st_cases" "${st_checks:--}"
done
echo "vouch: $VOUCH_BIN (seed 0, default --max-cases 50 per operation); Schemathesis:" \
    "${ST_BIN:-absent} (--max-examples $ST_MAX_EXAMPLES, --seed 1, every phase and check)"
