#
# 027_upgrade_lanes.pl
#	notify_ext.delivery_processes = 2 across ALTER EXTENSION UPDATE from
#	1.0: events captured before the update (with the new library, into
#	the 1.0 outbox, so without a lane) and events of the same thread group
#	captured after it must still arrive in outbox id order.  The update
#	gives the undelivered events their lane (notify.event_lane), so a
#	group whose lane falls to process 1 has its old events there too, not
#	sent by process 0 beside (before) its new ones.
#
# Every wait is bounded.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $db = 'upl';
my $node = notify_node('upgrade_lanes',
	    "notify_ext.delivery_processes = 2\n"
	  . "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.launcher_naptime = '1s'\n"
	  . "max_connections = 30\n");
$node->start;
my $recv = start_receiver('upgrade_lanes', 400);
my $base = $recv->{base};
$node->safe_psql('postgres', "CREATE DATABASE $db");
$node->safe_psql($db,
	"CREATE EXTENSION notify_ext VERSION '1.0'; CREATE EXTENSION notify_ext_assets VERSION '1.0'");

# four thread groups: at least one of them falls to process 1
my @groups = qw(ga gb gc gd);
my %nid = map { $_ => json_notification($node, $db, "$base/slow/400/$_", '<item><create/></item>',
		group => $_) } @groups;
$node->safe_psql($db,
	"INSERT INTO notify.item (title) SELECT 'old-' || g FROM generate_series(1, 3) g");
is($node->safe_psql($db, "SELECT count(*) FROM notify.outbox WHERE status = 'pending'"),
	'12', '1.0 objects: 12 events pending (the worker waits for the update)');

$node->safe_psql($db, "SELECT notify.pause_delivery()");
$node->safe_psql($db,
	'ALTER EXTENSION notify_ext UPDATE; ALTER EXTENSION notify_ext_assets UPDATE');
$node->safe_psql($db, "INSERT INTO notify.item (title) VALUES ('new')");
is($node->safe_psql($db,
		"SELECT count(*) FILTER (WHERE lane IS NULL) || '/' || count(*) FILTER (WHERE lane IS NOT NULL) "
		  . "FROM notify.outbox"),
	'0/16', 'after the update: the 12 events captured before it have their lane too');
my $odd = $node->safe_psql($db, "SELECT string_agg(notification_id, ',' ORDER BY notification_id) "
	  . "FROM notify.outbox WHERE lane % 2 = 1");
ok($odd ne '', "groups of process 1: $odd");
$node->safe_psql($db, "SELECT notify.resume_delivery()");

ok(wait_for($node, $db,
		"SELECT count(*) FILTER (WHERE status = 'delivered') FROM notify.outbox", '16', 60),
	'all 16 events delivered');

my %eid_id = map { split /\|/ } split /\n/, $node->safe_psql($db,
	"SELECT event_id || '|' || id FROM notify.outbox");
for my $g (@groups)
{
	my @ids = map { $eid_id{ $_->{eid} } // -1 } requests($recv, "/slow/400/$g", 1);
	my @bad = grep { $ids[$_] <= $ids[ $_ - 1 ] } 1 .. $#ids;
	is(scalar @bad, 0, "group $g ($nid{$g}): its events arrived in outbox id order")
	  or diag('ids in order of arrival: ' . join(',', @ids));
}

$node->stop;
done_testing();
