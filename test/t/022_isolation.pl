#
# 022_isolation.pl
#	One endpoint never delays another: per-endpoint concurrency budgets,
#	circuit breakers, and in-database actions beside HTTP delivery.
#
# Phases:
#	A. a hung endpoint (a receiver path that answers after 8 s) beside a
#	   healthy one: with max_inflight 8 and max_inflight_per_endpoint 4,
#	   the healthy notification's 20 events (one thread group, so in
#	   order) all arrive, in order, while the hung endpoint's attempts are
#	   still running; notify.endpoint_status shows the hung endpoint at
#	   its budget with lanes waiting;
#	B. circuit breaker with the real receiver (/flaky/4: four 500s, then
#	   204), one attempt at a time to that endpoint: three failures open
#	   it; while open nothing is sent and no event uses up a retry (the
#	   events' attempts stay at 3 although their backoff is 100 ms); the
#	   probe after the delay fails (open again), the next one succeeds
#	   (closed) and every event is delivered;
#	C. a slow <function> action (pg_sleep 4) does not hold up HTTP
#	   delivery: events of an HTTP notification inserted while the
#	   function runs arrive long before it returns.
#
# Timing is asserted only with wide margins; the checks are on counts,
# order and states.  Every wait is bounded.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use NotifyTest;

my $db = 'iso';
my ($node, $recv, $base) = delivery_setup('isolation', $db);
my $hung = start_receiver('isolation_hung', 400);
my $flaky = start_receiver('isolation_flaky', 400);

sub sql { return $node->safe_psql($db, $_[0]); }

sub settings
{
	my (%s) = @_;
	$node->safe_psql('postgres', "ALTER SYSTEM SET notify_ext.$_ = '$s{$_}'")
	  for sort keys %s;
	$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
	# give the worker a pass to read them
	usleep(300_000);
}

sub notification
{
	my ($url, %o) = @_;
	my $group = $o{group} ? " group=\"$o{group}\"" : '';
	my $doc = notification_document(
		"<http synchronous=\"false\"$group><url>$url</url>"
		  . "<method>POST</method><timeout>$o{timeout}</timeout><retry>$o{retry}</retry>"
		  . '<contentType>application/json</contentType></http>');
	return sql("SELECT notify.create_notification('item', '$doc')");
}

sub endpoint_of { my ($r) = @_; return "http://127.0.0.1:$r->{port}"; }

# ---------------------------------------------------------------- A
settings(max_inflight => 8, max_inflight_per_endpoint => 4,
	breaker_failures => 0);
my $nh = notification("$hung->{base}/slow/8000/h", timeout => 20, retry => 0);
my $ng = notification("$base/ok/g", timeout => 10, retry => 0, group => 'g');
my $t0 = time;
sql("INSERT INTO notify.item (title) SELECT 'a' || g FROM generate_series(1, 20) g");
my @eids = split /\n/, sql(
	"SELECT event_id FROM notify.outbox WHERE notification_id = '$ng' ORDER BY id");
is(scalar @eids, 20, 'A: 20 events of the healthy notification captured');
ok(wait_until(6, sub { count_requests($recv, '/ok/g') >= 20 }),
	'A: the healthy endpoint got its 20 events while the other one hangs');
my $elapsed = time - $t0;
my @got = map { $_->{eid} } requests($recv, '/ok/g', 1);
is_deeply(\@got, \@eids, 'A: in order, each once');
cmp_ok($elapsed, '<', 6, "A: before the hung transfers end (${elapsed}s, wide margin)");
is(sql("SELECT count(*) FROM notify.outbox WHERE notification_id = '$nh' AND status = 'delivered'"),
	'0', 'A: the hung endpoint has delivered nothing yet');
my $ep = endpoint_of($hung);
ok( wait_until(3, sub {
		sql("SELECT in_flight = 4 AND waiting_lanes > 0 FROM notify.endpoint_status "
			  . "WHERE endpoint = '$ep'") eq 't';
	}),
	'A: endpoint_status shows the hung endpoint at its budget of 4, lanes waiting');
drop_notification($node, $db, $nh);
drop_notification($node, $db, $ng);

