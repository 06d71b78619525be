#!/usr/bin/env bash
# make bench: scaled corpora, every stage of the pipeline, and the tools researchers use instead, on the same
# input in the same run. Writes bench/results.csv, then docs/BENCHMARKS.md from it.
#
#   bench/run.sh                      sizes 10MB,100MB,1GB, jobs 1 and 2
#   SIZES=10MB,100MB JOBS="1 2" bench/run.sh
#   BIG_HAR=2GB bench/run.sh          also one single HAR of that size (peak memory of one huge capture)
#   TLS_SIZES=100MB bench/run.sh      sizes of the decrypting-reader corpus (TLS + HTTP/2 pcapngs with keys; default 100MB;
#                                     empty: no decrypting-reader row)
#   LONG_CONNECTION=40000 bench/run.sh  requests of one pcapng recorded beside a connection open throughout
#                                     (lab/long-connection/record.sh; default 40000; empty: none)
#   ROUNDS=5 bench/run.sh             rounds of the HAR comparison (ours at each -j, the parse, TrackHAR, cat), the
#                                     commands taking turns; each row is the round of median time, and every round's
#                                     own row follows, numbered, for the ratios paired by round (default 5)
#
# Environment: BENCH_DIR (scaled corpora, git-ignored; default data/interim/bench), SHARED (real captures;
# default tests/fixtures/captures), EXTERNAL (reference data from make reference; default data/external).
# Side-by-side tools (Debian): tshark, mitmproxy (mitmdump), mmdb-bin (mmdblookup); Node.js for TrackHAR.
# A missing tool skips its comparison and says how to install it.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES-10MB,100MB,1GB}
JOBS=${JOBS:-1 2}
BENCH_DIR=${BENCH_DIR:-data/interim/bench}
SHARED=${SHARED:-tests/fixtures/captures}
EXTERNAL=${EXTERNAL:-data/external}
BIG_HAR=${BIG_HAR:-}
TLS_SIZES=${TLS_SIZES-100MB}
LONG_CONNECTION=${LONG_CONNECTION-40000}
ROUNDS=${ROUNDS:-5}
RESULTS=${RESULTS:-bench/results.csv}
DOTNET=${DOTNET:-dotnet}
CLI=pipeline/ResearchPipeline.Cli/bin/Release/program/research-pipeline
SCALER=bench/CorpusScaler/bin/Release/net10.0/corpus-scaler.dll
REPORT=bench/BenchReport/bin/Release/net10.0/bench-report.dll
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# As the Makefile runs the pipeline (its comment says why), also when this script is run by itself.
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-4000000}

