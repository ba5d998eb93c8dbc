#
# 002_delivery.pl
#	End-to-end delivery by the background worker to a real HTTP receiver
#	(test/peers/receiver.js) and to in-database actions.
#
# Phases, each with an item insert of its own:
#	A. bodies of text/plain, application/xml and application/json byte for
#	   byte, headers, POST and PUT, basic authentication (resource-wide
#	   notifications, deleted once delivered);
#	B. retries: 5xx then success, 4xx stops at once, timeouts, Retry-After,
#	   5xx exhausting the retries, notify.redeliver and its errors, and the
#	   monitoring views (notifications scoped to the phase's item);
#	C. <function> and <channel> actions;
#	D. the SSRF guard (notify_ext.denied_hosts, link-local addresses).
#
# Every wait is a bounded poll; the whole test takes about 15 s.
#
use strict;
use warnings;

use IPC::Run;
use JSON::PP;
use MIME::Base64;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $receiver_script = 'test/peers/receiver.js';
plan skip_all => 'node is not installed'
  if system('node --version >/dev/null 2>&1') != 0;

# Bounded waits: poll_query_until gives up after 10 * timeout_default tries.
my $wait_s = 20;

my $node = PostgreSQL::Test::Cluster->new('delivery');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'notify_ext'\n"
	  . "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.backoff_base = '100ms'\n"
	  . "notify_ext.backoff_max = '2s'\n"
	  . "notify_ext.launcher_naptime = '1s'\n");
$node->start;

# ---------------------------------------------------------------------
# The receiver
# ---------------------------------------------------------------------
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $recv_log = "$PostgreSQL::Test::Utils::log_path/002_receiver.jsonl";
unlink $recv_log;
my ($recv_out, $recv_err) = ('', '');
my $receiver = IPC::Run::start(
	[ 'node', $receiver_script, $port, $recv_log, '--max-seconds', '300' ],
	'<', \undef, '>', \$recv_out, '2>', \$recv_err);
{
	my $timer = IPC::Run::timer(15);
	$timer->start;
	$receiver->pump_nb
	  while $recv_out !~ /^ready \d+/m && !$timer->is_expired && $receiver->pumpable;
	like($recv_out, qr/^ready $port$/m, "receiver listens on port $port")
	  or BAIL_OUT("receiver did not start: $recv_err");
}

END
{
	my $rc = $?;
	if ($receiver && $receiver->pumpable)
	{
		$receiver->signal('TERM');
		$receiver->finish;
	}
	$? = $rc;
}

my $base = "http://127.0.0.1:$port";

# Every request logged so far: hashes with t, m, u, h, b (decoded body).
sub requests
{
	my ($prefix) = @_;
	my @r;
	open my $fh, '<', $recv_log or return ();
	while (my $line = <$fh>)
	{
		next unless $line =~ /\n\z/;    # a line still being written
		my $r = decode_json($line);
		$r->{b} = decode_base64($r->{b});
		push @r, $r if !defined $prefix || index($r->{u}, $prefix) == 0;
	}
	close $fh;
	return @r;
}

# Wait (bounded) until $cond->() holds; returns its last value.
sub wait_until
{
	my ($cond) = @_;
	my $deadline = time + $wait_s;
	my $v;
	until (($v = $cond->()) || time > $deadline)
	{
		select(undef, undef, undef, 0.1);
	}
	return $v;
}

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub poll_ok
{
	my ($query, $expected, $name) = @_;
	local $PostgreSQL::Test::Utils::timeout_default = $wait_s;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	ok($node->poll_query_until('postgres', $query, $expected), $name);
}

# SQLSTATE raised by a statement, or 'OK'
sub sqlstate_of
{
	my ($stmt) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"\\set VERBOSITY verbose\n$stmt", on_error_stop => 1);
	return 'OK' if $ret == 0;
	return $err =~ /ERROR:\s+([0-9A-Z]{5}):/ ? $1 : "?? $err";
}

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

