#
# 023_late_commit.pl
#	An event whose transaction commits after later events were delivered
#	is delivered too: session A captures first (lower outbox id) and
#	commits last, session B captures and commits meanwhile, and the
#	worker delivers B's event before A commits.  The classic bug of "id >
#	last seen" outbox readers would skip A's event; it must arrive.
#
use strict;
use warnings;

use IPC::Run;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $db = 'late';
my ($node, $recv, $base) = delivery_setup('late_commit', $db);
my $nid = json_notification($node, $db, "$base/hook/late", '<item><create/></item>');

# A: captures, then holds its transaction open until told to commit
my ($in, $out, $err) = ('', '', '');
my $a = IPC::Run::start(psql_cmd($node, $db), '<', \$in, '>', \$out, '2>', \$err,
	IPC::Run::timeout(60));
$in .= "BEGIN;\nINSERT INTO notify.item (id, title) VALUES ('VX-A', 'first captured');\n"
  . "SELECT 'captured';\n";
$a->pump until $out =~ /captured/;
my $a_id = $node->safe_psql($db,
	"SELECT count(*) FROM notify.outbox WHERE entity_id = 'VX-A'");
is($a_id, '0', 'A: its event is not visible before its commit');

# B: captures after A and commits; its event is delivered while A is open
$node->safe_psql($db, "INSERT INTO notify.item (id, title) VALUES ('VX-B', 'second captured')");
ok(wait_until(30, sub { count_requests($recv, '/hook/late') >= 1 }),
	'B: delivered while A is still open');
my @first = requests($recv, '/hook/late');
is($first[0]{f}{itemId}, 'VX-B', 'B came first');

# A commits: its lower outbox id must not be skipped
$in .= "COMMIT;\n";
$a->finish;
is($a->result(0), 0, 'A commits');
ok(wait_until(30, sub { count_requests($recv, '/hook/late') >= 2 }),
	'A: delivered after its late commit');
my @all = requests($recv, '/hook/late');
is(join(',', map { $_->{f}{itemId} } @all), 'VX-B,VX-A', 'both events, each once');
is($node->safe_psql($db,
		"SELECT string_agg(entity_id || ':' || status, ',' ORDER BY id) FROM notify.outbox WHERE notification_id = '$nid'"),
	'VX-A:delivered,VX-B:delivered', 'the outbox says delivered for both, A with the lower id');

$node->stop;
done_testing();