have() { command -v "$1" >/dev/null 2>&1; }
skip() { echo "bench: skipping $1: $2 not found (install with: $3)" >&2; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

$DOTNET build ResearchPipeline.sln -c Release --nologo -v quiet -clp:ErrorsOnly
if have node && have npm; then
    [ -d bench/node_modules/trackhar ] || (cd bench && npm ci --no-audit --no-fund --loglevel=error)
fi
$DOTNET "$SCALER" --raw data/raw --shared "$SHARED" --out "$BENCH_DIR" --sizes "$SIZES" ${BIG_HAR:+--big-har "$BIG_HAR"} ${TLS_SIZES:+--tls-sizes "$TLS_SIZES"}

work=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
tmp_results=$work/results.csv
echo "corpus,subset,tool,step,jobs,files,bytes,requests,wall_s,peak_rss_kb,stage_parse_s,stage_enrich_s,stage_emit_s,alloc_bytes,fields,round" > "$tmp_results"

# measure CORPUS SUBSET TOOL STEP JOBS FILES BYTES -- command...: wall time and peak RSS of the command (and its children).
# The command's stdout goes to $work/out, stderr to $work/err; the requests count is filled in by the caller's REQUESTS.
measure() {
    local corpus=$1 subset=$2 tool=$3 step=$4 jobs=$5 files=$6 bytes=$7; shift 8
    sync
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || { echo "bench: failed: $*" >&2; tail -5 "$work/err" >&2; return 1; }
    read -r wall rss < <(tail -1 "$work/time")
    local requests; requests=$(REQUESTS)
    local sp se sm
    sp=$(sed -n 's/^parse: done in \([0-9.]*\) s$/\1/p' "$work/err" | tail -1)
    se=$(sed -n 's/^enrich: done in \([0-9.]*\) s$/\1/p' "$work/err" | tail -1)
    sm=$(sed -n 's/^emit: done in \([0-9.]*\) s$/\1/p' "$work/err" | tail -1)
    # Our run's bytes allocated (GC.GetTotalAllocatedBytes) and payload fields decoded, for bytes per field.
    local ab fd
    ab=$(sed -n 's/^allocated: \([0-9]*\) bytes, [0-9]* payload fields$/\1/p' "$work/err" | tail -1)
    fd=$(sed -n 's/^allocated: [0-9]* bytes, \([0-9]*\) payload fields$/\1/p' "$work/err" | tail -1)
    echo "$corpus,$subset,$tool,$step,$jobs,$files,$bytes,$requests,$wall,$rss,$sp,$se,$sm,$ab,$fd,${MEASURE_ROUND:-}" >> "${MEASURE_TO:-$tmp_results}"
    echo "bench: $corpus $subset $tool $step -j$jobs: $wall s, $((rss / 1024)) MB peak, $requests requests" >&2
}
# A measurement taken in rounds (see ROUNDS): each round's row, numbered by the caller's $round, goes to a file of
# its own, named by KEY; median_rows KEY... adds, in that order, the round of median time of each (unnumbered), with
# the highest peak memory of its rounds, then every round's own row, for the report's ratios paired by round.
measure_round() { local key=$1; shift; local MEASURE_TO=$work/rounds.$key MEASURE_ROUND=$round; measure "$@"; }
median_rows() {
    local key f
    for key in "$@"; do
        f=$work/rounds.$key
        [ -e "$f" ] || continue
        local peak; peak=$(cut -d, -f10 "$f" | sort -n | tail -1)
        sort -t, -k9,9g "$f" | sed -n "$(( ($(wc -l < "$f") + 1) / 2 ))p" | awk -F, -v OFS=, -v peak="$peak" '{ $10 = peak; $16 = ""; print }' >> "$tmp_results"
    done
    for key in "$@"; do
        f=$work/rounds.$key
        [ -e "$f" ] || continue
        cat "$f" >> "$tmp_results"
        rm -f "$f"
    done
}
ours_requests() { sed -n 's/^[0-9]* captures, \([0-9]*\) exchanges.*/\1/p' "$work/out"; }
no_requests() { echo ""; }

# A folder of hard links holding one format's captures, with the study files, so our reader and the other tool read the very same files.
subset() {
    local root=$1 name=$2 pattern=$3 view=$work/views/$(basename "$1")/$2
    mkdir -p "$view"
    cp "$root/apps.csv" "$root/devices.csv" "$view/"
    (cd "$root" && find . -mindepth 2 -type f -regextype posix-extended -regex "$pattern" -print0) |
        while IFS= read -r -d '' f; do mkdir -p "$view/$(dirname "$f")"; ln "$root/$f" "$view/$f" 2>/dev/null || cp "$root/$f" "$view/$f"; done
    echo "$view"
}
files_of() { find "$1" -mindepth 2 -type f | sort; }
bytes_of() { files_of "$1" | tr '\n' '\0' | du -cb --files0-from=- | tail -1 | cut -f1; }

mmdb=$(find "$EXTERNAL" -name 'GeoLite2-City.mmdb' 2>/dev/null | head -1 || true)
# The HAR comparison also runs -j1 held to the first core (taskset, util-linux), where there is a second core to leave.
one_core=$(command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ] && echo yes || echo no)

