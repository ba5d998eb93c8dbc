#!/usr/bin/env bash
#
# bench/run.sh
#	The notify_ext benchmark suite, as root:  bash bench/run.sh [--quick]
#
#	Installs what is missing (scripts/lib.sh, plus gnuplot-nox for the
#	chart), builds and installs notify_ext, starts a throwaway cluster, a
#	loopback nginx sink and the timestamping test receiver, and runs:
#
#	  capture   pgbench INSERT / UPDATE throughput, no trigger (baseline) vs
#	            one matching HTTP notification vs ten definitions of which
#	            one matches, delivery worker on (plus trigger-only runs with
#	            the worker paused, for reference)
#	  keep-up   undelivered count sampled every second during those runs
#	  drain     a backlog delivered to nginx (events/s, first to last delivery)
#	  scale     a 10x larger backlog, then retention and the outbox size
#	  memory    the worker's private memory (RssAnon) during the drains
#	  latency   commit -> receipt at 1,000 events/s offered
#	  sqs       a backlog delivered to local-aws-sqs (events/s): one
#	            SendMessage per event (an event per lane, in parallel), and
#	            SendMessageBatch (one thread group: batches of ten, in turn)
#	  sync      pgbench INSERT throughput with one synchronous HTTP
#	            notification to the nginx sink (each commit waits for its
#	            answer)
#	  ingest    the S3 ingest poller against s3rver and local-aws-sqs
#	            (test/peers/s3-sqs-peer.js): a scan of a bucket of
#	            INGEST_OBJECTS objects (objects/s, the poller's RssAnon at
#	            its end), then INGEST_EVENTS S3 event messages waiting in
#	            the queue applied to notify.file (events/s)
#	  isolation commit -> receipt of the latency run's notification while
#	            a second notification's endpoint hangs, refuses connections
#	            or answers 500
#	  commit    pgbench INSERT / UPDATE throughput at synchronous_commit =
#	            on (every other run has it off): no trigger vs one matching
#	            notification with the worker's own commits synchronous
#	            (notify_ext.worker_synchronous_commit = on) vs asynchronous
#	            (the default), back to back
#	  rate      sustainable rate: pgbench --rate=R INSERT runs at a series
#	            of offered rates (RATE_RATES), one HTTP notification to the
#	            nginx sink, which logs each request's arrival; per rate the
#	            achieved and delivered rates, the largest backlog and the
#	            commit -> receipt p50/p99; the sustainable rate is the
#	            highest offered rate whose run kept pace (achieved >= 95 %
#	            of offered), kept its backlog under one second of events,
#	            had every event received and p99 <= 25 ms
#
#	It prints a table of figures with baseline and target beside each, and
#	writes bench/out/results.json and bench/out/chart.png.  Everything it
#	starts is stopped on exit.  See bench/README.md.
#
#	--quick	tiny counts and durations (under a minute): a smoke test.  Exits 0
#			when every scenario ran, whether or not targets were met.
#	Full run (no flag, about 10 minutes): exits 0 when every target was
#	met, 3 when the scenarios ran but a target was not met.  Any other
#	non-zero exit means something broke.
#
#	--only=sqs	run the sqs scenario alone and print its figures (no
#			table, no targets).
#	--only=sync	run only the sync scenario (with the sizes of the mode) and
#			print its figures, without the table and chart.
#	--only=ingest	run only the ingest scenario (with the sizes of the mode)
#			and print its figures, without the table and chart.
#	--only=commit	run only the commit scenario and print its figures.
#	--only=isolation	run only the latency and isolation scenarios and
#			print their percentiles.
#	--only=drain	run only the small drain, with one and with two delivery
#			processes (with the size of the mode), and
#			print its rate and the worker's CPU per delivered event.
#	--only=rate	run only the rate scenario (the rates of the mode) and
#			print its curve and the sustainable rate.
#	--only=profile	run the small drain under perf (installs linux-perf)
#			and print where the delivery worker's CPU went: by
#			binary, and the claim, record, dispatch and TCP steps
#			with what they call.  The samples stay in
#			bench/out/perf.drain.
#
#	Environment: BENCH_KEEP=1 keeps the scratch directory (cluster data,
#	server log) under /tmp; BENCH_CAPTURE_SECONDS=N sets the length of each
#	pgbench capture run; PG_CONFIG as for scripts/lib.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# the server and pgbench of the installation PG_CONFIG names (the one built
# and installed into below)
if [[ -x $NX_PG_CONFIG ]]; then
	NX_PG_BIN=$("$NX_PG_CONFIG" --bindir)
fi

T_START=$(date +%s%3N)
MODE=full
ONLY=
for a in "$@"; do
	case $a in
		--quick) MODE=quick ;;
		--only=sqs) ONLY=sqs ;;
		--only=sync) ONLY=sync ;;
		--only=ingest) ONLY=ingest ;;
		--only=commit) ONLY=commit ;;
		--only=drain) ONLY=drain ;;
		--only=isolation) ONLY=isolation ;;
		--only=rate) ONLY=rate ;;
		--only=profile) ONLY=profile ;;
		-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^#\t\{0,1\}//'; exit 0 ;;
		*) nx_die "unknown argument: $a (usage: bench/run.sh [--quick] [--only=sqs|sync|ingest|commit|drain|isolation|rate|profile])" ;;
	esac
done

# --- sizes -------------------------------------------------------------------
if [[ $MODE == quick ]]; then
	CAPTURE_SECONDS=2		# each pgbench capture run
	UPDATE_ROWS=10000		# rows the UPDATE runs pick from
	DRAIN_SMALL=5000		# drain scenario backlog
	DRAIN_LARGE=20000		# scale scenario backlog
	LATENCY_SECONDS=2
	SETTLE_TIMEOUT=15		# longest wait for a drain backlog to be delivered
	KEEPUP_SETTLE=1			# longest wait after a capture run for its events
	VACUUM_WAIT=0			# no wait for autovacuum after the purge
	REFERENCE_RUNS=0		# no trigger-only (worker paused) runs
	SQS_EVENTS=2000			# sqs scenario backlog (each of two runs)
	INGEST_OBJECTS=2000		# objects in the scanned bucket
	INGEST_EVENTS=2000		# S3 event messages waiting in the queue
	ISOLATION_SECONDS=2		# each isolation run
	RATE_RATES="500 1000"	# rate scenario: offered rates (events/s)
	RATE_SECONDS=2			# each rate run
	RATE_SETTLE=15			# longest wait for a rate run's backlog
else
	CAPTURE_SECONDS=20
	UPDATE_ROWS=100000
	DRAIN_SMALL=100000
	DRAIN_LARGE=1000000
	LATENCY_SECONDS=30
	SETTLE_TIMEOUT=180
	KEEPUP_SETTLE=30
	VACUUM_WAIT=90
	REFERENCE_RUNS=1
	SQS_EVENTS=20000
	INGEST_OBJECTS=100000
	INGEST_EVENTS=10000
	ISOLATION_SECONDS=15
	RATE_RATES="2000 5000 10000 15000 20000 25000 30000"
	RATE_SECONDS=10
	RATE_SETTLE=30
fi
CAPTURE_SECONDS=${BENCH_CAPTURE_SECONDS:-$CAPTURE_SECONDS}	# override, for single scenarios
CLIENTS=4
THREADS=2
LATENCY_RATE=1000
CHUNK=100000				# backlog rows per inserting transaction

PGBENCH=$NX_PG_BIN/pgbench
PSQL_BIN=$NX_PG_BIN/psql
OUT=$ROOT/bench/out
RAW=$OUT/raw.tsv

# --- dependencies and build ------------------------------------------------------
# pgbench ships with postgresql-15 (already in NX_PACKAGES); nginx-light and
# node (for test/peers/receiver.js) are there too.  The chart needs gnuplot.
NX_PACKAGES+=(gnuplot-nox)
[[ $ONLY == profile ]] && NX_PACKAGES+=(linux-perf)
cd "$ROOT"
nx_install_deps
nx_build_install || nx_die "build or install failed"
[[ -x $PGBENCH ]] || nx_die "$PGBENCH not found (it comes with postgresql-15)"
command -v node >/dev/null || nx_die "node not found"
command -v nginx >/dev/null || nx_die "nginx not found (nginx-light)"
command -v gnuplot >/dev/null || nx_log "warning: gnuplot not found: no chart"

# --- scratch directory, ports, cleanup --------------------------------------------
WORK=$(mktemp -d /tmp/notify_ext_bench.XXXXXX)
chmod 755 "$WORK"
if nx_is_root; then
	chown "$NX_OS_USER": "$WORK"
