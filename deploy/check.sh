#!/usr/bin/env bash
# Checks what deploy/ ships: the Prometheus rules (promtool check + unit
# tests), the Grafana dashboard (valid JSON; every panel query parses as
# PromQL), and that every countersign_* metric they name is one the server
# exports (or is listed below as coming from elsewhere).
set -euo pipefail
cd "$(dirname "$0")"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
promtool check rules prometheus/countersign-rules.yml
(cd prometheus && promtool test rules countersign-rules.test.yml)
python3 - "$T/dashboard-rules.yml" <<'PY'
import json, re, sys
d = json.load(open("grafana/countersign-dashboard.json"))
exprs = [t["expr"] for p in d["panels"] for t in p["targets"]]
assert exprs, "the dashboard has queries"
with open(sys.argv[1], "w") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for n, e in enumerate(exprs):
        e = e.replace("$__rate_interval", "5m").replace("$job", ".*").replace("$instance", ".*")
        out.write(f"      - record: dashboard:q{n}\n        expr: {json.dumps(e)}\n")
print(f"dashboard: {len(d['panels'])} panels, {len(exprs)} queries")
PY
promtool check rules "$T/dashboard-rules.yml" | grep -q SUCCESS && echo "dashboard queries: SUCCESS (PromQL parses)"
# Metric names: exported by the code, or known to come from elsewhere.
external="" # none: every countersign_* metric named here is the server's
exported=$(grep -rhoE '("|# TYPE )countersign_[a-z_]+' ../crates/*/src | sed -E 's/^("|# TYPE )//' | sort -u)
missing=0
for m in $(cat prometheus/countersign-rules.yml grafana/countersign-dashboard.json | grep -oE 'countersign_[a-z_]+' | sed -E 's/_(bucket|sum|count)$//' | sort -u); do
  if ! grep -qx "$m" <<<"$exported" && ! grep -qw "$m" <<<"$external"; then
    echo "deploy/: $m is not a metric countersign exports" >&2; missing=1
  fi
done
[ "$missing" = 0 ] && echo "metric names: every countersign_* name is exported"
exit "$missing"
