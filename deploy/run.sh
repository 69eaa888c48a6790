#!/usr/bin/env bash
# Serve quantviz to a big class: K Streamlit replicas behind nginx, sticky by cookie.
#
#   deploy/run.sh K PORT [ADDRESS]   e.g. deploy/run.sh 2 8600, then open http://127.0.0.1:8600
#
# Starts K replicas (`streamlit run app.py` on PORT+1 … PORT+K, 127.0.0.1 only) and nginx
# on ADDRESS:PORT in front of them (deploy/nginx.conf.template: one browser stays on one
# replica, websockets proxied). ADDRESS is 127.0.0.1 unless given: pass the school's
# address of this machine (e.g. 10.0.0.5) to serve the network, with TLS in front
# (docs/SECURITY.md). Runs in the foreground; Ctrl-C (or SIGTERM) stops nginx and every
# replica. A replica that dies is started again (its students are moved to another
# replica meanwhile); run.sh stops only when nginx ends or a replica's port is taken.
#
# Needs nginx (Debian: apt-get install nginx; no root needed) and the project's venv
# (.venv) or STREAMLIT=/path/to/streamlit. Logs, pid files and nginx's temporary files go
# to a new private directory per run, /tmp/quantviz-deploy-PORT.XXXXXX (mode 0700, files
# 0600), or to QUANTVIZ_RUN_DIR: created if missing, else used only if it is a directory
# of this user with mode 0700 (not a symlink). QUANTVIZ_REPLICA_HEADER=1 adds an
# X-Replica header naming the replica that answered (for benchmarks/bench_class.py).
# Sizing: one replica per core; README, "Serving a class", has the measured rule.
set -euo pipefail
umask 077

