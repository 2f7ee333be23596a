#!/usr/bin/env python3
# Writes countersign-dashboard.json (python3 make-dashboard.py > countersign-dashboard.json);
# deploy/check.sh checks that every query parses and names exported metrics.
import json
panels = []
def panel(title, exprs, unit="short", kind="timeseries", w=12, h=8, desc=""):
    i = len(panels)
    x = (i % 2) * 12 if w == 12 else 0
    panels.append({
        "id": i + 1, "type": kind, "title": title, "description": desc,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": x, "y": (i // 2) * h, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}} if kind == "timeseries" else {},
        "targets": [{"refId": chr(65 + n), "expr": e, "legendFormat": l,
                     "datasource": {"type": "prometheus", "uid": "${datasource}"}} for n, (e, l) in enumerate(exprs)],
    })
sel = 'job=~"$job", instance=~"$instance"'
panel("Nodes up", [(f'sum(countersign_up{{{sel}}})', "nodes up")], kind="stat", desc="countersign_up per scraped node")
panel("Verifications by result", [(f'sum by (result) (rate(countersign_verifications_total{{{sel}}}[$__rate_interval]))', "{{result}}")], unit="reqps")
panel("Rejections by reason", [(f'sum by (reason) (rate(countersign_verifications_total{{{sel}, result="rejected"}}[$__rate_interval]))', "{{reason}}")], unit="reqps",
      desc="code_invalid across many users: clock drift or an attack; user_locked_out: lockouts")
panel("Verification latency", [(f'histogram_quantile({q}, sum by (le) (rate(countersign_verification_duration_seconds_bucket{{{sel}}}[$__rate_interval])))', f"p{int(q*100)}") for q in (0.5, 0.95, 0.99)], unit="s")
panel("RADIUS requests", [(f'sum(rate(countersign_radius_received_total{{{sel}}}[$__rate_interval]))', "received"),
                          (f'sum(rate(countersign_radius_sent_total{{{sel}}}[$__rate_interval]))', "answered"),
                          (f'sum(rate(countersign_radius_retransmissions_total{{{sel}}}[$__rate_interval]))', "retransmissions")], unit="reqps")
panel("RADIUS drops by cause", [(f'sum by (cause) (increase(countersign_radius_dropped_total{{{sel}}}[$__rate_interval]))', "{{cause}}")],
      desc="requests answered with nothing: see countersign doctor (radius.drops)")
panel("Email outbox", [(f'sum by (result) (increase(countersign_email_messages_total{{{sel}}}[$__rate_interval]))', "{{result}}")])
panel("SMS outbox", [(f'sum by (result) (increase(countersign_sms_messages_total{{{sel}}}[$__rate_interval]))', "{{result}}")])
panel("Web Push deliveries", [(f'sum by (outcome) (increase(countersign_webpush_sends_total{{{sel}}}[$__rate_interval]))', "{{outcome}}")])
panel("HTTP connections cut or refused", [(f'sum by (cause) (increase(countersign_http_connections_closed_total{{{sel}}}[$__rate_interval]))', "closed: {{cause}}"),
                                          (f'sum by (cause) (increase(countersign_http_connections_refused_total{{{sel}}}[$__rate_interval]))', "refused: {{cause}}")])
panel("Certificate days left", [('(probe_ssl_earliest_cert_expiry{job="countersign-tls"} - time()) / 86400', "{{instance}}")], unit="d", kind="stat",
      desc="from the blackbox exporter probing public_url (job countersign-tls)")
panel("Directory sync", [(f'time() - max(countersign_directory_last_sync_timestamp_seconds{{{sel}}})', "since the last sync"),
                         (f'max(countersign_directory_awaiting_approval{{{sel}}})', "awaiting approval")], unit="s",
      desc="only the node holding the sync lease syncs")
panel("Directory changes by action", [(f'sum by (action) (increase(countersign_directory_changes_total{{{sel}}}[$__rate_interval]))', "{{action}}")])
panel("Versions", [(f'count by (version) (countersign_build_info{{{sel}}})', "{{version}}")], kind="stat")
dash = {
    "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource", "pluginId": "prometheus", "pluginName": "Prometheus"}],
    "title": "Countersign", "uid": "countersign", "tags": ["countersign", "mfa"],
    "schemaVersion": 39, "version": 1, "editable": True, "refresh": "30s",
    "time": {"from": "now-6h", "to": "now"},
    "templating": {"list": [
        {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source"},
        {"name": "job", "type": "query", "datasource": {"type": "prometheus", "uid": "${datasource}"},
         "query": "label_values(countersign_up, job)", "includeAll": True, "multi": True, "current": {"text": "All", "value": "$__all"}, "refresh": 2},
        {"name": "instance", "type": "query", "datasource": {"type": "prometheus", "uid": "${datasource}"},
         "query": 'label_values(countersign_up{job=~"$job"}, instance)', "includeAll": True, "multi": True, "current": {"text": "All", "value": "$__all"}, "refresh": 2},
    ]},
    "annotations": {"list": []},
    "panels": panels,
}
print(json.dumps(dash, indent=2))
