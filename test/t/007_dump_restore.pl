#
# 007_dump_restore.pl
#	pg_dump / pg_restore, clones and uninstall:
#	A. a source database with delivered and pending events (pending:
#	   captured while notify.pause_delivery() holds delivery), rows in every
#	   shipped asset table and in a user table attached with notify.attach;
#	B. pg_dump -Fc and pg_restore into a new database served by the worker:
#	   every row count and sequence is equal, INSERTs work, and the restored
#	   database delivers nothing (its delivery is paused, shown in
#	   notify.delivery_state and the log) until notify.resume_delivery();
#	C. a clone by CREATE DATABASE ... TEMPLATE is paused too; the source
#	   goes on delivering;
#	D. DROP EXTENSION notify_ext CASCADE keeps the asset rows; CREATE
#	   EXTENSION notify_ext captures on them again.
#
# Every wait is bounded.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $node = notify_node('dump_restore',
	    "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.backoff_base = '100ms'\n"
	  . "notify_ext.launcher_naptime = '1s'\n");
$node->start;

my $recv = start_receiver('dump_restore', 300);
my $base = $recv->{base};

# Item ids of the requests logged so far under a path prefix, in order.
sub items_sent
{
	my ($prefix) = @_;
	return map { $_->{f}{itemId} // '?' } requests($recv, $prefix);
}

sub sql { my ($db, $q) = @_; return $node->safe_psql($db, $q); }

# Wait (bounded) for a line matching $re in the server log after $offset.
sub log_has
{
	my ($offset, $re) = @_;
	return wait_until($NotifyTest::wait_s,
		sub { slurp_file($node->logfile, $offset) =~ $re });
}

sub worker_running
{
	my ($db) = @_;
	return "SELECT count(*) FROM pg_stat_activity "
	  . "WHERE backend_type = 'notify_ext worker' AND datname = '$db'";
}

my $doc = sub {
	my ($path, $retry) = @_;
	return '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">'
	  . "<action><http><url>$base$path</url><retry>$retry</retry>"
	  . '<contentType>application/json</contentType></http></action>'
	  . '<trigger><item><create/></item></trigger></NotificationDocument>';
};

# every table holding data, and the sequences
my @tables = qw(notify.item notify.collection notify.collection_item notify.storage
  notify.file notify.metadata_change_set notify.notification notify.outbox
  notify.attempt public.asset);
my @sequences = qw(notify.entity_id_seq notify.change_set_id_seq
  notify.notification_id_seq notify.outbox_id_seq);

sub counts
{
	my ($db) = @_;
	return sql($db,
		join(" UNION ALL\n",
			(map { "SELECT '$_', count(*)::text FROM $_" } @tables),
			(map { "SELECT '$_', last_value::text FROM $_" } @sequences)));
}

# ---------------------------------------------------------------------
# A. The source database
# ---------------------------------------------------------------------
my $log_off = -s $node->logfile;
sql('postgres', 'CREATE DATABASE src');
sql('src', 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');
sql('src', q{
	CREATE TABLE public.asset (id text PRIMARY KEY, title text);
	SELECT notify.attach('public.asset', 'item', 'id');
});
my $nid = sql('src', "SELECT notify.create_notification('item', '" . $doc->('/ok/src', 0) . "')");
my $nid_flaky = sql('src', "SELECT notify.create_notification('item', 'VX-FLAKY', '"
	  . $doc->('/flaky/1/src', 2) . "')");
sql('src', "SELECT notify.create_notification('storage', '"
	  . '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">'
	  . "<action><http><url>$base/ok/storage</url><retry>0</retry></http></action>"
	  . "<trigger><storage><create/></storage></trigger></NotificationDocument>')");
sql('src', q{
	INSERT INTO notify.item (id, title) VALUES ('VX-FLAKY', 'retried once'), ('VX-D1', 'delivered');
	INSERT INTO notify.item (title) VALUES ('by default');
	INSERT INTO public.asset VALUES ('U-1', 'user table');
	INSERT INTO notify.storage (name) VALUES ('disk') ;
	INSERT INTO notify.collection (title) VALUES ('box');
	INSERT INTO notify.collection_item
		SELECT c.id, 'VX-D1' FROM notify.collection c;
	INSERT INTO notify.file (storage_id, item_id, path)
		SELECT s.id, 'VX-D1', 'a.mov' FROM notify.storage s;
	INSERT INTO notify.metadata_change_set (resource, entity_id, fields)
		VALUES ('item', 'VX-D1', '[{"name": "title", "value": "x"}]');
});
poll_ok($node, 'src', "SELECT count(*) FILTER (WHERE status = 'delivered') || '/' || count(*) FROM notify.outbox",
	'6/6', 'source: six events delivered (one after a retry)');
is(sql('src', 'SELECT count(*) FROM notify.attempt'), '1', 'source: the retry left an attempt row');

# events captured while delivery is paused stay pending
sql('src', 'SELECT notify.pause_delivery()');
is(sql('src', "SELECT paused || '|' || reason FROM notify.delivery_state"),
	'true|paused by notify.pause_delivery()', 'source: notify.delivery_state shows the pause');
ok(log_has($log_off, qr/notify_ext delivery is paused in database "src"\n.*DETAIL:  notify.pause_delivery\(\) was called/),
	'source: the worker logs the pause');
sql('src', "INSERT INTO notify.item (id, title) VALUES ('VX-P1', 'pending'), ('VX-P2', 'pending')");
sleep 1;    # five worker periods
is(sql('src', "SELECT count(*) FROM notify.outbox WHERE status = 'pending'"), '2',
	'source: two events pending while paused');
my $sent_src = scalar(items_sent('/ok/src'));
is($sent_src, 4, 'source: nothing sent while paused');

# ---------------------------------------------------------------------
# B. pg_dump and pg_restore
# ---------------------------------------------------------------------
my $dump = $node->basedir . '/src.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ], 'pg_dump -Fc');
my $before = counts('src');
sql('postgres', 'CREATE DATABASE restored');
$log_off = -s $node->logfile;
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
	'pg_restore');
is(counts('restored'), $before, 'restored: every table and sequence has the rows of the source');
is(sql('restored', "SELECT count(*) FROM notify.outbox WHERE status = 'pending'"), '2',
	'restored: the two pending events came along');

poll_ok($node, 'postgres', worker_running('restored'), '1', 'restored: a worker serves it');
ok(log_has($log_off,
	qr/notify_ext delivery is paused in database "restored": it was restored or copied from another database\n.*DETAIL:  The database records the delivery site system identifier \d+, database OID \d+, recorded at .*\n.*HINT: .*SELECT notify\.resume_delivery\(\);/),
	'restored: the worker logs why delivery is paused');
is( sql('restored', "SELECT paused || '|' || reason || '|' || (recorded_site LIKE 'system identifier % database OID '
		  || (SELECT oid FROM pg_database WHERE datname = 'src') || ',%') FROM notify.delivery_state"),
	'true|restored or copied from another database|true',
	'restored: notify.delivery_state names the source');

# INSERTs work: the outbox id sequence came along
my $new_id = sql('restored', "INSERT INTO notify.item (id, title) VALUES ('VX-R1', 'restored') RETURNING id");
is($new_id, 'VX-R1', 'restored: an INSERT into an asset table works');
sql('restored', "INSERT INTO public.asset VALUES ('U-R1', 'restored')");
is(sql('restored', "SELECT count(*) FROM notify.outbox WHERE entity_id IN ('VX-R1', 'U-R1') AND status = 'pending'"),
	'2', 'restored: its events are captured (no duplicate outbox id) and wait');
sleep 2;    # ten worker periods
is(scalar(items_sent('/ok/src')), $sent_src, 'restored: nothing reached the receiver while paused');
is(sql('restored', "SELECT count(*) FROM notify.outbox WHERE status <> 'delivered'"), '4',
	'restored: the events stay pending');

# ---------------------------------------------------------------------
# C. A clone, and the source goes on
# ---------------------------------------------------------------------
$log_off = -s $node->logfile;
sql('postgres', 'CREATE DATABASE cloned TEMPLATE src');
poll_ok($node, 'postgres', worker_running('cloned'), '1', 'cloned: a worker serves it');
ok(log_has($log_off, qr/notify_ext delivery is paused in database "cloned": it was restored or copied/),
	'cloned: delivery is paused');
is(sql('cloned', 'SELECT paused FROM notify.delivery_state'), 't', 'cloned: notify.delivery_state says paused');
sql('cloned', "INSERT INTO notify.item (id, title) VALUES ('VX-C1', 'cloned')");

sql('src', 'SELECT notify.resume_delivery()');
poll_ok($node, 'src', "SELECT count(*) FROM notify.outbox WHERE status = 'delivered'", '8',
	'source: resumed, the pending events are delivered');
sql('src', "INSERT INTO notify.item (id, title) VALUES ('VX-S2', 'after the copies')");
poll_ok($node, 'src', "SELECT status FROM notify.outbox WHERE entity_id = 'VX-S2'", 'delivered',
	'source: a new event is delivered');
is(join(',', sort(items_sent('/ok/src'))), join(',', sort qw(VX-FLAKY VX-D1 VX-1 U-1 VX-P1 VX-P2 VX-S2)),
	'source: each event reached the receiver once');

# resume the restored database: its events go out, the clone's do not
$log_off = -s $node->logfile;
sql('restored', 'SELECT notify.resume_delivery()');
is(sql('restored', 'SELECT paused FROM notify.delivery_state'), 'f', 'restored: resumed');
ok(log_has($log_off, qr/notify_ext delivery resumed in database "restored"/), 'restored: the worker logs the resume');
poll_ok($node, 'restored', "SELECT count(*) FROM notify.outbox WHERE status <> 'delivered'", '0',
	'restored: its events are delivered after notify.resume_delivery()');
ok(wait_until($NotifyTest::wait_s, sub { grep { $_ eq 'VX-R1' } items_sent('/ok/src') }), 'restored: its new event reached the receiver');
ok(!grep({ $_ eq 'VX-C1' } items_sent('/ok/src')), 'cloned: nothing sent');
is(sql('cloned', "SELECT status FROM notify.outbox WHERE entity_id = 'VX-C1'"), 'pending', 'cloned: its event waits');

# ---------------------------------------------------------------------
# D. Uninstall and reinstall
# ---------------------------------------------------------------------
my $assets = sql('restored', join(' UNION ALL ', map { "SELECT count(*) FROM $_" }
	  qw(notify.item notify.collection notify.collection_item notify.storage notify.file notify.metadata_change_set public.asset)));
sql('restored', 'DROP EXTENSION notify_ext CASCADE');
poll_ok($node, 'postgres', worker_running('restored'), '0', 'the worker of the database leaves');
is(sql('restored', join(' UNION ALL ', map { "SELECT count(*) FROM $_" }
	  qw(notify.item notify.collection notify.collection_item notify.storage notify.file notify.metadata_change_set public.asset))),
	$assets, 'DROP EXTENSION notify_ext CASCADE keeps every asset row');
is(sql('restored', "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'notify_capture%'"), '0',
	'and drops the capture triggers');
sql('restored', 'CREATE EXTENSION notify_ext');
is(sql('restored', 'SELECT paused FROM notify.delivery_state'), 'f', 'reinstalled: delivers');
sql('restored', "SELECT notify.create_notification('item', '" . $doc->('/ok/again', 0) . "')");
sql('restored', "INSERT INTO notify.item (id, title) VALUES ('VX-A1', 'again')");
is(sql('restored', "INSERT INTO notify.metadata_change_set (resource, entity_id, fields) "
		  . "VALUES ('item', 'VX-A1', '[]') RETURNING id"), 'VX-2',
	'reinstalled: change set ids go on after the kept ones');
poll_ok($node, 'restored', "SELECT status FROM notify.outbox WHERE entity_id = 'VX-A1'", 'delivered',
	'reinstalled: an insert into a shipped asset table raises an event, delivered');
is(join(',', items_sent('/ok/again')), 'VX-A1', 'reinstalled: the receiver got it');

$node->stop;
done_testing();
