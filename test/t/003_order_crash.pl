#
# 003_order_crash.pl
#	Delivery order, crash safety and the life cycle of the delivery worker,
#	against the real HTTP receiver (test/peers/receiver.js).
#
#  1. per-entity order: 50 items updated 20 times each, interleaved; every
#	  item's updates arrive in order, and items are delivered in parallel
#  2. a thread group is one strict FIFO: 200 creates from 5 concurrent
#	  sessions arrive in outbox id order, never two in flight
#  3. endpoint ordering (notify.set_ordering): one lane per endpoint
#  4. kill -9 of the worker mid-burst (the postmaster restarts everything):
#	  at least once for every committed event, nothing for rolled-back ones
#  5. kill -9 of the postmaster mid-burst: the same
#  6. SIGHUP: notify_ext.max_inflight = 1 takes effect in the running worker
#  7. DROP EXTENSION with pending events: quick, the worker leaves without a
#	  crash loop; CREATE EXTENSION again delivers again
#  8. a database without the extension is left alone
#
# Every wait is bounded.  The receiver log has one JSON line per request;
# each subtest uses URLs of its own and deletes its notification at the end
# so that later subtests see only their own events.
#
use strict;
use warnings;

use IPC::Run;
use JSON::PP;
use MIME::Base64;
use Time::HiRes qw(usleep time);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $db = 'ord';
my $t_start = time;

my $node = PostgreSQL::Test::Cluster->new('order_crash');
$node->init;
$node->append_conf('postgresql.conf',
	    "shared_preload_libraries = 'notify_ext'\n"
	  . "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.launcher_naptime = '1s'\n"
	  . "restart_after_crash = on\n"
	  . "max_connections = 30\n");
$node->start;

# ---------------------------------------------------------------- receiver

my $rlog = "$PostgreSQL::Test::Utils::log_path/003_receiver.log";
unlink $rlog;
my ($r_out, $r_err) = ('', '');
my $r_timer = IPC::Run::timer(15);
my $receiver = IPC::Run::start(
	[ 'node', 'test/peers/receiver.js', '0', $rlog, '--max-seconds', '400' ],
	'>', \$r_out, '2>', \$r_err, $r_timer);
$receiver->pump until $r_out =~ /ready (\d+)/ || $r_timer->is_expired;
my ($rport) = $r_out =~ /ready (\d+)/;
BAIL_OUT("receiver did not start: $r_err") unless $rport;
END
{
	local $?;
	$receiver->kill_kill if $receiver && $receiver->pumpable;
}
my $base = "http://127.0.0.1:$rport";

