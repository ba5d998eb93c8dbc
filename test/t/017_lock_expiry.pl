#
# 017_lock_expiry.pl
#	A deletion lock's expire event is written at its expiry by the delivery
#	worker's timer, with no write by anyone at that time:
#
#  1. a lock expiring in 3 s: one expire event, written within the
#	  timer's resolution after the expiry (notify_ext.naptime is 60 s, so
#	  the naptime backstop cannot be what fires it);
#  2. a lock whose expiry is moved before it passes: only the new expiry
#	  fires, once;
#  3. a lock expiring after a restart of the server that happens before its
#	  expiry: fired on time by the new worker, exactly once.
#
# The outbox row's created_at is the start of the worker's transaction that
# wrote it.  Every wait is bounded.
#
use strict;
use warnings;

use Time::HiRes qw(usleep);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $db = 'locks';
# the lag allowed between an expiry and its event (the timer wakes within
# a millisecond; this leaves room for a loaded machine)
my $bound_ms = 500;

my $node = notify_node('lock_expiry', "notify_ext.naptime = 60000\n");
$node->start;
$node->safe_psql('postgres', "CREATE DATABASE $db");
$node->safe_psql($db, 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');
my $nid = $node->safe_psql($db,
	    "SELECT notify.create_notification('deletion-lock', '"
	  . notification_document(
		'<http synchronous="false"><url>http://127.0.0.1:1/x</url>'
		  . '<method>POST</method><timeout>5</timeout><retry>0</retry></http>',
		'<deletionLock><expire/></deletionLock>')
	  . "')");
like($nid, qr/^VX-\d+$/, 'expire notification created');
ok(wait_for($node, $db, "SELECT count(*) FROM pg_stat_activity "
		  . "WHERE backend_type = 'notify_ext worker' AND datname = '$db'", '1', 20),
	'worker running');

# expired(LOCK): "count|lag ms" of the expire events of LOCK, the lag being
# the time from the lock's expiry to the event's writing
sub expired
{
	my ($lock) = @_;
	return $node->safe_psql($db,
		"SELECT count(*) || '|' || COALESCE(max(round(extract(epoch FROM o.created_at - l.expiry_time) * 1000)), -1)"
		  . " FROM notify.outbox o JOIN notify.deletion_lock l ON l.id = o.entity_id"
		  . " WHERE o.event = 'deletionLock.expire' AND o.entity_id = '$lock'");
}

# check_on_time(LOCK, NAME): one expire event of LOCK, 0 <= lag < bound
sub check_on_time
{
	my ($lock, $name) = @_;
	ok(wait_for($node, $db,
			"SELECT count(*) FROM notify.outbox WHERE event = 'deletionLock.expire' AND entity_id = '$lock'",
			'1', 20),
		"$name: the expire event is written");
	my ($n, $lag) = split /\|/, expired($lock);
	cmp_ok($lag, '>=', 0, "$name: not before the expiry");
	cmp_ok($lag, '<', $bound_ms, "$name: within $bound_ms ms of the expiry (lag $lag ms)");
	usleep(1_000_000);
	is((split /\|/, expired($lock))[0], '1', "$name: exactly once");
}

# 1. on time, no write at the expiry
$node->safe_psql($db,
	"INSERT INTO notify.deletion_lock (id, entity_type, entity_id, expiry_time) "
	  . "VALUES ('VX-T1', 'item', 'VX-1', clock_timestamp() + interval '3 s')");
is(expired('VX-T1'), '0|-1', 'no expire event before the expiry');
check_on_time('VX-T1', 'timer');

# 2. moved before its expiry: the old expiry does not fire
$node->safe_psql($db,
	"INSERT INTO notify.deletion_lock (id, entity_type, entity_id, expiry_time) "
	  . "VALUES ('VX-T2', 'item', 'VX-2', clock_timestamp() + interval '2 s')");
$node->safe_psql($db,
	"UPDATE notify.deletion_lock SET expiry_time = clock_timestamp() + interval '4 s' WHERE id = 'VX-T2'");
usleep(2_500_000);
is((split /\|/, expired('VX-T2'))[0], '0', 'moved: the old expiry did not fire');
check_on_time('VX-T2', 'moved');

# 3. a restart before the expiry
$node->safe_psql($db,
	"INSERT INTO notify.deletion_lock (id, entity_type, entity_id, expiry_time) "
	  . "VALUES ('VX-T3', 'item', 'VX-3', clock_timestamp() + interval '8 s')");
$node->restart;
is((split /\|/, expired('VX-T3'))[0], '0', 'restart: not fired before the expiry');
check_on_time('VX-T3', 'restart');

$node->stop;
done_testing();
