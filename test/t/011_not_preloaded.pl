#
# 011_not_preloaded.pl
#	Without notify_ext in shared_preload_libraries no worker delivers
#	anything: CREATE EXTENSION and defining a notification say so with a
#	WARNING naming the setting, and capture still writes the outbox.  With
#	the library preloaded (every other test) they say nothing.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('not_preloaded');
$node->init;
$node->start;

my ($ret, $out, $err) = $node->psql('postgres',
	'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');
is($ret, 0, 'CREATE EXTENSION works without the library preloaded');
like($err,
	qr/WARNING:  notify_ext is not loaded through shared_preload_libraries.*HINT:  Add notify_ext to shared_preload_libraries in postgresql.conf and restart the server\./s,
	'CREATE EXTENSION warns, naming the setting and the restart');

my $doc = '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">'
  . '<action><http><url>http://127.0.0.1:9/hook</url></http></action>'
  . '<trigger><item><create/></item></trigger></NotificationDocument>';
($ret, $out, $err) = $node->psql('postgres',
	"SELECT notify.create_notification('item', '$doc')");
is($ret, 0, 'a notification is defined');
like($err, qr/WARNING:  notify_ext is not loaded through shared_preload_libraries/,
	'defining a notification warns too');

$node->safe_psql('postgres', "INSERT INTO notify.item (title) VALUES ('x')");
is($node->safe_psql('postgres', "SELECT status FROM notify.outbox"),
	'pending', 'capture still writes the outbox; the event waits');

# preloaded: no warning
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'notify_ext'\n");
$node->restart;
($ret, $out, $err) = $node->psql('postgres',
	"SELECT notify.create_notification('item', '$doc')");
is($ret, 0, 'a notification is defined with the library preloaded');
unlike($err, qr/WARNING/, 'no warning when preloaded');

$node->stop;
done_testing();
