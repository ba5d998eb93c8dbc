#
# 002_http_requests.pl
#	What the HTTP transport sends, and when a transfer counts as delivered,
#	end to end through the background worker.
#
#	A. Bodies of text/plain, application/xml and application/json byte for
#	   byte, headers, POST and PUT, basic authentication from the URL's user
#	   info (masked in notify.notifications), against the HTTP receiver
#	   (test/peers/receiver.js); resource-wide notifications, deleted once
#	   delivered.
#	B. Transfers that do not complete are failed attempts, retried, never
#	   delivered: a 200 whose body is shorter than its Content-Length, a
#	   chunked body cut off, a 200 header followed by a stall past the
#	   timeout (test/peers/faulty_receiver.pl on 127.0.0.1).  A 200 with an
#	   endless body is delivered without waiting for the timeout (the
#	   transport stops reading after a bounded amount).
#
# Every wait is bounded.
#
use strict;
use warnings;

use IPC::Run;
use MIME::Base64;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $node = notify_node('http_requests',
	    "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.backoff_base = '100ms'\n"
	  . "notify_ext.backoff_max = '1s'\n"
	  . "notify_ext.launcher_naptime = '1s'\n");
$node->start;
my $version = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'notify_ext'");

my $recv = start_receiver('http_requests', 300);
my $base = $recv->{base};
my $port = $recv->{port};

sub sql { return $node->safe_psql('postgres', $_[0]); }

# Create an item-create notification; scoped to $entity when it is defined.
sub notification
{
	my ($entity, $action) = @_;
	my $doc = notification_document($action);
	return defined $entity
	  ? sql("SELECT notify.create_notification('item', '$entity', '$doc')")
	  : sql("SELECT notify.create_notification('item', '$doc')");
}

sub outbox_state
{
	my ($nid) = @_;
	return outbox_field($node, 'postgres', $nid,
		"status || '|' || attempts || '|' || coalesce(last_status::text, '')");
}

$node->safe_psql('postgres', 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');

# ---------------------------------------------------------------------
# A. Bodies, headers, methods, basic authentication
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
poll_ok($node, 'postgres',
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
	my @r = requests($recv, $path);
	is(scalar @r, 1, "$k: one request to $path");
	next unless @r;
	my $r = $r[0];
	my $ct = $k eq 'put' ? 'json' : $k;
	is($r->{b}, $expected_body{$ct}, "$k: body byte for byte");
	is($r->{h}{'content-type'}, $mime{$ct}, "$k: Content-Type");
	is($r->{h}{'x-notify-event-id'}, outbox_field($node, 'postgres', $nid_a{$k}, 'event_id'),
		"$k: X-Notify-Event-Id is the outbox event_id");
	is($r->{h}{'x-notify-notification-id'}, $nid_a{$k},
		"$k: X-Notify-Notification-Id");
	is($r->{m}, $k eq 'put' ? 'PUT' : 'POST', "$k: method");
	is($r->{h}{'user-agent'}, "notify_ext/$version", "$k: User-Agent carries the extension's version");
	ok(!exists $r->{h}{authorization}, "$k: no Authorization header");
}
{
	my @r = requests($recv, '/auth');
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
# B. Transfers that do not complete
# ---------------------------------------------------------------------
my $faulty_script = 'test/peers/faulty_receiver.pl';
my $log_f = "$PostgreSQL::Test::Utils::log_path/http_requests_faulty.log";
unlink $log_f;
my ($out_f, $err_f) = ('', '');
my $recv_f = IPC::Run::start([ $^X, $faulty_script, '127.0.0.1', $log_f ],
	'<', \undef, '>', \$out_f, '2>', \$err_f);
END
{
	my $rc = $?;
	if ($recv_f && $recv_f->pumpable)
	{
		$recv_f->signal('TERM');
		$recv_f->finish;
	}
	$? = $rc;
}
{
	my $timer = IPC::Run::timer(15);
	$timer->start;
	$recv_f->pump_nb
	  while $out_f !~ /^ready \d+$/m && !$timer->is_expired && $recv_f->pumpable;
}
my ($port_f) = $out_f =~ /^ready (\d+)$/m;
ok($port_f, 'receiver A listens on 127.0.0.1') or BAIL_OUT("receiver: $err_f");
my $base_f = "http://127.0.0.1:$port_f";

# Requests logged by the faulty receiver whose path starts with $prefix
sub logged
{
	my ($log, $prefix) = @_;
	my @r;
	open my $fh, '<', $log or return ();
	while (my $line = <$fh>)
	{
		my ($m, $path) = split / /, $line;
		push @r, $line if index($path, $prefix) == 0;
	}
	close $fh;
	return @r;
}

sub http_notification
{
	my ($entity, $url, $retry, $timeout) = @_;
	return notification($entity,
		"<http><url>$url</url><retry>$retry</retry><timeout>$timeout</timeout></http>");
}

my $item_b = 'VX-950001';
my %nid;
$nid{short} = http_notification($item_b, "$base_f/short/a", 1, 3);
$nid{chunked} = http_notification($item_b, "$base_f/chunked-cut/a", 1, 3);
$nid{stall} = http_notification($item_b, "$base_f/stall/a", 1, 1);
$nid{big} = http_notification($item_b, "$base_f/big/a", 1, 5);
$nid{ok} = http_notification($item_b, "$base_f/ok/a", 1, 3);
sql("INSERT INTO notify.item (id, title) VALUES ('$item_b', 'phase A')");

my $nids = join(',', map { "'$_'" } values %nid);
poll_ok($node, 'postgres',
	"SELECT count(*) FROM notify.outbox WHERE notification_id IN ($nids) "
	  . "AND status IN ('delivered', 'failed')",
	'5', 'phase A: every event reaches a final state');

for my $k (qw(short chunked stall))
{
	is(outbox_field($node, 'postgres', $nid{$k}, "status || '|' || attempts"),
		'failed|2', "$k: failed after 2 attempts (retried), not delivered");
	is( sql("SELECT string_agg(attempt || ':' || coalesce(status_code::text, '-') || ':' "
			  . "|| delivered || ':' || (error IS NOT NULL), ',' ORDER BY attempt) "
			  . "FROM notify.delivery_attempts WHERE notification_id = '$nid{$k}'"),
		'1:200:false:true,2:200:false:true',
		"$k: both attempts recorded with status 200, an error, not delivered");
}
like(outbox_field($node, 'postgres', $nid{short}, 'last_error'),
	qr/transfer closed with \d+ bytes remaining|outstanding read data|partial/i,
	'short body: the error is libcurl\'s');
like(outbox_field($node, 'postgres', $nid{stall}, 'last_error'), qr/timed? ?out/i,
	'stall: the error says timeout');
is(scalar(logged($log_f, '/short/a')), 2, 'short body: 2 requests logged');
is(scalar(logged($log_f, '/chunked-cut/a')), 2, 'chunked cut: 2 requests logged');
is(scalar(logged($log_f, '/stall/a')), 2, 'stall: 2 requests logged');

is(outbox_field($node, 'postgres', $nid{big}, "status || '|' || attempts || '|' || last_status"),
	'delivered|1|200', 'endless 2xx body: delivered at the first attempt');
cmp_ok(outbox_field($node, 'postgres', $nid{big}, 'last_duration_ms'), '<', 2500,
	'endless 2xx body: reading stopped long before the 5 s timeout');
is(outbox_field($node, 'postgres', $nid{ok}, "status || '|' || attempts"),
	'delivered|1', 'control: a complete 204 is delivered');

$node->stop;
done_testing();