fi
export NX_OWNER_HOME=$WORK
DATA=$WORK/data
PGLOG=$WORK/server.log
mkdir -p "$OUT"
rm -f "$OUT"/*.csv "$OUT"/*.log "$OUT"/*.tsv "$OUT"/*.json "$OUT"/*.png "$OUT"/*.dat "$OUT"/*.gp "$OUT"/*.txt
: >"$RAW"

BG_PIDS=()
PG_STARTED=0

# spawn CMD...: run CMD (a command or a function) in the background in a
# process group of its own, so that bg_stop ends it with everything it
# started (runuser, psql, node, nginx); sets SPAWNED to the group's id.
spawn() {
	set -m
	"$@" &
	SPAWNED=$!
	set +m
	BG_PIDS+=("$SPAWNED")
}
bg_stop() {
	kill -TERM -- "-$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

cleanup() {
	local rc=$? p alive
	set +e
	for p in "${BG_PIDS[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null
	done
	for _ in $(seq 1 30); do		# give runuser & co. a moment to exit
		alive=0
		for p in "${BG_PIDS[@]}"; do
			kill -0 -- "-$p" 2>/dev/null && alive=1
		done
		[[ $alive -eq 0 ]] && break
		sleep 0.1
	done
	if [[ $PG_STARTED -eq 1 ]]; then
		nx_as_owner "$NX_PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1
	fi
	wait 2>/dev/null
	if [[ $rc -ne 0 && $rc -ne 3 && -f $PGLOG ]]; then
		cp "$PGLOG" "$OUT/server.log" 2>/dev/null
		echo "bench: failed (exit $rc); server log copied to $OUT/server.log" >&2
	fi
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		echo "bench: scratch directory kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

phase() { nx_log "[$(( ($(date +%s%3N) - T_START) / 1000 ))s] $*"; }
raw() { printf '%s\t%s\n' "$1" "$2" >>"$RAW"; }
now_ms() { date +%s%3N; }

# --- the cluster ---------------------------------------------------------------
PGPORT=$(nx_free_port) || nx_die "no free port"
phase "initdb $DATA (port $PGPORT)"
nx_as_owner "$NX_PG_BIN/initdb" -D "$DATA" --auth-local=trust --auth-host=reject \
	-E UTF8 --no-instructions >"$WORK/initdb.log" 2>&1 ||
	{ cat "$WORK/initdb.log" >&2; nx_die "initdb failed"; }
nx_as_owner tee -a "$DATA/postgresql.conf" >/dev/null <<EOF

# notify_ext benchmark (bench/run.sh)
port = $PGPORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK'
shared_preload_libraries = 'notify_ext'
synchronous_commit = off		# every run, baseline included
shared_buffers = 1GB
max_wal_size = 8GB
checkpoint_timeout = 30min
max_connections = 40
notify_ext.databases = 'bench'
notify_ext.launcher_naptime = '1s'
EOF

pg_start() {
	nx_as_owner "$NX_PG_BIN/pg_ctl" -D "$DATA" -l "$PGLOG" -w start >/dev/null ||
		{ tail -n 30 "$PGLOG" >&2; nx_die "the cluster did not start"; }
	PG_STARTED=1
}
phase "starting the cluster (synchronous_commit = off)"
pg_start

PSQL=("$PSQL_BIN" -X -qAt -v ON_ERROR_STOP=1 -h "$WORK" -p "$PGPORT")
sqlq() { nx_as_owner "${PSQL[@]}" -d bench -c "$1"; }

nx_as_owner "${PSQL[@]}" -d postgres -c "CREATE DATABASE bench" >/dev/null

# --- the nginx sink ------------------------------------------------------------
NGPORT=$(nx_free_port) || nx_die "no free port"
mkdir -p "$WORK/nginx/tmp"
cat >"$WORK/nginx/nginx.conf" <<EOF
# loopback sink: 1 worker, every request answered 204, no access log
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 600s;
  # rate scenario: event id and arrival time (s, ms resolution) per request
  log_format rate '\$http_x_notify_event_id,\$msec';
  server {
    listen 127.0.0.1:$NGPORT reuseport backlog=4096;
    location / { return 204; }
    location /fail { return 500; }
    location /rate { access_log $WORK/nginx/rate.log rate buffer=256k flush=1s; return 204; }
    location = /_status { stub_status; }
  }
}
EOF
if nx_is_root; then
	chown -R "$NX_OS_USER": "$WORK/nginx"
fi
phase "nginx sink on 127.0.0.1:$NGPORT"
spawn nx_as_owner nginx -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" \
	>"$WORK/nginx/stdout.log" 2>&1

# nginx_requests: requests nginx has handled (stub_status), this query included
nginx_requests() {
	local line n=
	exec 9<>"/dev/tcp/127.0.0.1/$NGPORT" || return 1
	printf 'GET /_status HTTP/1.0\r\nHost: sink\r\n\r\n' >&9
	while IFS= read -r line <&9; do
		line=${line%$'\r'}
		if [[ $line =~ ^\ *([0-9]+)\ +([0-9]+)\ +([0-9]+)\ *$ ]]; then
			n=${BASH_REMATCH[3]}
		fi
	done
	exec 9<&-
	[[ -n $n ]] && echo "$n"
}
for _ in $(seq 1 50); do
	nginx_requests >/dev/null 2>&1 && break
	sleep 0.1
done
nginx_requests >/dev/null 2>&1 || { cat "$WORK/nginx/error.log" >&2; nx_die "nginx did not start"; }

# --- the timestamping receiver (latency) ------------------------------------------
RECV_LOG=$WORK/receiver.jsonl
spawn nx_as_owner node "$ROOT/test/peers/receiver.js" 0 "$RECV_LOG" --max-seconds 3600 \
	>"$WORK/receiver.out" 2>&1
for _ in $(seq 1 100); do
	grep -q '^ready' "$WORK/receiver.out" 2>/dev/null && break
	sleep 0.1
done
RPORT=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$WORK/receiver.out")
[[ -n $RPORT ]] || { cat "$WORK/receiver.out" >&2; nx_die "receiver did not start"; }
phase "receiver (test/peers/receiver.js) on 127.0.0.1:$RPORT"

# --- the bench database ------------------------------------------------------------
# A four-column item table, attached as an item table: INSERT raises
# item.create, UPDATE of n raises metadata.modify (field n).
sqlq "
CREATE EXTENSION notify_ext;
CREATE SCHEMA bench;
CREATE TABLE bench.item (
	id		bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	title	text NOT NULL,
	n		integer NOT NULL DEFAULT 0,
	updated	timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO bench.item (title, n) SELECT 'item ' || g, 0 FROM generate_series(1, $UPDATE_ROWS) g;
CREATE TABLE bench.recv (event_id uuid, t double precision);
"
sqlq "VACUUM ANALYZE bench.item"
cat >"$WORK/insert.sql" <<'EOF'
INSERT INTO bench.item (title, n) VALUES ('bench', 1);
EOF
cat >"$WORK/update.sql" <<'EOF'
\set id random(1, :rows)
UPDATE bench.item SET n = n + 1 WHERE id = :id;
EOF

raw meta.mode "$MODE"
raw meta.commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
raw meta.worktree "$(if [[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no -- src sql 2>/dev/null) ]]; then echo "with uncommitted changes in src/ or sql/"; else echo clean; fi)"
raw meta.loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
raw meta.cores "$(nproc)"
raw meta.cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
raw meta.postgres "$(sqlq 'SHOW server_version')"
raw meta.clients "$CLIENTS"
raw meta.threads "$THREADS"
raw meta.capture_seconds "$CAPTURE_SECONDS"
raw meta.update_rows "$UPDATE_ROWS"
raw meta.max_inflight "$(sqlq 'SHOW notify_ext.max_inflight')"
raw meta.max_host_connections "$(sqlq 'SHOW notify_ext.max_host_connections')"
raw meta.batch_size "$(sqlq 'SHOW notify_ext.batch_size')"
raw meta.shared_buffers "$(sqlq 'SHOW shared_buffers')"

# --- helpers: worker, definitions, state ---------------------------------------------
worker_pid() {		# the delivery processes' pids, comma-separated, oldest first
	sqlq "SELECT string_agg(pid::text, ',' ORDER BY backend_start) FROM pg_stat_activity WHERE backend_type = 'notify_ext worker' AND datname = 'bench'"
}
DELIVERY_PROCS=1	# notify_ext.delivery_processes of the running server

wait_worker() {		# wait_worker present|absent
	local i pid
	for i in $(seq 1 150); do
		pid=$(worker_pid)
		if [[ $1 == present && -n $pid ]] || [[ $1 == absent && -z $pid ]]; then
			[[ $1 == present ]] && echo "$pid"
			return 0
		fi
		sleep 0.1
	done
	nx_die "the delivery worker is not $1 after 15 s"
}

worker_pause() {
	sqlq "ALTER SYSTEM SET notify_ext.databases = 'none'" >/dev/null
	sqlq "SELECT pg_reload_conf()" >/dev/null
	wait_worker absent
}

# The launcher starts the worker again at its next look at the databases;
# a commit that asks for a wake-up (notify.wake(), which captures nothing)
# makes it look at once, as the first capture after a pause would.
worker_resume() {	# prints the new workers' pids (all DELIVERY_PROCS of them)
	local i pid
	sqlq "ALTER SYSTEM SET notify_ext.databases = 'bench'" >/dev/null
	sqlq "SELECT pg_reload_conf()" >/dev/null
	for i in $(seq 1 150); do
		if (( i % 5 == 1 )); then
			sqlq "SELECT notify.wake()" >/dev/null
		fi
		pid=$(worker_pid)
		if [[ -n $pid && $(tr ',' '\n' <<<"$pid" | wc -l) -ge $DELIVERY_PROCS ]]; then
			echo "$pid"
			return 0
		fi
		sleep 0.1
	done
	nx_die "the delivery worker did not start within 15 s"
}

set_setting() {		# set_setting name value|DEFAULT
	if [[ $2 == DEFAULT ]]; then
		sqlq "ALTER SYSTEM RESET $1" >/dev/null
	else
		sqlq "ALTER SYSTEM SET $1 = '$2'" >/dev/null
	fi
	sqlq "SELECT pg_reload_conf()" >/dev/null
}

# delivery_processes N: restart the server with notify_ext.delivery_processes
# = N (DEFAULT: reset) and wait for its delivery processes
delivery_processes() {
	phase "restart with notify_ext.delivery_processes = $1"
	if [[ $1 == DEFAULT ]]; then
		sqlq "ALTER SYSTEM RESET notify_ext.delivery_processes" >/dev/null
		DELIVERY_PROCS=1
	else
		sqlq "ALTER SYSTEM SET notify_ext.delivery_processes = $1" >/dev/null
		DELIVERY_PROCS=$1
	fi
	nx_as_owner "$NX_PG_BIN/pg_ctl" -D "$DATA" -l "$PGLOG" -m fast -w restart >/dev/null ||
		{ tail -n 30 "$PGLOG" >&2; nx_die "restart failed"; }
	worker_resume >/dev/null
}

doc() {				# doc URL TRIGGER-XML
	printf '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><http synchronous="false"><url>%s</url><method>POST</method><timeout>5</timeout><retry>3</retry><contentType>application/json</contentType></http></action><trigger>%s</trigger></NotificationDocument>' "$1" "$2"
}
doc_sync() {		# doc_sync URL TRIGGER-XML: the same, synchronous="true"
	doc "$1" "$2" | sed 's/synchronous="false"/synchronous="true"/'
}
T_CREATE='<item><create/></item>'
T_MODIFY='<metadata><modify/></metadata>'
SINK_URL="http://127.0.0.1:$NGPORT/sink"

# definitions none | match-create | match-modify | ten-create | ten-modify | latency
# "ten-X": one resource-wide X (matches every row) and nine that do not
# match: four X scoped to other entities (looked up, refused by scope), the
# other item event, item delete, collection create, storage create, file new.
definitions() {
	local kind=$1 e other i sql
	sql="SELECT notify.delete_notification(resource, id) FROM notify.notification;"
	case $kind in
		none) ;;
		match-create) sql+="SELECT notify.create_notification('item', '$(doc "$SINK_URL/item" "$T_CREATE")');" ;;
		match-modify) sql+="SELECT notify.create_notification('item', '$(doc "$SINK_URL/item" "$T_MODIFY")');" ;;
		ten-create|ten-modify)
			if [[ $kind == ten-create ]]; then e=$T_CREATE other=$T_MODIFY; else e=$T_MODIFY other=$T_CREATE; fi
			sql+="SELECT notify.create_notification('item', '$(doc "$SINK_URL/item" "$e")');"
			for i in 1 2 3 4; do
				sql+="SELECT notify.create_notification('item', 'VX-$((900000000 + i))', '$(doc "$SINK_URL/scoped$i" "$e")');"
			done
			sql+="SELECT notify.create_notification('item', '$(doc "$SINK_URL/other" "$other")');"
			sql+="SELECT notify.create_notification('item', '$(doc "$SINK_URL/delete" '<item><delete/></item>')');"
			sql+="SELECT notify.create_notification('collection', '$(doc "$SINK_URL/collection" '<collection><create/></collection>')');"
			sql+="SELECT notify.create_notification('storage', '$(doc "$SINK_URL/storage" '<storage><create/></storage>')');"
			sql+="SELECT notify.create_notification('file', '$(doc "$SINK_URL/file" '<file><new/></file>')');"
			;;
		latency) sql+="SELECT notify.create_notification('item', '$(doc "http://127.0.0.1:$RPORT/hook/latency" "$T_CREATE")');" ;;
		rate) sql+="SELECT notify.create_notification('item', '$(doc "http://127.0.0.1:$NGPORT/rate" "$T_CREATE")');" ;;
		sync-create) sql+="SELECT notify.create_notification('item', '$(doc_sync "$SINK_URL/sync" "$T_CREATE")');" ;;
		*) nx_die "unknown definitions $kind" ;;
	esac
	sqlq "$sql" >/dev/null
	[[ $kind == none ]] || [[ $(sqlq "SELECT count(*) FROM notify.notification") -ge 1 ]]
}

# fresh_state DEFINITIONS ATTACH(yes|no) WORKER(on|off): with the worker
# paused (so that nothing a run left in its memory spills into the next)
# and no capture trigger, the item table is put back to its initial rows,
# the outbox emptied (TRUNCATE: its statistics become "unknown", as on a
# new install), then the definitions, the trigger, statistics of the item
# table, a checkpoint, and the worker started again when WORKER is on.
fresh_state() {
	worker_pause
	sqlq "SELECT notify.detach('bench.item')" >/dev/null 2>&1
	sqlq "DELETE FROM bench.item WHERE id > $UPDATE_ROWS" >/dev/null
	sqlq "TRUNCATE notify.outbox, notify.attempt" >/dev/null
	definitions "$1"
	if [[ $2 == yes ]]; then
		sqlq "SELECT notify.attach('bench.item', 'item', 'id')" >/dev/null
	fi
	sqlq "VACUUM ANALYZE bench.item" >/dev/null
	sqlq "CHECKPOINT" >/dev/null
	if [[ $3 == on ]]; then
		worker_resume >/dev/null
	fi
}

# undelivered events, counted through the primary key so that this query
# adds no sequential scan of the outbox to the statistics
undelivered() {
	sqlq "SET enable_seqscan = off; SELECT count(*) FROM notify.outbox WHERE id > 0 AND status IN ('pending', 'in_flight')"
}

# wait_delivered TIMEOUT: until nothing is pending or in flight; prints seconds waited
wait_delivered() {
	local t0 t
	t0=$(now_ms)
	while [[ $(undelivered) -gt 0 ]]; do
		t=$(now_ms)
		if (( t - t0 > $1 * 1000 )); then
			nx_log "warning: events still undelivered after $1 s"
			break
		fi
		sleep 0.5
	done
	echo $(( $(now_ms) - t0 ))
}

pgbench_field() {	# pgbench_field LOG REGEX: first capture group
	sed -n "s/$2/\1/p" "$1" | head -n 1
}

# cpu_ticks PIDS: "worker;nginx;machine" CPU time used so far, in clock
# ticks: utime+stime of the comma-separated PIDS (the delivery processes),
# of the nginx worker, and non-idle time of the whole machine (all
# processes, other sessions' included)
cpu_ticks() {
	local w=0 n m ngw p t
	for p in ${1//,/ }; do
		t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
		w=$(( w + t ))
	done
	ngw=$(pgrep -P "$(cat "$WORK/nginx/nginx.pid")" | head -n 1)
	n=$(awk '{print $14 + $15}' "/proc/$ngw/stat" 2>/dev/null || echo 0)
	m=$(awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat)
	echo "$w;$n;$m"
}
cpu_diff() { awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b - a) / hz}'; }

# --- capture and keep-up ---------------------------------------------------------
# The sampler counts through the primary key (enable_seqscan off), so that
# the sequential scans of the outbox counted meanwhile are the worker's.
cat >"$WORK/keepup.sql" <<'EOF'
SET enable_seqscan = off;
SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms,
       count(*) FILTER (WHERE status IN ('pending', 'in_flight')) AS undelivered,
       count(*) FILTER (WHERE status = 'delivered') AS delivered,
       count(*) AS captured
  FROM notify.outbox WHERE id > 0 \watch 1
EOF

outbox_scans() {	# sequential scans of the outbox so far, and the rows they read
	sqlq "SELECT seq_scan || ' ' || seq_tup_read FROM pg_stat_user_tables WHERE relid = 'notify.outbox'::regclass"
}

# capture_run NAME STATEMENT(insert|update) DEFINITIONS WORKER(on|off)
capture_run() {
	local name=$1 stmt=$2 defs=$3 worker=$4 attach=yes log sampler t0 t1 tps n events lat settle scans0 scans1 wpid=0 cpu0 cpu1 wal0
	[[ $defs == none ]] && attach=no
	phase "capture: $name ($stmt, definitions $defs, worker $worker, ${CAPTURE_SECONDS}s)"
	fresh_state "$defs" "$attach" "$worker"
	if [[ $worker == on ]]; then
		wpid=$(worker_pid)
	fi
	scans0=$(outbox_scans)
	wal0=$(sqlq "SELECT wal_sync FROM pg_stat_wal")
	# the undelivered count, once a second, on one connection
	spawn nx_as_owner "${PSQL[@]}" -F, -d bench -f "$WORK/keepup.sql" >"$OUT/keepup_$name.csv" 2>/dev/null
	sampler=$SPAWNED
	log=$OUT/pgbench_$name.log
	cpu0=$(cpu_ticks "$wpid")
	t0=$(now_ms)
	nx_as_owner "$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$THREADS" -T "$CAPTURE_SECONDS" \
		-D rows="$UPDATE_ROWS" -f "$WORK/$stmt.sql" -h "$WORK" -p "$PGPORT" bench >"$log" 2>&1 ||
		{ cat "$log" >&2; nx_die "pgbench failed ($name)"; }
	t1=$(now_ms)
	cpu1=$(cpu_ticks "$wpid")
	# WAL flushes while pgbench ran (pg_stat_wal, every process's)
	raw "capture.$name.wal_sync" "$(( $(sqlq "SELECT wal_sync FROM pg_stat_wal") - wal0 ))"
	# CPU time while pgbench ran: the worker's, and the whole machine's
	raw "capture.$name.cpu_worker_s" "$(cpu_diff "${cpu0%%;*}" "${cpu1%%;*}")"
	raw "capture.$name.cpu_busy_s" "$(cpu_diff "${cpu0##*;}" "${cpu1##*;}")"
	settle=0
	if [[ $worker == on && $attach == yes ]]; then
		settle=$(wait_delivered "$KEEPUP_SETTLE")
	fi
	sleep 1.1			# one more sample; statistics flushed
	bg_stop "$sampler"
	scans1=$(outbox_scans)
	tps=$(pgbench_field "$log" '^tps = \([0-9.]*\) .*')
	n=$(pgbench_field "$log" '^number of transactions actually processed: \([0-9]*\).*')
	lat=$(pgbench_field "$log" '^latency average = \([0-9.]*\) ms')
	[[ -n $tps && -n $n ]] || { cat "$log" >&2; nx_die "could not read pgbench's figures ($name)"; }
	events=$(sqlq "SELECT count(*) FROM notify.outbox")
	raw "capture.$name.tps" "$tps"
	raw "capture.$name.transactions" "$n"
	raw "capture.$name.latency_ms" "$lat"
	raw "capture.$name.events" "$events"
	raw "capture.$name.load_start_ms" "$t0"
	raw "capture.$name.load_end_ms" "$t1"
	raw "capture.$name.worker" "$worker"
	raw "capture.$name.definitions" "$defs"
	raw "capture.$name.outbox_seq_scans" "$(( ${scans1% *} - ${scans0% *} ))"
	raw "capture.$name.outbox_seq_tup_read" "$(( ${scans1#* } - ${scans0#* } ))"
	if [[ $attach == yes && $events -ne $n ]]; then
		nx_die "capture $name: $n transactions but $events outbox rows (one each expected)"
	fi
	if [[ $worker == on && $attach == yes ]]; then
		# delivered during the load window, and when the last one was delivered
		raw "capture.$name.settle_ms" "$settle"
		raw "capture.$name.delivered_in_load" "$(sqlq "SELECT count(*) FROM notify.outbox WHERE status = 'delivered' AND delivered_at <= to_timestamp($t1 / 1000.0)")"
		raw "capture.$name.delivered_total" "$(sqlq "SELECT count(*) FROM notify.outbox WHERE status = 'delivered'")"
		raw "capture.$name.last_delivered_ms" "$(sqlq "SELECT coalesce((extract(epoch FROM max(delivered_at)) * 1000)::bigint, 0) FROM notify.outbox")"
		raw "capture.$name.undelivered_end" "$(undelivered)"
		raw "capture.$name.failed" "$(sqlq "SELECT count(*) FROM notify.outbox WHERE status = 'failed'")"
	fi
}

# --- sqs -----------------------------------------------------------------------------
# local-aws-sqs (test/peers/local-sqs.js, node modules from test/peers) on a
# free port; it checks no signature, so any key does.
sqs_start_peer() {
	if [[ ! -d $ROOT/test/peers/node_modules/local-aws-sqs ]]; then
		(cd "$ROOT/test/peers" && npm ci --no-audit --no-fund --loglevel=error) >&2
	fi
	spawn node "$ROOT/test/peers/local-sqs.js" 0 >"$WORK/sqs.out" 2>&1
	for _ in $(seq 1 100); do
		grep -q '^ready' "$WORK/sqs.out" 2>/dev/null && break
		sleep 0.1
	done
	SQSPORT=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$WORK/sqs.out")
	[[ -n $SQSPORT ]] || { cat "$WORK/sqs.out" >&2; nx_die "local-aws-sqs did not start"; }
	curl -sf -X POST "http://127.0.0.1:$SQSPORT/" -d Action=CreateQueue -d QueueName=bench >/dev/null ||
		nx_die "could not create the bench queue"
	phase "local-aws-sqs on 127.0.0.1:$SQSPORT"
}

# sqs_run NAME GROUP: a backlog of SQS_EVENTS item.create events built with
# the worker paused, then delivered to queue "bench"; GROUP empty: one lane
# per item (SendMessage, in parallel), else that thread group (one lane:
# SendMessageBatch of ten, one batch at a time).  Rate: events delivered
# after the first recorded ones, over first to last delivery.
sqs_run() {
	local name=$1 group=$2 attr='' pid
	phase "sqs: $name ($SQS_EVENTS events to local-aws-sqs)"
	[[ -n $group ]] && attr=" group=\"$group\""
	fresh_state none yes off
	sqlq "SELECT notify.create_notification('item', '<NotificationDocument xmlns=\"http://xml.vidispine.com/schema/vidispine\"><action><sqs synchronous=\"false\"$attr><endpoint>http://127.0.0.1:$SQSPORT</endpoint><queue>bench</queue><accessKey>AKIDBENCH</accessKey><secret>bench</secret><retry>3</retry><contentType>application/json</contentType></sqs></action><trigger>$T_CREATE</trigger></NotificationDocument>')" >/dev/null
	sqlq "INSERT INTO bench.item (title, n) SELECT 'sqs ' || g, g FROM generate_series(1, $SQS_EVENTS) g" >/dev/null
	curl -sf -X POST "http://127.0.0.1:$SQSPORT/" -d Action=PurgeQueue \
		-d "QueueUrl=http://127.0.0.1:$SQSPORT/123456789012/bench" >/dev/null || true
	pid=$(worker_resume)
	raw "sqs.$name.wait_ms" "$(wait_delivered "$SETTLE_TIMEOUT")"
	raw "sqs.$name.events" "$SQS_EVENTS"
	sqlq "
	WITH d AS (SELECT delivered_at FROM notify.outbox WHERE status = 'delivered'),
	     m AS (SELECT min(delivered_at) AS first, max(delivered_at) AS last FROM d)
	SELECT 'delivered', count(*) FROM d
	UNION ALL SELECT 'first_batch', count(*) FROM d, m WHERE d.delivered_at = m.first
	UNION ALL SELECT 'span_ms', round(extract(epoch FROM last - first) * 1000, 1) FROM m
	UNION ALL SELECT 'failed', count(*) FROM notify.outbox WHERE status = 'failed'
	UNION ALL SELECT 'max_attempts', max(attempts) FROM notify.outbox
	" | while IFS='|' read -r k v; do raw "sqs.$name.$k" "$v"; done
	raw "sqs.$name.worker_pid" "$pid"
	raw "sqs.$name.sample_error" "$(sqlq "SELECT coalesce(min(last_error), '') FROM notify.outbox WHERE status = 'failed'")"
}

sqs_scenario() {
	sqs_start_peer
	sqs_run single ''
	sqs_run batched bench
}

if [[ $ONLY == sqs ]]; then
	wait_worker present >/dev/null
	sqs_scenario
	awk -F'\t' '$1 ~ /^sqs\./ { v[$1] = $2 }
		END { for (n in v) if (n ~ /\.span_ms$/) { r = substr(n, 1, length(n) - 8)
			d = v[r ".delivered"] - v[r ".first_batch"]
			printf "%-12s %6d of %6d delivered, %d failed, max attempts %d: %.0f events/s %s\n", r, v[r ".delivered"], v[r ".events"], v[r ".failed"], v[r ".max_attempts"], (v[n] > 0 ? d / (v[n] / 1000) : 0), v[r ".sample_error"] } }' "$RAW"
	exit 0
fi

# --- ingest ---------------------------------------------------------------------------
# sqs_queue_depth PORT QUEUE: ApproximateNumberOfMessages of QUEUE
sqs_queue_depth() {
	curl -sf -X POST "http://127.0.0.1:$1/" -H 'X-Amz-Target: AmazonSQS.GetQueueAttributes' \
		-H 'Content-Type: application/x-amz-json-1.0' \
		-d "{\"QueueUrl\":\"http://127.0.0.1:$1/123456789012/$2\",\"AttributeNames\":[\"All\"]}" |
		sed -n 's/.*"ApproximateNumberOfMessages":"\([0-9]*\)".*/\1/p'
}

