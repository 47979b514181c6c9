#!/usr/bin/env bash
# Checks the gpu collector against nvidia-smi on a machine with an NVIDIA GPU.
#
# Starts the agent with only the gpu collector on a loopback port, scrapes /metrics and, within the same sampling
# interval, runs `nvidia-smi --query-gpu=... --format=csv`; prints one line per GPU and field with both values and
# whether they agree. Exact fields (UUID, name, memory total, power limit) must match; sampled ones (utilisation,
# power, temperature, clocks, memory used/free) must agree within a tolerance, since the two reads are not the same
# instant. Exit status 0 when everything agrees, 1 otherwise, 2 when it cannot run.
#
#   npm ci && npm run build && bash scripts/gpu-check.sh [interval_ms]
#
# Environment: NODE (node binary, default node), NVML_LIBRARY (default libnvidia-ml.so.1), NVIDIA_SMI (default
# nvidia-smi), GPU_CHECK_ROUNDS (comparisons, default 3).
set -euo pipefail
cd "$(dirname "$0")/.."

NODE=${NODE:-node}
NVML_LIBRARY=${NVML_LIBRARY:-libnvidia-ml.so.1}
NVIDIA_SMI=${NVIDIA_SMI:-nvidia-smi}
INTERVAL_MS=${1:-1000}
ROUNDS=${GPU_CHECK_ROUNDS:-3}

command -v "$NVIDIA_SMI" >/dev/null || { echo "gpu-check: $NVIDIA_SMI not found" >&2; exit 2; }
[ -d dist/agent ] || { echo "gpu-check: run npm run build first" >&2; exit 2; }

port=$("$NODE" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
log=$(mktemp)
"$NODE" bin/outrider.js agent --listen="127.0.0.1:$port" --collectors.enabled=gpu \
  --collectors.interval="$INTERVAL_MS" --collectors.gpu.nvml-library="$NVML_LIBRARY" >"$log" 2>&1 &
agent=$!
trap 'kill $agent 2>/dev/null || true; wait $agent 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 1 100); do
  if "$NODE" -e "fetch('http://127.0.0.1:$port/metrics').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then break; fi
  kill -0 $agent 2>/dev/null || { echo "gpu-check: the agent exited:" >&2; cat "$log" >&2; exit 2; }
  sleep 0.1
done
# One interval so the first collection is in.
sleep "$(awk "BEGIN{print $INTERVAL_MS/1000 + 0.2}")"

status=0
for round in $(seq 1 "$ROUNDS"); do
  fields=index,uuid,name,utilization.gpu,utilization.memory,memory.used,memory.free,memory.total,power.draw,enforced.power.limit,temperature.gpu,clocks.sm,clocks.mem
  smi=$("$NVIDIA_SMI" --query-gpu=$fields --format=csv,noheader,nounits)
  echo "== round $round (interval ${INTERVAL_MS} ms)"
  NVIDIA_SMI_CSV="$smi" PORT="$port" "$NODE" -e '
const smi = process.env.NVIDIA_SMI_CSV.trim().split("\n").map((l) => l.split(",").map((s) => s.trim()));
fetch(`http://127.0.0.1:${process.env.PORT}/metrics`).then((r) => r.text()).then((text) => {
  const v = new Map();
  for (const line of text.split("\n")) {
    const m = /^(DCGM_FI_DEV_\w+)\{(.*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    v.set(`${m[1]}/${labels.gpu}`, { value: Number(m[3]), labels });
  }
  // field in nvidia-smi order → [metric, kind, tolerance]: exact, or absolute slack for sampled values.
  const checks = [
    ["uuid", "DCGM_FI_DEV_GPU_UTIL", "uuid"],
    ["name", "DCGM_FI_DEV_GPU_UTIL", "name"],
    ["utilization.gpu", "DCGM_FI_DEV_GPU_UTIL", 25],
    ["utilization.memory", "DCGM_FI_DEV_MEM_COPY_UTIL", 25],
    ["memory.used", "DCGM_FI_DEV_FB_USED", 512],
    ["memory.free", "DCGM_FI_DEV_FB_FREE", 512],
    ["memory.total", "DCGM_FI_DEV_FB_TOTAL", 1],
    ["power.draw", "DCGM_FI_DEV_POWER_USAGE", 50],
    ["enforced.power.limit", "DCGM_FI_DEV_POWER_MGMT_LIMIT", 0.5],
    ["temperature.gpu", "DCGM_FI_DEV_GPU_TEMP", 3],
    ["clocks.sm", "DCGM_FI_DEV_SM_CLOCK", 300],
    ["clocks.mem", "DCGM_FI_DEV_MEM_CLOCK", 300],
  ];
  let bad = 0;
  for (const row of smi) {
    const gpu = row[0];
    for (const [i, [field, metric, tol]] of checks.entries()) {
      const want = row[i + 1];
      const got = v.get(`${metric}/${gpu}`);
      let agent, ok;
      if (!got) { agent = "(missing)"; ok = want === "[N/A]" || want === "[Not Supported]"; }
      else if (tol === "uuid") { agent = got.labels.UUID; ok = agent === want; }
      else if (tol === "name") { agent = got.labels.modelName; ok = agent === want; }
      else { agent = String(got.value); ok = !Number.isNaN(Number(want)) && Math.abs(got.value - Number(want)) <= tol; }
      if (!ok) bad++;
      console.log(`gpu ${gpu}  ${field.padEnd(22)} nvidia-smi ${String(want).padStart(12)}  agent ${String(agent).padStart(12)}  ${ok ? "ok" : "DIFFERS"}`);
    }
  }
  if (smi.length === 0 || v.size === 0) { console.log("no GPU in one of the two sources"); bad++; }
  process.exit(bad ? 1 : 0);
}, (e) => { console.error(e); process.exit(2); });
' || status=1
  sleep "$(awk "BEGIN{print $INTERVAL_MS/1000}")"
done
[ "$status" = 0 ] && echo "gpu-check: the agent agrees with nvidia-smi" || echo "gpu-check: differences above"
exit $status
