#
# 005_crash_recovery.pl
#	At-least-once delivery across crashes, against the HTTP receiver
#	(test/peers/receiver.js):
#
#  1. kill -9 of the worker mid-burst (the postmaster restarts everything):
#	  at least once for every committed event, nothing for rolled-back ones
#  2. kill -9 of the postmaster mid-burst: the same; the orphaned worker
#	  exits, the new postmaster recovers and delivers
#
# Every wait is bounded.  Each subtest uses URLs of its own and deletes its
# notification at the end.
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

my ($node, $recv, $base) = delivery_setup('crash_recovery', $db);

# notification(TRIGGER, PATH, group => G): a JSON POST to the receiver's PATH
sub notification
{
	my ($trigger, $path, %o) = @_;
	return json_notification($node, $db, "$base$path", $trigger, %o);
}

# the launcher starts the database's worker within a launcher period or two;
# the subtests check that it runs
wait_for($node, 'postgres',
	"SELECT count(*) FROM pg_stat_activity "
	  . "WHERE backend_type = 'notify_ext worker' AND datname = '$db'", '1', 30);

# ---------------------------------------------------------------- 4, 5

# Burst of 30 transactions of 100 inserts (titles TAG-bN-M), one every 50 ms,
# in the background.
sub start_burst
{
	my ($tag, @batches) = @_;
	my $script = '';
	for my $b (@batches)
	{
		$script .= "BEGIN;\nINSERT INTO notify.item (title) SELECT '$tag-b$b-' || g "
		  . "FROM generate_series(1, 100) g;\nCOMMIT;\nSELECT pg_sleep(0.05);\n";
	}
	return start_psql_script($node, $db, "burst_$tag", $script);
}

sub committed_batches
{
	my ($tag) = @_;
	return split /\n/, $node->safe_psql($db,
		"SELECT DISTINCT split_part(title, '-', 2) FROM notify.item WHERE title LIKE '$tag-b%'");
}

