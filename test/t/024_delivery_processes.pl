#
# 024_delivery_processes.pl
#	notify_ext.delivery_processes = 2, against the HTTP receiver
#	(test/peers/receiver.js):
#
#  1. two delivery processes serve the database, numbered 0 and 1 in
#	  notify.worker_status, and capture spreads per-entity lanes over both
#  2. kill -9 of process 1 mid-burst (the postmaster restarts everything):
#	  every committed event arrives at least once, each item's updates and
#	  the thread group's events arrive in order, both processes run again
#  3. process 1 stopped alone (pg_terminate_backend) while both send slow
#	  transfers: it is started again and sends its own events again;
#	  process 0 keeps running and none of its events is sent twice
#
# Every wait is bounded.
#
use strict;
use warnings;

use IPC::Run;
use Time::HiRes qw(usleep time);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $db = 'dp';

my ($node, $recv, $base) = delivery_setup('delivery_processes', $db,
	"notify_ext.delivery_processes = 2\n");

sub notification
{
	my ($trigger, $path, %o) = @_;
	return json_notification($node, $db, "$base$path", $trigger, %o);
}

# "process:pid" of the running delivery processes of the database, by number
sub processes
{
	return $node->safe_psql($db,
		"SELECT string_agg(process || ':' || pid, ',' ORDER BY process) "
		  . "FROM notify.worker_status WHERE current AND running");
}

sub process_pid
{
	my ($n) = @_;
	return $node->safe_psql($db,
		"SELECT pid FROM notify.worker_status WHERE current AND running AND process = $n");
}

# ---------------------------------------------------------------- 1
ok(wait_for($node, 'postgres',
		"SELECT count(*) FROM pg_stat_activity "
		  . "WHERE backend_type = 'notify_ext worker' AND datname = '$db'", '2', 30),
	'two delivery processes run');
like(processes(), qr/^0:\d+,1:\d+$/, 'notify.worker_status shows processes 0 and 1');