# rss_anon_kb PID: RssAnon of PID in kB (empty when it is gone)
rss_anon_kb() { sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }

# ingest_poller_pid: the pid of the bench database's ingest poller, or empty
ingest_poller_pid() {
	sqlq "SELECT pid FROM pg_stat_activity WHERE backend_type = 'notify_ext ingest' AND datname = 'bench'"
}

# ingest_scenario: the S3 ingest poller against s3rver and local-aws-sqs.
# The bucket is filled with INGEST_OBJECTS one-byte objects first (the
# bridge's events of those puts are awaited and purged: not measured).  A
# storage method on it (no queue yet) makes the poller start and scan:
# objects/s is last_scan_objects over last_scan_finished - last_scan_started
# (listing and applying every page), the poller's RssAnon read right
# after.  Then INGEST_EVENTS ObjectCreated:Put messages of new keys are put
# into the queue and the method is given the queue: events/s is that count
# over the time from giving it the queue to the last of their files in
# notify.file, every message received, applied in its transaction and
# deleted.  No notification is defined on files.
ingest_scenario() {
	local s3port sqsport m t0 t1 done_n pid i
	if [[ ! -d $ROOT/test/peers/node_modules/s3rver ]]; then
		(cd "$ROOT/test/peers" && npm ci --no-audit --no-fund --loglevel=error) >&2
	fi
	s3port=$(nx_free_port) || nx_die "no free port"
	sqsport=$(nx_free_port) || nx_die "no free port"
	mkdir -p "$WORK/s3"
	spawn node --openssl-legacy-provider --no-warnings "$ROOT/test/peers/s3-sqs-peer.js" \
		"$s3port" "$sqsport" bench-events bench-bkt "$WORK/s3" >"$WORK/s3.out" 2>&1
	for _ in $(seq 1 100); do
		grep -q '^ready' "$WORK/s3.out" 2>/dev/null && break
		sleep 0.1
	done
	grep -q '^ready' "$WORK/s3.out" || { cat "$WORK/s3.out" >&2; nx_die "s3-sqs-peer did not start"; }
	phase "ingest: s3rver on 127.0.0.1:$s3port, local-aws-sqs on 127.0.0.1:$sqsport"

	phase "ingest: $INGEST_OBJECTS objects into the bucket"
	t0=$(now_ms)
	node "$ROOT/bench/ingest_load.js" put "$s3port" bench-bkt scan/o "$INGEST_OBJECTS" >/dev/null ||
		nx_die "could not fill the bucket"
	raw ingest.fill_ms "$(( $(now_ms) - t0 ))"
	for i in $(seq 1 $(( SETTLE_TIMEOUT * 2 + 600 ))); do
		(( $(sqs_queue_depth "$sqsport" bench-events || echo 0) >= INGEST_OBJECTS )) && break
		sleep 0.5
	done
	sleep 1
	curl -sf -X POST "http://127.0.0.1:$sqsport/" -H 'X-Amz-Target: AmazonSQS.PurgeQueue' \
		-H 'Content-Type: application/x-amz-json-1.0' \
		-d "{\"QueueUrl\":\"http://127.0.0.1:$sqsport/123456789012/bench-events\"}" >/dev/null ||
		nx_die "could not purge the queue"

	phase "ingest: scan of the bucket"
	sqlq "CREATE EXTENSION IF NOT EXISTS notify_ext_assets" >/dev/null
	sqlq "INSERT INTO notify.storage (id, name) VALUES ('VX-BENCH', 'bench') ON CONFLICT DO NOTHING" >/dev/null
	m=$(sqlq "SELECT notify.create_storage_method('VX-BENCH', 's3://S3RVER:S3RVER@bench-bkt/', endpoint => 'http://127.0.0.1:$s3port')")
	t0=$(now_ms)
	until [[ $(sqlq "SELECT last_scan_finished IS NOT NULL FROM notify.storage_methods WHERE id = '$m'") == t ]]; do
		(( $(now_ms) - t0 > (SETTLE_TIMEOUT + 600) * 1000 )) && { nx_log "warning: the scan did not finish"; break; }
		sleep 0.2
	done
	pid=$(ingest_poller_pid)
	raw ingest.scan.rss_anon_kb "$(rss_anon_kb "$pid")"
	sqlq "SELECT 'objects', coalesce(last_scan_objects, 0) FROM notify.storage_methods WHERE id = '$m'
	UNION ALL SELECT 'ms', coalesce(round(extract(epoch FROM last_scan_duration) * 1000), 0) FROM notify.storage_methods WHERE id = '$m'
	UNION ALL SELECT 'files', count(*) FROM notify.file WHERE storage_id = 'VX-BENCH'
	" | while IFS='|' read -r k v; do raw "ingest.scan.$k" "$v"; done
	raw ingest.scan.bucket_objects "$INGEST_OBJECTS"

	phase "ingest: $INGEST_EVENTS S3 events waiting in the queue"
	node "$ROOT/bench/ingest_load.js" events "$sqsport" bench-events bench-bkt queue/e "$INGEST_EVENTS" >/dev/null ||
		nx_die "could not fill the queue"
	t0=$(now_ms)
	sqlq "SELECT notify.set_storage_method_metadata('$m', 'sqsEndpoint', 'http://127.0.0.1:$sqsport');
	      SELECT notify.set_storage_method_metadata('$m', 'sqsName', 'bench-events')" >/dev/null
	t1=$t0
	done_n=0
	while :; do
		done_n=$(sqlq "SELECT count(*) FROM notify.file WHERE storage_id = 'VX-BENCH' AND path LIKE 'queue/%'")
		t1=$(now_ms)
		(( done_n >= INGEST_EVENTS )) && break
		(( t1 - t0 > (SETTLE_TIMEOUT + 600) * 1000 )) && { nx_log "warning: only $done_n events applied"; break; }
		sleep 0.1
	done
	pid=$(ingest_poller_pid)
	raw ingest.queue.events "$INGEST_EVENTS"
	raw ingest.queue.applied "$done_n"
	raw ingest.queue.ms "$(( t1 - t0 ))"
	raw ingest.queue.rss_anon_kb "$(rss_anon_kb "$pid")"
	raw ingest.failure "$(sqlq "SELECT coalesce(failure_message, '') FROM notify.storage_methods WHERE id = '$m'")"
}