# Create an item-create notification; scoped to $entity when it is defined.
sub notification
{
	my ($entity, $action) = @_;
	my $doc =
	    '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">'
	  . "<action>$action</action><trigger><item><create/></item></trigger>"
	  . '</NotificationDocument>';
	my $id =
	  defined $entity
	  ? sql("SELECT notify.create_notification('item', '$entity', '$doc')")
	  : sql("SELECT notify.create_notification('item', '$doc')");
	return $id;
}

# "status|attempts|last_status" of the outbox row of notification $nid
sub outbox_state
{
	my ($nid) = @_;
	return sql(
		"SELECT status || '|' || attempts || '|' || coalesce(last_status::text, '') "
		  . "FROM notify.outbox WHERE notification_id = '$nid'");
}

sub outbox_field
{
	my ($nid, $col) = @_;
	return sql("SELECT $col FROM notify.outbox WHERE notification_id = '$nid'");
}

$node->safe_psql('postgres', 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');

# ---------------------------------------------------------------------
# 1. Bodies, headers, methods, basic authentication
# ---------------------------------------------------------------------
my $item_a = 'VX-900001';
my %nid_a;
$nid_a{text} = notification(undef,
	http_action(url => "$base/ok/text", ct => 'text/plain', retry => 0));
$nid_a{xml} = notification(undef,
	http_action(url => "$base/ok/xml", ct => 'application/xml', retry => 0));
$nid_a{json} = notification(undef,
	http_action(url => "$base/ok/json", ct => 'application/json', retry => 0));
$nid_a{put} = notification(undef,
	http_action(url => "$base/ok/put", method => 'PUT', ct => 'application/json',
		retry => 0));
$nid_a{auth} = notification(undef,
	http_action(url => "http://user:secret\@127.0.0.1:$port/auth", retry => 0));

sql("INSERT INTO notify.item (id, title) VALUES ('$item_a', 'phase A')");
my $nids_a = join(',', map { "'$_'" } values %nid_a);
poll_ok(
	"SELECT count(*) FILTER (WHERE status = 'delivered') || '/' || count(*) "
	  . "FROM notify.outbox WHERE notification_id IN ($nids_a)",
	'5/5', 'phase A: the five events are delivered');

my %expected_body = (
	text => "itemId\t$item_a\r\naction\tCREATE\r\n",
	xml => qq{<?xml version="1.0" encoding="UTF-8"?>\n}
	  . q{<SimpleMetadataDocument xmlns="http://xml.vidispine.com/schema/vidispine">}
	  . "<field><key>itemId</key><value>$item_a</value></field>"
	  . '<field><key>action</key><value>CREATE</value></field>'
	  . '</SimpleMetadataDocument>',
	json => '{"field":[{"key":"itemId","value":"' . $item_a
	  . '"},{"key":"action","value":"CREATE"}]}',);
my %mime = (
	text => 'text/plain',
	xml => 'application/xml',
	json => 'application/json');

for my $k (qw(text xml json put))
{
	my $path = "/ok/$k";
	my @r = requests($path);
	is(scalar @r, 1, "$k: one request to $path");
	next unless @r;
	my $r = $r[0];
	my $ct = $k eq 'put' ? 'json' : $k;
	is($r->{b}, $expected_body{$ct}, "$k: body byte for byte");
	is($r->{h}{'content-type'}, $mime{$ct}, "$k: Content-Type");
	is($r->{h}{'x-notify-event-id'}, outbox_field($nid_a{$k}, 'event_id'),
		"$k: X-Notify-Event-Id is the outbox event_id");
	is($r->{h}{'x-notify-notification-id'}, $nid_a{$k},
		"$k: X-Notify-Notification-Id");
	is($r->{m}, $k eq 'put' ? 'PUT' : 'POST', "$k: method");
	is($r->{h}{'user-agent'}, 'notify_ext/1.0', "$k: User-Agent");
	ok(!exists $r->{h}{authorization}, "$k: no Authorization header");
}
{
	my @r = requests('/auth');
	is(scalar @r, 1, 'auth: one request to /auth');
	is($r[0]{h}{authorization}, 'Basic ' . encode_base64('user:secret', ''),
		'auth: basic credentials from the URL user info');
	is($r[0]{b}, $expected_body{text}, 'auth: default content type is text/plain');
	is(outbox_state($nid_a{auth}), 'delivered|1|204', 'auth: delivered on the first attempt');
}
unlike(sql("SELECT summary FROM notify.notifications WHERE id = '$nid_a{auth}'"),
	qr/secret/, 'auth: the password is masked in notify.notifications');
sql("SELECT notify.delete_notification('item', id) FROM notify.notification "
	  . "WHERE id IN ($nids_a)");

# ---------------------------------------------------------------------
# 2-6. Retries (all notifications scoped to one item, run in parallel)
# ---------------------------------------------------------------------
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

# 2. Retry then success
poll_ok("SELECT status FROM notify.outbox WHERE notification_id = '$nid_b{flaky}'",
	'delivered', 'flaky: delivered');
is(outbox_state($nid_b{flaky}), 'delivered|3|204', 'flaky: after 3 attempts');
is( sql("SELECT string_agg(attempt || ':' || coalesce(status_code::text, '-') || ':' || delivered, ',' "
		  . "ORDER BY attempt) FROM notify.delivery_attempts "
		  . "WHERE notification_id = '$nid_b{flaky}'"),
	'1:500:false,2:500:false,3:204:true',
	'flaky: delivery_attempts shows 2 failed attempts (500) and the delivery');
is(scalar(requests('/flaky/2/b')), 3, 'flaky: 3 requests logged');

# 3. 4xx stops at once
poll_ok("SELECT status FROM notify.outbox WHERE notification_id = '$nid_b{s404}'",
	'failed', '404: failed');
is(outbox_state($nid_b{s404}), 'failed|1|404', '404: one attempt, last_status 404');
is(scalar(requests('/status/404/b')), 1, '404: exactly one request logged');

# 4. Timeouts retry
poll_ok("SELECT status FROM notify.outbox WHERE notification_id = '$nid_b{slow}'",
	'failed', 'timeout: failed');
is(outbox_field($nid_b{slow}, 'attempts'), '2', 'timeout: after 2 attempts');
like(outbox_field($nid_b{slow}, 'last_error'), qr/timed? ?out/i,
	'timeout: the error mentions a timeout');
is(sql("SELECT count(*) FROM notify.delivery_attempts WHERE notification_id = '$nid_b{slow}' "
		  . "AND error ~* 'timed? ?out' AND status_code IS NULL"),
	'2', 'timeout: both attempts recorded as timeouts');
is(scalar(requests('/slow/3000/b')), 2, 'timeout: 2 requests logged');

# 5. Retry-After honoured
poll_ok("SELECT status FROM notify.outbox WHERE notification_id = '$nid_b{ra}'",
	'delivered', 'Retry-After: delivered');
{
	my @r = requests('/retry-after/2/b');
	is(scalar @r, 2, 'Retry-After: 2 requests logged');
	my $gap = @r == 2 ? $r[1]{t} - $r[0]{t} : 0;
	cmp_ok($gap, '>=', 1950, "Retry-After: second request ${gap} ms after the first (>= 2 s)");
	cmp_ok($gap, '<', 4000, 'Retry-After: and not much later');
}

# 6. 5xx exhausts the retries; redeliver
poll_ok("SELECT status FROM notify.outbox WHERE notification_id = '$nid_b{s503}'",
	'failed', '503: failed');
is(outbox_state($nid_b{s503}), 'failed|3|503', '503: after 3 attempts, last_status 503');
is(scalar(requests('/status/503/b')), 3, '503: 3 requests logged');
like(outbox_field($nid_b{s503}, 'last_error'), qr/^HTTP status 503/,
	'503: last_error names the status');

my $oid503 = outbox_field($nid_b{s503}, 'id');
is( sql("SELECT notify.redeliver(${oid503}::bigint);\n"
		  . "SELECT status IN ('pending', 'in_flight') FROM notify.outbox WHERE id = $oid503"),
	"1\nt", 'redeliver(outbox id): returns 1, the event is pending again');
ok(wait_until(sub { requests('/status/503/b') >= 6 }),
	'redeliver(outbox id): the event is tried again');
poll_ok("SELECT status || '|' || attempts FROM notify.outbox WHERE id = $oid503",
	'failed|6', 'redeliver(outbox id): fails again after a fresh retry budget');
is(sql("SELECT string_agg(attempt::text, ',' ORDER BY attempt) FROM notify.delivery_attempts WHERE outbox_id = $oid503"),
	'1,2,3,4,5,6', 'redeliver(outbox id): attempt numbers go on');
is(scalar(requests('/status/503/b')), 6, 'redeliver(outbox id): 3 more requests');

my $failed_503 = sql("SELECT count(*) FROM notify.outbox "
	  . "WHERE notification_id = '$nid_b{s503}' AND status = 'failed'");
is(sql("SELECT notify.redeliver('$nid_b{s503}')"), $failed_503,
	"redeliver(notification id): returns the number of failed events ($failed_503)");
ok(wait_until(sub { requests('/status/503/b') >= 9 }),
	'redeliver(notification id): the event is tried again');
poll_ok("SELECT status FROM notify.outbox WHERE id = $oid503",
	'failed', 'redeliver(notification id): fails again');

my $oid_flaky = outbox_field($nid_b{flaky}, 'id');
is(sqlstate_of("SELECT notify.redeliver(${oid_flaky}::bigint)"), '55000',
	'redeliver of a delivered event: 55000');
is(sqlstate_of('SELECT notify.redeliver(-42::bigint)'), '42704',
	'redeliver of a missing event: 42704');
is(sqlstate_of("SELECT notify.redeliver('VX-999999999'::text)"), '42704',
	'redeliver of a missing notification: 42704');

# 9. Monitoring
my $nids_b = join(',', map { "'$_'" } values %nid_b);
is( sql("SELECT count(*) FROM notify.outbox WHERE notification_id IN ($nids_b) "
		  . "AND status IN ('pending', 'in_flight')"),
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
		    OR (s.oldest_pending_age IS NULL) <> (coalesce(o.p, 0) + coalesce(o.i, 0) = 0)}),
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

