#
# 020_ingest.pl
#	The S3 ingest poller against real peers: s3rver whose object events a
#	bridge sends to local-aws-sqs (test/peers/s3-sqs-peer.js), with the
#	SQS calls going through a proxy that checks their SigV4 signatures.
#
# Phases:
#	A. objects put and deleted appear in and disappear from notify.file
#	   and raise file events (outbox rows); keys with spaces, "+", "%" and
#	   non-ASCII letters;
#	B. out-of-order and duplicated messages sent straight to the queue
#	   leave the newest state (stale_dropped counts them);
#	C. events queued while the cluster is stopped are all applied after
#	   the restart;
#	D. a scan reconciles what the queue missed (objects put and deleted
#	   while the cluster was stopped and the queue purged): MISSING, new;
#	E. a wrong queue name shows in notify.storage_methods.failure_message
#	   and does not stop the other method; a rescan on request;
#	F. the SSRF guard: endpoints refused when set, a name refused at
#	   connect time, the method going on once the host is allowed again;
#	G. a poller terminated three times in a row is restarted after holds
#	   of 1, 2 and 4 seconds, not at once.
#
# Every wait is bounded.
#
use strict;
use warnings;

use IPC::Run;
use Time::HiRes qw(usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $wait_s = 30;
my $db = 'ingest';
my $bucket = 'bkt';
my $queue = 'media-events';
my @peers;

END
{
	my $rc = $?;
	for my $h (@peers)
	{
		next unless $h->pumpable;
		$h->signal('TERM');
		eval { $h->finish; };
	}
	$? = $rc;
}

# start_peer(NAME, ARGS): start node with ARGS, wait for its "ready" line
sub start_peer
{
	my ($name, @args) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start([ 'node', @args ], '<', \undef, '>', \$out,
		'2>', \$err);
	push @peers, $h;
	my $timer = IPC::Run::timer(15);
	$timer->start;
	$h->pump_nb
	  while $out !~ /^ready/m && !$timer->is_expired && $h->pumpable;
	ok($out =~ /^ready/m, "$name is ready") or BAIL_OUT("$name: $err");
	return $h;
}

my ($s3_port, $sqs_port, $proxy_port) =
  map { PostgreSQL::Test::Cluster::get_free_port() } 1 .. 3;
my $dir = PostgreSQL::Test::Utils::tempdir();
start_peer('S3 and SQS', '--openssl-legacy-provider', '--no-warnings',
	'test/peers/s3-sqs-peer.js', $s3_port, $sqs_port, $queue, $bucket, $dir);
start_peer('SigV4 proxy', 'test/peers/sigv4-proxy.js', $proxy_port,
	"http://127.0.0.1:$sqs_port", 'S3RVER', 'S3RVER');
my $s3 = "http://127.0.0.1:$s3_port";
my $queue_url = "http://127.0.0.1:$sqs_port/123456789012/$queue";

# the path of key in a URL: every byte but unreserved ones and "/" escaped
sub url_path
{
	my ($key) = @_;
	$key =~ s{([^A-Za-z0-9\-._~/])}{sprintf('%%%02X', ord $1)}ge;
	return $key;
}

# s3(METHOD, KEY, BODY): a signed request to s3rver; returns the status
sub s3
{
	my ($method, $key, $body) = @_;
	my $out = '';
	IPC::Run::run(
		[
			'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}',
			'--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', 'S3RVER:S3RVER',
			'-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD',
			'-H', 'Content-Type: text/plain', '-X', $method,
			(defined $body ? ('--data-binary', $body) : ()),
			"$s3/$bucket/" . url_path($key)
		],
		'>', \$out);
	return $out;
}

# sqs(ACTION, JSON): an unsigned SQS call to the queue server itself
sub sqs
{
	my ($action, $json) = @_;
	my $out = '';
	IPC::Run::run(
		[
			'curl', '-s', '-X', 'POST', "http://127.0.0.1:$sqs_port/",
			'-H', "X-Amz-Target: AmazonSQS.$action",
			'-H', 'Content-Type: application/x-amz-json-1.0', '-d', $json
		],
		'>', \$out);
	return $out;
}

# event(NAME, KEY, SEQUENCER, SIZE): an S3 event message body as JSON text
sub event
{
	my ($name, $key, $seq, $size) = @_;
	my $object = qq("key":"$key","sequencer":"$seq")
	  . (defined $size ? qq(,"size":$size,"eTag":"e$size") : '');
	return
	    qq({"Records":[{"eventVersion":"2.1","eventSource":"aws:s3",)
	  . qq("eventTime":"2026-01-01T00:00:00.000Z","eventName":"$name",)
	  . qq("s3":{"bucket":{"name":"$bucket"},"object":{$object}}}]});
}

sub send_raw
{
	my ($body) = @_;
	$body =~ s/(["\\])/\\$1/g;
	return sqs('SendMessage', qq({"QueueUrl":"$queue_url","MessageBody":"$body"}));
}

my $node = notify_node('ingest',
	    "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.launcher_naptime = '1s'\n"
	  . "notify_ext.ingest_poll_wait = 1\n"
	  . "notify_ext.ingest_scan_page_size = 2\n");
$node->start;
$node->safe_psql('postgres',
	"CREATE DATABASE $db ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
$node->safe_psql($db, q{
	CREATE EXTENSION notify_ext;
	CREATE EXTENSION notify_ext_assets;
	INSERT INTO notify.storage (id, name) VALUES ('VX-1', 's3'), ('VX-2', 'other');
	SELECT notify.create_notification('file',
		'{"action": {"channel": {"name": "files"}}, "trigger": {"file": {"new": ""}}}');
	SELECT notify.create_notification('file',
		'{"action": {"channel": {"name": "files"}}, "trigger": {"file": {"delete": ""}}}');
});
my $m1 = $node->safe_psql($db,
	"SELECT notify.create_storage_method('VX-1', 's3://S3RVER:S3RVER\@$bucket/', "
	  . "endpoint => '$s3')");
$node->safe_psql($db, qq{
	SELECT notify.set_storage_method_metadata('$m1', 'sqsName', '$queue');
	SELECT notify.set_storage_method_metadata('$m1', 'sqsEndpoint', 'http://127.0.0.1:$proxy_port');
});

sub files
{
	return $node->safe_psql($db,
		"SELECT string_agg(path || ':' || state || ':' || coalesce(size::text, '-'), ',' ORDER BY path COLLATE \"C\") "
		  . "FROM notify.file WHERE storage_id = 'VX-1'");
}

sub state_of
{
	my ($what, $m) = @_;
	return $node->safe_psql($db,
		"SELECT $what FROM notify.storage_methods WHERE id = '" . ($m // $m1) . "'");
}

# A. events through the bridge
my @keys = ('plain.txt', 'dir/a b+c%d.txt', "caf\x{c3}\x{a9} \x{e2}\x{9c}\x{93}.txt");
is(s3('PUT', $_, 'x' x (1 + length $_)), '200', "put $_") for @keys;
is(s3('PUT', 'gone.txt', 'bye'), '200', 'put gone.txt');
is(s3('DELETE', 'gone.txt'), '204', 'delete gone.txt');
ok( wait_for($node, $db,
		"SELECT count(*) FROM notify.file WHERE storage_id = 'VX-1' AND state = 'CLOSED' "
		  . "AND path IN ('plain.txt', 'dir/a b+c%d.txt', 'caf\x{c3}\x{a9} \x{e2}\x{9c}\x{93}.txt')",
		'3', $wait_s),
	'objects put appear in notify.file with their keys decoded');
ok(wait_for($node, $db,
		"SELECT messages_applied + stale_dropped >= 5 FROM notify.storage_methods WHERE id = '$m1'", 't', $wait_s),
	'the method counts the events (applied, or stale when the first scan listed the object)')
  or diag(state_of(q{messages_applied || '/' || stale_dropped || '/' || messages_skipped || '/' || coalesce(failure_message, '')}));
ok(wait_for($node, $db,
		"SELECT count(*) FROM notify.file WHERE path = 'gone.txt'", '0', $wait_s),
	'an object deleted is no longer a file');
is($node->safe_psql($db,
		"SELECT size FROM notify.file WHERE path = 'dir/a b+c%d.txt'"),
	'16', 'the size of the event is the file size');
ok($node->safe_psql($db,
		"SELECT count(*) >= 4 FROM notify.outbox WHERE event = 'file.new'") eq 't'
	  && $node->safe_psql($db,
		"SELECT count(*) >= 1 FROM notify.outbox WHERE event = 'file.delete'") eq 't',
	'file events were raised (outbox rows)')
  or diag($node->safe_psql($db, 'SELECT event, count(*) FROM notify.outbox GROUP BY 1'));
like(
	$node->safe_psql($db, "SELECT string_agg(backend_type, ',') FROM pg_stat_activity WHERE backend_type LIKE 'notify_ext%'"),
	qr/notify_ext ingest/, 'the ingest poller runs beside the delivery worker');

# B. out of order and duplicated
my $stale = state_of('stale_dropped');
send_raw(event('ObjectCreated:Put', 'ooo.txt', '00000000000000000300', 3));
send_raw(event('ObjectCreated:Put', 'ooo.txt', '00000000000000000200', 2));
send_raw(event('ObjectCreated:Put', 'ooo.txt', '00000000000000000300', 3));
send_raw(event('ObjectRemoved:Delete', 'ooo.txt', '00000000000000000100'));
ok(wait_for($node, $db, "SELECT stale_dropped >= $stale + 3 FROM notify.storage_methods WHERE id = '$m1'",
		't', $wait_s), 'older and repeated events are counted stale');
is($node->safe_psql($db, "SELECT state || ':' || size FROM notify.file WHERE path = 'ooo.txt'"),
	'CLOSED:3', 'the newest event of the key wins');
send_raw('this is not json');
ok(wait_for($node, $db,
		"SELECT failure_message LIKE 'Error applying SQS message % (deleted): %' FROM notify.storage_methods WHERE id = '$m1'",
		't', $wait_s), 'a message that is not JSON is recorded and deleted');

# C. a restart with events in the queue (no scan at start: the events do it)
$node->safe_psql($db, "SELECT notify.set_storage_method_metadata('$m1', 'refreshOnStart', 'false')");
$node->stop;
# a long poll the stop cut short may still take messages (they would come
# back after the visibility timeout): let it end first
usleep(1_500_000);
is(s3('PUT', "while-down-$_.txt", 'zz'), '200', "put while-down-$_.txt") for 1 .. 3;
$node->start;
ok(wait_for($node, $db,
		"SELECT count(*) FROM notify.file WHERE path LIKE 'while-down-%' AND state = 'CLOSED'",
		'3', $wait_s), 'events queued during a stop are applied after the restart');
ok( wait_until(
		$wait_s,
		sub {
			sqs('GetQueueAttributes', qq({"QueueUrl":"$queue_url","AttributeNames":["All"]}))
			  =~ /"ApproximateNumberOfMessages":"0","ApproximateNumberOfMessagesNotVisible":"0"/;
		}),
	'the queue is empty: applied messages were deleted, none is in flight')
  or diag(sqs('GetQueueAttributes', qq({"QueueUrl":"$queue_url","AttributeNames":["All"]})), ' ',
	state_of('failure_message'));

# D. a scan reconciles what the queue missed
$node->safe_psql($db, "SELECT notify.set_storage_method_metadata('$m1', 'refreshOnStart', 'true')");
$node->stop;
usleep(1_500_000);
is(s3('PUT', 'missed.txt', 'm'), '200', 'put missed.txt while stopped');
is(s3('DELETE', 'plain.txt'), '204', 'delete plain.txt while stopped');
usleep(500_000);	# the bridge sends the events just after the answers
sqs('PurgeQueue', qq({"QueueUrl":"$queue_url"}));
$node->start;
ok(wait_for($node, $db,
		"SELECT string_agg(path || '=' || state, ',' ORDER BY path) FROM notify.file WHERE path IN ('missed.txt', 'plain.txt')",
		'missed.txt=CLOSED,plain.txt=MISSING', $wait_s),
	'the scan at start finds the new object and marks the removed one MISSING');
ok(wait_for($node, $db,
		"SELECT last_scan_objects IS NOT NULL AND last_scan_finished >= last_scan_started FROM notify.storage_methods WHERE id = '$m1'",
		't', $wait_s), 'the scan is shown in notify.storage_methods');

# E. a wrong queue name; the other method goes on; a rescan on request
my $m2 = $node->safe_psql($db,
	"SELECT notify.create_storage_method('VX-2', 's3://S3RVER:S3RVER\@$bucket/nothing-here/', "
	  . "endpoint => '$s3')");
$node->safe_psql($db, qq{
	SELECT notify.set_storage_method_metadata('$m2', 'sqsName', 'no-such-queue');
	SELECT notify.set_storage_method_metadata('$m2', 'sqsEndpoint', 'http://127.0.0.1:$proxy_port');
});
ok(wait_for($node, $db,
		"SELECT failure_message FROM notify.storage_methods WHERE id = '$m2'",
		'Error polling SQS: The specified queue does not exist.', $wait_s),
	'a wrong queue name is the failure message of its method');
is(s3('PUT', 'after-failure.txt', 'a'), '200', 'put after-failure.txt');
ok(wait_for($node, $db, "SELECT count(*) FROM notify.file WHERE path = 'after-failure.txt'",
		'1', $wait_s), 'the other method goes on');
$node->safe_psql($db, "UPDATE notify.file SET state = 'MISSING' WHERE path = 'missed.txt'");
$node->safe_psql($db, "SELECT notify.rescan_storage_method('$m1')");
ok(wait_for($node, $db, "SELECT state FROM notify.file WHERE path = 'missed.txt'",
		'CLOSED', $wait_s), 'a requested rescan runs');
my $stats = '';
IPC::Run::run([ 'curl', '-s', "http://127.0.0.1:$proxy_port/_proxy_stats" ], '>', \$stats);
like($stats, qr/"passed":[1-9]\d*,"refused":0\}/, 'every SQS call was correctly signed');

# F. the SSRF guard of every outgoing request applies to the poller's:
# at definition time and, for a name, at connect time; a refused endpoint
# is the failure of its method only, and the poller goes on
my ($ret, $out, $err) = $node->psql($db,
	"SELECT notify.set_storage_method_metadata('$m2', 'sqsEndpoint', 'http://169.254.169.254')");
like($err, qr/the host of the SQS endpoint "http:\/\/169\.254\.169\.254" is not allowed/,
	'a metadata address as SQS endpoint is refused when set');
$node->safe_psql($db,
	"SELECT notify.set_storage_method_metadata('$m2', 'sqsEndpoint', 'http://localhost:$proxy_port')");
$node->safe_psql('postgres', q{ALTER SYSTEM SET notify_ext.denied_hosts = '127.0.0.1, ::1'});
$node->reload;
ok(wait_for($node, $db,
		"SELECT failure_message ~ '^Error polling SQS: host \"localhost\" \\(address (127\\.0\\.0\\.1|::1)\\) is not allowed by notify_ext\\.denied_hosts\$' "
		  . "FROM notify.storage_methods WHERE id = '$m2'",
		't', $wait_s), 'a name whose address the lists deny is refused when the poller connects')
  or diag(state_of('failure_message', $m2));
ok(wait_for($node, $db,
		"SELECT failure_message FROM notify.storage_methods WHERE id = '$m1'",
		'Error polling SQS: host "127.0.0.1" is not allowed by notify_ext.denied_hosts',
		$wait_s), 'an address the lists deny is refused before any request')
  or diag(state_of('failure_message'));
($ret, $out, $err) = $node->psql($db,
	"SELECT notify.create_storage_method('VX-2', 's3://S3RVER:S3RVER\@$bucket/', endpoint => '$s3')");
like($err, qr/the host of the S3 endpoint "http:\/\/127\.0\.0\.1:\d+" is not allowed.*\nDETAIL:  The host "127\.0\.0\.1" is not allowed by notify_ext\.denied_hosts\./s,
	'a denied S3 endpoint is refused when the method is created');
like($node->safe_psql($db, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'notify_ext ingest'"),
	qr/^1$/, 'the poller still runs');
$node->safe_psql('postgres', 'ALTER SYSTEM RESET notify_ext.denied_hosts');
$node->reload;
is(s3('PUT', 'after-guard.txt', 'g'), '200', 'put after-guard.txt');
ok(wait_for($node, $db, "SELECT count(*) FROM notify.file WHERE path = 'after-guard.txt'",
		'1', $wait_s), 'with the host allowed again the method goes on');

# G. a poller that exits unexpectedly is restarted after a hold that
# doubles with each such exit in a row (1 s, 2 s, 4 s), not at once
sub poller_pid
{
	return $node->safe_psql($db,
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'notify_ext ingest'");
}
my @restart_s;
for my $round (1 .. 3)
{
	my $old = poller_pid();
	my $t0 = Time::HiRes::time();
	$node->safe_psql($db, "SELECT pg_terminate_backend($old)");
	my $new = '';
	while (Time::HiRes::time() - $t0 < $wait_s)
	{
		$new = poller_pid();
		last if $new ne '' && $new ne $old;
		usleep(50_000);
	}
	push @restart_s, Time::HiRes::time() - $t0;
	ok($new ne '' && $new ne $old, "a poller terminated (round $round) is started again");
}
note(sprintf('restarted after %.2f, %.2f and %.2f s', @restart_s));
ok($restart_s[0] >= 0.9 && $restart_s[1] >= 1.9 && $restart_s[2] >= 3.9,
	'each restart after an unexpected exit waits longer (1 s, 2 s, 4 s)')
  or diag(join(', ', @restart_s));
ok($node->log_contains('notify_ext ingest poller exited unexpectedly; the next one starts in 4000 ms'),
	'the hold is logged');

# deleting the last methods stops the poller
$node->safe_psql($db, "SELECT notify.delete_storage_method('$m1'); SELECT notify.delete_storage_method('$m2')");
ok(wait_for($node, $db,
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'notify_ext ingest'",
		'0', $wait_s), 'the poller leaves when no method is left');
note(files());

$node->stop;
done_testing();