if [[ $ONLY == ingest ]]; then
	wait_worker present >/dev/null
	ingest_scenario
	awk -F'\t' '$1 ~ /^ingest\./ { v[$1] = $2 }
		END { printf "ingest scan   %6d objects of %6d in %d ms: %.0f objects/s, poller RssAnon %.1f MB\n", v["ingest.scan.objects"], v["ingest.scan.bucket_objects"], v["ingest.scan.ms"], (v["ingest.scan.ms"] > 0 ? v["ingest.scan.objects"] / (v["ingest.scan.ms"] / 1000) : 0), v["ingest.scan.rss_anon_kb"] / 1024
			printf "ingest queue  %6d events of %6d in %d ms: %.0f events/s, poller RssAnon %.1f MB %s\n", v["ingest.queue.applied"], v["ingest.queue.events"], v["ingest.queue.ms"], (v["ingest.queue.ms"] > 0 ? v["ingest.queue.applied"] / (v["ingest.queue.ms"] / 1000) : 0), v["ingest.queue.rss_anon_kb"] / 1024, v["ingest.failure"] }' "$RAW"
	exit 0
fi

# sync_run: INSERT throughput with one synchronous HTTP notification to the
# nginx sink: each commit sends its event and waits for the 204 before it
# commits; no outbox row is written.  Checks that the sink got one request
# per transaction.
sync_run() {
	local log base tps n lat got rows
	phase "sync: insert with one synchronous notification to the nginx sink (${CAPTURE_SECONDS}s)"
	fresh_state sync-create yes on
	log=$OUT/pgbench_sync.log
	base=$(nginx_requests)
	nx_as_owner "$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$THREADS" -T "$CAPTURE_SECONDS" \
		-f "$WORK/insert.sql" -h "$WORK" -p "$PGPORT" bench >"$log" 2>&1 ||
		{ cat "$log" >&2; nx_die "pgbench failed (sync)"; }
	got=$(( $(nginx_requests) - base - 1 ))
	tps=$(pgbench_field "$log" '^tps = \([0-9.]*\) .*')
	n=$(pgbench_field "$log" '^number of transactions actually processed: \([0-9]*\).*')
	lat=$(pgbench_field "$log" '^latency average = \([0-9.]*\) ms')
	rows=$(sqlq "SELECT count(*) FROM notify.outbox")
	[[ -n $tps && -n $n ]] || { cat "$log" >&2; nx_die "could not read pgbench's figures (sync)"; }
	[[ $got -eq $n ]] || nx_die "sync: $n transactions but the sink got $got requests"
	[[ $rows -eq 0 ]] || nx_die "sync: $rows outbox rows (none expected)"
	raw sync.insert.tps "$tps"
	raw sync.insert.transactions "$n"
	raw sync.insert.latency_ms "$lat"
	raw sync.insert.sink_requests "$got"
}

