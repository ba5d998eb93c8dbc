#
# 015_outbox_ops.pl
#	Operating queued events against the HTTP receiver
#	(test/peers/receiver.js): an event waiting for a retry shows as
#	retrying; an update of the URL reaches it (the retry goes to the new
#	URL); a delete fails waiting events at once with its message, and an
#	attempt being sent when it happens is not retried; notify.discard stops
#	delivery (of a retrying and of a pending event); notify.redeliver by
#	time window and last status or error pattern queues exactly the
#	matching failed events; notify.worker_status shows the worker.
#
# Every wait is bounded.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

# a first retry waits 2.5 to 5 s: long enough to act while an event waits
my $node = notify_node('outbox_ops',
	    "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.backoff_base = '5s'\n"
	  . "notify_ext.backoff_max = '8s'\n"
	  . "notify_ext.launcher_naptime = '1s'\n");
$node->start;

my $recv = start_receiver('outbox_ops', 300);
my $base = $recv->{base};

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub notification
{
	my ($entity, $action) = @_;
	my $doc = notification_document($action);
	return sql("SELECT notify.create_notification('item', '$entity', '$doc')");
}

sub field { return outbox_field($node, 'postgres', @_); }

sub n_requests { return count_requests($recv, $_[0]); }

$node->safe_psql('postgres', 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');

# the worker, as the launcher's shared memory shows it
poll_ok($node, 'postgres',
	"SELECT running AND pid = (SELECT pid FROM pg_stat_activity "
	  . "WHERE backend_type = 'notify_ext worker' AND datname = 'postgres') "
	  . "AND started_at <= now() FROM notify.worker_status WHERE database = 'postgres'",
	't', 'worker_status: the worker of postgres runs, with its pid and start time');

# A: update while retrying; B: delete while retrying; C: discard while
# retrying; G: delete while an attempt is being sent
my %nid;
$nid{a} = notification('VX-913001', http_action(url => "$base/status/503/a", retry => 3, timeout => 5));
$nid{b} = notification('VX-913002', http_action(url => "$base/status/503/b", retry => 5, timeout => 5));
$nid{c} = notification('VX-913003', http_action(url => "$base/status/503/c", retry => 5, timeout => 5));
$nid{g} = notification('VX-913004', http_action(url => "$base/slow/4000/g", retry => 5, timeout => 2));
sql("INSERT INTO notify.item (id, title) VALUES ('VX-913001', 'a'), ('VX-913002', 'b'), ('VX-913003', 'c')");

my $waiting = join(',', map { "'$nid{$_}'" } qw(a b c));
poll_ok($node, 'postgres',
	"SELECT string_agg(status || '|' || attempts, ',') FROM notify.outbox WHERE notification_id IN ($waiting)",
	'retrying|1,retrying|1,retrying|1', 'an event waiting for its retry is retrying');
is( sql("SELECT retrying || '/' || in_flight || '/' || pending FROM notify.delivery_status "
		  . "WHERE notification_id = '$nid{a}'"),
	'1/0/0', 'delivery_status counts it as retrying, not in flight');
like(sql("SELECT lease_until > next_attempt_at FROM notify.outbox WHERE notification_id = '$nid{a}'"),
	qr/^t$/, 'a retrying event has a lease past its next attempt');

# A: the retry goes to the new URL
my $doc_a = notification_document(http_action(url => "$base/ok/a2", retry => 3, timeout => 5));
sql("SELECT notify.update_notification('item', '$nid{a}', '$doc_a')");

# B: deleted, its waiting event fails at once
sql("SELECT notify.delete_notification('item', '$nid{b}')");
is(field($nid{b}, "status || '|' || last_error"), "failed|notification $nid{b} was deleted",
	'delete: the waiting event failed at once with the message');

# C: discarded
my $oid_c = field($nid{c}, 'id');
is(sql("SELECT notify.discard(${oid_c}::bigint)"), "{$oid_c}", 'discard(outbox id) returns the id');
is(field($nid{c}, 'status'), 'discarded', 'discard: the event is discarded');

poll_ok($node, 'postgres', "SELECT status FROM notify.outbox WHERE notification_id = '$nid{a}'",
	'delivered', 'update: the retrying event is delivered');
is(n_requests('/ok/a2'), 1, 'update: the retry went to the new URL');
is(n_requests('/status/503/a'), 1, 'update: and not again to the old one');

# G: an attempt being sent when the notification is deleted
sql("INSERT INTO notify.item (id, title) VALUES ('VX-913004', 'g')");
ok(wait_until($NotifyTest::wait_s, sub { n_requests('/slow/4000/g') >= 1 }),
	'delete while sending: the attempt started');
sql("SELECT notify.delete_notification('item', '$nid{g}')");
is(field($nid{g}, 'status'), 'failed', 'delete while sending: failed at once');

# no retry of B, C or G: wait past their retry time (at most 5 s after the
# first attempt, 2 s timeout for G)
sleep 8;
is(n_requests('/status/503/b'), 1, 'delete: the deleted notification\'s event was not retried');
is(n_requests('/status/503/c'), 1, 'discard: the discarded event was not retried');
is(n_requests('/slow/4000/g'), 1, 'delete while sending: the attempt was not retried');
is(field($nid{g}, "status || '|' || last_error || '|' || attempts"),
	"failed|notification $nid{g} was deleted|1",
	'delete while sending: recorded as failed with the delete message');
is(field($nid{c}, 'status'), 'discarded', 'discard: still discarded');

# D: a pending event discarded by time window is never sent; E, captured
# after it, is
$nid{d} = notification('VX-913005', http_action(url => "$base/ok/d", retry => 0));
$nid{e} = notification('VX-913006', http_action(url => "$base/ok/e", retry => 0));
sql("SELECT notify.pause_delivery()");
sql("INSERT INTO notify.item (id, title) VALUES ('VX-913005', 'd')");
my $oid_d = field($nid{d}, 'id');
is( sql("SELECT notify.discard(now() - interval '1 minute', now() + interval '1 minute', '$nid{d}')"),
	"{$oid_d}", 'discard by window: returns the pending event');
sql("INSERT INTO notify.item (id, title) VALUES ('VX-913006', 'e')");
sql("SELECT notify.resume_delivery()");
poll_ok($node, 'postgres', "SELECT status FROM notify.outbox WHERE notification_id = '$nid{e}'",
	'delivered', 'discard by window: the event captured after it is delivered');
is(n_requests('/ok/d'), 0, 'discard by window: the discarded event was never sent');
is(field($nid{d}, 'status'), 'discarded', 'discard by window: it stays discarded');

# F: redeliver by window and status: two 503s and a 404 failed in the
# window, a 503 before it
$nid{f1} = notification('VX-913007', http_action(url => "$base/status/503/f", retry => 0));
$nid{f2} = notification('VX-913008', http_action(url => "$base/status/404/f", retry => 0));
$nid{f0} = notification('VX-913009', http_action(url => "$base/status/503/f0", retry => 0));
sql("INSERT INTO notify.item (id, title) VALUES ('VX-913009', 'before')");
poll_ok($node, 'postgres', "SELECT status FROM notify.outbox WHERE notification_id = '$nid{f0}'",
	'failed', 'redeliver by window: the event before the window failed');
my $t0 = sql("SELECT now()");
sql("INSERT INTO notify.item (id, title) VALUES ('VX-913007', 'f1'), ('VX-913008', 'f2')");
# a second 503 of the same URL, on a notification of its own
$nid{f3} = notification('VX-913010', http_action(url => "$base/status/503/f", retry => 0));
sql("INSERT INTO notify.item (id, title) VALUES ('VX-913010', 'f3')");
my $fs = join(',', map { "'$nid{$_}'" } qw(f1 f2 f3));
poll_ok($node, 'postgres',
	"SELECT string_agg(status || '|' || last_status, ',' ORDER BY id) FROM notify.outbox WHERE notification_id IN ($fs)",
	'failed|503,failed|404,failed|503', 'redeliver by window: three events failed in the window');
my $t1 = sql("SELECT now()");
my $want = sql("SELECT '{' || string_agg(id::text, ',' ORDER BY id) || '}' FROM notify.outbox "
	  . "WHERE notification_id IN ('$nid{f1}', '$nid{f3}')");
is(sql("SELECT notify.redeliver('$t0'::timestamptz, '$t1'::timestamptz, last_status => 503)"),
	$want, 'redeliver by window and status: returns exactly the two 503s');
ok(wait_until($NotifyTest::wait_s, sub { n_requests('/status/503/f') >= 4 }),
	'redeliver by window and status: both are sent again');
poll_ok($node, 'postgres',
	"SELECT string_agg(status || '|' || attempts, ',' ORDER BY id) FROM notify.outbox WHERE notification_id IN ($fs)",
	'failed|2,failed|1,failed|2', 'redeliver by window and status: they fail again, the 404 untouched');
is(n_requests('/status/503/f0'), 1, 'redeliver by window: the event before the window was not queued');
my $oid_f2 = field($nid{f2}, 'id');
is(sql("SELECT notify.redeliver('$t0'::timestamptz, '$t1'::timestamptz, error_pattern => '^HTTP status 404')"),
	"{$oid_f2}", 'redeliver by window and error pattern: returns the 404');
ok(wait_until($NotifyTest::wait_s, sub { n_requests('/status/404/f') >= 2 }),
	'redeliver by window and error pattern: it is sent again');

$node->stop;
done_testing();
