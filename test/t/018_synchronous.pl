#
# 018_synchronous.pl
#	Synchronous actions (synchronous="true"): delivered by the changing
#	backend before its transaction commits, one row per entry of the
#	synchronous column of the action reference's error tables, against
#	the real receiver (test/peers/receiver.js).
#
# Phases:
#	A. http: a 2xx continues (the receiver saw the event while a second
#	   session could not yet see the row; no outbox row); 4xx, 5xx, a
#	   timeout and a refused connection stop (the statement fails with
#	   09000 naming the status or the failure and the URL with its
#	   password masked; no row, no asynchronous outbox row of the same
#	   change); the first stop wins (a later notification is not sent); a
#	   rolled-back subtransaction's event is not sent; an explicit
#	   transaction's COMMIT fails; a host the SSRF guard denies stops
#	   without a request; PREPARE TRANSACTION with a synchronous event is
#	   refused;
#	B. function: a value continues (the function ran inside the
#	   transaction and saw its row), NULL and an error stop; channel: the NOTIFY arrives
#	   at commit;
#	C. limits: notify_ext.sync_timeout_max caps a timeout of none,
#	   statement_timeout and pg_cancel_backend end a hanging call;
#	D. asynchronous thread groups: http, function and channel actions of
#	   one group share one lane (each attempt starts after the previous one
#	   ended, in outbox order).
#
# Every wait is bounded.
#
use strict;
use warnings;

use IO::Socket::INET;
use IPC::Run;
use Time::HiRes qw(time);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $wait_s = 30;

my $node = notify_node('synchronous',
	    "notify_ext.naptime = '200ms'\n"
	  . "max_prepared_transactions = 2\n"
	  . "notify_ext.launcher_naptime = '1s'\n"
	  . "notify_ext.sync_timeout_max = '5s'\n"
	  . "log_statement = none\n");
$node->start;
my $recv = start_receiver('synchronous', 300);
my $base = $recv->{base};

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql('CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');

# a notification scoped to item $item with action $action; returns its id
sub notification
{
	my ($item, $action) = @_;
	return sql("SELECT notify.create_notification('item', '$item', '"
		  . notification_document($action) . "')");
}

sub sync_http
{
	my ($url, $timeout) = @_;
	$timeout //= 5;
	return "<http synchronous=\"true\"><url>$url</url><method>POST</method>"
	  . "<timeout>$timeout</timeout><retry>3</retry>"
	  . '<contentType>application/json</contentType></http>';
}

sub async_http
{
	my ($url, $group) = @_;
	my $g = $group ? " group=\"$group\"" : '';
	return "<http synchronous=\"false\"$g><url>$url</url><method>POST</method>"
	  . '<timeout>5</timeout><retry>0</retry>'
	  . '<contentType>application/json</contentType></http>';
}

# insert item $item; returns (sqlstate or 'OK', stderr, seconds taken)
sub insert_item
{
	my ($item, $pre) = @_;
	$pre //= '';
	my $t0 = time;
	my ($ret, $out, $err) = $node->psql('postgres',
		"\\set VERBOSITY verbose\n$pre"
		  . "INSERT INTO notify.item (id, title) VALUES ('$item', 'x');",
		on_error_stop => 1);
	my $took = time - $t0;
	return ('OK', $err, $took) if $ret == 0;
	return (($err =~ /ERROR:\s+([0-9A-Z]{5}):/ ? $1 : "?? $err"), $err, $took);
}

# a file holding $text, for a psql started in the background (IPC::Run
# feeds a scalar only when pumped)
my $files = 0;
sub script_file
{
	my ($text) = @_;
	my $f = "$PostgreSQL::Test::Utils::tmp_check/sync_script_" . $files++ . '.sql';
	open my $fh, '>', $f or die "$f: $!";
	print $fh $text;
	close $fh;
	return $f;
}

sub rows_of
{
	my ($item) = @_;
	return sql("SELECT count(*) FROM notify.item WHERE id = '$item'");
}

sub outbox_rows
{
	my ($item) = @_;
	return sql("SELECT count(*) FROM notify.outbox WHERE entity_id = '$item'");
}