# commit_scenario: INSERT and UPDATE throughput at synchronous_commit = on
# (the setting users run with; every other run here has it off), worker
# delivering: no trigger, then one matching notification with the worker's
# own commits synchronous (notify_ext.worker_synchronous_commit = on, how
# the worker committed before) and asynchronous (the default), back to back
# in the same cluster.
commit_scenario() {
	local stmt defs
	phase "commit: synchronous_commit = on for the capture runs below"
	set_setting synchronous_commit on
	for stmt in insert update; do
		defs=match-create
		[[ $stmt == update ]] && defs=match-modify
		capture_run "commit_${stmt}_base" "$stmt" none on
		set_setting notify_ext.worker_synchronous_commit on
		capture_run "commit_${stmt}_1_wsync" "$stmt" "$defs" on
		set_setting notify_ext.worker_synchronous_commit DEFAULT
		capture_run "commit_${stmt}_1" "$stmt" "$defs" on
	done
	set_setting synchronous_commit DEFAULT
}

# commit_print: the commit scenario's figures, one line per run
commit_print() {
	awk -F'\t' '$1 ~ /^capture\.commit_/ { v[$1] = $2 }
		END { for (s = 1; s <= 2; s++) { st = (s == 1 ? "insert" : "update")
			b = v["capture.commit_" st "_base.tps"]
			printf "commit %s: no trigger %.0f tps (%d WAL flushes); 1 def, worker commits synchronous %.0f tps = %.2fx (%d flushes, worker CPU %.2f s); asynchronous %.0f tps = %.2fx (%d flushes, worker CPU %.2f s)\n", st, b,
				v["capture.commit_" st "_base.wal_sync"],
				v["capture.commit_" st "_1_wsync.tps"], (b > 0 ? v["capture.commit_" st "_1_wsync.tps"] / b : 0),
				v["capture.commit_" st "_1_wsync.wal_sync"], v["capture.commit_" st "_1_wsync.cpu_worker_s"],
				v["capture.commit_" st "_1.tps"], (b > 0 ? v["capture.commit_" st "_1.tps"] / b : 0),
				v["capture.commit_" st "_1.wal_sync"], v["capture.commit_" st "_1.cpu_worker_s"] } }' "$RAW"
}

# --- rate ------------------------------------------------------------------------------
# Sustainable rate: for each offered rate R of RATE_RATES, pgbench --rate=R
# (-c 4 -j 2, RATE_SECONDS) of single-row INSERTs, one matching HTTP
# notification to the nginx sink at /rate, where nginx logs each request's
# X-Notify-Event-Id and arrival time ($msec: the host's wall clock, 1 ms
# resolution).  Every event is measured, none sampled: the node receiver
# would take a core of its own at 20,000 requests/s on this 2-core host,
# nginx's buffered log costs little.  Commit timestamps need
# track_commit_timestamp (a restart when it is off, as for latency).  Each
# rate starts from a fresh state (empty outbox, worker started again) with
# one warm-up event delivered first and left out; after pgbench the script
# waits (RATE_SETTLE at most) for the backlog to be delivered, so runs do
# not bleed into each other.  Figures of a rate, read back from the outbox,
# the item rows and the sink's log:
#   achieved   pgbench's tps
#   delivered  rows whose delivered_at falls between the run's first and
#              last commit, over that time
#   backlog    undelivered rows (committed, delivered_at not yet set; i.e.
#              pending or in flight), computed exactly at every commit and
#              every delivery of the run from the commit timestamps and
#              delivered_at, not sampled: its largest value between the
#              first and last commit, and its value at the last commit
#   latency    nginx arrival (first request of the event; $msec is in
#              whole ms, the middle of that ms is taken) - commit timestamp
#              of the row's inserting transaction, p50/p99/max
# A rate is sustained ("ok") when pgbench achieved >= 95 % of it, the
# largest backlog stayed under one second of events (< R), every event
# was received and p99 <= 25 ms.  The sustainable rate (bench/report.js,
# bench/rate_curve.js) is the highest offered rate that was sustained.
RATE_LOG=$WORK/nginx/rate.log
RATE_KEY=rate			# raw figures' prefix: rate (one delivery process), rate2 (two)

# commit_timestamps_on: restart with track_commit_timestamp = on unless it is
commit_timestamps_on() {
	[[ $(sqlq "SHOW track_commit_timestamp") == on ]] && return 0
	phase "restart with track_commit_timestamp = on"
	sqlq "ALTER SYSTEM SET track_commit_timestamp = on" >/dev/null
	nx_as_owner "$NX_PG_BIN/pg_ctl" -D "$DATA" -l "$PGLOG" -m fast -w restart >/dev/null ||
		{ tail -n 30 "$PGLOG" >&2; nx_die "restart failed"; }
	wait_worker present >/dev/null
}