# At-least-once checks after a crash for the burst TAG to URL
sub check_at_least_once
{
	my ($tag, $url, $nid, $rolled_back) = @_;

	# the batches the crash cut off are inserted now: 3000 items in all
	my %done = map { $_ => 1 } committed_batches($tag);
	my @missing = grep { !$done{"b$_"} } 1 .. 30;
	note(scalar(keys %done) . " batches committed before the crash");
	if (@missing)
	{
		my $h = start_burst($tag, @missing);
		$h->finish or diag('catch-up burst failed');
	}

	ok(wait_for($node, $db, settled_sql($nid), '0/3000', 40),
		'after the restart: nothing pending or in flight, 3000 rows delivered');
	is($node->safe_psql($db,
			"SELECT count(*) FROM notify.item i JOIN notify.outbox o ON o.entity_id = i.id "
			  . "AND o.notification_id = '$nid' WHERE i.title LIKE '$tag-b%'"),
		'3000', 'one outbox row per committed item');

	my @r = requests($recv, $url, 1);
	my %seen_eid = map { $_->{eid} => 1 } @r;
	my %seen_item = map { ($_->{f}{itemId} // '') => 1 } @r;
	my @eids = split /\n/, $node->safe_psql($db,
		"SELECT event_id FROM notify.outbox WHERE notification_id = '$nid'");
	my @lost = grep { !$seen_eid{$_} } @eids;
	is(scalar @lost, 0, 'every committed event id reached the receiver')
	  or diag("missing: @lost[0 .. ($#lost < 4 ? $#lost : 4)]");
	my @items = split /\n/, $node->safe_psql($db,
		"SELECT id FROM notify.item WHERE title LIKE '$tag-b%'");
	is(scalar(grep { !$seen_item{$_} } @items), 0, 'every committed itemId reached the receiver');
	my %known = map { $_ => 1 } @eids;
	is(scalar(grep { !$known{ $_->{eid} } } @r), 0, 'no request for an event that is not in the outbox');
	is(scalar(grep { $seen_item{$_} } @$rolled_back), 0, 'none of the 100 rolled-back items was sent');
	note(sprintf('%d requests for %d events (%d duplicates)', scalar @r, scalar @eids, @r - keys %seen_eid));
}

sub rollback_100
{
	my ($tag) = @_;
	my @ids = split /\n/, $node->safe_psql($db,
		"BEGIN;\nINSERT INTO notify.item (title) SELECT '$tag-rb-' || g "
		  . "FROM generate_series(1, 100) g RETURNING id;\nROLLBACK;\n");
	is(scalar @ids, 100, 'a transaction of 100 inserts rolled back');
	return \@ids;
}

subtest 'kill -9 of the worker mid-burst' => sub {
	my $url = '/ok/k9w';
	my $nid = notification('<item><create/></item>', $url);
	my $old = worker_pid($node, $db);
	like($old, qr/^\d+$/, "worker running (pid $old)");
	my $log_off = -s $node->logfile;

	my $burst = start_burst('k9w', 1 .. 30);
	my $rb = rollback_100('k9w');
	ok(wait_until(20, sub { count_requests($recv, $url) >= 20 }), 'first events delivered');
	ok(kill('KILL', $old), 'kill -9 the worker');
	$burst->finish;    # cut off by the restart, or done

	ok(wait_until(30, sub {
			my $l = slurp_file($node->logfile, $log_off);
			$l =~ /all server processes terminated; reinitializing/ }),
		'the postmaster reinitialized');
	ok(wait_for($node, $db, 'SELECT 1', '1', 30), 'server accepts connections again');
	check_at_least_once('k9w', $url, $nid, $rb);
	my $new = worker_pid($node, $db);
	isnt($new, $old, "a new worker runs (pid $new)");
	drop_notification($node, $db, $nid);
};

# A process that exists and has not exited (a zombie waiting for whoever
# adopted it has exited)
sub children_of
{
	my ($ppid) = @_;
	my @kids;
	for my $stat (glob '/proc/[0-9]*/stat')
	{
		open my $fh, '<', $stat or next;
		my $l = <$fh>;
		close $fh;
		next unless defined $l && $l =~ /^(\d+) \(.*\) \S (\d+) /s;
		push @kids, $1 if $2 == $ppid;
	}
	return @kids;
}

subtest 'kill -9 of the postmaster mid-burst' => sub {
	my $url = '/ok/k9p';
	my $nid = notification('<item><create/></item>', $url);
	my $worker = worker_pid($node, $db);
	like($worker, qr/^\d+$/, 'worker running');

	my $burst = start_burst('k9p', 1 .. 30);
	my $rb = rollback_100('k9p');
	ok(wait_until(20, sub { count_requests($recv, $url) >= 20 }), 'first events delivered');
	my $pm = $node->{_pid};
	my @kids = children_of($pm);
	$node->kill9;
	$burst->finish;

	# the orphans must notice the postmaster's death before a new one can start
	my $t_kill = time;
	ok(wait_until(20, sub { !alive($worker) }), 'the worker exits after the postmaster died');
	note(sprintf('worker gone %.2f s after the postmaster', time - $t_kill));
	my $t_gone = time;
	note(scalar(grep { $_->{t} > $t_kill * 1000 + 100 && $_->{t} <= $t_gone * 1000 } requests($recv, $url, 1))
		  . ' requests sent by the orphaned worker more than 100 ms after the postmaster died');
	ok(wait_until(20, sub { !grep { alive($_) } @kids }), 'every child of the postmaster exited')
	  or diag('left: ' . join(' ', grep { alive($_) } @kids));
	# a new postmaster refuses to start while the old pid exists, zombie or
	# not: wait until whoever adopted the orphans has reaped them
	wait_until(20, sub { !grep { kill(0, $_) } $pm, @kids })
	  or diag('not reaped: ' . join(' ', grep { kill(0, $_) } $pm, @kids));
	$node->start;
	ok(wait_for($node, $db, 'SELECT 1', '1', 30), 'server up after crash recovery');
	check_at_least_once('k9p', $url, $nid, $rb);
	drop_notification($node, $db, $nid);
};

# ---------------------------------------------------------------- cleanup
$node->stop;
note(sprintf('total %.1f s', time - $t_start));
cmp_ok(time - $t_start, '<', 120, 'whole test under 120 s');

done_testing();
