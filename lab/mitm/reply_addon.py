"""mitmproxy addon of the capture lab: answers every request inside the proxy, so nothing leaves the machine.

Shaped after the packaged example examples/addons/http-reply-from-proxy.py. Answers are fixed (no clock, no
randomness) and realistic: the app-settings JSON, gatekeepers, {"success":true} for app events, one answer per
item of a batch.
"""
import json
from urllib.parse import urlsplit

from mitmproxy import http, tls

JSON = {"Content-Type": "application/json; charset=UTF-8", "Cache-Control": "private, no-cache, no-store, must-revalidate"}


def tls_clienthello(data: tls.ClientHelloData) -> None:
    # Never open a connection upstream: the lab's hosts are answered here.
    data.establish_server_tls_first = False


def request(flow: http.HTTPFlow) -> None:
    status, body, headers = answer(flow.request)
    flow.response = http.Response.make(status, body, headers)


def response(flow: http.HTTPFlow) -> None:
    # har_dump.py (mitmproxy 8.1) subtracts the server connection's timestamps, which are None when no upstream
    # connection was made; mark the simulated server as set up when its answer was made, with no TLS time.
    server = flow.server_conn
    if server.timestamp_tcp_setup is None:
        server.timestamp_start = server.timestamp_tcp_setup = flow.request.timestamp_end


def answer(req: http.Request):
    host = req.pretty_host
    if host.endswith("facebook.com"):
        return facebook(req)
    if host == "app.adjust.com":
        form = dict(req.urlencoded_form.items())
        return 200, dumps({"app_token": form.get("app_token", ""), "adid": "0f3a9c1e5b7d2468ace13579bdf02468",
                           "timestamp": form.get("created_at", ""), "message": "Session tracked"}), JSON
    if host == "app-measurement.com":
        return 304, b"", {}
    if host.endswith(".example"):
        if req.method == "POST":
            return 200, dumps({"stored": True}), JSON
        return 200, dumps({"notice": "2026-05", "purposes": ["analytics", "advertising"]}), JSON
    return 404, dumps({"error": "the capture lab does not know this host"}), JSON


def facebook(req: http.Request):
    path = urlsplit(req.path).path
    parts = [p for p in path.split("/") if p]
    if req.method == "POST" and len(parts) == 1:
        return 200, dumps(batch(req)), JSON
    return 200, dumps(graph(req.method, parts[1:], dict(req.query.items()))), JSON


def batch(req: http.Request):
    items = json.loads(json.loads(req.get_text())["batch"])
    answers = []
    for item in items:
        split = urlsplit(item["relative_url"])
        query = dict(pair.split("=", 1) for pair in split.query.split("&") if "=" in pair)
        parts = [p for p in split.path.split("/") if p]
        answers.append({"code": 200, "headers": [{"name": "Content-Type", "value": "application/json; charset=UTF-8"}],
                        "body": json.dumps(graph(item["method"], parts, query), separators=(",", ":"))})
    return answers


def graph(method: str, parts: list, query: dict):
    """The Graph API's answer to one request, by path after the version and the fields asked for."""
    node = parts[0] if parts else ""
    edge = parts[1] if len(parts) > 1 else ""
    fields = query.get("fields", "")
    if edge == "activities":
        return {"success": True}
    if edge == "mobile_sdk_gk":
        return {"data": [{"gatekeepers": [
            {"key": "app_events_killswitch", "value": False},
            {"key": "FBSDKFeatureInstrument", "value": True},
            {"key": "FBSDKFeatureCodelessEvents", "value": True},
            {"key": "FBSDKFeatureRestrictiveDataFiltering", "value": True},
        ]}]}
    if edge == "server_domain_infos":
        return {"data": []}
    if "auto_event_setup_enabled" in fields:
        return {"auto_event_setup_enabled": False, "id": node}
    if fields.startswith("app_events_config"):
        return {"app_events_config": {"default_ate_status": 1, "advertiser_id_collection_enabled": True,
                                      "event_collection_enabled": True}, "id": node}
    if "app_events_feature_bitmask" in fields or "supports_implicit_sdk_logging" in fields:
        return {"supports_implicit_sdk_logging": True, "gdpv4_nux_enabled": False, "gdpv4_nux_content": "",
                "app_events_session_timeout": 60, "app_events_feature_bitmask": 65573,
                "restrictive_data_filter_params": "{}", "aam_rules": "{}", "suggested_events_setting": "{}",
                "id": node}
    return {"id": node}


def dumps(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()
