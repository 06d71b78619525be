#!/usr/bin/env bash
# Records a packet capture in which one connection stays open from the first packet to the last: what a phone's
# push service does for hours in a PCAPdroid or PiRogue recording. Its keys are not logged (as a system
# service's are not), so the pipeline gives that connection one row, when it ends, and holds every exchange
# after it until then (the shard spool's limit on rows held in memory is what this tests).
#
# On loopback: a Python HTTPS endpoint (server.py, a throwaway certificate); openssl s_client opens the push
# connection and sends a request at the start and one at the end; curl sends REQUESTS requests with a form body,
# each on a connection of its own (Connection: close), writing its TLS keys to a key log; dumpcap records port
# PORT, and editcap injects the key log into the pcapng (a Decryption Secrets Block), as PCAPdroid writes it.
#
# usage: lab/long-connection/record.sh OUT.pcapng [REQUESTS]   (default 300; LAB_PORT picks the port, default 18490)
set -euo pipefail
OUT=${1:?usage: record.sh OUT.pcapng [REQUESTS]}
REQUESTS=${2:-300}
PORT=${LAB_PORT:-18490}
HERE=$(cd "$(dirname "$0")" && pwd)
for tool in openssl curl dumpcap editcap python3; do
    command -v "$tool" >/dev/null || { echo "record: $tool is missing (Debian: sudo apt-get install openssl curl tshark python3)" >&2; exit 3; }
done
if (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null; then echo "record: port $PORT on 127.0.0.1 is in use; set LAB_PORT" >&2; exit 3; fi

WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=collect.lab.example \
    -addext "subjectAltName=DNS:collect.lab.example,DNS:push.lab.example" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
python3 "$HERE/server.py" "$PORT" "$WORK/cert.pem" "$WORK/key.pem" & PIDS+=($!)
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done

dumpcap -q -i lo -f "tcp port $PORT" -w "$WORK/raw.pcapng" 2>/dev/null & CAP=$!; PIDS+=("$CAP")
for _ in $(seq 50); do [ -s "$WORK/raw.pcapng" ] && break; sleep 0.1; done
sleep 0.5

# The push connection: open first, a request now, one more once every other request is done, then closed.
mkfifo "$WORK/push"
openssl s_client -connect 127.0.0.1:"$PORT" -servername push.lab.example -quiet -no_ign_eof < "$WORK/push" > /dev/null 2>&1 & PUSH=$!; PIDS+=("$PUSH")
exec 4> "$WORK/push"
printf 'GET /v1/connect?channel=device HTTP/1.1\r\nHost: push.lab.example\r\n\r\n' >&4
sleep 0.5

# The app's requests: the device's advertising id (one, as a phone has), its model and an event per request, in a
# curl config.
{
    for i in $(seq 1 "$REQUESTS"); do
        printf 'url = "https://collect.lab.example:%s/v1/events?advertiser_id=6f1c2a8e-3b7d-4e59-9a14-2c5e7d0b9f31&seq=%d"\n' "$PORT" "$i"
        printf 'data = "event=app_open&device_model=Pixel%%207&os_version=14&session=%d&carrier=Lab%%20Mobile"\n' "$i"
        # Options apply to the request they are given with: each block names the certificate and the address again.
        printf 'header = "Connection: close"\noutput = "/dev/null"\ncacert = "%s"\nresolve = "collect.lab.example:%s:127.0.0.1"\n' "$WORK/cert.pem" "$PORT"
        if [ "$i" -lt "$REQUESTS" ]; then printf 'next\n'; fi
    done
} > "$WORK/requests.curl"
SSLKEYLOGFILE="$WORK/keys.log" curl -sS -K "$WORK/requests.curl"

printf 'GET /v1/heartbeat HTTP/1.1\r\nHost: push.lab.example\r\n\r\n' >&4
sleep 0.5
exec 4>&-
wait "$PUSH" || true
sleep 0.5
kill -INT "$CAP"; wait "$CAP" || true
editcap --inject-secrets "tls,$WORK/keys.log" "$WORK/raw.pcapng" "$OUT"
echo "record: $OUT ($REQUESTS requests beside one connection open throughout)"
