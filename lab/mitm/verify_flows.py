"""Checks with mitmproxy's own reader that a recorded flow file holds exactly the requests the lab sent.

usage: python3 verify_flows.py FLOWS.mitm REQUESTS.log
The log has one line per request: METHOD URL SHA256-OF-BODY-AS-SENT. Flow i must be line i, so the ground
truth's request ordinals are the flows' positions in the file.
"""
import hashlib
import sys

from mitmproxy import io

flows_path, log_path = sys.argv[1], sys.argv[2]
with open(log_path) as f:
    expected = [line.split(" ") for line in f.read().splitlines()]
with open(flows_path, "rb") as f:
    flows = [fl for fl in io.FlowReader(f).stream()]
problems = []
if len(flows) != len(expected):
    problems.append(f"{len(flows)} flows, {len(expected)} requests sent")
for i, (flow, (method, url, sha)) in enumerate(zip(flows, expected)):
    got = hashlib.sha256(flow.request.raw_content or b"").hexdigest()
    if flow.request.method != method or flow.request.url != url or got != sha:
        problems.append(f"flow {i}: {flow.request.method} {flow.request.url} {got} != {method} {url} {sha}")
    if flow.response is None or flow.server_conn.peername is not None:
        problems.append(f"flow {i}: not answered inside the proxy")
if problems:
    sys.exit(f"{flows_path}: " + "; ".join(problems))
print(f"{flows_path}: {len(flows)} flows, each exactly the request the lab sent")
