#!/usr/bin/env bash
# Re-records the demonstration corpus in data/raw through a real mitmproxy (see data/raw/README.md).
#
# For each demonstration app: mitmdump (Debian package mitmproxy 8.1) listens on 127.0.0.1 only, answers every
# request itself (lab/mitm/reply_addon.py), writes the flow file (-w) and the HAR through the packaged
# har_dump.py addon; dumpcap records the same session on loopback, and the TLS key log mitmproxy wrote is kept
# beside the pcapng and injected into it (editcap --inject-secrets). The lab (lab/CaptureLab) sends the app's
# requests over the HTTP and TLS versions its platform's stack uses (DemoApps.Stacks: HTTP/2 by ALPN h2 or
# HTTP/1.1, TLS 1.2 or 1.3; mitmproxy offers h2 by default) and writes the ground truth; lab/mitm/verify_flows.py
# then checks each flow against what was sent.
#
# usage: lab/record.sh [RAW]        (default data/raw; LAB_PORT picks the proxy port, default 18480)
#        lab/record.sh --truth-only [RAW]
#            rewrites only the ground truth of the recorded corpus, without recording: the lab writes each app's
#            truth and request log from its script, and verify_flows.py checks that the recorded flow file holds
#            exactly those requests (so the truth describes the recorded bytes; if it does not, re-record).
set -euo pipefail
cd "$(dirname "$0")/.."
TRUTH_ONLY=""
if [ "${1:-}" = "--truth-only" ]; then TRUTH_ONLY=1; shift; fi
RAW=${1:-data/raw}
PORT=${LAB_PORT:-18480}
PY=/usr/bin/python3   # the interpreter the Debian mitmproxy package is installed for

missing() {
    echo "record: $1 is missing. Install the capture tools (Debian/Ubuntu):" >&2
    echo "    sudo apt-get install mitmproxy tshark" >&2
    echo "  (mitmproxy provides mitmdump and har_dump.py; tshark brings dumpcap and editcap)" >&2
    exit 3
}
command -v mitmdump >/dev/null || missing mitmdump
command -v dotnet >/dev/null || missing "the .NET SDK (dotnet)"
if [ -n "$TRUTH_ONLY" ]; then
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
    dotnet build lab/CaptureLab/CaptureLab.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
    LAB=(dotnet lab/CaptureLab/bin/Release/net10.0/capture-lab.dll)
    for app in $("${LAB[@]}" list --raw "$RAW"); do
        dir="$RAW/$app"
        [ -f "$dir/session.mitm" ] || { echo "record: $dir/session.mitm is missing; record the corpus first" >&2; exit 1; }
        "${LAB[@]}" truth --raw "$RAW" --app "$app" --truth "$WORK/$app.truth.csv" --log "$WORK/$app.requests"
        "$PY" lab/mitm/verify_flows.py "$dir/session.mitm" "$WORK/$app.requests"
        cp "$WORK/$app.truth.csv" "$dir/session.truth.csv"
    done
    echo "record: ground truth rewritten in $RAW (recorded captures unchanged)"
    exit 0
fi
command -v dumpcap >/dev/null || missing dumpcap
command -v editcap >/dev/null || missing editcap
HAR_DUMP_SRC=/usr/share/doc/mitmproxy/examples/contrib/har_dump.py
[ -f "$HAR_DUMP_SRC" ] || [ -f "$HAR_DUMP_SRC.gz" ] || missing "$HAR_DUMP_SRC (package mitmproxy)"
if (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null; then
    echo "record: port $PORT on 127.0.0.1 is in use; set LAB_PORT" >&2; exit 3
fi

WORK=$(mktemp -d)
MITM_PID=""; CAP_PID=""
cleanup() {
    [ -n "$MITM_PID" ] && kill "$MITM_PID" 2>/dev/null || true
    [ -n "$CAP_PID" ] && kill "$CAP_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

if [ -f "$HAR_DUMP_SRC" ]; then cp "$HAR_DUMP_SRC" "$WORK/har_dump.py"; else zcat "$HAR_DUMP_SRC.gz" > "$WORK/har_dump.py"; fi
dotnet build lab/CaptureLab/CaptureLab.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
LAB=(dotnet lab/CaptureLab/bin/Release/net10.0/capture-lab.dll)
CONF="$WORK/mitmproxy"   # a fresh CA for this recording; ~/.mitmproxy is left alone

wait_for_port() {
    for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && return 0; sleep 0.1; done
    echo "record: mitmdump did not start listening on 127.0.0.1:$PORT" >&2; exit 1
}

for app in $("${LAB[@]}" list --raw "$RAW"); do
    dir="$RAW/$app"
    mkdir -p "$dir"
    rm -f "$dir"/session.*
    dumpcap -q -i lo -f "tcp port $PORT" -w "$WORK/$app.pcapng" 2>"$WORK/$app.dumpcap.log" &
    CAP_PID=$!
    sleep 1
    MITMPROXY_SSLKEYLOGFILE="$WORK/$app.keylog" mitmdump -q \
        --listen-host 127.0.0.1 --listen-port "$PORT" \
        --set confdir="$CONF" --set connection_strategy=lazy --set upstream_cert=false \
        -s lab/mitm/reply_addon.py -s "$WORK/har_dump.py" --set hardump="$dir/session.har" \
        -w "$dir/session.mitm" &
    MITM_PID=$!
    wait_for_port
    "${LAB[@]}" run --raw "$RAW" --app "$app" --proxy "127.0.0.1:$PORT" --ca "$CONF/mitmproxy-ca-cert.pem" \
        --truth "$dir/session.truth.csv" --log "$WORK/$app.requests"
    kill -INT "$MITM_PID"; wait "$MITM_PID" || true; MITM_PID=""
    sleep 0.5
    kill -INT "$CAP_PID"; wait "$CAP_PID" || true; CAP_PID=""
    cp "$WORK/$app.keylog" "$dir/session.keylog"
    editcap --inject-secrets "tls,$WORK/$app.keylog" "$WORK/$app.pcapng" "$dir/session.pcapng"
    "$PY" lab/mitm/verify_flows.py "$dir/session.mitm" "$WORK/$app.requests"
done
"${LAB[@]}" catalog --raw "$RAW" > "$RAW/apps.csv"
echo "record: corpus written to $RAW"
