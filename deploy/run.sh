#!/usr/bin/env bash
# Serve quantviz to a big class: K Streamlit replicas behind nginx, sticky by cookie.
#
#   deploy/run.sh K PORT        e.g. deploy/run.sh 2 8600, then open http://HOST:8600
#
# Starts K replicas (`streamlit run app.py` on PORT+1 … PORT+K, listening on 127.0.0.1
# only) and nginx on PORT in front of them (deploy/nginx.conf.template: one browser stays
# on one replica, websockets proxied). Runs in the foreground; Ctrl-C (or SIGTERM) stops
# nginx and every replica. Needs nginx (Debian: apt-get install nginx; no root needed to
# run it) and the project's venv (.venv) or STREAMLIT=/path/to/streamlit. Logs, pid files
# and nginx's temporary files go to $QUANTVIZ_RUN_DIR (default /tmp/quantviz-deploy-PORT).
# Sizing: one replica per core; README, "Serving a class", has the measured rule.
set -euo pipefail

K=${1:?usage: deploy/run.sh K PORT}
PORT=${2:?usage: deploy/run.sh K PORT}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${QUANTVIZ_RUN_DIR:-/tmp/quantviz-deploy-$PORT}
STREAMLIT=${STREAMLIT:-$ROOT/.venv/bin/streamlit}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

[ -x "$NGINX" ] || { echo "nginx not found (apt-get install nginx)" >&2; exit 1; }
[ -x "$STREAMLIT" ] || { echo "streamlit not found at $STREAMLIT" >&2; exit 1; }
mkdir -p "$RUN"
# One BLAS thread per replica: each student's rerun is a thread of its own, and OpenBLAS's
# own threads spin against them (measured: one 11.7 M-value quantize 0.2 s alone, 9-18 s
# on a loaded 2-core machine). Parallelism comes from replicas, one per core.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

pids=()
stop() {
    trap - EXIT INT TERM
    [ -f "$RUN/nginx.pid" ] && kill "$(cat "$RUN/nginx.pid")" 2>/dev/null || true
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -f "$RUN/nginx.pid" "$RUN"/replica-*.pid
}
trap stop EXIT INT TERM

upstreams=""
for i in $(seq 1 "$K"); do
    port=$((PORT + i))
    (cd "$ROOT" && exec "$STREAMLIT" run app.py --server.headless true \
        --server.address 127.0.0.1 --server.port "$port") >"$RUN/replica-$i.log" 2>&1 &
    pids+=($!)
    echo $! >"$RUN/replica-$i.pid"
    upstreams+="        server 127.0.0.1:$port max_fails=0;"$'\n'
done

for i in $(seq 1 "$K"); do
    port=$((PORT + i))
    for _ in $(seq 1 120); do
        curl -fs "http://127.0.0.1:$port/_stcore/health" >/dev/null 2>&1 && break
        sleep 0.5
    done
    curl -fs "http://127.0.0.1:$port/_stcore/health" >/dev/null \
        || { echo "replica $i did not start: $RUN/replica-$i.log" >&2; exit 1; }
done

sed -e "s#@RUN@#$RUN#g" -e "s#@PORT@#$PORT#g" "$ROOT/deploy/nginx.conf.template" \
    | awk -v ups="$upstreams" '{ if ($0 == "@UPSTREAMS@") printf "%s", ups; else print }' \
    >"$RUN/nginx.conf"
"$NGINX" -e "$RUN/nginx-error.log" -p "$RUN" -c "$RUN/nginx.conf" -g "daemon off;" &
pids+=($!)
echo "quantviz: $K replicas behind http://127.0.0.1:$PORT (logs in $RUN); Ctrl-C stops"
wait -n "${pids[@]}" || true
echo "a process of the deployment ended; stopping the rest" >&2