# ---------------------------------------------------------------------
# 7. In-database actions
# ---------------------------------------------------------------------
# The SSRF settings of phase D are loaded now: the worker reloads its
# configuration at the top of its loop, long before phase D starts.
sql("ALTER SYSTEM SET notify_ext.denied_hosts = '127.0.0.2'");
sql('SELECT pg_reload_conf()');
poll_ok('SHOW notify_ext.denied_hosts', '127.0.0.2', 'denied_hosts reloaded');

sql(q{CREATE TABLE public.accepted (n serial, event jsonb);
	CREATE FUNCTION public.accept_event(e jsonb) RETURNS text LANGUAGE plpgsql AS
	$$BEGIN INSERT INTO public.accepted (event) VALUES (e); RETURN 'ok'; END$$;
	CREATE FUNCTION public.reject_event(e jsonb) RETURNS text LANGUAGE sql AS
	$$SELECT NULL::text$$;});

my $item_c = 'VX-900003';
my %nid_c;
$nid_c{accept} = notification($item_c,
	'<function><name>public.accept_event</name></function>');
$nid_c{reject} = notification($item_c,
	'<function><name>public.reject_event</name><retry>3</retry></function>');
$nid_c{chan} = notification($item_c,
	'<channel><name>chan</name><contentType>application/json</contentType></channel>');

