#!/usr/bin/env bash
#
# scripts/quickstart.sh
#	The demo, as root:  bash scripts/quickstart.sh
#	Stop what it started:  bash scripts/quickstart.sh stop
#
#	Installs what is missing, builds and installs notify_ext (the build's
#	output goes to a log file, shown only if the build fails), creates a
#	throwaway cluster (unix socket in its directory, TCP on 127.0.0.1 only,
#	notify_ext preloaded) and an HTTP receiver (node, 127.0.0.1), and shows
#	with psql what the extension does: notifications are defined, an item
#	is inserted and renamed, the captured outbox rows appear, the delivery
#	worker sends them and the receiver prints what it got.  It exits
#	non-zero, saying what is missing, if any of that did not happen.
#	The cluster and the receiver are left running for you to try more;
#	`stop` stops both.  A previous quickstart's cluster and receiver are
#	stopped first.  Works from a clone anywhere (the cluster's owner never
#	needs to read the clone).
#
# Environment:
#	NX_QS_DIR		directory of the cluster, logs and receiver
#					(default /tmp/notify_ext_quickstart; removed and
#					recreated)
#	NX_QS_PORT		the cluster's port (default 54329)
#	NX_QS_HOOK_PORT	the receiver's port (default 0: a free port)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

QS_DIR=${NX_QS_DIR:-/tmp/notify_ext_quickstart}
QS_DATA=$QS_DIR/data
QS_LOG=$QS_DIR/server.log
QS_PORT=${NX_QS_PORT:-54329}
HOOK_PORT=${NX_QS_HOOK_PORT:-0}
HOOK_LOG=$QS_DIR/hook.jsonl
HOOK_PID_FILE=$QS_DIR/receiver.pid
export NX_OWNER_HOME=$QS_DIR

# qs_stop: stop the cluster and the receiver of a previous run, if any.
qs_stop() {
	if [[ -f $QS_DATA/postmaster.pid ]]; then
		nx_log "stopping the quickstart cluster ($QS_DATA)"
		(cd / && nx_as_owner "$NX_PG_BIN/pg_ctl" -D "$QS_DATA" -m fast -w stop >/dev/null) || true
	fi
	if [[ -f $HOOK_PID_FILE ]]; then
		local pid
		pid=$(cat "$HOOK_PID_FILE")
		if kill -0 "$pid" 2>/dev/null; then
			nx_log "stopping the quickstart receiver (pid $pid)"
			kill "$pid" 2>/dev/null || true
		fi
		rm -f "$HOOK_PID_FILE"
	fi
}

if [[ ${1:-} == stop ]]; then
	qs_stop
	exit 0
