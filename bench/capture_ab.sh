#!/usr/bin/env bash
#
# bench/capture_ab.sh
#	Capture cost of two (or more) builds side by side, as root:
#	  bash bench/capture_ab.sh SECONDS TREE...
#	TREE is a checkout of notify_ext (give a tree twice to see the spread
#	between runs of one build).  Each tree is built and installed into a
#	private copy of PostgreSQL 15's install tree under /tmp (so the system
#	install is untouched), a throwaway cluster is started (notify_ext
#	preloaded, synchronous_commit off) and pgbench (2 clients, SECONDS
#	each) runs INSERT and UPDATE on notify.item (one item create and one
#	metadata modify notification, delivery paused: the trigger's own cost)
#	and the same statements on a plain table with the same columns.
#	Prints one line per tree and statement: tree, statement, tps.
set -euo pipefail
secs=${1:?usage: bash bench/capture_ab.sh SECONDS TREE...}
shift
[[ $# -gt 0 ]] || { echo "usage: bash bench/capture_ab.sh SECONDS TREE..." >&2; exit 2; }
n=0
for tree in "$@"; do
	n=$((n + 1))
	name=$(basename "$(cd "$tree" && pwd)")
	pg=/tmp/notify_ext_ab.$n
	if [[ ! -x $pg/usr/lib/postgresql/15/bin/pg_config ]]; then
		mkdir -p "$pg/usr/lib/postgresql" "$pg/usr/share/postgresql"
		cp -a /usr/lib/postgresql/15 "$pg/usr/lib/postgresql/"
		cp -a /usr/share/postgresql/15 "$pg/usr/share/postgresql/"
		ln -sfn /usr/include "$pg/usr/include"
	fi
	pgc=$pg/usr/lib/postgresql/15/bin/pg_config
	bin=$(dirname "$pgc")
	(cd "$tree" && make -s PG_CONFIG="$pgc" >/dev/null && make -s install PG_CONFIG="$pgc" >/dev/null)
	d=$pg/cluster
	rm -rf "$d"
	mkdir -p "$d"
	chown postgres "$d"
	cd /tmp
	runuser -u postgres -- "$bin/initdb" -D "$d/data" -A trust >/dev/null
	cat >>"$d/data/postgresql.conf" <<CONF
shared_preload_libraries = 'notify_ext'
synchronous_commit = off
shared_buffers = 256MB
listen_addresses = ''
unix_socket_directories = '$d'
port = 5533
CONF
	runuser -u postgres -- "$bin/pg_ctl" -D "$d/data" -l "$d/log" -w start >/dev/null 9>&-
	P=(runuser -u postgres -- "$bin/psql" -qAtX -h "$d" -p 5533 -d postgres -v ON_ERROR_STOP=1)
	"${P[@]}" -c "CREATE EXTENSION notify_ext" -c "CREATE EXTENSION notify_ext_assets" 2>/dev/null
	for trig in '<item><create/></item>' '<metadata><modify/></metadata>'; do
		"${P[@]}" -c "SELECT notify.create_notification('item', '<NotificationDocument xmlns=\"http://xml.vidispine.com/schema/vidispine\"><action><http><url>http://127.0.0.1:9/h</url></http></action><trigger>$trig</trigger></NotificationDocument>')" >/dev/null
	done
	"${P[@]}" -c "SELECT notify.pause_delivery()" >/dev/null
	"${P[@]}" -c "CREATE TABLE plain (id text PRIMARY KEY DEFAULT 'P-' || nextval('notify.entity_id_seq'), title text, created_at timestamptz NOT NULL DEFAULT now(), created_by name NOT NULL DEFAULT current_user)"
	"${P[@]}" -c "INSERT INTO notify.item (id, title) SELECT 'U-' || g, 't' FROM generate_series(1, 10000) g" \
		-c "INSERT INTO plain (id, title) SELECT 'U-' || g, 't' FROM generate_series(1, 10000) g" \
		-c "TRUNCATE notify.outbox" -c "VACUUM ANALYZE"
	echo "INSERT INTO plain (title) VALUES ('x');" >"$d/ins_plain.sql"
	echo "INSERT INTO notify.item (title) VALUES ('x');" >"$d/ins_item.sql"
	printf '\\set k random(1, 10000)\nUPDATE plain SET title = md5(random()::text) WHERE id = %s;\n' "'U-' || :k" >"$d/upd_plain.sql"
	printf '\\set k random(1, 10000)\nUPDATE notify.item SET title = md5(random()::text) WHERE id = %s;\n' "'U-' || :k" >"$d/upd_item.sql"
	chown postgres "$d"/*.sql
	for f in ins_plain ins_item upd_plain upd_item; do
		tps=$(runuser -u postgres -- "$bin/pgbench" -n -c 2 -j 2 -T "$secs" -f "$d/$f.sql" -h "$d" -p 5533 postgres 2>/dev/null |
			  sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
		echo "$name $f $tps"
	done
	runuser -u postgres -- "$bin/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null
	cd - >/dev/null
done
