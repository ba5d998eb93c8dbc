#
# 001_capture_durability.pl
#	Capture is transactional and survives a crash.
#
# Committed item inserts (500 in one transaction, 50 in transactions of their
# own) leave exactly one pending outbox row per insert and matching
# notification; rolled-back inserts (a whole transaction, and a subtransaction
# inside a committed one) leave none.  The server is then stopped with
# "immediate" (no shutdown checkpoint: everything comes back through WAL
# replay) and the outbox is checked after the restart.
#
# The test works in a database of its own that the delivery workers are told
# not to serve (notify_ext.databases), so the rows stay pending; the http
# action points at a port nothing listens on anyway.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $db = 'capture_durability';

my $node = notify_node('capture', "notify_ext.databases = 'postgres'\n");
$node->start;

$node->safe_psql('postgres', "CREATE DATABASE $db");
$node->safe_psql($db, 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');

# dead_port_document(TRIGGER): a NotificationDocument with an http action
# to a dead port and TRIGGER as the content of <trigger>.
sub dead_port_document
{
	my ($trigger) = @_;
	return notification_document(
		'<http synchronous="false"><url>http://127.0.0.1:1/x</url>'
		  . '<method>POST</method><timeout>5</timeout><retry>3</retry>'
		  . '<contentType>application/json</contentType></http>',
		$trigger);
}

my $item_nid = $node->safe_psql($db,
	    "SELECT notify.create_notification('item', '"
	  . dead_port_document('<item><create/></item>')
	  . "')");
my $file_nid = $node->safe_psql($db,
	    "SELECT notify.create_notification('file', '"
	  . dead_port_document('<file><new/></file>')
	  . "')");
like($item_nid, qr/^VX-\d+$/, 'item create notification created');
like($file_nid, qr/^VX-\d+$/, 'file new notification created');

# 500 single-row inserts in one committed transaction; in its middle 20 more
# in a subtransaction that is rolled back.
my $sql = "BEGIN;\n";
$sql .= "INSERT INTO notify.item (title) VALUES ('batch $_');\n" for 1 .. 250;
$sql .= "SAVEPOINT sp;\n";
$sql .= "INSERT INTO notify.item (title) "
  . "SELECT 'subxact ' || g FROM generate_series(1, 20) g RETURNING id;\n";
$sql .= "ROLLBACK TO SAVEPOINT sp;\n";
$sql .= "INSERT INTO notify.item (title) VALUES ('batch $_');\n" for 251 .. 500;
$sql .= "COMMIT;\n";
my @subxact_ids = split /\n/, $node->safe_psql($db, $sql);
is(scalar @subxact_ids, 20, 'subtransaction inserted 20 items before its rollback');

# 50 transactions of one insert each (autocommit).
$node->safe_psql($db,
	join('', map { "INSERT INTO notify.item (title) VALUES ('single $_');\n" } 1 .. 50));

# A transaction of 200 inserts that rolls back.
my @rollback_ids = split /\n/,
  $node->safe_psql($db,
	    "BEGIN;\n"
	  . "INSERT INTO notify.item (title) "
	  . "SELECT 'rolled back ' || g FROM generate_series(1, 200) g RETURNING id;\n"
	  . "ROLLBACK;\n");
is(scalar @rollback_ids, 200, 'rolled-back transaction inserted 200 items');

is($node->safe_psql($db, 'SELECT count(*) FROM notify.outbox'),
	'550', 'before the crash: 550 outbox rows');

# Crash: no shutdown checkpoint, recovery replays the WAL.
$node->stop('immediate');
$node->start;

is( $node->safe_psql($db,
		"SELECT count(*) FILTER (WHERE title LIKE 'batch %') || ',' || "
		  . "count(*) FILTER (WHERE title LIKE 'single %') || ',' || count(*) "
		  . "FROM notify.item"),
	'500,50,550',
	'after the crash: the 550 committed items exist');

is( $node->safe_psql($db,
		"SELECT count(*) || ',' || count(*) FILTER (WHERE status = 'pending') "
		  . "|| ',' || count(*) FILTER (WHERE event = 'item.create' AND resource = 'item') "
		  . "FROM notify.outbox"),
	'550,550,550',
	'after the crash: 550 outbox rows, all pending item.create');

is( $node->safe_psql($db,
		"SELECT count(DISTINCT notification_id) || ',' || min(notification_id) "
		  . "FROM notify.outbox"),
	"1,$item_nid",
	'every row belongs to the item create notification, none to the file one');

is( $node->safe_psql($db,
		'SELECT count(*) FROM (SELECT entity_id FROM notify.outbox '
		  . 'GROUP BY entity_id HAVING count(*) <> 1) d'),
	'0',
	'exactly one row per captured item');

is( $node->safe_psql($db,
		'SELECT count(*) FROM notify.item i WHERE NOT EXISTS '
		  . '(SELECT 1 FROM notify.outbox o WHERE o.entity_id = i.id)'),
	'0',
	'every committed item has its outbox row');

is( $node->safe_psql($db,
		'SELECT count(*) FROM notify.outbox o WHERE NOT EXISTS '
		  . '(SELECT 1 FROM notify.item i WHERE i.id = o.entity_id)'),
	'0',
	'no outbox row without a committed item');

is( $node->safe_psql($db,
		"SELECT count(*) FROM notify.outbox "
		  . "WHERE payload->'itemId'->>0 = entity_id "
		  . "AND json_array_length(payload->'itemId') = 1 "
		  . "AND payload->'action'->>0 = 'CREATE'"),
	'550',
	'payload of every row names its item and action CREATE');

my $absent = join(',', map { "'$_'" } @rollback_ids, @subxact_ids);
is( $node->safe_psql($db,
		"SELECT count(*) FROM notify.outbox WHERE entity_id IN ($absent)"),
	'0',
	'no outbox row for the rolled-back inserts');
is( $node->safe_psql($db,
		"SELECT count(*) FROM notify.item WHERE id IN ($absent)"),
	'0',
	'the rolled-back items do not exist');

# Capture still works after recovery.
my $new_id = $node->safe_psql($db,
	"INSERT INTO notify.item (title) VALUES ('after restart') RETURNING id");
is( $node->safe_psql($db,
		"SELECT count(*) FROM notify.outbox WHERE entity_id = '$new_id' "
		  . "AND event = 'item.create' AND status = 'pending' "
		  . "AND payload->'itemId'->>0 = '$new_id'"),
	'1',
	'an insert after the restart is captured');

$node->stop;

done_testing();