# rate_run RATE: one offered rate (see above); figures as $RATE_KEY.RATE.*
rate_run() {
	local rate=$1 log warm t0 t1 settle n tps
	phase "rate: pgbench --rate=$rate for ${RATE_SECONDS}s, deliveries to the nginx sink"
	fresh_state rate yes on
	sleep 1
	sqlq "INSERT INTO bench.item (title, n) VALUES ('warm-up', 0)" >/dev/null
	wait_delivered 30 >/dev/null
	warm=$(sqlq "SELECT max(id) FROM bench.item")
	sleep 1.1			# the warm-up's log line is flushed: start the log afresh
	: >"$RATE_LOG"
	log=$OUT/pgbench_rate_$rate.log
	t0=$(now_ms)
	nx_as_owner "$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$THREADS" -T "$RATE_SECONDS" \
		--rate="$rate" -f "$WORK/insert.sql" -h "$WORK" -p "$PGPORT" bench >"$log" 2>&1 ||
		{ cat "$log" >&2; nx_die "pgbench failed (rate $rate)"; }
	t1=$(now_ms)
	settle=$(wait_delivered "$RATE_SETTLE")
	sleep 1.2			# nginx flushes its log buffer every second
	tps=$(pgbench_field "$log" '^tps = \([0-9.]*\) .*')
	n=$(pgbench_field "$log" '^number of transactions actually processed: \([0-9]*\).*')
	[[ -n $tps && -n $n ]] || { cat "$log" >&2; nx_die "could not read pgbench's figures (rate $rate)"; }
	raw "$RATE_KEY.$rate.offered" "$rate"
	raw "$RATE_KEY.$rate.seconds" "$RATE_SECONDS"
	raw "$RATE_KEY.$rate.tps" "$tps"
	raw "$RATE_KEY.$rate.transactions" "$n"
	raw "$RATE_KEY.$rate.schedule_lag_ms" "$(pgbench_field "$log" '^rate limit schedule lag: avg \([0-9.]*\) .*')"
	raw "$RATE_KEY.$rate.schedule_lag_max_ms" "$(pgbench_field "$log" '^rate limit schedule lag: .*(max \([0-9.]*\)) ms.*')"
	raw "$RATE_KEY.$rate.load_wall_ms" "$(( t1 - t0 ))"
	raw "$RATE_KEY.$rate.settle_ms" "$settle"
	sqlq "SET client_min_messages = warning;
	      CREATE TABLE IF NOT EXISTS bench.rate_recv (event_id uuid, t double precision);
	      TRUNCATE bench.rate_recv" >/dev/null
	nx_as_owner "${PSQL[@]}" -d bench -c "\\copy bench.rate_recv FROM '$RATE_LOG' WITH (FORMAT csv)" >/dev/null
	# per event (seconds since the epoch): commit, delivered_at, first
	# arrival; nginx's $msec is truncated to the millisecond, so the
	# arrival is taken at the middle of its millisecond (+0.5 ms: each
	# latency within +-0.5 ms, none biased)
	sqlq "
	SET client_min_messages = warning;
	DROP TABLE IF EXISTS bench.rate_ev;
	CREATE TABLE bench.rate_ev AS
	SELECT extract(epoch FROM pg_xact_commit_timestamp(i.xmin))::double precision AS committed,
	       extract(epoch FROM o.delivered_at)::double precision AS delivered,
	       r.t + 0.0005 AS received
	  FROM bench.item i
	  JOIN notify.outbox o ON o.entity_id::bigint = i.id
	  LEFT JOIN (SELECT event_id, min(t) AS t FROM bench.rate_recv GROUP BY event_id) r ON r.event_id = o.event_id
	 WHERE i.id > $warm;
	WITH w AS (SELECT min(committed) AS a, max(committed) AS b FROM bench.rate_ev),
	     l AS (SELECT (received - committed) * 1000 AS ms FROM bench.rate_ev WHERE received IS NOT NULL),
	     ev AS (SELECT committed AS t, 1 AS d FROM bench.rate_ev
	            UNION ALL SELECT delivered, -1 FROM bench.rate_ev WHERE delivered IS NOT NULL),
	     s AS (SELECT t, d, sum(d) OVER (ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS backlog FROM ev)
	SELECT 'events', count(*) FROM bench.rate_ev
	UNION ALL SELECT 'no_commit_ts', count(*) FROM bench.rate_ev WHERE committed IS NULL
	UNION ALL SELECT 'delivered', count(delivered) FROM bench.rate_ev
	UNION ALL SELECT 'received', count(received) FROM bench.rate_ev
	UNION ALL SELECT 'requests', count(*) FROM bench.rate_recv
	UNION ALL SELECT 'failed', count(*) FROM notify.outbox WHERE status = 'failed'
	UNION ALL SELECT 'load_ms', round(((b - a) * 1000)::numeric, 1) FROM w
	UNION ALL SELECT 'delivered_in_load', count(*) FROM bench.rate_ev, w WHERE delivered BETWEEN a AND b
	UNION ALL SELECT 'max_backlog', coalesce(max(backlog), 0) FROM s, w WHERE s.t BETWEEN a AND b
	UNION ALL SELECT 'backlog_end', coalesce((SELECT backlog FROM s, w WHERE s.t <= w.b ORDER BY s.t DESC, s.d DESC LIMIT 1), 0)
	UNION ALL SELECT 'p50', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3) FROM l
	UNION ALL SELECT 'p99', round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 3) FROM l
	UNION ALL SELECT 'max', round(max(ms)::numeric, 3) FROM l
	UNION ALL SELECT 'min', round(min(ms)::numeric, 3) FROM l
	" | while IFS='|' read -r k v; do raw "$RATE_KEY.$rate.$k" "$v"; done
	# one outbox row per pgbench transaction, as in the capture runs
	[[ $(sed -n "s/^$RATE_KEY\.$rate\.events\t//p" "$RAW") -eq $n ]] ||
		nx_die "rate $rate: $n transactions but $(sed -n "s/^$RATE_KEY\.$rate\.events\t//p" "$RAW") outbox rows (one each expected)"
}

# rate_scenario: every rate of RATE_RATES, in order
rate_scenario() {
	local rate
	commit_timestamps_on
	raw "$RATE_KEY.rates" "$RATE_RATES"
	for rate in $RATE_RATES; do
		rate_run "$rate"
	done
}

wait_worker present >/dev/null
# rate_scenarios: the curve with one delivery process, then with two
rate_scenarios() {
	RATE_KEY=rate rate_scenario
	delivery_processes 2
	RATE_KEY=rate2 rate_scenario
	delivery_processes DEFAULT
}
if [[ $ONLY == rate ]]; then
	rate_scenarios
	node "$ROOT/bench/rate_curve.js" "$OUT"
	exit $?
fi
if [[ $ONLY == sync ]]; then
	sync_run
	grep '^sync\.' "$RAW"
	exit 0
fi
if [[ $ONLY == commit ]]; then
	commit_scenario
	commit_print
	exit 0
fi
if [[ -z $ONLY ]]; then
	capture_run insert_base insert none on
	capture_run insert_1 insert match-create on
	capture_run insert_10 insert ten-create on
	capture_run update_base update none on
	capture_run update_1 update match-modify on
	capture_run update_10 update ten-modify on
	if [[ $REFERENCE_RUNS -eq 1 ]]; then
		capture_run insert_1_paused insert match-create off
		capture_run update_1_paused update match-modify off
		capture_run insert_10_paused insert ten-create off
		capture_run update_10_paused update ten-modify off
	fi

	sync_run
	commit_scenario
fi

# --- drain, scale, memory -----------------------------------------------------------
# memory_sampler PID FILE: the worker's /proc/PID/status every 0.2 s
memory_sampler() {
	local pid=$1 file=$2
	echo "ms,rss_anon_kb,rss_file_kb,rss_shmem_kb,vm_rss_kb,vm_hwm_kb" >"$file"
	while [[ -r /proc/$pid/status ]]; do
		awk -v ms="$(now_ms)" '
			/^VmHWM:/ {hwm=$2} /^VmRSS:/ {rss=$2} /^RssAnon:/ {anon=$2}
			/^RssFile:/ {file=$2} /^RssShmem:/ {shm=$2}
			END { if (anon != "") printf "%s,%s,%s,%s,%s,%s\n", ms, anon, file, shm, rss, hwm }' \
			"/proc/$pid/status" >>"$file" 2>/dev/null || break
		sleep 0.2
	done
}