# ---------------------------------------------------------------- B
settings(max_inflight_per_endpoint => 1, breaker_failures => 3,
	breaker_delay => '3s', backoff_base => '100ms', backoff_max => '100ms');
my $nf = notification("$flaky->{base}/flaky/4/b", timeout => 10, retry => 2);
$ep = endpoint_of($flaky);
sql("INSERT INTO notify.item (title) SELECT 'b' || g FROM generate_series(1, 5) g");
ok( wait_until(10, sub {
		sql("SELECT state FROM notify.endpoint_status WHERE endpoint = '$ep'") eq 'open';
	}),
	'B: three failures open the breaker');
is(count_requests($flaky, '/flaky/4/b'), 3, 'B: three requests sent when it opened');
is(sql("SELECT sum(attempts) FROM notify.outbox WHERE notification_id = '$nf'"),
	'3', 'B: three attempts recorded');
usleep(1_000_000);
is(count_requests($flaky, '/flaky/4/b'), 3, 'B: nothing sent while open');
is(sql("SELECT sum(attempts) || ' ' || count(*) FILTER (WHERE status = 'failed') "
	  . "FROM notify.outbox WHERE notification_id = '$nf'"),
	'3 0', 'B: no retry used up while open (backoff 100 ms)');
is( sql("SELECT consecutive_failures || ' ' || (next_probe_at > opened_at) "
	  . "FROM notify.endpoint_status WHERE endpoint = '$ep'"),
	'3 true', 'B: endpoint_status shows the failures and the probe time');
ok(wait_until(10, sub { count_requests($flaky, '/flaky/4/b') >= 4 }),
	'B: the probe is sent after the delay');
ok( wait_until(5, sub {
		sql("SELECT state || ' ' || consecutive_failures FROM notify.endpoint_status "
			  . "WHERE endpoint = '$ep'") eq 'open 4';
	}),
	'B: the failed probe opens the breaker again');
is(count_requests($flaky, '/flaky/4/b'), 4, 'B: one probe only');
ok( wait_until(10, sub {
		sql("SELECT state || ' ' || consecutive_failures FROM notify.endpoint_status "
			  . "WHERE endpoint = '$ep'") eq 'closed 0';
	}),
	'B: the next probe succeeds and closes the breaker');
poll_ok($node, $db, settled_sql($nf), '0/5', 'B: every event delivered');
is(count_requests($flaky, '/flaky/4/b'), 9, 'B: four failed requests and five deliveries');
drop_notification($node, $db, $nf);

# ---------------------------------------------------------------- C
# all the slots: phase A's hung transfers may still run
settings(max_inflight => 128, max_inflight_per_endpoint => 4, breaker_failures => 5);
# the first call sleeps 4 s
sql(q{CREATE TABLE public.slept (n int);
CREATE FUNCTION public.slow_fn(ev jsonb) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM public.slept) THEN
		INSERT INTO public.slept VALUES (1);
		PERFORM pg_sleep(4);
	END IF;
	RETURN 'ok';
END $$});
my $doc = notification_document('<function><name>public.slow_fn</name><retry>0</retry></function>');
my $nfn = sql("SELECT notify.create_notification('item', '$doc')");
my $nc = notification("$base/ok/c", timeout => 10, retry => 0, group => 'c');
sql("INSERT INTO notify.item (title) VALUES ('first')");
my $sleeping = "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'";
ok(wait_until(10, sub { $node->safe_psql('postgres', $sleeping) eq '1' }),
	'C: the function action is running (pg_sleep)');
sql("INSERT INTO notify.item (title) VALUES ('c$_')") for 1 .. 10;
ok(wait_until(3, sub { count_requests($recv, '/ok/c') >= 11 }),
	'C: HTTP events captured while the function runs are delivered');
is($node->safe_psql('postgres', $sleeping), '1',
	'C: ... before the function returns');
@eids = split /\n/, sql(
	"SELECT event_id FROM notify.outbox WHERE notification_id = '$nc' ORDER BY id");
@got = map { $_->{eid} } requests($recv, '/ok/c', 1);
is_deeply(\@got, \@eids, 'C: in order, each once');
poll_ok($node, $db, settled_sql($nfn), '0/11', 'C: every function event delivered');

done_testing();