usage="usage: deploy/run.sh K PORT [ADDRESS]"
K=${1:?$usage}
PORT=${2:?$usage}
ADDRESS=${3:-127.0.0.1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STREAMLIT=${STREAMLIT:-$ROOT/.venv/bin/streamlit}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

die() { echo "deploy/run.sh: $*" >&2; exit 1; }
say() { echo "$(date +%H:%M:%S) $*" >&2; }

[[ $K =~ ^[1-9][0-9]?$ ]] || die "K must be a number of replicas from 1 to 99 ($usage)"
[[ $PORT =~ ^[1-9][0-9]{0,4}$ ]] && ((PORT + K <= 65535)) \
    || die "PORT must be a port number with PORT+K at most 65535 ($usage)"
[[ $ADDRESS =~ ^[0-9.]+$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$ ]] \
    || die "ADDRESS must be an IP address of this machine, such as 10.0.0.5 ($usage)"
[ -x "$NGINX" ] || die "nginx not found (apt-get install nginx)"
[ -x "$STREAMLIT" ] || die "streamlit not found at $STREAMLIT"
# Streamlit's frontend files (/static/), sent by nginx itself: the same bytes in every replica.
static=$("$(dirname "$STREAMLIT")/python" -c 'import importlib.util as u
print(u.find_spec("streamlit").submodule_search_locations[0] + "/static/static")') \
    || die "cannot find streamlit's frontend files next to $STREAMLIT"
[[ $static =~ ^[A-Za-z0-9._/+-]+$ ]] && [ -d "$static/js" ] \
    || die "streamlit's frontend files are not at a plain path ($static)"
listen=$ADDRESS:$PORT
[[ $ADDRESS == *:* ]] && listen="[$ADDRESS]:$PORT"

# ---------------------------------------------------------------- the run directory
# Private, and never a path someone else prepared: a pre-created symlink in a reused
# directory would make the logs overwrite a file of the user's.
if [ -n "${QUANTVIZ_RUN_DIR:-}" ]; then
    RUN=$QUANTVIZ_RUN_DIR
    [[ $RUN =~ ^[A-Za-z0-9._/+-]+$ ]] \
        || die "QUANTVIZ_RUN_DIR may hold only letters, digits and . _ / + - ($RUN)"
    [[ $RUN == /* ]] || RUN=$PWD/$RUN
    while [[ $RUN == */ && $RUN != / ]]; do RUN=${RUN%/}; done
    # Its parent must not let another user swap it: this user's, or root's and sticky.
    parent=$(dirname "$RUN")
    [ -d "$parent" ] || die "$parent does not exist"
    perm=$(stat -L -c %A "$parent") owner=$(stat -L -c %u "$parent")
    { [ "$owner" = "$(id -u)" ] || [ "$owner" = 0 ]; } \
        && { [[ ${perm:5:1}${perm:8:1} == -- ]] || [[ ${perm:9:1} == [tT] ]]; } \
        || die "$parent can be changed by other users: choose a directory of your own"
    mkdir -m 700 "$RUN" 2>/dev/null || true
    [ ! -L "$RUN" ] && [ -d "$RUN" ] || die "$RUN is not a directory (or is a symlink)"
    [ "$(stat -c %u "$RUN")" = "$(id -u)" ] || die "$RUN belongs to another user"
    [ "$(stat -c %a "$RUN")" = 700 ] \
        || die "$RUN has mode $(stat -c %a "$RUN"); it must be private: chmod 700 $RUN"
    # What an earlier run left, and anything planted under its names, goes (rm does not
    # follow symlinks); every file below is then created new by this run.
    rm -rf -- "$RUN"/nginx.conf "$RUN"/nginx.pid "$RUN"/nginx-*.log "$RUN"/replica-* \
        "$RUN"/client_body "$RUN"/proxy "$RUN"/fastcgi "$RUN"/uwsgi "$RUN"/scgi
else
    RUN=$(mktemp -d "${TMPDIR:-/tmp}/quantviz-deploy-$PORT.XXXXXX")
fi
set -o noclobber # `>` never opens an existing file (nor a symlink) from here on

# A replica's port held by another program would receive the students nginx sends there.
port_open() { (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in $(seq "$((PORT + 1))" "$((PORT + K))"); do
    port_open "$port" && die "port $port is already in use: choose another PORT"
done

# One BLAS thread per replica: each student's rerun is a thread of its own, and OpenBLAS's
# own threads spin against them (measured: one 11.7 M-value quantize 0.2 s alone, 9-18 s
# on a loaded 2-core machine). Parallelism comes from replicas, one per core.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

# ---------------------------------------------------------------- replicas, supervised
# One loop per replica: start it, wait for it to end, start it again 1 s later (up to
# 30 s while it keeps dying within 10 s of its start). Meanwhile nginx sends its students
# to another replica.
# Once a replica answers, it runs the page once for nobody (Streamlit's script health check,
# 127.0.0.1 only: nginx refuses it from outside): the imports, the default tensor and its
# rooms' caches are then ready before the first student (~0.8 s of CPU off a first page).
warm_up() { # warm_up PORT
    for _ in $(seq 1 120); do
        curl -fs "http://127.0.0.1:$1/_stcore/health" >/dev/null 2>&1 && break
        sleep 0.5
    done
    curl -fs --max-time 120 "http://127.0.0.1:$1/_stcore/script-health-check" >/dev/null 2>&1 \
        || say "replica on port $1: the page's warm-up run did not answer ok"
}

supervise() { # supervise I PORT
    local i=$1 port=$2 pid=0 warm=0 status started delay=1
    # (a warm-up long finished cannot be killed: "|| true", or set -e would end the trap)
    trap '[ "$warm" -gt 0 ] && { kill "$warm" 2>/dev/null || true; }
          [ "$pid" -gt 0 ] && kill "$pid" 2>/dev/null; wait; exit 0' TERM
    while kill -0 "$main" 2>/dev/null; do # run.sh itself killed: no more restarts
        if port_open "$port"; then
            say "replica $i: port $port was taken by another program; stopping, so that" \
                "no student is sent to it"
            exit 3
        fi
        started=$SECONDS
        (cd "$ROOT" && exec "$STREAMLIT" run app.py --server.headless true \
            --server.address 127.0.0.1 --server.port "$port" \
            --server.trustedUserHeaders '{"X-Quantviz-Browser": "browser"}' \
            --server.scriptHealthCheckEnabled true \
            --logger.level error) >>"$RUN/replica-$i.log" 2>&1 &
        pid=$!
        echo "$pid" >|"$RUN/replica-$i.pid"
        warm_up "$port" &
        warm=$!
        status=0
        wait "$pid" 2>/dev/null || status=$? # (bash's own "Killed" line: said below)
        pid=0
        ((SECONDS - started < 10)) || delay=1
        how="status $status"
        ((status > 128)) && how="killed by signal $((status - 128))"
        say "replica $i (port $port) ended ($how); starting it again in ${delay} s"
        sleep "$delay" &
        wait $! || true
        delay=$((delay * 2 > 30 ? 30 : delay * 2))
    done
}

main=$$
pids=()
stop() {
    trap - EXIT
    trap '' INT TERM # a second Ctrl-C must not cut the stopping short
    [ -f "$RUN/nginx.pid" ] && kill "$(cat "$RUN/nginx.pid")" 2>/dev/null || true
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -f "$RUN/nginx.pid" "$RUN"/replica-*.pid
}
trap stop EXIT
trap 'stop; exit 0' INT TERM

for i in $(seq 1 "$K"); do
    : >"$RUN/replica-$i.log"
    supervise "$i" "$((PORT + i))" &
    pids+=($!)
done

for i in $(seq 1 "$K"); do
    port=$((PORT + i))
    for _ in $(seq 1 120); do
        curl -fs "http://127.0.0.1:$port/_stcore/health" >/dev/null 2>&1 && break
        sleep 0.5
    done
    curl -fs "http://127.0.0.1:$port/_stcore/health" >/dev/null \
        || die "replica $i did not start: $RUN/replica-$i.log"
done

# ---------------------------------------------------------------- nginx
# Each replica gets a token for this run (the value of its qv_replica cookie) and an
# upstream that lists it first and the others as backups; a new browser goes to
# "quantviz", the replica with the fewest connections.
token() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
server_line() { echo "        server 127.0.0.1:$1 max_fails=1 fail_timeout=5s${2:-};"; }
cookie="Path=/; HttpOnly; SameSite=Lax"
upstreams="    upstream quantviz {"$'\n'"        least_conn;"$'\n' pins="" pin_cookies=""
for i in $(seq 1 "$K"); do upstreams+=$(server_line "$((PORT + i))")$'\n'; done
upstreams+="    }"$'\n'
for i in $(seq 1 "$K"); do
    t=$(token) port=$((PORT + i))
    pins+="        $t  qv_r$i;"$'\n'
    pin_cookies+="        \"~(^|, )127\\.0\\.0\\.1:$port\$\"  \"qv_replica=$t; $cookie\";"$'\n'
    upstreams+="    upstream qv_r$i {"$'\n'$(server_line "$port")$'\n'
    for j in $(seq 1 "$K"); do
        [ "$j" = "$i" ] || upstreams+=$(server_line "$((PORT + j))" " backup")$'\n'
    done
    upstreams+="    }"$'\n'
done
header="" # which replica answered: only for benchmarks/bench_class.py
[ "${QUANTVIZ_REPLICA_HEADER:-}" = 1 ] \
    && header="        add_header X-Replica \$upstream_addr always;"

RUN_DIR=$RUN LISTEN=$listen UPSTREAMS=$upstreams PINS=$pins PIN_COOKIES=$pin_cookies \
    REPLICA_HEADER=$header STATIC=$static awk '
    /^@[A-Z_]+@$/ { name = substr($0, 2, length($0) - 2); printf "%s", ENVIRON[name]; next }
    { gsub(/@RUN@/, ENVIRON["RUN_DIR"]); gsub(/@LISTEN@/, ENVIRON["LISTEN"])
      gsub(/@STATIC@/, ENVIRON["STATIC"]); print }
' "$ROOT/deploy/nginx.conf.template" >"$RUN/nginx.conf"

"$NGINX" -e "$RUN/nginx-error.log" -p "$RUN" -c "$RUN/nginx.conf" -g "daemon off;" &
pids+=($!)
echo "quantviz: $K replicas behind http://$listen (logs in $RUN); Ctrl-C stops"
status=0
wait -n "${pids[@]}" || status=$?
say "nginx or a replica's supervisor ended (status $status); stopping the rest"
exit 1
