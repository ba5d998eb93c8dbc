#
# 014_standby.pl
#	Standby and failover: a streaming standby replays the outbox but runs
#	no launcher and no worker (nothing is delivered from a standby); after
#	promotion the launcher starts and the promoted server delivers the
#	events the old primary captured and had not delivered, to the same
#	receiver, as the same delivery site (no resume needed).
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $db = 'ha';
my $primary = PostgreSQL::Test::Cluster->new('standby_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf',
	"shared_preload_libraries = 'notify_ext'\n"
	  . "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.launcher_naptime = '1s'\n");
$primary->start;
my $recv = start_receiver('standby', 300);
my $base = $recv->{base};
$primary->safe_psql('postgres', "CREATE DATABASE $db");
$primary->safe_psql($db, 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');
my $nid = json_notification($primary, $db, "$base/hook/ha", '<item><create/></item>');

# delivered by the primary
$primary->safe_psql($db, "INSERT INTO notify.item (title) SELECT 'a' || g FROM generate_series(1, 5) g");
ok(wait_for($primary, $db, settled_sql($nid), '0/5', 30), 'the primary delivers');

$primary->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('standby_standby');
$standby->init_from_backup($primary, 'b', has_streaming => 1);
$standby->start;

# events the primary captures but holds back (paused), replayed on the standby
$primary->safe_psql($db, "SELECT notify.pause_delivery()");
$primary->safe_psql($db, "INSERT INTO notify.item (title) SELECT 'b' || g FROM generate_series(1, 10) g");
$primary->wait_for_catchup($standby);
is($standby->safe_psql($db, "SELECT count(*) FROM notify.outbox WHERE status = 'pending'"),
	'10', 'the standby has the held-back events');
sleep 2;    # two launcher periods
is($standby->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'notify_ext%'"),
	'0', 'no launcher and no worker run on a standby');
is(count_requests($recv, '/hook/ha'), 5, 'nothing is delivered from the standby');

# failover: the primary is gone; delivery was paused there, so lift the
# pause on the promoted server (a pause travels with the data, as it should)
$primary->stop('immediate');
$standby->promote;
ok(wait_for($standby, 'postgres',
		"SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'notify_ext launcher'",
		't', 30), 'the launcher starts after promotion');
is($standby->safe_psql($db, "SELECT paused, reason FROM notify.delivery_state"),
	't|paused by notify.pause_delivery()',
	'the promoted server is the same delivery site: only the pause of the old primary holds it');
$standby->safe_psql($db, "SELECT notify.resume_delivery()");
ok(wait_for($standby, $db, settled_sql($nid), '0/15', 30),
	'the promoted server delivers what the old primary captured');
is(count_requests($recv, '/hook/ha'), 15, 'every event reached the receiver once');

$standby->stop;
done_testing();
