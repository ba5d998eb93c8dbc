#
# 026_read_memory.pl
#	The worker's memory for held events does not grow with the number of
#	reads: while it holds 2,000 events of a slow thread group, a stream of
#	commits makes it read from the first id again and again (each read
#	leaves out the held ids, passed as an array); the memory context of
#	its events (notify_ext events, logged by pg_log_backend_memory_contexts)
#	must stay the same size over 100 such reads.
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

my $db = 'read_memory';
my ($node, $recv, $base) = delivery_setup('read_memory', $db);

# the held events: one thread group behind a request that takes 30 s
my $nid_h = json_notification($node, $db, "$base/slow/30000/h", '<item><create/></item>',
	group => 'hold');
my @items = split /\n/, $node->safe_psql($db,
	"INSERT INTO notify.item (title) SELECT 'h-' || g FROM generate_series(1, 2000) g RETURNING id");
ok(wait_until(20, sub { count_requests($recv, '/slow/30000/h') >= 1 }),
	'the thread group\'s first event is being sent');

# a quick notification: each of its commits makes the worker read again
my $nid_q = json_notification($node, $db, "$base/ok/q", '<metadata><modify/></metadata>');
my $pid = worker_pid($node, $db);
like($pid, qr/^\d+$/, "the worker runs (pid $pid)");

sub commits
{
	my ($n) = @_;
	for my $i (1 .. $n)
	{
		$node->safe_psql($db, "UPDATE notify.item SET title = 'q$i' WHERE id = '$items[0]'");
		usleep(70_000);
	}
}

# the size of the worker's notify_ext events context, from the server log
sub events_context_bytes
{
	my $off = -s $node->logfile;
	$node->safe_psql($db, "SELECT pg_log_backend_memory_contexts($pid)");
	my $bytes;
	wait_until(10, sub {
			($bytes) = slurp_file($node->logfile, $off) =~ /notify_ext events: (\d+) total/;
			defined $bytes;
		});
	return $bytes // -1;
}

commits(10);
my $before = events_context_bytes();
ok($before > 0, "notify_ext events: $before bytes");
commits(100);
ok(wait_until(20, sub { count_requests($recv, '/ok/q') >= 110 }), '110 quick events delivered');
my $after = events_context_bytes();
ok($after > 0, "notify_ext events after 100 reads: $after bytes");
cmp_ok($after - $before, '<', 256 * 1024,
	'the events context did not grow with the reads (2,000 held ids are 16 kB a read)');

is(worker_pid($node, $db), $pid, 'the same worker throughout');
$node->stop;
done_testing();