bench_corpus() {
    local root=$1 label=$2
    local all_files all_bytes
    all_files=$(files_of "$root" | wc -l); all_bytes=$(bytes_of "$root")

    REQUESTS() { no_requests; }
    files_of "$root" | tr '\n' '\0' | xargs -0 cat >/dev/null   # warm the page cache: every tool reads from memory
    measure "$label" all cat read 1 "$all_files" "$all_bytes" -- sh -c "find '$root' -mindepth 2 -type f -print0 | xargs -0 cat > /dev/null"
    REQUESTS() { ours_requests; }
    for j in $JOBS; do
        measure "$label" all research-pipeline parse "$j" "$all_files" "$all_bytes" -- "$CLI" parse --raw "$root" --out "$work/parsed" --external "$EXTERNAL" --jobs "$j"
        measure "$label" all research-pipeline run "$j" "$all_files" "$all_bytes" -- "$CLI" run --raw "$root" --out "$work/run" --external "$EXTERNAL" --jobs "$j"
    done

    # HARs: TrackHAR (parse + adapters + decode of the requests it knows) vs our whole run over the same HARs.
    local har; har=$(subset "$root" har '.*\.har')
    local har_files har_bytes; har_files=$(files_of "$har" | wc -l); har_bytes=$(bytes_of "$har")
    if [ "$har_files" -gt 0 ]; then
        files_of "$har" > "$work/har.list"
        [ -d bench/node_modules/trackhar ] || skip TrackHAR "node/npm or bench/node_modules" "apt-get install nodejs npm; cd bench && npm ci"
        # The targets' ratios come from these rows: in rounds, the commands taking turns, so that a slow stretch of
        # the machine falls on all of them rather than on one.
        local round
        for round in $(seq "$ROUNDS"); do
            REQUESTS() { ours_requests; }
            for j in $JOBS; do
                measure_round "run$j" "$label" har research-pipeline run "$j" "$har_files" "$har_bytes" -- "$CLI" run --raw "$har" --out "$work/run-har" --external "$EXTERNAL" --jobs "$j"
            done
            # -j1 uses a second core too (the captures' hashing ahead, emit's encoding threads); held to one core, the run
            # says what the second core adds to a run, beside what -j2 adds to -j1.
            if [ "$one_core" = yes ]; then
                measure_round run1core "$label" har research-pipeline run-one-core 1 "$har_files" "$har_bytes" -- taskset -c 0 "$CLI" run --raw "$har" --out "$work/run-har" --external "$EXTERNAL" --jobs 1
            fi
            measure_round parse "$label" har research-pipeline parse 1 "$har_files" "$har_bytes" -- "$CLI" parse --raw "$har" --out "$work/parse-har" --external "$EXTERNAL" --jobs 1
            if [ -d bench/node_modules/trackhar ]; then
                REQUESTS() { cut -d' ' -f2 "$work/out"; }
                measure_round trackhar "$label" har trackhar process 1 "$har_files" "$har_bytes" -- node bench/trackhar.mjs "$work/har.list"
            fi
            REQUESTS() { no_requests; }
            measure_round cat "$label" har cat read 1 "$har_files" "$har_bytes" -- sh -c "find '$har' -mindepth 2 -type f -print0 | xargs -0 cat > /dev/null"
        done
        median_rows $(for j in $JOBS; do echo "run$j"; done) run1core parse trackhar cat
    fi

    # Packet captures: tshark field extraction (HTTP host/URI, TLS SNI, DNS names) vs our pcap reader.
    local pcap; pcap=$(subset "$root" pcap '.*\.(pcap|pcapng)')
    local pcap_files pcap_bytes; pcap_files=$(files_of "$pcap" | wc -l); pcap_bytes=$(bytes_of "$pcap")
    if [ "$pcap_files" -gt 0 ]; then
        REQUESTS() { ours_requests; }
        for j in $JOBS; do
            measure "$label" pcap research-pipeline parse "$j" "$pcap_files" "$pcap_bytes" -- "$CLI" parse --raw "$pcap" --out "$work/parse-pcap" --external "$EXTERNAL" --jobs "$j"
        done
        if have tshark; then
            # tshark starts in ~0.4 s, longer than most files take to read; so, as a researcher would batch them,
            # mergecap -a concatenates 100 files at a time into one tshark; -P runs that many batches at once.
            REQUESTS() { grep -c . "$work/out" || true; }
            for j in $JOBS; do
                measure "$label" pcap tshark fields "$j" "$pcap_files" "$pcap_bytes" -- sh -c "find '$pcap' -mindepth 2 -type f -print0 | sort -z | xargs -0 -n 100 -P $j sh -c 'mergecap -a -F pcapng -w - \"\$@\" | tshark -n -r - -T fields -E separator=, -e frame.number -e ip.dst -e http.host -e http.request.uri -e tls.handshake.extensions_server_name -e dns.qry.name -Y \"http.request or tls.handshake.type == 1 or dns.flags.response == 0\"' _"
                # The one process's lines: with -P 2 two batches write into one file and a line can be cut by another.
                if [ "$j" = 1 ]; then cp "$work/out" "$work/tshark.out"; fi
            done
        else skip "tshark comparison" tshark "apt-get install tshark"; fi
    fi

    # Flow files: mitmdump reading every flow vs our flow reader. mitmdump 8.1 stops at a flow format newer than its
    # own (the shared dumpfile-19 is format 18), so both read only the flow files mitmdump can read; and they are
    # concatenated (a flow file is a sequence of flows) into one mitmdump, whose start-up (~1 s) outweighs most files.
    if have mitmdump; then
        local readable="" name
        for name in $(find "$root" -mindepth 2 -name '*.mitm' -printf '%f\n' | sort -u); do
            mitmdump -n -q -r "$(find "$root" -mindepth 2 -name "$name" | head -1)" 2>&1 | grep -q 'cannot read' || readable="$readable|$name"
        done
        local flows; flows=$(subset "$root" flows ".*/(${readable#|})")
    else
        skip "mitmdump comparison" mitmdump "apt-get install mitmproxy"
        local flows; flows=$(subset "$root" flows '.*\.mitm')
    fi
    local flow_files flow_bytes; flow_files=$(files_of "$flows" | wc -l); flow_bytes=$(bytes_of "$flows")
    if [ "$flow_files" -gt 0 ]; then
        REQUESTS() { ours_requests; }
        measure "$label" flows research-pipeline parse 1 "$flow_files" "$flow_bytes" -- "$CLI" parse --raw "$flows" --out "$work/parse-flows" --external "$EXTERNAL" --jobs 1
        if have mitmdump; then
            files_of "$flows" | tr '\n' '\0' | xargs -0 cat > "$work/flows.mitm"
            REQUESTS() { grep -c -E '^[^ ].*: [A-Z]+ [a-z]+://' "$work/out" || true; }
            measure "$label" flows mitmdump read 1 "$flow_files" "$flow_bytes" -- mitmdump -n -r "$work/flows.mitm"
            rm -f "$work/flows.mitm"
        fi
    fi

    # Enrichment: mmdblookup over the distinct server addresses vs our enrich stage (read from the run above).
    if have mmdblookup && [ -n "$mmdb" ]; then
        { grep -h -o '"serverIPAddress": *"[^"]*"' $(files_of "$har") 2>/dev/null | sed 's/.*: *"\(.*\)"/\1/' || true
          [ -f "$work/tshark.out" ] && cut -d, -f2 "$work/tshark.out" || true; } | grep -E '^[0-9a-fA-F:.]+$' | grep -v '^\[' | sort -u > "$work/ips.txt" || true
        local ips; ips=$(wc -l < "$work/ips.txt")
        REQUESTS() { echo "$ips"; }
        measure "$label" ips mmdblookup lookup 1 "$ips" 0 -- sh -c "while read -r ip; do mmdblookup --file '$mmdb' --ip \"\$ip\" >/dev/null 2>&1 || true; done < '$work/ips.txt'"
    else skip "mmdblookup comparison" "mmdblookup or $EXTERNAL/**/GeoLite2-City.mmdb" "apt-get install mmdb-bin; make reference"; fi
    rm -rf "$work/views" "$work/parsed" "$work/run" "$work/run-har" "$work/parse-har" "$work/parse-pcap" "$work/parse-flows" "$work/tshark.out"
}