elif [[ $# -gt 0 ]]; then
	nx_die "usage: bash scripts/quickstart.sh [stop]"
fi

cd "$ROOT"
nx_install_deps
command -v node >/dev/null 2>&1 || nx_die "node is needed for the demo's receiver (apt-get install nodejs)"

qs_stop
rm -rf "$QS_DIR"
mkdir -p "$QS_DIR"
if nx_is_root; then
	chown "$NX_OS_USER": "$QS_DIR"
fi
(cd / && nx_as_owner test -w "$QS_DIR") ||
	nx_die "$NX_OS_USER cannot write $QS_DIR (every directory above it must be searchable by $NX_OS_USER; set NX_QS_DIR)"

nx_log "building and installing notify_ext (log: $QS_DIR/build.log)"
nx_build_install >"$QS_DIR/build.log" 2>&1 ||
	{ tail -n 40 "$QS_DIR/build.log" >&2; nx_die "build or install failed (whole log: $QS_DIR/build.log)"; }

# --- a fresh cluster ------------------------------------------------------
# Everything the owner runs starts in QS_DIR, which it owns (a clone under
# /root is not readable by it).
cd "$QS_DIR"
nx_log "initdb $QS_DATA"
nx_as_owner "$NX_PG_BIN/initdb" -D "$QS_DATA" --auth-local=peer \
	--auth-host=scram-sha-256 -E UTF8 --no-instructions >"$QS_DIR/initdb.log" 2>&1 ||
	{ cat "$QS_DIR/initdb.log" >&2; nx_die "initdb failed"; }
nx_as_owner tee -a "$QS_DATA/postgresql.conf" >/dev/null <<EOF

# notify_ext quickstart
port = $QS_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$QS_DIR'
shared_preload_libraries = 'notify_ext'
EOF

nx_log "starting the cluster on port $QS_PORT (log: $QS_LOG)"
nx_as_owner "$NX_PG_BIN/pg_ctl" -D "$QS_DATA" -l "$QS_LOG" -w start >/dev/null ||
	{ tail -n 30 "$QS_LOG" >&2; nx_die "the cluster did not start (is port $QS_PORT taken? set NX_QS_PORT)"; }

# --- an HTTP receiver for the deliveries ------------------------------------
# It runs as the invoking user (it reads receiver.js from the clone) in a
# session of its own, so it outlives this script until `stop`.
setsid node "$ROOT/test/peers/receiver.js" "$HOOK_PORT" "$HOOK_LOG" \
	--max-seconds 86400 >"$QS_DIR/receiver.out" 2>&1 </dev/null &
echo $! >"$HOOK_PID_FILE"
for _ in $(seq 1 50); do
	grep -q '^ready' "$QS_DIR/receiver.out" 2>/dev/null && break
	sleep 0.1
done
HOOK_PORT=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$QS_DIR/receiver.out")
[[ -n $HOOK_PORT ]] ||
	{ cat "$QS_DIR/receiver.out" >&2; nx_die "the receiver did not start (is NX_QS_HOOK_PORT taken?)"; }
nx_log "receiver listening on 127.0.0.1:$HOOK_PORT (log: $HOOK_LOG)"

# --- the demo --------------------------------------------------------------
PSQL=("$NX_PG_BIN/psql" -X -h "$QS_DIR" -p "$QS_PORT" -d postgres -v ON_ERROR_STOP=1 -P pager=off)
# qs_value SQL: one value, unaligned
qs_value() { nx_as_owner "${PSQL[@]}" -qAt -c "$1"; }

doc() {
	printf '%s' "<NotificationDocument xmlns=\"http://xml.vidispine.com/schema/vidispine\"><action><http synchronous=\"false\"><url>http://127.0.0.1:$HOOK_PORT/hook/$1</url><method>POST</method><timeout>5</timeout><retry>3</retry><contentType>application/json</contentType></http></action><trigger>$2</trigger></NotificationDocument>"
}

echo
echo "--- notify_ext quickstart: every statement is printed before its output ---"
echo
nx_as_owner "${PSQL[@]}" --echo-queries <<EOF
CREATE EXTENSION notify_ext;
CREATE EXTENSION notify_ext_assets;

\echo '-- a notification for every new item, and one for item metadata changes'
SELECT notify.create_notification('item', '$(doc items '<item><create/></item>')') AS item_create_notification;
SELECT notify.create_notification('item', '$(doc metadata '<metadata><modify/></metadata>')') AS metadata_notification;
SELECT id, resource, trigger, action, summary FROM notify.list_notifications();

\echo '-- the shipped asset table notify.item captures out of the box'
INSERT INTO notify.item (title) VALUES ('Holiday footage') RETURNING id, title;
UPDATE notify.item SET title = 'Holiday footage, final cut' WHERE title = 'Holiday footage' RETURNING id, title;

\echo '-- one outbox row per event and matching notification, written in the same transaction'
SELECT id, notification_id, event, entity_id, payload, status FROM notify.outbox ORDER BY id;
EOF

# The delivery worker sends them; give it a few seconds.
captured=$(qs_value "SELECT count(*) FROM notify.outbox")
for _ in $(seq 1 40); do
	[[ $(qs_value "SELECT count(*) FROM notify.outbox WHERE status = 'delivered'") -lt $captured ]] || break
	sleep 0.25
done
nx_as_owner "${PSQL[@]}" --echo-queries <<EOF
\echo '-- the delivery worker has sent them: every attempt is recorded on its row'
SELECT id, event, status, attempts, last_status, last_error FROM notify.outbox ORDER BY id;
EOF

delivered=$(qs_value "SELECT count(*) FROM notify.outbox WHERE status = 'delivered'")
if [[ $captured -eq 0 || $delivered -ne $captured ]]; then
	qs_value "SELECT * FROM notify.delivery_state" >&2 || true
	tail -n 20 "$QS_LOG" >&2
	nx_die "only $delivered of $captured captured events were delivered (server log: $QS_LOG)"
fi

echo
echo "--- what the receiver on 127.0.0.1:$HOOK_PORT got (method, path, event id, content type, body) ---"
node -e '
	for (const line of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
		if (!line) continue;
		const r = JSON.parse(line);
		console.log(`${r.m} ${r.u}  event ${r.h["x-notify-event-id"]}  ${r.h["content-type"]}`);
		console.log(`    ${Buffer.from(r.b, "base64").toString()}`);
	}' "$HOOK_LOG"
count=$(grep -c . "$HOOK_LOG" || true)
[[ $count -ge $captured ]] || nx_die "the receiver logged $count requests for $captured delivered events ($HOOK_LOG)"

cat <<EOF

It worked: $captured events captured, delivered and received.
The cluster and the receiver are still running:
  Connect:  $(nx_is_root && echo "runuser -u $NX_OS_USER -- ")$NX_PG_BIN/psql -h $QS_DIR -p $QS_PORT -d postgres
  Webhooks: $HOOK_LOG (one JSON line per request)
  Stop:     bash $ROOT/scripts/quickstart.sh stop$([[ -n ${NX_QS_DIR:-} ]] && echo " (with NX_QS_DIR=$QS_DIR)")
EOF