# drain_run NAME EVENTS: a backlog of EVENTS item.create events (one per new
# item, so in as many lanes), built with the worker paused, then delivered
drain_run() {
	local name=$1 total=$2 done_rows=0 chunk pid sampler profiler base polls t0 got t_start t_end elapsed scans0 scans1 cpu0 cpu1 t_cpu
	phase "drain: $name ($total events to the nginx sink)"
	fresh_state match-create yes off
	t0=$(now_ms)
	while (( done_rows < total )); do
		chunk=$(( total - done_rows < CHUNK ? total - done_rows : CHUNK ))
		sqlq "INSERT INTO bench.item (title, n) SELECT 'backlog ' || g, g FROM generate_series(1, $chunk) g" >/dev/null
		done_rows=$(( done_rows + chunk ))
	done
	raw "drain.$name.build_ms" "$(( $(now_ms) - t0 ))"
	sqlq "VACUUM ANALYZE notify.outbox" >/dev/null
	sqlq "CHECKPOINT" >/dev/null
	got=$(sqlq "SELECT count(*) FROM notify.outbox WHERE status = 'pending'")
	[[ $got -eq $total ]] || nx_die "drain $name: backlog has $got events, expected $total"
	raw "drain.$name.outbox_bytes_backlog" "$(sqlq "SELECT pg_total_relation_size('notify.outbox')")"
	scans0=$(outbox_scans)
	base=$(nginx_requests)
	polls=0
	t_start=$(now_ms)
	pid=$(worker_resume)
	cpu0=$(cpu_ticks "$pid")
	t_cpu=$(now_ms)
	spawn memory_sampler "${pid%%,*}" "$OUT/memory_$name.csv"
	sampler=$SPAWNED
	if [[ -n ${PROFILE_DATA:-} ]]; then
		# call graphs of the delivery process(es) while they drain
		spawn perf record -q -g -p "$pid" -o "$PROFILE_DATA"
		profiler=$SPAWNED
	fi
	# nginx's counter says when the sink has seen them all (no SQL scan of
	# the outbox meanwhile); then wait for the outcomes to be recorded
	while :; do
		polls=$(( polls + 1 ))
		got=$(( $(nginx_requests) - base - polls ))
		(( got >= total )) && break
		if (( $(now_ms) - t_start > SETTLE_TIMEOUT * 1000 )); then
			nx_log "warning: nginx saw $got of $total requests after $SETTLE_TIMEOUT s"
			break
		fi
		sleep 0.25
	done
	t_end=$(now_ms)
	cpu1=$(cpu_ticks "$pid")
	if [[ -n ${PROFILE_DATA:-} ]]; then
		kill -INT -- "-$profiler" 2>/dev/null || true
		wait "$profiler" 2>/dev/null || true
	fi
	raw "drain.$name.wall_ms_to_sink" "$(( t_end - t_start ))"
	# CPU time over the same interval (clock ticks): worker, nginx, machine
	raw "drain.$name.cpu_interval_ms" "$(( t_end - t_cpu ))"
	raw "drain.$name.cpu_worker_s" "$(cpu_diff "${cpu0%%;*}" "${cpu1%%;*}")"
	raw "drain.$name.cpu_nginx_s" "$(cpu_diff "$(cut -d';' -f2 <<<"$cpu0")" "$(cut -d';' -f2 <<<"$cpu1")")"
	raw "drain.$name.cpu_busy_s" "$(cpu_diff "${cpu0##*;}" "${cpu1##*;}")"
	elapsed=$(wait_delivered "$SETTLE_TIMEOUT")
	sleep 1.1
	bg_stop "$sampler"
	scans1=$(outbox_scans)
	raw "drain.$name.outbox_seq_scans" "$(( ${scans1% *} - ${scans0% *} ))"
	raw "drain.$name.outbox_seq_tup_read" "$(( ${scans1#* } - ${scans0#* } ))"
	raw "drain.$name.worker_pid" "$pid"
	raw "drain.$name.events" "$total"
	raw "drain.$name.sink_requests" "$(( $(nginx_requests) - base - polls - 1 ))"
	# first and last recorded delivery; the rows recorded in the first
	# transaction were sent before the clock starts, so they are not counted
	sqlq "
	WITH d AS (SELECT delivered_at FROM notify.outbox WHERE status = 'delivered'),
	     m AS (SELECT min(delivered_at) AS first, max(delivered_at) AS last FROM d)
	SELECT 'delivered', count(*) FROM d
	UNION ALL SELECT 'first_batch', count(*) FROM d, m WHERE d.delivered_at = m.first
	UNION ALL SELECT 'first_ms', (extract(epoch FROM first) * 1000)::bigint FROM m
	UNION ALL SELECT 'last_ms', (extract(epoch FROM last) * 1000)::bigint FROM m
	UNION ALL SELECT 'span_ms', round(extract(epoch FROM last - first) * 1000, 1) FROM m
	UNION ALL SELECT 'failed', count(*) FROM notify.outbox WHERE status = 'failed'
	UNION ALL SELECT 'undelivered', count(*) FROM notify.outbox WHERE status IN ('pending', 'in_flight')
	UNION ALL SELECT 'max_attempts', max(attempts) FROM notify.outbox
	UNION ALL SELECT 'worker_start_ms', (extract(epoch FROM min(backend_start)) * 1000)::bigint
	          FROM pg_stat_activity WHERE pid IN ($pid)
	UNION ALL SELECT 'outbox_bytes_drained', pg_total_relation_size('notify.outbox')
	" | while IFS='|' read -r k v; do raw "drain.$name.$k" "$v"; done
	raw "drain.$name.resume_ms" "$t_start"
}

# drain_line NAME: the drain's rate and the delivery processes' CPU per event
drain_line() {
	awk -F'\t' -v p="drain.$1." '
		index($1, p) == 1 { v[substr($1, length(p) + 1)] = $2 }
		END { printf "drain %s, %d events: %.0f events/s; delivery CPU %.2f s = %.1f us per delivered event; nginx CPU %.2f s\n",
			substr(p, 7, length(p) - 7), v["events"], (v["delivered"] - v["first_batch"]) / (v["span_ms"] / 1000), v["cpu_worker_s"],
			(v["delivered"] > 0 ? v["cpu_worker_s"] * 1e6 / v["delivered"] : 0), v["cpu_nginx_s"] }' "$RAW"
}

# profile_breakdown DATA: where the delivery process's CPU went during a
# drain, from perf's samples: by binary (self time), and the SQL steps with
# what they call (children)
profile_breakdown() {
	local data=$1
	echo "delivery worker CPU by binary (self time, % of samples):"
	perf report -i "$data" --no-children --sort dso --stdio 2>/dev/null |
		awk '/^ *[0-9.]+%/ { printf "  %7s  %s\n", $1, $2 }' | head -n 12
	echo "steps with what they call (children, % of samples):"
	perf report -i "$data" --children --sort symbol --stdio 2>/dev/null |
		awk '/^ *[0-9.]+%/ && $4 ~ /^(outbox_claim|outbox_record|outbox_purge|dispatch_start|dispatch_drive|event_enqueue|curl_multi_perform|__send|__recv|recv|tcp_sendmsg|__vdso_clock_gettime|malloc|free)$/ && !seen[$4]++ {
			printf "  %7s  %s\n", $1, $4 }'
}

if [[ $ONLY == profile ]]; then
	command -v perf >/dev/null || nx_die "perf not found (linux-perf)"
	PROFILE_DATA=$OUT/perf.drain
	drain_run small "$DRAIN_SMALL"
	PROFILE_DATA=
	drain_line small
	profile_breakdown "$OUT/perf.drain"
	exit 0
fi

if [[ $ONLY != isolation ]]; then
drain_run small "$DRAIN_SMALL"
# the same backlog with two delivery processes (lanes divided between them)
delivery_processes 2
drain_run two "$DRAIN_SMALL"
delivery_processes DEFAULT
if [[ $ONLY == drain ]]; then
	drain_line small
	drain_line two
	exit 0
fi
drain_run large "$DRAIN_LARGE"

# retention: delivered rows deleted by the worker's purge (every 10 s)
phase "retention: notify_ext.retention_delivered = 0, waiting for the purge"
raw retention.rows_before "$(sqlq "SELECT count(*) FROM notify.outbox")"
raw retention.bytes_before "$(sqlq "SELECT pg_total_relation_size('notify.outbox')")"
av0=$(sqlq "SELECT autovacuum_count + vacuum_count FROM pg_stat_user_tables WHERE relid = 'notify.outbox'::regclass")
set_setting notify_ext.retention_delivered 0
t0=$(now_ms)
if [[ $MODE == quick ]]; then
	# no time for a purge period: a starting worker purges at once
	worker_pause
	worker_resume >/dev/null
fi
while [[ $(sqlq "SELECT count(*) FROM notify.outbox") -gt 0 ]]; do
	(( $(now_ms) - t0 > 25000 )) && { nx_log "warning: outbox not purged after 25 s"; break; }
	sleep 1
done
raw retention.purge_wait_ms "$(( $(now_ms) - t0 ))"
raw retention.rows_after "$(sqlq "SELECT count(*) FROM notify.outbox")"
raw retention.bytes_after_purge "$(sqlq "SELECT pg_total_relation_size('notify.outbox')")"
raw retention.heap_bytes_after_purge "$(sqlq "SELECT pg_relation_size('notify.outbox')")"
if (( VACUUM_WAIT > 0 )); then
	phase "retention: waiting up to ${VACUUM_WAIT}s for autovacuum of notify.outbox"
	t0=$(now_ms)
	while :; do
		av=$(sqlq "SELECT autovacuum_count + vacuum_count FROM pg_stat_user_tables WHERE relid = 'notify.outbox'::regclass")
		# a vacuum that started before the purge does not count: wait for the
		# dead rows to be gone
		dead=$(sqlq "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'notify.outbox'::regclass")
		(( av > av0 && dead < 1000 )) && break
		(( $(now_ms) - t0 > VACUUM_WAIT * 1000 )) && { nx_log "warning: no autovacuum within ${VACUUM_WAIT}s"; break; }
		sleep 2
	done
	raw retention.vacuum_wait_ms "$(( $(now_ms) - t0 ))"
	raw retention.bytes_after_vacuum "$(sqlq "SELECT pg_total_relation_size('notify.outbox')")"
	raw retention.heap_bytes_after_vacuum "$(sqlq "SELECT pg_relation_size('notify.outbox')")"
	raw retention.dead_after_vacuum "$(sqlq "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'notify.outbox'::regclass")"
fi
set_setting notify_ext.retention_delivered DEFAULT
fi

# --- latency -------------------------------------------------------------------------
# Commit timestamps need track_commit_timestamp, which needs a restart; it
# is on for this scenario only, so the throughput runs do not pay for it.
phase "latency: restart with track_commit_timestamp = on"
sqlq "ALTER SYSTEM SET track_commit_timestamp = on" >/dev/null
nx_as_owner "$NX_PG_BIN/pg_ctl" -D "$DATA" -l "$PGLOG" -m fast -w restart >/dev/null ||
	{ tail -n 30 "$PGLOG" >&2; nx_die "restart failed"; }
