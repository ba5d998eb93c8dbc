# Copyright (c) 2026, notify_ext developers
#
# DROP DATABASE of a database whose delivery worker is running: the worker
# leaves first, so the DROP succeeds; the launcher frees the slot and keeps
# serving the other databases.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dropdb');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'notify_ext'
notify_ext.naptime = '200ms'
notify_ext.launcher_naptime = '1s'
notify_ext.max_databases = 2
});
$node->start;

my $doc = q{<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><channel><name>drop_test</name></channel></action><trigger><item><create/></item></trigger></NotificationDocument>};

# two databases with the extension, each served by a worker (two slots)
for my $db ('doomed', 'keeper')
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');
	$node->safe_psql($db, "SELECT notify.create_notification('item', '$doc')");
	$node->safe_psql($db, 'INSERT INTO notify.item DEFAULT VALUES');
	ok( $node->poll_query_until($db,
			"SELECT count(*) = 1 FROM notify.outbox WHERE status = 'delivered'"),
		"$db: the worker delivers");
}
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'notify_ext worker'"),
	'2', 'one worker per database');

# DROP DATABASE succeeds although the worker was connected
my ($ret, $stdout, $stderr) = $node->psql('postgres', 'DROP DATABASE doomed');
is($ret, 0, 'DROP DATABASE succeeds while its worker was running');
unlike($stderr, qr/being accessed by other users/, 'the worker was not in the way');

# the slot is freed: a new database gets a worker within the two slots
$node->safe_psql('postgres', 'CREATE DATABASE newcomer');
$node->safe_psql('newcomer', 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');
$node->safe_psql('newcomer', "SELECT notify.create_notification('item', '$doc')");
$node->safe_psql('newcomer', 'INSERT INTO notify.item DEFAULT VALUES');
ok( $node->poll_query_until('newcomer',
		"SELECT count(*) = 1 FROM notify.outbox WHERE status = 'delivered'"),
	'the freed slot serves a new database');

# the other database is still served
$node->safe_psql('keeper', 'INSERT INTO notify.item DEFAULT VALUES');
ok( $node->poll_query_until('keeper',
		"SELECT count(*) = 2 FROM notify.outbox WHERE status = 'delivered'"),
	'the other database is still served');

my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|PANIC/, 'no crash in the server log');

$node->stop;
done_testing();
