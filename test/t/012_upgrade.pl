#
# 012_upgrade.pl
#	ALTER EXTENSION ... UPDATE from every released version gives the same
#	objects as a fresh install of the current one (compared through
#	test/t/extension_objects.sql: definitions, columns, constraints,
#	indexes, triggers, policies, privileges, comments, dump
#	configuration), and what a 1.0 database held still works after the
#	update.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $node = notify_node('upgrade');
$node->start;

my $objects = slurp_file('test/t/extension_objects.sql');
my $current = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'notify_ext'");
my $doc = '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">'
  . '<action><http><url>http://127.0.0.1:9/hook</url></http></action>'
  . '<trigger><item><create/></item></trigger></NotificationDocument>';

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');
my @fresh = split /\n/, $node->safe_psql('fresh', $objects);
cmp_ok(scalar @fresh, '>', 100, 'the fresh install describes its objects');

for my $from ('1.0')
{
	my $db = 'from_' . ($from =~ tr/./_/r);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db,
		"CREATE EXTENSION notify_ext VERSION '$from'; "
		  . "CREATE EXTENSION notify_ext_assets VERSION '$from'");
	# what a user of the old version has: a notification and a queued event,
	# captured and held by the new library (installed, server not yet
	# updated: the worker runs but must not deliver into the old objects)
	my $log_start = -s $node->logfile;
	my $id = $node->safe_psql($db, "SELECT notify.create_notification('item', '$doc')");
	$node->safe_psql($db, "INSERT INTO notify.item (title) VALUES ('before')");
	# every shipped table of the old version still captures
	$node->safe_psql($db, q{
		INSERT INTO notify.storage (id, name) VALUES ('VX-S', 's');
		INSERT INTO notify.file (storage_id, path) VALUES ('VX-S', 'a.mov');
		UPDATE notify.file SET state = 'CLOSED', size = 10 WHERE path = 'a.mov';
		INSERT INTO notify.collection (id, title) VALUES ('VX-C', 'c');
		INSERT INTO notify.collection_item SELECT 'VX-C', id FROM notify.item;
		UPDATE notify.item SET title = 'renamed';
		DELETE FROM notify.file;
	});
	ok(wait_until(30, sub {
			slurp_file($node->logfile, $log_start) =~
			  /notify_ext delivery is paused in database "$db": its notify_ext objects are version $from, the library is version $current/;
		}), "$from: the worker says the objects are older than the library");
	sleep 2;
	is($node->safe_psql($db,
			"SELECT status || ':' || attempts FROM notify.outbox WHERE notification_id = '$id'"),
		'pending:0', "$from: the worker delivers nothing into the old objects");
	unlike(slurp_file($node->logfile, $log_start), qr/ERROR/,
		"$from: no ERROR from the worker, the poller or capture meanwhile");
	$node->safe_psql($db, "SELECT notify.pause_delivery()");

	$node->safe_psql($db,
		'ALTER EXTENSION notify_ext UPDATE; ALTER EXTENSION notify_ext_assets UPDATE');
	is($node->safe_psql($db,
			"SELECT string_agg(extversion, ',' ORDER BY extname) FROM pg_extension "
			  . "WHERE extname IN ('notify_ext', 'notify_ext_assets')"),
		"$current,$current", "$from: both extensions are at $current after the update");

	my @updated = split /\n/, $node->safe_psql($db, $objects);
	my %in_fresh = map { $_ => 1 } @fresh;
	my %in_updated = map { $_ => 1 } @updated;
	my @missing = grep { !$in_updated{$_} } @fresh;
	my @extra = grep { !$in_fresh{$_} } @updated;
	ok(!@missing && !@extra, "$from: the update gives the objects of a fresh $current")
	  or diag("only in the fresh install:\n  " . join("\n  ", @missing)
		  . "\nonly after the update:\n  " . join("\n  ", @extra));

	# after the update the worker delivers (here: tries, the receiver is
	# not there)
	$node->safe_psql($db, "SELECT notify.resume_delivery()");
	ok(wait_for($node, $db,
			"SELECT attempts > 0 FROM notify.outbox WHERE notification_id = '$id' ORDER BY id LIMIT 1",
			't', 30), "$from: after the update the worker delivers again");

	like($node->safe_psql($db, "SELECT notify.get_notification('item', '$id')"),
		qr/127\.0\.0\.1:9\/hook/, "$from: the notification survives the update");
	$node->safe_psql($db, "INSERT INTO notify.item (title) VALUES ('after')");
	is($node->safe_psql($db,
			"SELECT count(*) FROM notify.outbox WHERE notification_id = '$id'"),
		'2', "$from: the queued event survives and capture goes on after the update");
}

# the other order: the asset tables first, then notify_ext (each extension
# attaches what the other one brings once both are 1.1)
{
	my $db = 'assets_first';
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db,
		"CREATE EXTENSION notify_ext VERSION '1.0'; CREATE EXTENSION notify_ext_assets VERSION '1.0'");
	$node->safe_psql($db, "ALTER EXTENSION notify_ext_assets UPDATE");
	$node->safe_psql($db, "INSERT INTO notify.item (title) VALUES ('between the updates')");
	$node->safe_psql($db, "ALTER EXTENSION notify_ext UPDATE");
	my @updated = split /\n/, $node->safe_psql($db, $objects);
	my %in_fresh = map { $_ => 1 } @fresh;
	my %in_updated = map { $_ => 1 } @updated;
	my @missing = grep { !$in_updated{$_} } @fresh;
	my @extra = grep { !$in_fresh{$_} } @updated;
	ok(!@missing && !@extra, "assets first: the updates give the objects of a fresh $current")
	  or diag("only in the fresh install:\n  " . join("\n  ", @missing)
		  . "\nonly after the updates:\n  " . join("\n  ", @extra));
}

$node->stop;
done_testing();