# a stop: the insert fails with 09000 and a message like $re; no item row,
# no outbox row (an asynchronous notification of the same item exists)
sub expect_stop
{
	my ($item, $re, $name, $pre) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my ($st, $err, $took) = insert_item($item, $pre);
	is($st, '09000', "$name: the change fails with 09000");
	like($err, $re, "$name: the error gives the outcome and the target");
	is(rows_of($item), '0', "$name: no row");
	is(outbox_rows($item), '0', "$name: no asynchronous outbox row");
	return ($err, $took);
}

# ---------------------------------------------------------------------
# A. http
# ---------------------------------------------------------------------

# 2xx after 1.5 s: the receiver sees the event before the row is visible
{
	my $item = 'VX-901';
	my $nid = notification($item, sync_http("$base/slow/1500/a"));
	my $anid = notification($item, async_http("$base/ok/async-a"));
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(psql_cmd($node, 'postgres'),
		'<', script_file("INSERT INTO notify.item (id, title) VALUES ('$item', 'x');\n"),
		'>', \$out, '2>', \$err, IPC::Run::timeout(60));
	ok(wait_until($wait_s, sub { count_requests($recv, '/slow/1500/a') == 1 }),
		'2xx: the receiver got the event');
	is(rows_of($item), '0', '2xx: another session cannot see the row while the answer is due');
	$h->finish;
	is($h->result(0), 0, '2xx: the change commits') or diag($err);
	is(rows_of($item), '1', '2xx: the row is visible after the answer');
	my @r = requests($recv, '/slow/1500/a');
	is($r[0]{f}{itemId}, $item, '2xx: the body is the event');
	like($r[0]{eid}, qr/^[0-9a-f-]{36}$/, '2xx: the request carries an event id');
	is(sql("SELECT count(*) FROM notify.outbox WHERE notification_id = '$nid'"), '0',
		'2xx: a synchronous event has no outbox row');
	poll_ok($node, 'postgres',
		"SELECT status FROM notify.outbox WHERE notification_id = '$anid'",
		'delivered', 'an asynchronous notification of the same change is delivered by the worker');
	is(count_requests($recv, '/ok/async-a'), 1, 'asynchronous: one request');
}

# 4xx and 5xx stop, with the status and the masked URL; never retried
{
	my $item = 'VX-902';
	notification($item, sync_http("http://user:hunter2\@127.0.0.1:$recv->{port}/status/404"));
	notification($item, async_http("$base/ok/async-b"));
	my ($err) = expect_stop($item,
		qr/synchronous notification "VX-\d+" stopped the transaction: HTTP status 404 from http:\/\/user:\*\*\*\@127\.0\.0\.1:\d+\/status\/404$/m,
		'4xx');
	unlike($err, qr/hunter2/, '4xx: no password in the error');
	is(count_requests($recv, '/status/404'), 1, '4xx: sent once, not retried');

	$item = 'VX-903';
	notification($item, sync_http("$base/status/503"));
	notification($item, async_http("$base/ok/async-c"));
	expect_stop($item, qr/HTTP status 503 from http:\/\/127\.0\.0\.1:\d+\/status\/503$/m, '5xx');
	is(count_requests($recv, '/status/503'), 1, '5xx: sent once, not retried');
}

# timeout and connection refused
{
	my $item = 'VX-904';
	notification($item, sync_http("$base/slow/20000/t", 1));
	notification($item, async_http("$base/ok/async-d"));
	my ($err, $took) = expect_stop($item, qr/no answer from http:\/\/127\.0\.0\.1:\d+\/slow\/20000\/t$/m,
		'timeout');
	ok($took < 4, "timeout: the transaction is held about the action's timeout ("
		  . sprintf('%.1f', $took) . ' s)');

	my $sock = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0)
	  or die "socket: $!";
	my $closed = $sock->sockport;
	close $sock;
	$item = 'VX-905';
	notification($item, sync_http("http://127.0.0.1:$closed/refused"));
	notification($item, async_http("$base/ok/async-e"));
	($err) = expect_stop($item, qr/no answer from http:\/\/127\.0\.0\.1:$closed\/refused$/m,
		'connection refused');
	like($err, qr/DETAIL:.*(refused|connect)/i, 'connection refused: the detail says why');
}

