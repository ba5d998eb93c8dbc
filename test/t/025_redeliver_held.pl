#
# 025_redeliver_held.pl
#	A read from the first id that comes back full must not let the next
#	reads take the events the worker already holds a second time.
#
#	The worker holds events of a slow thread group (pending rows, being
#	sent or next in their lane) when notify.redeliver queues more failed
#	events below them than one read takes (notify_ext.batch_size 5).  The
#	read from the first id leaves out the held ids and comes back full;
#	the reads that go on above it must still leave them out, or the held
#	events are read again, queued twice in their lane and sent twice
#	without any crash.
#
# Every wait is bounded.
#
use strict;
use warnings;

use Time::HiRes qw(usleep);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $db = 'redeliver_held';
my ($node, $recv, $base) = delivery_setup('redeliver_held', $db);
$node->safe_psql('postgres',
	"ALTER SYSTEM SET notify_ext.batch_size = 5; SELECT pg_reload_conf()");

# F: every item create fails at once (400: not retryable)
my $nid_f = json_notification($node, $db, "$base/status/400/f", '<item><create/></item>');
my @items = split /\n/, $node->safe_psql($db,
	"INSERT INTO notify.item (title) SELECT 'f-' || g FROM generate_series(1, 20) g RETURNING id");
is(scalar @items, 20, '20 items');
ok(wait_for($node, $db,
		"SELECT count(*) FROM notify.outbox WHERE notification_id = '$nid_f' AND status = 'failed'",
		'20', 30),
	'F: 20 events failed');

# S: one thread group, one second per request: the worker holds all four
# (the head being sent, the others next in the lane)
my $nid_s = json_notification($node, $db, "$base/slow/1000/s",
	'<metadata><modify/></metadata>', group => 'held');
$node->safe_psql($db, "UPDATE notify.item SET title = 's-' || id WHERE id = '$_'")
  for @items[0 .. 3];
is($node->safe_psql($db, "SELECT count(*) FROM notify.outbox WHERE notification_id = '$nid_s'"),
	'4', 'S: 4 events, above F\'s');
ok(wait_until(20, sub { count_requests($recv, '/slow/1000/s') >= 1 }),
	'S: the first event is being sent');

# F's 20 events pending again, below the held ones: four reads of 5
is($node->safe_psql($db, "SELECT notify.redeliver('$nid_f')"), '20', 'redeliver F: 20 events');

ok(wait_for($node, $db, settled_sql($nid_s), '0/4', 30), 'S: all 4 events delivered');
# a duplicate would follow right behind the last one in the lane
wait_until(4, sub { count_requests($recv, '/slow/1000/s') > 4 });
my %n;
$n{ $_->{eid} }++ for requests($recv, '/slow/1000/s', 1);
is(scalar(keys %n), 4, 'S: 4 distinct events reached the receiver');
my @twice = grep { $n{$_} != 1 } keys %n;
is(scalar @twice, 0, 'S: each event was sent exactly once')
  or diag(join(', ', map { "$_ x$n{$_}" } @twice));

ok(wait_for($node, $db,
		"SELECT count(*) FROM notify.outbox WHERE notification_id = '$nid_f' AND status = 'failed'",
		'20', 30),
	'F: the redelivered events failed again');
my %nf;
$nf{ $_->{eid} }++ for requests($recv, '/status/400/f', 1);
my @f_bad = grep { $nf{$_} != 2 } keys %nf;
is(scalar @f_bad, 0, 'F: each event was sent twice (once, then once redelivered)');

$node->stop;
done_testing();