# The decrypting reader: TLS 1.2/1.3 pcapngs (HTTP/1.1 and HTTP/2) with their keys, our parse stage (keys from each
# pcapng's Decryption Secrets Block and the key log beside it) vs tshark given the sessions' key log and asked for the
# HTTP/1 and HTTP/2 request header fields. One process each at -j1: the pcapngs are concatenated byte for byte into
# one tshark (a pcapng may hold many sections; mergecap 4.0 refuses these files, editcap too), and the copies'
# connections were moved to ports of their own, so they stay apart in the one stream.
bench_tls() {
    local root=$1 label=$2
    local view; view=$(subset "$root" tls '.*\.(pcapng|keylog)')
    local files bytes; files=$(find "$view" -mindepth 2 -name '*.pcapng' | wc -l); bytes=$(find "$view" -mindepth 2 -name '*.pcapng' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
    find "$view" -mindepth 2 -type f -print0 | xargs -0 cat >/dev/null
    REQUESTS() { ours_requests; }
    measure "$label" tls research-pipeline parse 1 "$files" "$bytes" -- "$CLI" parse --raw "$view" --out "$work/parse-tls" --external "$EXTERNAL" --jobs 1
    # The whole run too: its emit holds the per-app aggregates of thousands of apps, which the parse alone does not show.
    for j in $JOBS; do
        measure "$label" tls research-pipeline run "$j" "$files" "$bytes" -- "$CLI" run --raw "$view" --out "$work/run-tls" --external "$EXTERNAL" --jobs "$j"
    done
    if have tshark; then
        local keylog; keylog=$(realpath "$root/keylog.txt")
        # Requests: the HTTP/2 and HTTP/1 methods tshark printed (a packet may carry several HEADERS frames).
        REQUESTS() { cut -d, -f2,5 "$work/out" | tr ',/' '\n\n' | grep -c . || true; }
        measure "$label" tls tshark fields 1 "$files" "$bytes" -- sh -c "cd '$view' && find . -mindepth 2 -name '*.pcapng' -print0 | sort -z | xargs -0 cat | tshark -n -r - -o tls.keylog_file:$keylog -T fields -E separator=, -E occurrence=a -E aggregator=/ -e frame.number -e http2.headers.method -e http2.headers.authority -e http2.headers.path -e http.request.method -e http.host -e http.request.uri -Y 'http2.headers.method or http.request'"
    else skip "tshark decryption comparison" tshark "apt-get install tshark"; fi
    # Memory flat in file size: the same bytes as one pcapng (every section concatenated, keys in their blocks) in
    # the folder of the corpus's first capture.
    local one=$work/views/one-file first
    first=$(cd "$view" && find . -mindepth 2 -name '*.pcapng' | sort | sed -n 1p)
    mkdir -p "$one/$(dirname "$first")"
    cp "$view/apps.csv" "$view/devices.csv" "$one/"
    (cd "$view" && find . -mindepth 2 -name '*.pcapng' -print0 | sort -z | xargs -0 cat) > "$one/$first"
    REQUESTS() { ours_requests; }
    measure "$label-one-file" tls research-pipeline parse 1 1 "$bytes" -- "$CLI" parse --raw "$one" --out "$work/parse-tls" --external "$EXTERNAL" --jobs 1
    # One large capture's whole run at each job count: what a second core gives a single long recording.
    for j in $JOBS; do
        measure "$label-one-file" tls research-pipeline run "$j" 1 "$bytes" -- "$CLI" run --raw "$one" --out "$work/run-tls" --external "$EXTERNAL" --jobs "$j"
    done
    rm -rf "$work/views" "$work/parse-tls" "$work/run-tls"
}

IFS=, read -ra sizes <<< "$SIZES"
for size in "${sizes[@]}"; do bench_corpus "$BENCH_DIR/$size" "$size"; done
IFS=, read -ra tls_sizes <<< "$TLS_SIZES"
for size in "${tls_sizes[@]}"; do bench_tls "$BENCH_DIR/tls-$size" "tls-$size"; done
# One long recording whose every exchange waits behind a connection open from its first packet to its last (a push
# service's, keys not logged): the rows held for order are what its memory would grow with.
if [ -n "$LONG_CONNECTION" ]; then
    if have dumpcap && have editcap && have openssl && have curl && have python3; then
        long=$BENCH_DIR/long-connection-$LONG_CONNECTION
        [ -s "$long/lab-push/session.pcapng" ] || { mkdir -p "$long/lab-push" && lab/long-connection/record.sh "$long/lab-push/session.pcapng" "$LONG_CONNECTION" >&2; }
        REQUESTS() { ours_requests; }
        b=$(bytes_of "$long")
        for j in $JOBS; do
            measure "long-connection-$LONG_CONNECTION" tls research-pipeline run "$j" 1 "$b" -- "$CLI" run --raw "$long" --out "$work/run" --external "$EXTERNAL" --jobs "$j"
        done
        rm -rf "$work/run"
    else skip "the long-connection recording" "dumpcap, editcap, openssl, curl or python3" "apt-get install tshark openssl curl python3"; fi
fi
if [ -n "$BIG_HAR" ]; then
    big=$BENCH_DIR/big-har-$BIG_HAR
    REQUESTS() { ours_requests; }
    b=$(bytes_of "$big")
    measure "one-har-$BIG_HAR" har research-pipeline parse 1 1 "$b" -- "$CLI" parse --raw "$big" --out "$work/parsed" --external "$EXTERNAL" --jobs 1
    # The whole run with the most jobs measured: one large capture is to use every core.
    big_jobs=${JOBS##* }
    measure "one-har-$BIG_HAR" har research-pipeline run "$big_jobs" 1 "$b" -- "$CLI" run --raw "$big" --out "$work/run" --external "$EXTERNAL" --jobs "$big_jobs"
    rm -rf "$work/parsed" "$work/run"
fi

# The processor by name and model: the ratios against the other tools move between machines (bench/NOTES.md, "This
# run"), and a virtual machine's name alone may not tell them apart.
processor() {
    local name family model
    name=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    family=$(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo | head -1)
    model=$(sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo | head -1)
    echo "${name:-unknown processor} (family ${family:-?}, model ${model:-?})"
}
{
    echo "# machine: $(nproc) cores of $(processor), $(free -m | awk '/^Mem:/ {print $2}') MB memory; $(uname -sr)"
    echo "# tools: $($DOTNET --version | sed 's/^/dotnet /'); $(node --version 2>/dev/null | sed 's/^/node /'); $(tshark --version 2>/dev/null | head -1); $(mitmdump --version 2>/dev/null | head -1); $(mmdblookup --version 2>&1 | head -1)"
    cat "$tmp_results"
} > "$RESULTS"
$DOTNET "$REPORT" "$RESULTS" bench/NOTES.md docs/BENCHMARKS.md
echo "bench: wrote $RESULTS and docs/BENCHMARKS.md"