# ---------------------------------------------------------------- 2
subtest 'kill -9 of process 1 mid-burst: at least once, in order' => sub {
	my @items = split /\n/, $node->safe_psql($db,
		"INSERT INTO notify.item (title) SELECT 'r0' FROM generate_series(1, 40) RETURNING id");
	is(scalar @items, 40, '40 items');
	my $nid_e = notification('<metadata><modify/></metadata>', '/slow/3/pe');
	my $nid_g = notification('<item><create/></item>', '/slow/1/g', group => 'dp1');

	# rounds FROM..20 in the background: each updates every item once and
	# creates 5 group items, in one transaction
	my $rounds_from = sub {
		my ($from) = @_;
		my $script = '';
		for my $round ($from .. 20)
		{
			$script .= "BEGIN;\n";
			$script .= "UPDATE notify.item SET title = 'r$round' WHERE id = '$_';\n" for @items;
			$script .= "INSERT INTO notify.item (title) SELECT 'g$round-' || g FROM generate_series(1, 5) g;\n";
			$script .= "COMMIT;\nSELECT pg_sleep(0.05);\n";
		}
		return start_psql_script($node, $db, "dp_burst_$from", $script);
	};
	my $burst = $rounds_from->(1);

	ok(wait_until(20, sub { count_requests($recv, '/slow/3/pe') >= 200 }), 'first events delivered');
	my $victim = process_pid(1);
	like($victim, qr/^\d+$/, "process 1 runs (pid $victim)");
	my $log_off = -s $node->logfile;
	ok(kill('KILL', $victim), 'kill -9 process 1');
	$burst->finish;    # cut off by the restart, or done
	ok(wait_until(30, sub {
			slurp_file($node->logfile, $log_off) =~ /all server processes terminated; reinitializing/ }),
		'the postmaster reinitialized');
	ok(wait_for($node, $db, 'SELECT 1', '1', 30), 'server accepts connections again');

	my $rounds = $node->safe_psql($db,
		"SELECT count(DISTINCT title) FROM notify.item WHERE title ~ '^g[0-9]+-1\$'");
	note("$rounds rounds committed before the restart");
	if ($rounds < 20)
	{
		my $rest = $rounds_from->($rounds + 1);
		ok($rest->finish, 'the remaining rounds committed after the restart');
	}
	my $events = $node->safe_psql($db,
		"SELECT count(*) FROM notify.outbox WHERE notification_id IN ('$nid_e', '$nid_g')");
	ok(wait_for($node, $db,
			"SELECT count(*) FILTER (WHERE status <> 'delivered') || '/' || count(*) "
			  . "FROM notify.outbox WHERE notification_id IN ('$nid_e', '$nid_g')",
			"0/$events", 60),
		"all $events events delivered");
	is($events, 20 * 40 + 20 * 5, 'an event for each of the 20 rounds\' changes');
	is($node->safe_psql($db,
			"SELECT count(DISTINCT lane % 2) FROM notify.outbox WHERE notification_id = '$nid_e'"),
		'2', 'the items\' lanes fall to both processes');
	ok(wait_until(30, sub { processes() =~ /^0:\d+,1:\d+$/ }), 'both processes run again');

	# at least once
	my %eid_id = map { split /\|/ } split /\n/, $node->safe_psql($db,
		"SELECT event_id || '|' || id FROM notify.outbox "
		  . "WHERE notification_id IN ('$nid_e', '$nid_g')");
	my @pe = requests($recv, '/slow/3/pe', 1);
	my @g = requests($recv, '/slow/1/g', 1);
	my %seen = map { $_->{eid} => 1 } @pe, @g;
	my @lost = grep { !$seen{$_} } keys %eid_id;
	is(scalar @lost, 0, 'every committed event reached the receiver');

	# order: first deliveries of each item's updates, of the group's events
	my (%first, %seq);
	for my $r (@pe)
	{
		next if $first{ $r->{eid} }++;
		push @{ $seq{ $r->{f}{itemId} // '?' } }, ($r->{f}{title} // 'r?') =~ s/^r//r;
	}
	my @bad = grep {
		my @s = @{ $seq{$_} // [] };
		grep { $s[$_] !~ /^\d+$/ || ($_ > 0 && $s[$_] <= $s[ $_ - 1 ]) } 0 .. $#s
	} @items;
	is(scalar @bad, 0, 'every item\'s updates arrived in order')
	  or diag("$bad[0]: " . join(',', @{ $seq{ $bad[0] } }));
	my @gids;
	for my $r (@g)
	{
		next if $first{ $r->{eid} }++;
		push @gids, $eid_id{ $r->{eid} } // -1;
	}
	my @out_of_order = grep { $gids[$_] <= $gids[ $_ - 1 ] } 1 .. $#gids;
	is(scalar @out_of_order, 0, 'the thread group\'s events arrived in outbox id order')
	  or diag("at $out_of_order[0]: $gids[$out_of_order[0] - 1] then $gids[$out_of_order[0]]");
	note(sprintf('%d requests for %d events', @pe + @g, scalar keys %eid_id));
	drop_notification($node, $db, $nid_e);
	drop_notification($node, $db, $nid_g);
};

# ---------------------------------------------------------------- 3
subtest 'process 1 stopped alone sends only its own events again' => sub {
	my $nid = notification('<item><create/></item>', '/slow/1500/s');
	# per-entity lanes: enough items that both processes get some
	$node->safe_psql($db,
		"INSERT INTO notify.item (title) SELECT 's-' || g FROM generate_series(1, 16) g");
	my %parts = map { split /\|/ } split /\n/, $node->safe_psql($db,
		"SELECT lane % 2 || '|' || count(*) FROM notify.outbox "
		  . "WHERE notification_id = '$nid' GROUP BY lane % 2");
	ok($parts{0} && $parts{1}, "events for both processes ($parts{0}/$parts{1})")
	  or return;
	ok(wait_for($node, $db,
			"SELECT coalesce(sum(in_flight), 0) FROM notify.endpoint_status "
			  . "WHERE endpoint LIKE 'http://127.0.0.1:%'", '16', 20),
		'all 16 events being sent by the two processes');
	my ($p0, $p1) = (process_pid(0), process_pid(1));
	is($node->safe_psql($db, "SELECT pg_terminate_backend($p1)"), 't', 'stop process 1');

	ok(wait_for($node, $db,
			"SELECT count(*) FILTER (WHERE status = 'delivered') FROM notify.outbox "
			  . "WHERE notification_id = '$nid'", '16', 30),
		'all 16 events delivered');
	ok(wait_until(20, sub { my $p = process_pid(1); $p ne '' && $p ne $p1 }),
		'process 1 was started again');
	is(process_pid(0), $p0, 'process 0 kept running');

	my %part = map { split /\|/ } split /\n/, $node->safe_psql($db,
		"SELECT event_id || '|' || lane % 2 FROM notify.outbox WHERE notification_id = '$nid'");
	my %n;
	$n{ $_->{eid} }++ for requests($recv, '/slow/1500/s', 1);
	my @dup0 = grep { $part{$_} == 0 && ($n{$_} // 0) != 1 } keys %part;
	is(scalar @dup0, 0, 'each of process 0\'s events was sent exactly once');
	my @lost1 = grep { $part{$_} == 1 && !$n{$_} } keys %part;
	is(scalar @lost1, 0, 'each of process 1\'s events arrived');
	drop_notification($node, $db, $nid);
};

$node->stop;
done_testing();
