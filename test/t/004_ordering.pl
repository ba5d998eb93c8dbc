#
# 004_ordering.pl
#	Delivery order, against the HTTP receiver (test/peers/receiver.js):
#
#  1. per-entity order: 50 items updated 20 times each, interleaved; every
#	  item's updates arrive in order, and items are delivered in parallel
#  2. a thread group is one strict FIFO: 200 creates from 5 concurrent
#	  sessions arrive in outbox id order, never two in flight
#  3. endpoint ordering (notify.set_ordering): one lane per endpoint
#
# Every wait is bounded.  The receiver log has one JSON line per request;
# each subtest uses URLs of its own and deletes its notification at the end
# so that later subtests see only their own events.
#
use strict;
use warnings;

use IPC::Run;
use Time::HiRes qw(usleep time);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $db = 'ord';
my $t_start = time;

my ($node, $recv, $base) = delivery_setup('ordering', $db);

# notification(TRIGGER, PATH, group => G): a JSON POST to the receiver's PATH
sub notification
{
	my ($trigger, $path, %o) = @_;
	return json_notification($node, $db, "$base$path", $trigger, %o);
}

# ---------------------------------------------------------------- 1
subtest 'per-entity order with parallel lanes' => sub {
	my $ids = $node->safe_psql($db,
		"INSERT INTO notify.item (title) SELECT 'r0' FROM generate_series(1, 50) RETURNING id");
	my @items = split /\n/, $ids;
	is(scalar @items, 50, '50 items');

	my $nid = notification('<metadata><modify/></metadata>', '/slow/5/ord');
	my $sql = '';
	for my $round (1 .. 20)
	{
		$sql .= "UPDATE notify.item SET title = 'r$round' WHERE id = '$_';\n" for @items;
	}
	$node->safe_psql($db, $sql);

	ok(wait_for($node, $db, settled_sql($nid), '0/1000', 40), 'all 1000 updates delivered');
	my @r = requests($recv, '/slow/5/ord', 1);
	is(scalar @r, 1000, 'the receiver saw 1000 requests, no duplicates');

	my %seq;
	push @{ $seq{ $_->{f}{itemId} // '?' } }, $_->{f}{title} // '?' for @r;
	my $want = join(',', map { "r$_" } 1 .. 20);
	my @bad = grep { join(',', @{ $seq{$_} // [] }) ne $want } @items;
	is(scalar @bad, 0, 'every item saw r1..r20 in order')
	  or diag(join("\n", map { "$_: " . join(',', @{ $seq{$_} // [] }) }
			@bad[ 0 .. ($#bad < 2 ? $#bad : 2) ]));

	my $overlap = max_overlap(5, @r);
	cmp_ok($overlap, '>=', 4, "transfers overlap (max $overlap in flight)");
	my $wall = $r[-1]{t} - $r[0]{t};
	cmp_ok($wall, '<', 2500, sprintf('wall time %.0f ms, well under 1000 x 5 ms', $wall));
	drop_notification($node, $db, $nid);
};

# ---------------------------------------------------------------- 2
subtest 'thread group: one strict FIFO in outbox id order' => sub {
	my $nid = notification('<item><create/></item>', '/slow/2/g', group => 'lane1');
	my @h;
	for my $s (1 .. 5)
	{
		my $script = join('', map { "INSERT INTO notify.item (title) VALUES ('g$s-$_');\n" } 1 .. 40);
		my ($out, $err) = ('', '');
		push @h, [ IPC::Run::start(psql_cmd($node, $db), '<', \$script, '>', \$out, '2>', \$err,
				IPC::Run::timeout(60)), \$err ];
	}
	my $okall = 1;
	for (@h)
	{
		$okall &&= $_->[0]->finish;
		diag(${ $_->[1] }) if ${ $_->[1] } ne '';
	}
	ok($okall, '5 sessions inserted 40 items each');

	ok(wait_for($node, $db, settled_sql($nid), '0/200', 30), 'all 200 delivered');
	my @r = requests($recv, '/slow/2/g', 1);
	my @want = split /\n/,
	  $node->safe_psql($db, "SELECT event_id FROM notify.outbox WHERE notification_id = '$nid' ORDER BY id");
	my @got = map { $_->{eid} } @r;
	is(scalar @got, 200, '200 requests');
	my $first_diff = (grep { ($got[$_] // '') ne ($want[$_] // '') } 0 .. $#want)[0];
	ok(!defined $first_diff, 'arrival order is outbox id order')
	  or diag("first difference at position $first_diff; "
		  . (scalar grep { ($got[$_] // '') ne ($want[$_] // '') } 0 .. $#want)
		  . " positions differ");
	# node's timers may fire up to ~1 ms early (libuv caches the loop time)
	my @close = grep { $r[$_]{t} - $r[ $_ - 1 ]{t} < 1.0 } 1 .. $#r;
	is(scalar @close, 0, 'never two in flight (each arrival >= previous + ~2 ms)')
	  or diag(join(' ', map { sprintf('%d:%.2f', $_, $r[$_]{t} - $r[ $_ - 1 ]{t}) } @close));

	# whatever the interleaving, each session's own inserts keep their order
	my %by_session;
	my %title = map { split /\|/ } split /\n/,
	  $node->safe_psql($db, "SELECT event_id || '|' || i.title FROM notify.outbox o "
		  . "JOIN notify.item i ON i.id = o.entity_id WHERE notification_id = '$nid'");
	for (@got)
	{
		my ($s, $n) = ($title{$_} // '') =~ /^g(\d)-(\d+)$/ or next;
		push @{ $by_session{$s} }, $n;
	}
	is_deeply([ map { join(',', @{ $by_session{$_} // [] }) } 1 .. 5 ],
		[ map { join(',', 1 .. 40) } 1 .. 5 ], 'each session\'s events in its commit order');
	drop_notification($node, $db, $nid);
};

# ---------------------------------------------------------------- 3
subtest 'endpoint ordering: one lane per endpoint' => sub {
	my $nid = notification('<item><create/></item>', '/slow/2/ep');
	$node->safe_psql($db, "SELECT notify.set_ordering('item', '$nid', 'endpoint')");
	$node->safe_psql($db,
		join('', map { "INSERT INTO notify.item (title) VALUES ('ep$_');\n" } 1 .. 40)
		  . "INSERT INTO notify.item (title) SELECT 'epm' || g FROM generate_series(1, 20) g;\n");
	ok(wait_for($node, $db, settled_sql($nid), '0/60', 30), 'all 60 delivered');
	my @r = requests($recv, '/slow/2/ep', 1);
	my @want = split /\n/,
	  $node->safe_psql($db, "SELECT event_id FROM notify.outbox WHERE notification_id = '$nid' ORDER BY id");
	is_deeply([ map { $_->{eid} } @r ], \@want, 'events of 60 items arrive in id order');
	my @close = grep { $r[$_]{t} - $r[ $_ - 1 ]{t} < 1.0 } 1 .. $#r;
	is(scalar @close, 0, 'one at a time')
	  or diag(join(' ', map { sprintf('%d:%.2f', $_, $r[$_]{t} - $r[ $_ - 1 ]{t}) } @close));
	drop_notification($node, $db, $nid);
};

# ---------------------------------------------------------------- cleanup
$node->stop;
note(sprintf('total %.1f s', time - $t_start));

done_testing();