wait_worker present >/dev/null
fresh_state latency yes on
: >"$RECV_LOG" 2>/dev/null || true
# One warm-up event first: the worker has just been started, and its first
# delivery (connection, plans) is not what a steady 1,000/s sees.  It is
# reported on its own and left out of the percentiles.
sleep 1
sqlq "INSERT INTO bench.item (title, n) VALUES ('warm-up', 0)" >/dev/null
wait_delivered 30 >/dev/null
WARM_ID=$(sqlq "SELECT max(id) FROM bench.item")
phase "latency: pgbench --rate=$LATENCY_RATE for ${LATENCY_SECONDS}s, deliveries to the receiver"
LOG=$OUT/pgbench_latency.log
scans0=$(outbox_scans)
nx_as_owner "$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$THREADS" -T "$LATENCY_SECONDS" \
	--rate="$LATENCY_RATE" -f "$WORK/insert.sql" -h "$WORK" -p "$PGPORT" bench >"$LOG" 2>&1 ||
	{ cat "$LOG" >&2; nx_die "pgbench failed (latency)"; }
wait_delivered "$SETTLE_TIMEOUT" >/dev/null
sleep 1.1
scans1=$(outbox_scans)
raw latency.outbox_seq_scans "$(( ${scans1% *} - ${scans0% *} ))"
raw latency.outbox_seq_tup_read "$(( ${scans1#* } - ${scans0#* } ))"
raw latency.rate "$LATENCY_RATE"
raw latency.seconds "$LATENCY_SECONDS"
raw latency.tps "$(pgbench_field "$LOG" '^tps = \([0-9.]*\) .*')"
raw latency.transactions "$(pgbench_field "$LOG" '^number of transactions actually processed: \([0-9]*\).*')"
raw latency.pgbench_latency_ms "$(pgbench_field "$LOG" '^latency average = \([0-9.]*\) ms')"
raw latency.schedule_lag_ms "$(pgbench_field "$LOG" '^rate limit schedule lag: avg \([0-9.]*\) .*')"
# load_receipts: bench.recv := event id and arrival time (ms since the
# epoch) of each request to /hook/latency in the receiver's log
load_receipts() {
	node -e '
		const fs = require("fs");
		const out = [];
		for (const line of fs.readFileSync(process.argv[1], "utf8").split("\n")) {
			if (!line) continue;
			const r = JSON.parse(line);
			if (r.u.startsWith("/hook/latency")) out.push(`${r.h["x-notify-event-id"]},${r.t}`);
		}
		fs.writeFileSync(process.argv[2], out.join("\n") + (out.length ? "\n" : ""));
	' "$RECV_LOG" "$WORK/receipts.csv"
	if nx_is_root; then
		chown "$NX_OS_USER": "$WORK/receipts.csv"
	fi
	sqlq "TRUNCATE bench.recv" >/dev/null
	nx_as_owner "${PSQL[@]}" -d bench -c "\\copy bench.recv FROM '$WORK/receipts.csv' WITH (FORMAT csv)" >/dev/null
}
load_receipts
# first receipt of each event; commit time of the row's inserting transaction
sqlq "
DROP TABLE IF EXISTS bench.lat;
CREATE TABLE bench.lat AS
SELECT r.t - extract(epoch FROM pg_xact_commit_timestamp(i.xmin)) * 1000 AS commit_ms,
       r.t - extract(epoch FROM o.created_at) * 1000 AS start_ms,
       extract(epoch FROM pg_xact_commit_timestamp(i.xmin)) AS committed
  FROM (SELECT event_id, min(t) AS t FROM bench.recv GROUP BY event_id) r
  JOIN notify.outbox o ON o.event_id = r.event_id
  JOIN bench.item i ON i.id = o.entity_id::bigint
 WHERE i.id > $WARM_ID;
SELECT 'events', count(*) FROM notify.outbox WHERE entity_id::bigint > $WARM_ID
UNION ALL SELECT 'warmup_ms', round(min(r.t - extract(epoch FROM pg_xact_commit_timestamp(i.xmin)) * 1000)::numeric, 3)
  FROM bench.recv r JOIN notify.outbox o ON o.event_id = r.event_id
  JOIN bench.item i ON i.id = o.entity_id::bigint WHERE i.id = $WARM_ID
UNION ALL SELECT 'received', count(*) FROM bench.lat
UNION ALL SELECT 'requests', count(*) FROM bench.recv
UNION ALL SELECT 'no_commit_ts', count(*) FROM bench.lat WHERE commit_ms IS NULL
UNION ALL SELECT 'min', round(min(commit_ms)::numeric, 3) FROM bench.lat
UNION ALL SELECT 'p50', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY commit_ms)::numeric, 3) FROM bench.lat
UNION ALL SELECT 'p90', round(percentile_cont(0.9) WITHIN GROUP (ORDER BY commit_ms)::numeric, 3) FROM bench.lat
UNION ALL SELECT 'p99', round(percentile_cont(0.99) WITHIN GROUP (ORDER BY commit_ms)::numeric, 3) FROM bench.lat
UNION ALL SELECT 'p999', round(percentile_cont(0.999) WITHIN GROUP (ORDER BY commit_ms)::numeric, 3) FROM bench.lat
UNION ALL SELECT 'max', round(max(commit_ms)::numeric, 3) FROM bench.lat
UNION ALL SELECT 'start_p50', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY start_ms)::numeric, 3) FROM bench.lat
UNION ALL SELECT 'start_p99', round(percentile_cont(0.99) WITHIN GROUP (ORDER BY start_ms)::numeric, 3) FROM bench.lat
" | while IFS='|' read -r k v; do raw "latency.$k" "$v"; done
# per event: seconds since the first commit, latency in ms
sqlq "SELECT round((committed - min(committed) OVER ())::numeric, 3) || ',' || round(commit_ms::numeric, 3)
        FROM bench.lat ORDER BY committed" >"$OUT/latency.csv"

# --- isolation ------------------------------------------------------------------------
# The latency run again, with a second notification of item create beside
# the receiver's: its endpoint hangs (a second receiver answering after
# 30 s, action timeout 5 s), refuses connections (a port nobody listens on)
# or answers 500 (nginx).  Reported: commit -> receipt of the receiver's
# notification, to compare with the latency run above (its solo figure).
spawn nx_as_owner node "$ROOT/test/peers/receiver.js" 0 "$WORK/hung.jsonl" --max-seconds 3600 \
	>"$WORK/hung.out" 2>&1
for _ in $(seq 1 100); do
	grep -q '^ready' "$WORK/hung.out" 2>/dev/null && break
	sleep 0.1
done
HUNGPORT=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$WORK/hung.out")
[[ -n $HUNGPORT ]] || { cat "$WORK/hung.out" >&2; nx_die "second receiver did not start"; }
DEADPORT=$(nx_free_port) || nx_die "no free port"

isolation_run() {	# isolation_run NAME URL
	local name=$1 url=$2 healthy t0
	phase "isolation: $name ($url) beside the receiver's notification, ${ISOLATION_SECONDS}s at $LATENCY_RATE/s"
	fresh_state latency yes on
	healthy=$(sqlq "SELECT id FROM notify.notification")
	sqlq "SELECT notify.create_notification('item', '$(doc "$url" "$T_CREATE")')" >/dev/null
	: >"$RECV_LOG" 2>/dev/null || true
	sleep 1
	nx_as_owner "$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$THREADS" -T "$ISOLATION_SECONDS" \
		--rate="$LATENCY_RATE" -f "$WORK/insert.sql" -h "$WORK" -p "$PGPORT" bench >"$OUT/pgbench_isolation_$name.log" 2>&1 ||
		{ cat "$OUT/pgbench_isolation_$name.log" >&2; nx_die "pgbench failed (isolation $name)"; }
	t0=$(now_ms)
	while [[ $(sqlq "SELECT count(*) FROM notify.outbox WHERE notification_id = '$healthy' AND status <> 'delivered'") -gt 0 ]]; do
		(( $(now_ms) - t0 > SETTLE_TIMEOUT * 1000 )) && { nx_log "warning: isolation $name: events of the healthy notification undelivered"; break; }
		sleep 0.25
	done
	load_receipts
	sqlq "
	WITH l AS (
	SELECT r.t - extract(epoch FROM pg_xact_commit_timestamp(i.xmin)) * 1000 AS commit_ms
	  FROM (SELECT event_id, min(t) AS t FROM bench.recv GROUP BY event_id) r
	  JOIN notify.outbox o ON o.event_id = r.event_id
	  JOIN bench.item i ON i.id = o.entity_id::bigint)
	SELECT 'events', count(*) FROM notify.outbox WHERE notification_id = '$healthy'
	UNION ALL SELECT 'received', count(*) FROM l
	UNION ALL SELECT 'p50', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY commit_ms)::numeric, 3) FROM l
	UNION ALL SELECT 'p99', round(percentile_cont(0.99) WITHIN GROUP (ORDER BY commit_ms)::numeric, 3) FROM l
	UNION ALL SELECT 'max', round(max(commit_ms)::numeric, 3) FROM l
	UNION ALL SELECT 'bad_attempts', coalesce(sum(attempts), 0) FROM notify.outbox WHERE notification_id <> '$healthy'
	UNION ALL SELECT 'bad_events', count(*) FROM notify.outbox WHERE notification_id <> '$healthy'
	" | while IFS='|' read -r k v; do raw "isolation.$name.$k" "$v"; done
	raw "isolation.$name.breaker" "$(sqlq "SELECT coalesce(string_agg(state, ','), '') FROM notify.endpoint_status WHERE state <> 'closed'" 2>/dev/null || echo 'n/a')"
}
isolation_run hung "http://127.0.0.1:$HUNGPORT/slow/30000/h"
isolation_run refused "http://127.0.0.1:$DEADPORT/refused"
isolation_run status500 "http://127.0.0.1:$NGPORT/fail"
if [[ $ONLY == isolation ]]; then
	grep -E '^latency\.(p50|p99|received)|^isolation\.' "$RAW"
	exit 0
fi

rate_scenarios

raw meta.loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"

sqs_scenario
ingest_scenario

# --- report ---------------------------------------------------------------------------
set +e
node "$ROOT/bench/report.js" "$OUT"
rc=$?
set -e
if [[ $rc -eq 3 && $MODE == quick ]]; then
	rc=0				# targets are not judged in quick mode
fi
exit "$rc"