# Requests logged so far whose URL is exactly $url, sorted by arrival; each
# with t, event id (x-notify-event-id) and the decoded JSON body as a map
# key => first value.
sub requests
{
	my ($url) = @_;
	my @r;
	open my $fh, '<', $rlog or return ();
	while (my $line = <$fh>)
	{
		next unless $line =~ /\n\z/;
		my $j = eval { decode_json($line) } or next;
		next unless $j->{u} eq $url;
		my %f;
		my $body = eval { decode_json(decode_base64($j->{b})) };
		if ($body && ref $body->{field} eq 'ARRAY')
		{
			for my $kv (@{ $body->{field} })
			{
				$f{ $kv->{key} } //= $kv->{value};
			}
		}
		push @r, { t => $j->{t}, eid => $j->{h}{'x-notify-event-id'} // '', f => \%f };
	}
	close $fh;
	my @sorted = sort { $a->{t} <=> $b->{t} } @r;
	return @sorted;
}

# Number of requests logged so far for $url, without decoding (cheap enough
# to poll)
sub count_requests
{
	my ($url) = @_;
	my $n = 0;
	open my $fh, '<', $rlog or return 0;
	while (my $line = <$fh>)
	{
		$n++ if index($line, "\"u\":\"$url\"") >= 0;
	}
	close $fh;
	return $n;
}

# Largest number of requests that started within $d ms of one another (with
# a receiver that answers after $d ms, they were in flight at the same time)
sub max_overlap
{
	my ($d, @r) = @_;
	my ($best, $j) = (0, 0);
	for my $i (0 .. $#r)
	{
		$j++ while $r[$j]{t} <= $r[$i]{t} - $d;
		$best = $i - $j + 1 if $i - $j + 1 > $best;
	}
	return $best;
}

# ---------------------------------------------------------------- helpers

# Poll $sql in $dbname until it returns $expected; errors (server restarting)
# are retried.  At most $secs seconds.
sub wait_for
{
	my ($dbname, $sql, $expected, $secs) = @_;
	my $deadline = time + $secs;
	my ($ret, $out, $err);
	while (time < $deadline)
	{
		($ret, $out, $err) = $node->psql($dbname, $sql, timeout => 10);
		return 1 if defined $ret && $ret == 0 && $out eq $expected;
		usleep(100_000);
	}
	diag("wait_for timed out after ${secs}s: $sql\nexpected: $expected\n"
		  . "got: " . ($out // '') . "\nstderr: " . ($err // ''));
	return 0;
}

sub wait_until
{
	my ($secs, $cond) = @_;
	my $deadline = time + $secs;
	while (time < $deadline)
	{
		return 1 if $cond->();
		usleep(20_000);
	}
	return $cond->() ? 1 : 0;
}

sub notification
{
	my ($trigger, $path, %o) = @_;
	my $group = $o{group} ? " group=\"$o{group}\"" : '';
	my $doc =
	    '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">'
	  . "<action><http synchronous=\"false\"$group><url>$base$path</url>"
	  . '<method>POST</method><timeout>10</timeout><retry>5</retry>'
	  . '<contentType>application/json</contentType></http></action>'
	  . "<trigger>$trigger</trigger></NotificationDocument>";
	return $node->safe_psql($db, "SELECT notify.create_notification('item', '$doc')");
}

sub drop_notification
{
	my ($nid) = @_;
	$node->safe_psql($db, "SELECT notify.delete_notification('item', '$nid')");
}

sub settled_sql
{
	my ($nid) = @_;
	return "SELECT count(*) FILTER (WHERE status IN ('pending', 'in_flight')) || '/' "
	  . "|| count(*) FILTER (WHERE status = 'delivered') "
	  . "FROM notify.outbox WHERE notification_id = '$nid'";
}

sub worker_pid
{
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'notify_ext worker' "
		  . "AND datname = '$db'");
}

sub psql_cmd
{
	my ($dbname) = @_;
	return [ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr($dbname), '-f', '-' ];
}

$node->safe_psql('postgres', "CREATE DATABASE $db");
$node->safe_psql($db, 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');

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

	ok(wait_for($db, settled_sql($nid), '0/1000', 40), 'all 1000 updates delivered');
	my @r = requests('/slow/5/ord');
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
	drop_notification($nid);
};

# ---------------------------------------------------------------- 2
subtest 'thread group: one strict FIFO in outbox id order' => sub {
	my $nid = notification('<item><create/></item>', '/slow/2/g', group => 'lane1');
	my @h;
	for my $s (1 .. 5)
	{
		my $script = join('', map { "INSERT INTO notify.item (title) VALUES ('g$s-$_');\n" } 1 .. 40);
		my ($out, $err) = ('', '');
		push @h, [ IPC::Run::start(psql_cmd($db), '<', \$script, '>', \$out, '2>', \$err,
				IPC::Run::timeout(60)), \$err ];
	}
	my $okall = 1;
	for (@h)
	{
		$okall &&= $_->[0]->finish;
		diag(${ $_->[1] }) if ${ $_->[1] } ne '';
	}
	ok($okall, '5 sessions inserted 40 items each');

	ok(wait_for($db, settled_sql($nid), '0/200', 30), 'all 200 delivered');
	my @r = requests('/slow/2/g');
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
	drop_notification($nid);
};

# ---------------------------------------------------------------- 3
subtest 'endpoint ordering: one lane per endpoint' => sub {
	my $nid = notification('<item><create/></item>', '/slow/2/ep');
	$node->safe_psql($db, "SELECT notify.set_ordering('item', '$nid', 'endpoint')");
	$node->safe_psql($db,
		join('', map { "INSERT INTO notify.item (title) VALUES ('ep$_');\n" } 1 .. 40)
		  . "INSERT INTO notify.item (title) SELECT 'epm' || g FROM generate_series(1, 20) g;\n");
	ok(wait_for($db, settled_sql($nid), '0/60', 30), 'all 60 delivered');
	my @r = requests('/slow/2/ep');
	my @want = split /\n/,
	  $node->safe_psql($db, "SELECT event_id FROM notify.outbox WHERE notification_id = '$nid' ORDER BY id");
	is_deeply([ map { $_->{eid} } @r ], \@want, 'events of 60 items arrive in id order');
	my @close = grep { $r[$_]{t} - $r[ $_ - 1 ]{t} < 1.0 } 1 .. $#r;
	is(scalar @close, 0, 'one at a time')
	  or diag(join(' ', map { sprintf('%d:%.2f', $_, $r[$_]{t} - $r[ $_ - 1 ]{t}) } @close));
	drop_notification($nid);
};

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
	# from a file: a scalar would be fed to psql only while we pump
	my $file = "$PostgreSQL::Test::Utils::tmp_check/burst_$tag.sql";
	open my $fh, '>', $file or die "could not write $file: $!";
	print $fh $script;
	close $fh;
	my ($out, $err) = ('', '');
	return IPC::Run::start(psql_cmd($db), '<', $file, '>', \$out, '2>', \$err,
		IPC::Run::timeout(60));
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

	ok(wait_for($db, settled_sql($nid), '0/3000', 40),
		'after the restart: nothing pending or in flight, 3000 rows delivered');
	is($node->safe_psql($db,
			"SELECT count(*) FROM notify.item i JOIN notify.outbox o ON o.entity_id = i.id "
			  . "AND o.notification_id = '$nid' WHERE i.title LIKE '$tag-b%'"),
		'3000', 'one outbox row per committed item');

	my @r = requests($url);
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
	my $old = worker_pid();
	like($old, qr/^\d+$/, "worker running (pid $old)");
	my $log_off = -s $node->logfile;

	my $burst = start_burst('k9w', 1 .. 30);
	my $rb = rollback_100('k9w');
	ok(wait_until(20, sub { count_requests($url) >= 20 }), 'first events delivered');
	ok(kill('KILL', $old), 'kill -9 the worker');
	$burst->finish;    # cut off by the restart, or done

	ok(wait_until(30, sub {
			my $l = slurp_file($node->logfile, $log_off);
			$l =~ /all server processes terminated; reinitializing/ }),
		'the postmaster reinitialized');
	ok(wait_for($db, 'SELECT 1', '1', 30), 'server accepts connections again');
	check_at_least_once('k9w', $url, $nid, $rb);
	my $new = worker_pid();
	isnt($new, $old, "a new worker runs (pid $new)");
	drop_notification($nid);
};

# A process that exists and has not exited (a zombie waiting for whoever
# adopted it has exited)
sub alive
{
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/stat" or return 0;
	my $l = <$fh>;
	close $fh;
	return defined $l && $l =~ /^\d+ \(.*\) ([A-Za-z])/s && $1 ne 'Z';
}

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
	my $worker = worker_pid();
	like($worker, qr/^\d+$/, 'worker running');

	my $burst = start_burst('k9p', 1 .. 30);
	my $rb = rollback_100('k9p');
	ok(wait_until(20, sub { count_requests($url) >= 20 }), 'first events delivered');
	my $pm = $node->{_pid};
	my @kids = children_of($pm);
	$node->kill9;
	$burst->finish;

	# the orphans must notice the postmaster's death before a new one can start
	my $t_kill = time;
	ok(wait_until(20, sub { !alive($worker) }), 'the worker exits after the postmaster died');
	note(sprintf('worker gone %.2f s after the postmaster', time - $t_kill));
	my $t_gone = time;
	note(scalar(grep { $_->{t} > $t_kill * 1000 + 100 && $_->{t} <= $t_gone * 1000 } requests($url))
		  . ' requests sent by the orphaned worker more than 100 ms after the postmaster died');
	ok(wait_until(20, sub { !grep { alive($_) } @kids }), 'every child of the postmaster exited')
	  or diag('left: ' . join(' ', grep { alive($_) } @kids));
	# a new postmaster refuses to start while the old pid exists, zombie or
	# not: wait until whoever adopted the orphans has reaped them
	wait_until(20, sub { !grep { kill(0, $_) } $pm, @kids })
	  or diag('not reaped: ' . join(' ', grep { kill(0, $_) } $pm, @kids));
	$node->start;
	ok(wait_for($db, 'SELECT 1', '1', 30), 'server up after crash recovery');
	check_at_least_once('k9p', $url, $nid, $rb);
	drop_notification($nid);
};

# ---------------------------------------------------------------- 6
subtest 'SIGHUP: max_inflight = 1 in the running worker' => sub {
	my $nid = notification('<item><create/></item>', '/slow/50/hup-a');
	ok(wait_for($db, "SELECT count(*) > 0 FROM pg_stat_activity "
			  . "WHERE backend_type = 'notify_ext worker' AND datname = '$db'", 't', 10),
		'worker running');
	my $pid = worker_pid();
	$node->safe_psql($db,
		join('', map { "INSERT INTO notify.item (title) VALUES ('hup-a$_');\n" } 1 .. 20));
	ok(wait_for($db, settled_sql($nid), '0/20', 20), 'before: 20 delivered');
	my @a = requests('/slow/50/hup-a');
	cmp_ok(max_overlap(50, @a), '>', 1, 'before: transfers overlap');
	drop_notification($nid);

	$node->safe_psql('postgres',
		"ALTER SYSTEM SET notify_ext.max_inflight = 1; SELECT pg_reload_conf()");
	usleep(1_000_000);
	$nid = notification('<item><create/></item>', '/slow/50/hup-b');
	$node->safe_psql($db,
		join('', map { "INSERT INTO notify.item (title) VALUES ('hup-b$_');\n" } 1 .. 20));
	ok(wait_for($db, settled_sql($nid), '0/20', 20), 'after: 20 delivered');
	my @b = requests('/slow/50/hup-b');
	is(scalar @b, 20, '20 requests');
	my @close = grep { $b[$_]{t} - $b[ $_ - 1 ]{t} < 48.5 } 1 .. $#b;
	is(scalar @close, 0, 'after: strictly sequential, each arrival >= previous + 50 ms')
	  or diag(join(' ', map { sprintf('%.1f', $b[$_]{t} - $b[ $_ - 1 ]{t}) } 1 .. $#b));
	is(worker_pid(), $pid, 'same worker pid: reloaded, not restarted');
	drop_notification($nid);
	$node->safe_psql('postgres',
		"ALTER SYSTEM RESET notify_ext.max_inflight; SELECT pg_reload_conf()");
};

# ---------------------------------------------------------------- 7
subtest 'DROP EXTENSION while the worker runs' => sub {
	my $nid = notification('<item><create/></item>', '/slow/300/drop');
	$node->safe_psql($db,
		"INSERT INTO notify.item (title) SELECT 'drop' || g FROM generate_series(1, 100) g");
	ok(wait_until(10, sub { count_requests('/slow/300/drop') >= 1 }), 'transfers under way');
	my $pid = worker_pid();
	my $log_off = -s $node->logfile;

	my $t0 = time;
	my ($ret, $out, $err) = $node->psql($db, 'DROP EXTENSION notify_ext CASCADE', timeout => 30);
	my $took = time - $t0;
	is($ret, 0, 'DROP EXTENSION succeeded') or diag($err);
	cmp_ok($took, '<', 5, sprintf('DROP EXTENSION took %.2f s', $took));

	ok(wait_until(10, sub { !alive($pid) }), "the worker (pid $pid) exited");
	ok(wait_for('postgres', "SELECT count(*) FROM pg_stat_activity "
			  . "WHERE backend_type = 'notify_ext worker' AND datname = '$db'", '0', 10),
		'no notify_ext worker in the database');
	usleep(2_500_000);    # a few launcher periods
	my $l = slurp_file($node->logfile, $log_off);
	unlike($l, qr/terminated by signal|was terminated|PANIC/, 'no crash in the server log');
	my @fatal = $l =~ /^.*(?:FATAL|exited with exit code [1-9]).*$/mg;
	cmp_ok(scalar @fatal, '<=', 1, 'no FATAL / exit loop') or diag(join("\n", @fatal));
	my @started = $l =~ /notify_ext worker started/g;
	is(scalar @started, 0, 'no worker runs in the database without the extension');

	$node->safe_psql($db, 'CREATE EXTENSION notify_ext');
	$nid = notification('<item><create/></item>', '/ok/after-drop');
	my $id = $node->safe_psql($db,
		"INSERT INTO notify.item (title) VALUES ('again') RETURNING id");
	ok(wait_for($db, settled_sql($nid), '0/1', 15), 'a new event is delivered after CREATE EXTENSION');
	my @r = requests('/ok/after-drop');
	is(join(',', map { $_->{f}{itemId} // '' } @r), $id, 'the receiver got it');
	drop_notification($nid);
};

# ---------------------------------------------------------------- 8
subtest 'a database without the extension' => sub {
	my $log_off = -s $node->logfile;
	$node->safe_psql('postgres', 'CREATE DATABASE other');
	is($node->safe_psql('other', 'SELECT 1'), '1', 'server healthy, other reachable');

	# sample for 3 s: a worker may look in once a launcher period, but none
	# stays: no pid is seen in two samples 500 ms or more apart
	my %first;
	my $stayed = 0;
	my $deadline = time + 3;
	while (time < $deadline)
	{
		for my $p (split /\n/, $node->safe_psql('postgres',
				"SELECT pid FROM pg_stat_activity WHERE backend_type = 'notify_ext worker' "
				  . "AND datname = 'other'"))
		{
			$first{$p} //= time;
			$stayed = 1 if time - $first{$p} >= 0.5;
		}
		usleep(100_000);
	}
	ok(!$stayed, 'no worker keeps running in other');
	ok(wait_for('postgres', "SELECT count(*) FROM pg_stat_activity "
			  . "WHERE backend_type = 'notify_ext worker' AND datname = 'other'", '0', 5),
		'no notify_ext worker in other');
	is($node->safe_psql($db, 'SELECT 1'), '1', 'server still healthy');
	my $l = slurp_file($node->logfile, $log_off);
	my @errs = $l =~ /^.*(?:ERROR|FATAL|PANIC|terminated by signal).*$/mg;
	is(scalar @errs, 0, 'no ERROR in the log since CREATE DATABASE') or diag(join("\n", @errs));
};

# ---------------------------------------------------------------- cleanup
$node->stop;
$receiver->signal('TERM');
$receiver->finish;
note(sprintf('total %.1f s', time - $t_start));
cmp_ok(time - $t_start, '<', 120, 'whole test under 120 s');

done_testing();
