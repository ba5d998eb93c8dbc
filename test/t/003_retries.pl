#
# 003_retries.pl
#	The retry policy end to end, against the HTTP receiver
#	(test/peers/receiver.js): 5xx then success, 4xx stops at once, timeouts,
#	Retry-After, 5xx exhausting the retries, notify.redeliver and its
#	errors, a payload that cannot be encoded, and the monitoring views
#	(notify.delivery_attempts, notify.delivery_status).  The notifications
#	are scoped to one item and run in parallel.
#
# Every wait is bounded.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $node = notify_node('retries',
	    "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.backoff_base = '100ms'\n"
	  . "notify_ext.backoff_max = '2s'\n"
	  . "notify_ext.launcher_naptime = '1s'\n"
	  # every path here is one receiver, one endpoint: its failing paths
	  # would open the circuit breaker and hold back the timed retries
	  . "notify_ext.breaker_failures = 0\n");
$node->start;

my $recv = start_receiver('retries', 300);
my $base = $recv->{base};

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub notification
{
	my ($entity, $action) = @_;
	my $doc = notification_document($action);
	return sql("SELECT notify.create_notification('item', '$entity', '$doc')");
}

sub outbox_state
{
	my ($nid) = @_;
	return outbox_field($node, 'postgres', $nid,
		"status || '|' || attempts || '|' || coalesce(last_status::text, '')");
}

sub field { return outbox_field($node, 'postgres', @_); }

sub n_requests { return scalar(requests($recv, $_[0])); }