# the first stop wins: the later notification (higher id) is not sent; an
# earlier one that continues is
{
	my $item = 'VX-906';
	notification($item, sync_http("$base/ok/first"));
	notification($item, sync_http("$base/status/500/second"));
	notification($item, sync_http("$base/ok/third"));
	expect_stop($item, qr/HTTP status 500/, 'first stop wins');
	is(count_requests($recv, '/ok/first'), 1, 'first stop wins: the earlier notification was sent');
	is(count_requests($recv, '/ok/third'), 0, 'first stop wins: the later notification was not sent');
}

# a rolled-back subtransaction's event is not sent
{
	my $item = 'VX-907';
	notification($item, sync_http("$base/ok/sub"));
	sql("BEGIN; SAVEPOINT s; INSERT INTO notify.item (id, title) VALUES ('$item', 'x'); "
		  . "ROLLBACK TO s; COMMIT;");
	is(count_requests($recv, '/ok/sub'), 0, 'rolled-back subtransaction: nothing sent');
	sql("BEGIN; SAVEPOINT s; INSERT INTO notify.item (id, title) VALUES ('$item', 'x'); "
		  . "RELEASE s; COMMIT;");
	is(count_requests($recv, '/ok/sub'), 1, 'released subtransaction: sent at commit');
}

# one backend reuses its connection for the next synchronous call
{
	my $item = 'VX-915';
	notification("$item-$_", sync_http("$base/ok/reuse")) for 1 .. 3;
	sql(join(' ', map { "INSERT INTO notify.item (id, title) VALUES ('$item-$_', 'x');" } 1 .. 3));
	my @r = requests($recv, '/ok/reuse', 1);
	is(scalar(@r), 3, 'keep-alive: three transactions, three requests');
	is(scalar(keys %{ { map { $_->{p} => 1 } @r } }), 1,
		'keep-alive: one connection for the three calls of one backend');
}

# an explicit transaction: the COMMIT fails
{
	my $item = 'VX-908';
	notification($item, sync_http("$base/status/409"));
	my ($ret, $out, $err) = $node->psql('postgres',
		"BEGIN; INSERT INTO notify.item (id, title) VALUES ('$item', 'x'); SELECT 'inserted'; COMMIT;");
	like($out, qr/inserted/, 'explicit transaction: the INSERT itself succeeds');
	like($err, qr/HTTP status 409/, 'explicit transaction: COMMIT reports the stop');
	is(rows_of($item), '0', 'explicit transaction: no row');
}

# the SSRF guard applies: a denied host stops without a request
{
	# defined while the host was allowed; denied since (create and update
	# refuse a denied host, delivery checks again)
	my $item = 'VX-909';
	notification($item, sync_http("http://127.0.0.2:$recv->{port}/ok/denied"));
	sql("ALTER SYSTEM SET notify_ext.denied_hosts = '127.0.0.2'; SELECT pg_reload_conf();");
	poll_ok($node, 'postgres', "SHOW notify_ext.denied_hosts", '127.0.0.2', 'denied_hosts: reloaded');
	my ($err) = expect_stop($item, qr/http:\/\/127\.0\.0\.2:\d+\/ok\/denied refused$/m, 'denied host');
	like($err, qr/DETAIL:.*denied/i, 'denied host: the detail names the rule');
	is(count_requests($recv, '/ok/denied'), 0, 'denied host: nothing sent');
	sql("ALTER SYSTEM RESET notify_ext.denied_hosts; SELECT pg_reload_conf();");
}

# PREPARE TRANSACTION with a synchronous event pending is refused
{
	my $item = 'VX-910';
	notification($item, sync_http("$base/ok/prepared"));
	my ($ret, $out, $err) = $node->psql('postgres',
		"\\set VERBOSITY verbose\nBEGIN; INSERT INTO notify.item (id, title) VALUES ('$item', 'x'); "
		  . "PREPARE TRANSACTION 'p1';");
	like($err, qr/0A000: cannot PREPARE a transaction with synchronous notifications/,
		'PREPARE TRANSACTION: refused');
	is(rows_of($item), '0', 'PREPARE TRANSACTION: no row');
	is(sql("SELECT count(*) FROM pg_prepared_xacts"), '0', 'PREPARE TRANSACTION: nothing prepared');
	is(count_requests($recv, '/ok/prepared'), 0, 'PREPARE TRANSACTION: nothing sent');
}