my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN chan');

sql("INSERT INTO notify.item (id, title) VALUES ('$item_c', 'phase C')");

poll_ok("SELECT status FROM notify.outbox WHERE notification_id = '$nid_c{accept}'",
	'delivered', 'function: delivered');
is(sql("SELECT count(*) FROM public.accepted WHERE event = "
		  . "'{\"itemId\":[\"$item_c\"],\"action\":[\"CREATE\"]}'::jsonb"),
	'1', 'function: the event row is in the table');
poll_ok("SELECT status FROM notify.outbox WHERE notification_id = '$nid_c{reject}'",
	'failed', 'function returning NULL: failed');
like(outbox_field($nid_c{reject}, 'last_error'), qr/not accepted/,
	'function returning NULL: "not accepted"');
is(outbox_field($nid_c{reject}, 'attempts'), '1', 'function returning NULL: not retried');
poll_ok("SELECT status FROM notify.outbox WHERE notification_id = '$nid_c{chan}'",
	'delivered', 'channel: delivered');
{
	my $payload = '{"field":[{"key":"itemId","value":"' . $item_c
	  . '"},{"key":"action","value":"CREATE"}]}';
	my $seen = '';
	wait_until(
		sub {
			$seen .= $listener->query('SELECT 1');
			return $seen =~ /Asynchronous notification "chan"/;
		});
	like(
		$seen,
		qr/Asynchronous notification "chan" with payload "\Q$payload\E" received from server process/,
		'channel: the listener gets the JSON body as payload');
}
$listener->quit;