$node->safe_psql('postgres', 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');

my $item_b = 'VX-900002';
my %nid_b;
$nid_b{flaky} = notification($item_b,
	http_action(url => "$base/flaky/2/b", retry => 3, timeout => 5));
$nid_b{s404} = notification($item_b,
	http_action(url => "$base/status/404/b", retry => 5, timeout => 5));
$nid_b{slow} = notification($item_b,
	http_action(url => "$base/slow/3000/b", retry => 1, timeout => 1));
$nid_b{ra} = notification($item_b,
	http_action(url => "$base/retry-after/2/b", retry => 3, timeout => 5));
$nid_b{s503} = notification($item_b,
	http_action(url => "$base/status/503/b", retry => 2, timeout => 5));

sql("INSERT INTO notify.item (id, title) VALUES ('$item_b', 'phase B')");

# Retry then success
poll_ok($node, 'postgres', "SELECT status FROM notify.outbox WHERE notification_id = '$nid_b{flaky}'",
	'delivered', 'flaky: delivered');
is(outbox_state($nid_b{flaky}), 'delivered|3|204', 'flaky: after 3 attempts');
is( sql("SELECT string_agg(attempt || ':' || coalesce(status_code::text, '-') || ':' || delivered, ',' "
		  . "ORDER BY attempt) FROM notify.delivery_attempts "
		  . "WHERE notification_id = '$nid_b{flaky}'"),
	'1:500:false,2:500:false,3:204:true',
	'flaky: delivery_attempts shows 2 failed attempts (500) and the delivery');
is(n_requests('/flaky/2/b'), 3, 'flaky: 3 requests logged');

# 4xx stops at once
poll_ok($node, 'postgres', "SELECT status FROM notify.outbox WHERE notification_id = '$nid_b{s404}'",
	'failed', '404: failed');
is(outbox_state($nid_b{s404}), 'failed|1|404', '404: one attempt, last_status 404');
is(n_requests('/status/404/b'), 1, '404: exactly one request logged');

# Timeouts retry
poll_ok($node, 'postgres', "SELECT status FROM notify.outbox WHERE notification_id = '$nid_b{slow}'",
	'failed', 'timeout: failed');
is(field($nid_b{slow}, 'attempts'), '2', 'timeout: after 2 attempts');
like(field($nid_b{slow}, 'last_error'), qr/timed? ?out/i,
	'timeout: the error mentions a timeout');
is(sql("SELECT count(*) FROM notify.delivery_attempts WHERE notification_id = '$nid_b{slow}' "
		  . "AND error ~* 'timed? ?out' AND status_code IS NULL"),
	'2', 'timeout: both attempts recorded as timeouts');
is(n_requests('/slow/3000/b'), 2, 'timeout: 2 requests logged');

# Retry-After honoured
poll_ok($node, 'postgres', "SELECT status FROM notify.outbox WHERE notification_id = '$nid_b{ra}'",
	'delivered', 'Retry-After: delivered');
{
	my @r = requests($recv, '/retry-after/2/b');
	is(scalar @r, 2, 'Retry-After: 2 requests logged');
	my $gap = @r == 2 ? $r[1]{t} - $r[0]{t} : 0;
	cmp_ok($gap, '>=', 1950, "Retry-After: second request ${gap} ms after the first (>= 2 s)");
	cmp_ok($gap, '<', 4000, 'Retry-After: and not much later');
}

# 5xx exhausts the retries; redeliver
poll_ok($node, 'postgres', "SELECT status FROM notify.outbox WHERE notification_id = '$nid_b{s503}'",
	'failed', '503: failed');
is(outbox_state($nid_b{s503}), 'failed|3|503', '503: after 3 attempts, last_status 503');
is(n_requests('/status/503/b'), 3, '503: 3 requests logged');
like(field($nid_b{s503}, 'last_error'), qr/^HTTP status 503/,
	'503: last_error names the status');

my $oid503 = field($nid_b{s503}, 'id');
is( sql("SELECT notify.redeliver(${oid503}::bigint);\n"
		  . "SELECT status IN ('pending', 'in_flight', 'retrying') FROM notify.outbox WHERE id = $oid503"),
	"1\nt", 'redeliver(outbox id): returns 1, the event is pending again');
ok(wait_until($NotifyTest::wait_s, sub { n_requests('/status/503/b') >= 6 }),
	'redeliver(outbox id): the event is tried again');
poll_ok($node, 'postgres', "SELECT status || '|' || attempts FROM notify.outbox WHERE id = $oid503",
	'failed|6', 'redeliver(outbox id): fails again after a fresh retry budget');
is(sql("SELECT string_agg(attempt::text, ',' ORDER BY attempt) FROM notify.delivery_attempts WHERE outbox_id = $oid503"),
	'1,2,3,4,5,6', 'redeliver(outbox id): attempt numbers go on');
is(n_requests('/status/503/b'), 6, 'redeliver(outbox id): 3 more requests');

my $failed_503 = sql("SELECT count(*) FROM notify.outbox "
	  . "WHERE notification_id = '$nid_b{s503}' AND status = 'failed'");
is(sql("SELECT notify.redeliver('$nid_b{s503}')"), $failed_503,
	"redeliver(notification id): returns the number of failed events ($failed_503)");
ok(wait_until($NotifyTest::wait_s, sub { n_requests('/status/503/b') >= 9 }),
	'redeliver(notification id): the event is tried again');
poll_ok($node, 'postgres', "SELECT status FROM notify.outbox WHERE id = $oid503",
	'failed', 'redeliver(notification id): fails again');

my $oid_flaky = field($nid_b{flaky}, 'id');
is(sqlstate_of($node, 'postgres', "SELECT notify.redeliver(${oid_flaky}::bigint)"), '55000',
	'redeliver of a delivered event: 55000');
is(sqlstate_of($node, 'postgres', 'SELECT notify.redeliver(-42::bigint)'), '42704',
	'redeliver of a missing event: 42704');
is(sqlstate_of($node, 'postgres', "SELECT notify.redeliver('VX-999999999'::text)"), '42704',
	'redeliver of a missing notification: 42704');

# Monitoring
my $nids_b = join(',', map { "'$_'" } values %nid_b);
is( sql("SELECT count(*) FROM notify.outbox WHERE notification_id IN ($nids_b) "
		  . "AND status IN ('pending', 'in_flight', 'retrying')"),
	'0', 'phase B: nothing left to deliver');
is( sql("SELECT string_agg(s.pending || '/' || s.in_flight || '/' || s.delivered || '/' "
		  . "|| s.failed || '/' || (s.oldest_pending_age IS NULL), ',' ORDER BY s.notification_id) "
		  . "FROM notify.delivery_status s WHERE s.notification_id IN ('$nid_b{flaky}', '$nid_b{s503}')"),
	join(',', map { $_->[1] }
		  sort { $a->[0] cmp $b->[0] }
		  ([ $nid_b{flaky}, '0/0/1/0/true' ], [ $nid_b{s503}, '0/0/0/1/true' ])),
	'delivery_status: counts of flaky and 503, oldest_pending_age NULL');
is( sql(q{SELECT count(*) FROM notify.delivery_status s FULL JOIN (
			SELECT notification_id,
				   count(*) FILTER (WHERE status = 'pending') p,
				   count(*) FILTER (WHERE status = 'in_flight') i,
				   count(*) FILTER (WHERE status = 'delivered') d,
				   count(*) FILTER (WHERE status = 'failed') f
			  FROM notify.outbox GROUP BY 1) o USING (notification_id)
		 WHERE (s.pending, s.in_flight, s.delivered, s.failed)
			   IS DISTINCT FROM (coalesce(o.p, 0), coalesce(o.i, 0), coalesce(o.d, 0), coalesce(o.f, 0))
		    OR (s.oldest_pending_age IS NULL) <> (coalesce(o.p, 0) + coalesce(o.i, 0) + s.retrying = 0)}),
	'0', 'delivery_status: counts match the outbox for every notification');
like(sql("SELECT last_error FROM notify.delivery_status WHERE notification_id = '$nid_b{s503}'"),
	qr/^HTTP status 503/, 'delivery_status: last_error');
{
	my $nid = notification('VX-900009',
		http_action(url => "$base/ok/never", retry => 0));
	is( sql("BEGIN;\n"
			  . "INSERT INTO notify.item (id, title) VALUES ('VX-900009', 'rolled back');\n"
			  . "SELECT pending || '/' || (oldest_pending_age IS NOT NULL) "
			  . "FROM notify.delivery_status WHERE notification_id = '$nid';\n"
			  . "ROLLBACK;"),
		'1/true', 'delivery_status: a pending event has an oldest_pending_age');
	is( sql("SELECT pending || '/' || (oldest_pending_age IS NULL) "
			  . "FROM notify.delivery_status WHERE notification_id = '$nid'"),
		'0/true', 'delivery_status: oldest_pending_age NULL without events');
}

# A payload that capture never writes (a row written by hand) is the
# event's failure, not the worker's
my $bad_id = sql("INSERT INTO notify.outbox (notification_id, resource, event, entity_id, payload) "
	  . "VALUES ('$nid_b{flaky}', 'item', 'item.create', 'VX-bad', '[1, 2]') RETURNING id");
poll_ok($node, 'postgres', "SELECT status FROM notify.outbox WHERE id = $bad_id",
	'failed', 'malformed payload: the event fails');
like(sql("SELECT last_error FROM notify.outbox WHERE id = $bad_id"),
	qr/payload cannot be encoded/, 'malformed payload: last_error says why');
my $good_after = sql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'notify_ext worker'");
is($good_after, '1', 'malformed payload: the worker is still running');

# Monitoring, once everything is done
is( sql("SELECT count(*) FROM notify.delivery_status WHERE oldest_pending_age IS NOT NULL "
		  . "OR pending + in_flight + retrying > 0"),
	'0', 'delivery_status: nothing pending, oldest_pending_age NULL everywhere');

$node->stop;
done_testing();