# ---------------------------------------------------------------------
# B. function and channel
# ---------------------------------------------------------------------
sql(q{
CREATE TABLE public.sync_log (item text, seen bigint, at timestamptz DEFAULT clock_timestamp());
CREATE FUNCTION public.sync_accept(e jsonb) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.sync_log (item, seen)
    SELECT e->'itemId'->>0, count(*) FROM notify.item WHERE id = e->'itemId'->>0;
  RETURN 'ok';
END $$;
CREATE TABLE public.sync_path (item text, path text);
CREATE FUNCTION public.sync_path(e jsonb) RETURNS text LANGUAGE sql
  AS $$ INSERT INTO public.sync_path VALUES (e->'itemId'->>0, current_setting('search_path')) RETURNING 'ok' $$;
CREATE FUNCTION public.sync_null(e jsonb) RETURNS text LANGUAGE sql AS $$ SELECT NULL::text $$;
CREATE FUNCTION public.sync_fail(e jsonb) RETURNS text LANGUAGE plpgsql
  AS $$ BEGIN RAISE EXCEPTION 'not today'; END $$;
});

{
	my $item = 'VX-911';
	notification($item, '<function synchronous="true"><name>public.sync_accept</name></function>');
	my ($st) = insert_item($item);
	is($st, 'OK', 'function value: the change commits');
	is(sql("SELECT seen FROM public.sync_log WHERE item = '$item'"), '1',
		'function value: the function ran in the transaction and saw its row');

	$item = 'VX-916';
	notification($item, '<function synchronous="true"><name>public.sync_path</name></function>');
	($st) = insert_item($item, "SET search_path = public, pg_catalog;\n");
	is($st, 'OK', 'function search_path: the change commits');
	is(sql("SELECT path FROM public.sync_path WHERE item = '$item'"), 'pg_catalog, pg_temp',
		"function search_path: not the changing session's");

	$item = 'VX-912';
	notification($item, '<function synchronous="true"><name>public.sync_accept</name></function>');
	notification($item, '<function synchronous="true"><name>public.sync_null</name></function>');
	notification($item, async_http("$base/ok/async-f"));
	expect_stop($item, qr/function public\.sync_null returned NULL$/m, 'function NULL');
	is(sql("SELECT count(*) FROM public.sync_log WHERE item = '$item'"), '0',
		'function NULL: what an earlier function wrote is rolled back too');

	$item = 'VX-913';
	notification($item, '<function synchronous="true"><name>public.sync_fail</name></function>');
	notification($item, async_http("$base/ok/async-g"));
	my ($err) = expect_stop($item, qr/function public\.sync_fail failed$/m, 'function error');
	like($err, qr/DETAIL:.*not today/, 'function error: the detail has the error');
}

{
	my $item = 'VX-914';
	notification($item,
		'<channel synchronous="true"><name>sync_chan</name><contentType>application/json</contentType></channel>');
	my $listener = $node->background_psql('postgres');
	$listener->query_safe('LISTEN sync_chan');
	my ($st) = insert_item($item);
	is($st, 'OK', 'channel: the change commits');
	my $seen = '';
	wait_until($wait_s, sub {
			$seen .= $listener->query('SELECT 1');
			return $seen =~ /Asynchronous notification "sync_chan"/;
		});
	like($seen, qr/Asynchronous notification "sync_chan" with payload ".*\Q$item\E/,
		'channel: the listener gets the event at commit');
	$listener->quit;
}

