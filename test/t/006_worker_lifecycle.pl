#
# 006_worker_lifecycle.pl
#	The life cycle of the delivery workers, against the HTTP receiver
#	(test/peers/receiver.js):
#
#  1. SIGHUP: notify_ext.max_inflight = 1 takes effect in the running worker
#  2. DROP EXTENSION with pending events: quick, the worker leaves without a
#	  crash loop; CREATE EXTENSION again delivers again
#  3. a database without the extension is left alone
#  4. DROP DATABASE of a database whose worker is running (a cluster of its
#	  own with notify_ext.max_databases = 2): the worker leaves first, so the
#	  DROP succeeds; the launcher frees the slot and keeps serving the other
#	  databases
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

my ($node, $recv, $base) = delivery_setup('worker_lifecycle', $db);

# notification(TRIGGER, PATH, group => G): a JSON POST to the receiver's PATH
sub notification
{
	my ($trigger, $path, %o) = @_;
	return json_notification($node, $db, "$base$path", $trigger, %o);
}

# ---------------------------------------------------------------- 6
subtest 'SIGHUP: max_inflight = 1 in the running worker' => sub {
	my $nid = notification('<item><create/></item>', '/slow/50/hup-a');
	ok(wait_for($node, $db, "SELECT count(*) > 0 FROM pg_stat_activity "
			  . "WHERE backend_type = 'notify_ext worker' AND datname = '$db'", 't', 10),
		'worker running');
	my $pid = worker_pid($node, $db);
	$node->safe_psql($db,
		join('', map { "INSERT INTO notify.item (title) VALUES ('hup-a$_');\n" } 1 .. 20));
	ok(wait_for($node, $db, settled_sql($nid), '0/20', 20), 'before: 20 delivered');
	my @a = requests($recv, '/slow/50/hup-a', 1);
	cmp_ok(max_overlap(50, @a), '>', 1, 'before: transfers overlap');
	drop_notification($node, $db, $nid);

	$node->safe_psql('postgres',
		"ALTER SYSTEM SET notify_ext.max_inflight = 1; SELECT pg_reload_conf()");
	usleep(1_000_000);
	$nid = notification('<item><create/></item>', '/slow/50/hup-b');
	$node->safe_psql($db,
		join('', map { "INSERT INTO notify.item (title) VALUES ('hup-b$_');\n" } 1 .. 20));
	ok(wait_for($node, $db, settled_sql($nid), '0/20', 20), 'after: 20 delivered');
	my @b = requests($recv, '/slow/50/hup-b', 1);
	is(scalar @b, 20, '20 requests');
	my @close = grep { $b[$_]{t} - $b[ $_ - 1 ]{t} < 48.5 } 1 .. $#b;
	is(scalar @close, 0, 'after: strictly sequential, each arrival >= previous + 50 ms')
	  or diag(join(' ', map { sprintf('%.1f', $b[$_]{t} - $b[ $_ - 1 ]{t}) } 1 .. $#b));
	is(worker_pid($node, $db), $pid, 'same worker pid: reloaded, not restarted');
	drop_notification($node, $db, $nid);
	$node->safe_psql('postgres',
		"ALTER SYSTEM RESET notify_ext.max_inflight; SELECT pg_reload_conf()");
};

# ---------------------------------------------------------------- 7
subtest 'DROP EXTENSION while the worker runs' => sub {
	my $nid = notification('<item><create/></item>', '/slow/300/drop');
	$node->safe_psql($db,
		"INSERT INTO notify.item (title) SELECT 'drop' || g FROM generate_series(1, 100) g");
	ok(wait_until(10, sub { count_requests($recv, '/slow/300/drop') >= 1 }), 'transfers under way');
	my $pid = worker_pid($node, $db);
	my $log_off = -s $node->logfile;

	my $t0 = time;
	my ($ret, $out, $err) = $node->psql($db, 'DROP EXTENSION notify_ext CASCADE', timeout => 30);
	my $took = time - $t0;
	is($ret, 0, 'DROP EXTENSION succeeded') or diag($err);
	cmp_ok($took, '<', 5, sprintf('DROP EXTENSION took %.2f s', $took));

	ok(wait_until(10, sub { !alive($pid) }), "the worker (pid $pid) exited");
	ok(wait_for($node, 'postgres', "SELECT count(*) FROM pg_stat_activity "
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
	ok(wait_for($node, $db, settled_sql($nid), '0/1', 15), 'a new event is delivered after CREATE EXTENSION');
	my @r = requests($recv, '/ok/after-drop', 1);
	is(join(',', map { $_->{f}{itemId} // '' } @r), $id, 'the receiver got it');
	drop_notification($node, $db, $nid);
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
	ok(wait_for($node, 'postgres', "SELECT count(*) FROM pg_stat_activity "
			  . "WHERE backend_type = 'notify_ext worker' AND datname = 'other'", '0', 5),
		'no notify_ext worker in other');
	is($node->safe_psql($db, 'SELECT 1'), '1', 'server still healthy');
	my $l = slurp_file($node->logfile, $log_off);
	my @errs = $l =~ /^.*(?:ERROR|FATAL|PANIC|terminated by signal).*$/mg;
	is(scalar @errs, 0, 'no ERROR in the log since CREATE DATABASE') or diag(join("\n", @errs));
};

# ------------------------------------------- end of the first cluster
$node->stop;
note(sprintf('total %.1f s', time - $t_start));

# ---------------------------------------------------------------- 4
subtest 'DROP DATABASE while its worker runs' => sub {
	my $node = notify_node('dropdb',
		    "notify_ext.naptime = '200ms'\n"
		  . "notify_ext.launcher_naptime = '1s'\n"
		  . "notify_ext.max_databases = 2\n");
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
};

done_testing();
