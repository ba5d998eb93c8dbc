#
# NotifyTest.pm
#	Helpers shared by the TAP tests of notify_ext (test/t/*.pl): a cluster
#	with the library preloaded, the HTTP receiver peer
#	(test/peers/receiver.js) and its request log, bounded waits and
#	notification documents.  Found through PROVE_FLAGS (-I test/t).
#
#	A missing peer is a failure, not a skip: start_receiver() reports a
#	failed check when node cannot be run, and the test file stops there.
#	Every wait is bounded.
#
package NotifyTest;

use strict;
use warnings;

use Exporter 'import';
use IPC::Run;
use JSON::PP;
use MIME::Base64;
use Time::HiRes qw(usleep time);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(notify_node start_receiver requests count_requests
  wait_until wait_for poll_ok sqlstate_of notification_document http_action
  outbox_field worker_pid max_overlap alive json_notification
  drop_notification settled_sql psql_cmd delivery_setup start_psql_script);

# Default bound of the polls, in seconds
our $wait_s = 20;

my @receivers;

# Stop every receiver this test started, keeping the test's exit status.
END
{
	my $rc = $?;
	for my $r (@receivers)
	{
		next unless $r->{h} && $r->{h}->pumpable;
		$r->{h}->signal('TERM');
		eval { $r->{h}->finish; };
	}
	$? = $rc;
}