# ---------------------------------------------------------------------
# 8. SSRF guard
# ---------------------------------------------------------------------
my $item_d = 'VX-900004';
my %nid_d;
$nid_d{denied} = notification($item_d,
	http_action(url => "http://127.0.0.2:$port/ok/denied", retry => 3));
$nid_d{ll} = notification($item_d,
	http_action(url => 'http://169.254.169.254/latest', retry => 3, timeout => 2));
sql("INSERT INTO notify.item (id, title) VALUES ('$item_d', 'phase D')");

poll_ok("SELECT status FROM notify.outbox WHERE notification_id = '$nid_d{denied}'",
	'failed', 'denied host: failed');
is(outbox_field($nid_d{denied}, 'attempts'), '1', 'denied host: one attempt, no retry');
like(outbox_field($nid_d{denied}, 'last_error'), qr/notify_ext\.denied_hosts/,
	'denied host: last_error names denied_hosts');
is(scalar(requests('/ok/denied')), 0, 'denied host: no request reached the receiver');

poll_ok("SELECT status FROM notify.outbox WHERE notification_id = '$nid_d{ll}'",
	'failed', 'link-local: failed');
is(outbox_field($nid_d{ll}, 'attempts'), '1', 'link-local: one attempt, no retry');
like(outbox_field($nid_d{ll}, 'last_error'), qr/link-local/,
	'link-local: last_error says link-local');
is(outbox_field($nid_d{ll}, 'last_status IS NULL AND last_duration_ms < 100'), 't',
	'link-local: refused without a network attempt');

# 8b. A payload that capture never writes (a row written by hand) is the
# event's failure, not the worker's
my $bad_id = sql("INSERT INTO notify.outbox (notification_id, resource, event, entity_id, payload) "
	  . "VALUES ('$nid_b{flaky}', 'item', 'item.create', 'VX-bad', '[1, 2]') RETURNING id");
poll_ok("SELECT status FROM notify.outbox WHERE id = $bad_id",
	'failed', 'malformed payload: the event fails');
like(sql("SELECT last_error FROM notify.outbox WHERE id = $bad_id"),
	qr/payload cannot be encoded/, 'malformed payload: last_error says why');
my $good_after = sql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'notify_ext worker'");
is($good_after, '1', 'malformed payload: the worker is still running');

# 9. Monitoring, once everything is done
is( sql("SELECT count(*) FROM notify.delivery_status WHERE oldest_pending_age IS NOT NULL "
		  . "OR pending + in_flight > 0"),
	'0', 'delivery_status: nothing pending, oldest_pending_age NULL everywhere');
is( sql("SELECT failed || '/' || (oldest_pending_age IS NULL) FROM notify.delivery_status "
		  . "WHERE notification_id = '$nid_d{ll}'"),
	'1/true', 'delivery_status: the link-local notification has one failed event');

$node->stop;
$receiver->signal('TERM');
$receiver->finish;

done_testing();