# ---------------------------------------------------------------------
# C. limits: the cap, statement_timeout, pg_cancel_backend
# ---------------------------------------------------------------------
{
	sql("ALTER SYSTEM SET notify_ext.sync_timeout_max = '1s'; SELECT pg_reload_conf();");
	poll_ok($node, 'postgres', "SHOW notify_ext.sync_timeout_max", '1s', 'cap: reloaded');
	my $item = 'VX-921';
	notification($item, sync_http("$base/slow/20000/cap", 'none'));
	my (undef, $took) = expect_stop($item, qr/no answer from/, 'cap');
	ok($took < 3.5, 'cap: a timeout of none is capped by sync_timeout_max ('
		  . sprintf('%.1f', $took) . ' s)');
	sql("ALTER SYSTEM SET notify_ext.sync_timeout_max = '60s'; SELECT pg_reload_conf();");
	poll_ok($node, 'postgres', "SHOW notify_ext.sync_timeout_max", '1min', 'cap: raised to 60 s');

	$item = 'VX-922';
	notification($item, sync_http("$base/slow/20000/stmt", 'none'));
	my ($st, $err);
	($st, $err, $took) = insert_item($item, "SET statement_timeout = '700ms';\n");
	is($st, '57014', 'statement_timeout: the change is cancelled');
	ok($took < 5, 'statement_timeout: within about its time (' . sprintf('%.1f', $took) . ' s)');
	is(rows_of($item), '0', 'statement_timeout: no row');

	($st, $err, $took) = insert_item('VX-923',
		"SET statement_timeout = '700ms';\n");
	# (no notification for VX-923: nothing synchronous, a plain insert)
	is($st, 'OK', 'statement_timeout: a change without synchronous notification is not affected');

	$item = 'VX-924';
	notification($item, sync_http("$base/slow/30000/cancel", 'none'));
	my ($out, $e2) = ('', '');
	my $t0 = time;
	my $h = IPC::Run::start(psql_cmd($node, 'postgres'),
		'<', script_file("INSERT INTO notify.item (id, title) VALUES ('$item', 'cancel-me');\n"),
		'>', \$out, '2>', \$e2, IPC::Run::timeout(60));
	ok(wait_until($wait_s, sub { count_requests($recv, '/slow/30000/cancel') == 1 }),
		'cancel: the call hangs at the receiver');
	sql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
		  . "WHERE query LIKE 'INSERT INTO notify.item%cancel-me%' AND pid <> pg_backend_pid()");
	$h->finish;
	my $took_c = time - $t0;
	isnt($h->result(0), 0, 'cancel: the change fails');
	like($e2, qr/canceling statement due to user request/, 'cancel: as a cancel');
	ok($took_c < 10, 'cancel: at once, not after the receiver (' . sprintf('%.1f', $took_c) . ' s)');
	is(rows_of($item), '0', 'cancel: no row');

	# the backend goes on with synchronous calls after a cancel
	$item = 'VX-925';
	notification($item, sync_http("$base/ok/after-cancel"));
	($st) = insert_item($item);
	is($st, 'OK', 'after a cancel: the next synchronous call works');
}

# ---------------------------------------------------------------------
# D. asynchronous thread group across action kinds
# ---------------------------------------------------------------------
{
	my $item = 'VX-931';
	my @nids = (
		notification($item, async_http("$base/slow/300/g1", 'lane')),
		notification($item,
			'<function synchronous="false" group="lane"><name>public.sync_accept</name></function>'),
		notification($item, '<channel synchronous="false" group="lane"><name>lane_chan</name></channel>'),
		notification($item, async_http("$base/slow/300/g2", 'lane')));
	sql("INSERT INTO notify.item (id, title) VALUES ('$item', 'x')");
	my $list = join(',', map { "'$_'" } @nids);
	poll_ok($node, 'postgres',
		"SELECT count(*) FILTER (WHERE status = 'delivered') FROM notify.outbox WHERE notification_id IN ($list)",
		'4', 'group: every event delivered');
	# each attempt starts after the previous one of the lane ended
	my $overlaps = sql(
		"SELECT count(*) FROM (SELECT id, last_attempt_at, lag(last_attempt_at + last_duration_ms * interval '1 ms') "
		  . "OVER (ORDER BY id) AS prev_end FROM notify.outbox WHERE notification_id IN ($list)) s "
		  . "WHERE last_attempt_at < prev_end - interval '2 ms'");
	is($overlaps, '0', 'group: http, function and channel attempts of one group never overlap');
	my $order = sql(
		"SELECT string_agg(notification_id, ',' ORDER BY last_attempt_at) = string_agg(notification_id, ',' ORDER BY id) "
		  . "FROM notify.outbox WHERE notification_id IN ($list)");
	is($order, 't', 'group: attempts in outbox order');
}

done_testing();
