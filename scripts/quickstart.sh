#!/usr/bin/env bash
#
# scripts/quickstart.sh
#	The demo, as root:  bash scripts/quickstart.sh
#
#	Installs what is missing, builds and installs notify_ext, creates a
#	throwaway cluster in /tmp/notify_ext_quickstart (port 54329, unix socket
#	in that directory, TCP on 127.0.0.1 only, notify_ext preloaded), and
#	shows with psql what the extension does: notifications are defined, an
#	item is inserted and renamed, and the captured outbox rows appear.
#	A small HTTP receiver on 127.0.0.1:18099 (node) takes the deliveries
#	while the demo runs.  The cluster is left running; a previous quickstart
#	cluster is stopped and recreated.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

QS_DIR=/tmp/notify_ext_quickstart
QS_DATA=$QS_DIR/data
QS_LOG=$QS_DIR/server.log
QS_PORT=54329
HOOK_PORT=18099
HOOK_LOG=$QS_DIR/hook.log
export NX_OWNER_HOME=$QS_DIR

cd "$ROOT"
nx_install_deps
nx_build_install || nx_die "build or install failed"

# --- a fresh cluster ------------------------------------------------------
if [[ -f $QS_DATA/postmaster.pid ]]; then
	nx_log "stopping the previous quickstart cluster"
	nx_as_owner "$NX_PG_BIN/pg_ctl" -D "$QS_DATA" -m fast -w stop || true
fi
rm -rf "$QS_DIR"
mkdir -p "$QS_DIR"
if nx_is_root; then
	chown "$NX_OS_USER": "$QS_DIR"
fi

nx_log "initdb $QS_DATA"
nx_as_owner "$NX_PG_BIN/initdb" -D "$QS_DATA" --auth-local=peer \
	--auth-host=scram-sha-256 -E UTF8 --no-instructions >"$QS_DIR/initdb.log" ||
	{ cat "$QS_DIR/initdb.log" >&2; nx_die "initdb failed"; }
nx_as_owner tee -a "$QS_DATA/postgresql.conf" >/dev/null <<EOF

# notify_ext quickstart
port = $QS_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$QS_DIR'
shared_preload_libraries = 'notify_ext'
EOF

nx_log "starting the cluster (log: $QS_LOG)"
nx_as_owner "$NX_PG_BIN/pg_ctl" -D "$QS_DATA" -l "$QS_LOG" -w start >/dev/null ||
	{ tail -n 30 "$QS_LOG" >&2; nx_die "the cluster did not start"; }

# --- an HTTP receiver for the deliveries ------------------------------------
HOOK_PID=
stop_hook() {
	if [[ -n $HOOK_PID ]]; then
		kill "$HOOK_PID" 2>/dev/null || true
		wait "$HOOK_PID" 2>/dev/null || true
	fi
}
trap stop_hook EXIT
if command -v node >/dev/null 2>&1; then
	nx_as_owner node "$ROOT/test/peers/receiver.js" "$HOOK_PORT" "$HOOK_LOG" \
		--max-seconds 3600 >"$QS_DIR/hook.out" 2>&1 &
	HOOK_PID=$!
	for _ in $(seq 1 50); do
		grep -q '^ready' "$QS_DIR/hook.out" 2>/dev/null && break
		sleep 0.1
	done
fi

# --- the demo --------------------------------------------------------------
PSQL=("$NX_PG_BIN/psql" -X -h "$QS_DIR" -p "$QS_PORT" -d postgres
	  -v ON_ERROR_STOP=1 --echo-queries -P pager=off)

DOC_ITEM='<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><http synchronous="false"><url>http://127.0.0.1:18099/hook/items</url><method>POST</method><timeout>5</timeout><retry>3</retry><contentType>application/json</contentType></http></action><trigger><item><create/></item></trigger></NotificationDocument>'
DOC_METADATA='<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><http synchronous="false"><url>http://127.0.0.1:18099/hook/metadata</url><method>POST</method><timeout>5</timeout><retry>3</retry><contentType>application/json</contentType></http></action><trigger><metadata><modify/></metadata></trigger></NotificationDocument>'

echo
echo "--- notify_ext quickstart: every statement is printed before its output ---"
echo
nx_as_owner "${PSQL[@]}" <<EOF
CREATE EXTENSION notify_ext;
CREATE EXTENSION notify_ext_assets;

\echo '-- a notification for every new item, and one for item metadata changes'
SELECT notify.create_notification('item', '$DOC_ITEM') AS item_create_notification;
SELECT notify.create_notification('item', '$DOC_METADATA') AS metadata_notification;
SELECT * FROM notify.list_notifications();

\echo '-- the shipped asset table notify.item captures out of the box'
INSERT INTO notify.item (title) VALUES ('Holiday footage') RETURNING id, title;
UPDATE notify.item SET title = 'Holiday footage, final cut' WHERE title = 'Holiday footage' RETURNING id, title;

\echo '-- one outbox row per event and matching notification, written in the same transaction'
SELECT id, notification_id, event, entity_id, payload, status FROM notify.outbox ORDER BY id;
EOF

# Give a delivery worker, if one runs, a few seconds to deliver.
workers=$(nx_as_owner "${PSQL[@]/--echo-queries/-qAt}" -c \
	"SELECT count(*) FROM pg_stat_activity WHERE backend_type ILIKE '%notify%'")
if [[ $workers -gt 0 ]]; then
	for _ in $(seq 1 20); do
		pending=$(nx_as_owner "${PSQL[@]/--echo-queries/-qAt}" -c \
			"SELECT count(*) FROM notify.outbox WHERE status IN ('pending', 'in_flight')")
		[[ $pending -gt 0 ]] || break
		sleep 0.5
	done
	nx_as_owner "${PSQL[@]}" <<EOF
\echo '-- the delivery worker has sent them to the receiver'
SELECT id, event, status, attempts, last_status, last_error FROM notify.outbox ORDER BY id;
EOF
	if [[ -s $HOOK_LOG ]]; then
		echo "--- webhooks received on 127.0.0.1:$HOOK_PORT ---"
		# one line per request: method, path, event id, content type, body
		node -e '
			for (const line of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
				if (!line) continue;
				const r = JSON.parse(line);
				console.log(`${r.m} ${r.u}  event ${r.h["x-notify-event-id"]}  ${r.h["content-type"]}`);
				console.log(`    ${Buffer.from(r.b, "base64").toString()}`);
			}' "$HOOK_LOG"
	fi
else
	echo "(no notify_ext delivery worker is running, so the rows stay pending)"
fi

cat <<EOF

The quickstart cluster is still running (data: $QS_DATA, log: $QS_LOG).
Connect:  $(nx_is_root && echo "runuser -u $NX_OS_USER -- ")$NX_PG_BIN/psql -h $QS_DIR -p $QS_PORT -d postgres
Stop:     $(nx_is_root && echo "runuser -u $NX_OS_USER -- ")$NX_PG_BIN/pg_ctl -D $QS_DATA stop
EOF