# notify_node(NAME, CONF): an initialized (not started) cluster with
# notify_ext in shared_preload_libraries and the postgresql.conf lines CONF.
sub notify_node
{
	my ($name, $conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'notify_ext'\n" . ($conf // ''));
	return $node;
}

# start_receiver(NAME, MAX_SECONDS, EXTRA...): start test/peers/receiver.js
# on a free port of 127.0.0.1 with its log in the test's log directory and
# the receiver options EXTRA (such as --webhook-secret S); one check,
# "receiver listens on port N".  Returns a hash {h, port, base, log}.
# Without node the check fails and the test ends there: the delivery tests
# cannot run without their peer, and that is a failure, not a skip.
sub start_receiver
{
	my ($name, $max_seconds, @extra) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $log = "$PostgreSQL::Test::Utils::log_path/${name}_receiver.jsonl";
	unlink $log;
	if (system('node --version >/dev/null 2>&1') != 0)
	{
		fail('receiver listens: node is installed');
		diag('node is not installed: the HTTP receiver peer cannot run '
			  . '(scripts/test.sh installs nodejs)');
		done_testing();
		exit 1;
	}
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[
			'node', 'test/peers/receiver.js', '0', $log,
			'--max-seconds', $max_seconds // 300, @extra
		],
		'<', \undef, '>', \$out, '2>', \$err);
	my $r = { h => $h, log => $log };
	push @receivers, $r;
	my $timer = IPC::Run::timer(15);
	$timer->start;
	$h->pump_nb
	  while $out !~ /^ready \d+$/m && !$timer->is_expired && $h->pumpable;
	($r->{port}) = $out =~ /^ready (\d+)$/m;
	ok($r->{port}, 'receiver listens on port ' . ($r->{port} // '?'))
	  or BAIL_OUT("receiver did not start: $err");
	$r->{base} = "http://127.0.0.1:$r->{port}";
	return $r;
}

# requests(RECEIVER, PATH, EXACT): the requests logged so far whose URL
# starts with PATH (is PATH when EXACT), in order of arrival.  Each is a
# hash: t (ms), m, u, h (headers), b (the body, decoded from base64), eid
# (X-Notify-Event-Id) and f (the fields of a JSON body, key => first value).
sub requests
{
	my ($r, $path, $exact) = @_;
	my @r;
	open my $fh, '<', $r->{log} or return ();
	while (my $line = <$fh>)
	{
		next unless $line =~ /\n\z/;    # a line still being written
		my $j = eval { decode_json($line) } or next;
		if (defined $path)
		{
			next if $exact && $j->{u} ne $path;
			next if !$exact && index($j->{u}, $path) != 0;
		}
		$j->{b} = decode_base64($j->{b});
		$j->{eid} = $j->{h}{'x-notify-event-id'} // '';
		my %f;
		my $body = eval { decode_json($j->{b}) };
		if (ref $body eq 'HASH' && ref $body->{field} eq 'ARRAY')
		{
			$f{ $_->{key} } //= $_->{value} for @{ $body->{field} };
		}
		$j->{f} = \%f;
		push @r, $j;
	}
	close $fh;
	# (sort in scalar context is undefined: callers count the list)
	my @sorted = sort { $a->{t} <=> $b->{t} } @r;
	return @sorted;
}

# count_requests(RECEIVER, URL): number of requests logged so far for
# exactly URL, without decoding (cheap enough to poll)
sub count_requests
{
	my ($r, $url) = @_;
	my $n = 0;
	open my $fh, '<', $r->{log} or return 0;
	while (my $line = <$fh>)
	{
		$n++ if index($line, "\"u\":\"$url\"") >= 0;
	}
	close $fh;
	return $n;
}

# wait_until(SECS, COND): poll COND every 20 ms until it returns true or
# SECS seconds have passed; returns COND's last value.
sub wait_until
{
	my ($secs, $cond) = @_;
	my $deadline = time + $secs;
	my $v;
	until (($v = $cond->()) || time > $deadline)
	{
		usleep(20_000);
	}
	return $v;
}

# wait_for(NODE, DB, SQL, EXPECTED, SECS): poll SQL in DB until it returns
# EXPECTED; errors (a server restarting) are retried.  At most SECS seconds;
# a timeout is reported with what was seen last.
sub wait_for
{
	my ($node, $dbname, $sql, $expected, $secs) = @_;
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

# poll_ok(NODE, DB, QUERY, EXPECTED, NAME): one check, that QUERY returns
# EXPECTED within $wait_s seconds
sub poll_ok
{
	my ($node, $db, $query, $expected, $name) = @_;
	local $PostgreSQL::Test::Utils::timeout_default = $wait_s;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	ok($node->poll_query_until($db, $query, $expected), $name);
}

# sqlstate_of(NODE, DB, STMT): the SQLSTATE STMT raises, or 'OK'
sub sqlstate_of
{
	my ($node, $db, $stmt) = @_;
	my ($ret, $out, $err) = $node->psql($db,
		"\\set VERBOSITY verbose\n$stmt", on_error_stop => 1);
	return 'OK' if $ret == 0;
	return $err =~ /ERROR:\s+([0-9A-Z]{5}):/ ? $1 : "?? $err";
}

# notification_document(ACTION, TRIGGER): a NotificationDocument with the
# action element content ACTION and the trigger content TRIGGER (an item
# create by default)
sub notification_document
{
	my ($action, $trigger) = @_;
	$trigger //= '<item><create/></item>';
	return '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">'
	  . "<action>$action</action><trigger>$trigger</trigger></NotificationDocument>";
}

# http_action(url => U, method, timeout, retry, ct): an <http> action
sub http_action
{
	my (%a) = @_;
	my $x = "<http><url>$a{url}</url>";
	$x .= "<method>$a{method}</method>" if $a{method};
	$x .= "<timeout>$a{timeout}</timeout>" if defined $a{timeout};
	$x .= "<retry>$a{retry}</retry>" if defined $a{retry};
	$x .= "<contentType>$a{ct}</contentType>" if $a{ct};
	return "$x</http>";
}

# json_notification(NODE, DB, URL, TRIGGER, group => G): create a
# delivery_setup(NAME, DB, CONF): the setup of the ordering, crash and lifecycle
# tests: a started cluster NAME (naptime 200 ms, launcher 1 s, restart after
# a crash, 30 connections, and the postgresql.conf lines CONF when given),
# database DB with both extensions, a receiver (400 ms slow paths allowed).
# Returns (NODE, RECEIVER, BASE URL).
sub delivery_setup
{
	my ($name, $db, $conf) = @_;
	my $node = notify_node($name,
		    "notify_ext.naptime = '200ms'\n"
		  . "notify_ext.launcher_naptime = '1s'\n"
		  . "restart_after_crash = on\n"
		  . "max_connections = 30\n"
		  . ($conf // ''));
	$node->start;
	my $recv = start_receiver($name, 400);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');
	return ($node, $recv, $recv->{base});
}

# resource-wide notification of TRIGGER's resource (an item trigger) with an
# asynchronous <http> POST of JSON to URL, 10 s timeout, 5 retries, in thread
# group G when given; returns its id
sub json_notification
{
	my ($node, $db, $url, $trigger, %o) = @_;
	my $group = $o{group} ? " group=\"$o{group}\"" : '';
	my $doc = notification_document(
		"<http synchronous=\"false\"$group><url>$url</url>"
		  . '<method>POST</method><timeout>10</timeout><retry>5</retry>'
		  . '<contentType>application/json</contentType></http>',
		$trigger);
	return $node->safe_psql($db, "SELECT notify.create_notification('item', '$doc')");
}

# drop_notification(NODE, DB, NID): delete item notification NID
sub drop_notification
{
	my ($node, $db, $nid) = @_;
	$node->safe_psql($db, "SELECT notify.delete_notification('item', '$nid')");
}

# settled_sql(NID): a query returning "events pending or in flight/events
# delivered" of notification NID
sub settled_sql
{
	my ($nid) = @_;
	return "SELECT count(*) FILTER (WHERE status IN ('pending', 'in_flight', 'retrying')) || '/' "
	  . "|| count(*) FILTER (WHERE status = 'delivered') "
	  . "FROM notify.outbox WHERE notification_id = '$nid'";
}

# psql_cmd(NODE, DB): a psql command line that runs a script from stdin and
# stops at the first error (for IPC::Run)
sub psql_cmd
{
	my ($node, $dbname) = @_;
	return [ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr($dbname), '-f', '-' ];
}

# start_psql_script(NODE, DB, NAME, SCRIPT): run SCRIPT with psql in the
# background, from a file NAME.sql in the test's directory (a scalar would
# be fed to psql only while the caller pumps), stopping at the first error,
# within 60 s; returns the IPC::Run handle (finish it to wait).
sub start_psql_script
{
	my ($node, $dbname, $name, $script) = @_;
	my $file = "$PostgreSQL::Test::Utils::tmp_check/$name.sql";
	open my $fh, '>', $file or die "could not write $file: $!";
	print $fh $script;
	close $fh;
	my ($out, $err) = ('', '');
	return IPC::Run::start(psql_cmd($node, $dbname), '<', $file, '>', \$out, '2>', \$err,
		IPC::Run::timeout(60));
}

# outbox_field(NODE, DB, NID, EXPR): EXPR over the outbox row(s) of
# notification NID
sub outbox_field
{
	my ($node, $db, $nid, $expr) = @_;
	return $node->safe_psql($db,
		"SELECT $expr FROM notify.outbox WHERE notification_id = '$nid'");
}

# worker_pid(NODE, DB): pid of the delivery worker of DB ('' when none)
sub worker_pid
{
	my ($node, $db) = @_;
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'notify_ext worker' "
		  . "AND datname = '$db'");
}

# max_overlap(D, REQUESTS): largest number of requests that started within
# D ms of one another (with a receiver that answers after D ms, they were
# in flight at the same time); REQUESTS sorted by arrival
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

# alive(PID): the process exists and has not exited (a zombie waiting for
# whoever adopted it is not alive)
sub alive
{
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/stat" or return 0;
	my $l = <$fh>;
	close $fh;
	return defined $l && $l =~ /^\d+ \(.*\) ([A-Za-z])/s && $1 ne 'Z';
}

1;
