#
# 016_sqs.pl
#	Amazon SQS and SNS delivery against real peers: local-aws-sqs behind
#	sigv4-proxy.js (which refuses any request not signed with the right
#	secret) and fauxqs for SNS.  Messages are read back with the AWS SDK
#	(test/peers/sqs-client.js), as an AWS consumer would.
#
# Phases:
#	A. a queue named in the action (GetQueueUrl, then SendMessage or
#	   SendMessageBatch): bodies and the eventId/notificationId attributes
#	   arrive, read through the verifying proxy;
#	B. a wrong secret: refused by the proxy, failed at the first attempt
#	   with AWS's code, the secret nowhere in last_error;
#	C. a stored credential alias and a queue given by URL;
#	D. a FIFO queue: concurrent writers into one thread group arrive in
#	   commit order, in one message group, deduplicated by event id;
#	E. a batch with one entry over the queue's size limit: the others are
#	   delivered once, that one fails with AWS's per-entry code;
#	F. a queue that does not exist stops with AWS's code; a role without
#	   keys is refused;
#	G. SNS Publish reaches a queue subscribed to the topic on fauxqs;
#	H. synchronous SQS (and SNS): a 200 continues, the message being in
#	   the queue before the transaction commits; a wrong secret (403) and
#	   an unreachable endpoint stop the transaction (09000, no row).
#
# Every wait is bounded.
#
use strict;
use warnings;

use IO::Socket::INET;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $AK = 'AKIDTEST';
my $SK = 's3cr3tKEY/with+chars';
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

# start a node peer (ARGS after "node"); returns the port of its ready line
sub start_peer
{
	my ($name, @args) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start([ 'node', '--no-warnings', @args ],
		'<', \undef, '>', \$out, '2>', \$err);
	push @peers, $h;
	my $timer = IPC::Run::timer(20);
	$timer->start;
	$h->pump_nb while $out !~ /^ready \d+$/m && !$timer->is_expired && $h->pumpable;
	my ($port) = $out =~ /^ready (\d+)$/m;
	ok($port, "$name listens") or BAIL_OUT("$name did not start: $err");
	return $port;
}

# run test/peers/sqs-client.js with ARGS; returns its stdout lines
sub client
{
	my @args = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'node', '--no-warnings', 'test/peers/sqs-client.js', @args ],
		'<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout(60))
	  or die "sqs-client @args[0..1] failed: $err";
	return split /\n/, $out;
}

# the messages of QUEUE_URL (at most COUNT, waiting up to SECS), decoded
sub receive
{
	my ($endpoint, $url, $count, $secs) = @_;
	return map { decode_json($_) }
	  client('receive', $endpoint, $AK, $SK, $url, $count, $secs // 10);
}

my $node = notify_node('sqs',
	    "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.backoff_base = '100ms'\n"
	  . "notify_ext.backoff_max = '300ms'\n"
	  . "notify_ext.launcher_naptime = '1s'\n"
	  . "log_statement = none\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub poll
{
	my ($query, $expected, $name) = @_;
	local $NotifyTest::wait_s = 30;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	poll_ok($node, 'postgres', $query, $expected, $name);
}

my $sqs_port = start_peer('local-aws-sqs', 'test/peers/local-sqs.js', 0);
my $proxy_port = start_peer('sigv4 proxy', 'test/peers/sigv4-proxy.js', 0,
	"http://127.0.0.1:$sqs_port", $AK, $SK);
my $fauxqs_port = start_peer('fauxqs', 'test/peers/fauxqs-peer.mjs', 0);
my $proxy = "http://127.0.0.1:$proxy_port";

# an <sqs> action; %o: queue, secret (default $SK), key (default $AK, '' for
# none), group (thread group), extra (elements), sync (synchronous="true"),
# endpoint (default the proxy)
sub sqs_notification
{
	my (%o) = @_;
	my $group = $o{group} ? " group=\"$o{group}\"" : '';
	my $key = $o{key} // $AK;
	my $creds = ($key ne '' ? "<accessKey>$key</accessKey>" : '')
	  . (defined $o{secret} && $o{secret} eq '' ? '' : '<secret>' . ($o{secret} // $SK) . '</secret>');
	my $sync = $o{sync} ? 'true' : 'false';
	my $endpoint = $o{endpoint} // $proxy;
	my $doc = notification_document(
		"<sqs synchronous=\"$sync\"$group><endpoint>$endpoint</endpoint>"
		  . "<queue>$o{queue}</queue>$creds" . ($o{extra} // '')
		  . '<retry>5</retry><contentType>application/json</contentType></sqs>',
		$o{trigger});
	return sql("SELECT notify.create_notification('item', '$doc')");
}

sub outcome
{
	my ($nid) = @_;
	return sql("SELECT string_agg(status || ':' || attempts, ',' ORDER BY id) "
		  . "FROM notify.outbox WHERE notification_id = '$nid'");
}

# ---- A. queue by name, single and batched sends ----
my $q1 = (client('create', $proxy, $AK, $SK, 'q1'))[0];
my $nid_a = sqs_notification(queue => 'q1', group => 'ga');
sql("INSERT INTO notify.item (id, title) VALUES ('VX-1', 'one')");
poll(settled_sql($nid_a), '0/1', 'A: a single event is delivered');
sql("INSERT INTO notify.item (id, title) SELECT 'VX-' || i, 'batch ' || i FROM generate_series(2, 13) i");
poll(settled_sql($nid_a), '0/13', 'A: twelve more events (batched) are delivered');
my @got = receive($proxy, $q1, 13);
is(scalar @got, 13, 'A: the consumer receives 13 messages through the verifying proxy');
my %eid = map { split /\|/ } split /\n/,
  sql("SELECT entity_id || '|' || event_id FROM notify.outbox WHERE notification_id = '$nid_a'");
my $ok = 1;
for my $m (@got)
{
	my ($id) = $m->{body} =~ /"(VX-\d+)"/;
	$ok = 0 unless $id && $eid{$id} && $m->{eventId} eq $eid{$id}
	  && $m->{notificationId} eq $nid_a;
}
ok($ok, 'A: each body names its item and carries its eventId and notificationId');
like($got[0]{body}, qr/^\{/, 'A: the body is JSON (the action\'s content type)');
is(outcome($nid_a), join(',', ('delivered:1') x 13), 'A: one attempt each');
drop_notification($node, 'postgres', $nid_a);

# ---- B. wrong secret ----
my $nid_b = sqs_notification(queue => 'q1', secret => 'not-the-secret');
sql("INSERT INTO notify.item (id, title) VALUES ('VX-100', 'wrong secret')");
poll("SELECT status FROM notify.outbox WHERE notification_id = '$nid_b'", 'failed',
	'B: a wrong secret fails the event');
is(outcome($nid_b), 'failed:1', 'B: after one attempt, no retries');
my $err_b = sql("SELECT last_status || ' ' || last_error FROM notify.outbox WHERE notification_id = '$nid_b'");
like($err_b, qr/^403 AWS error SignatureDoesNotMatch: /, 'B: AWS\'s code and message are recorded');
unlike($err_b, qr/not-the-secret/, 'B: the secret is not in last_error');
drop_notification($node, 'postgres', $nid_b);

# ---- C. stored credential alias, queue by URL ----
sql("SELECT notify.set_aws_credential('local', '$AK', '$SK', 'us-east-1')");
my $nid_c = sqs_notification(queue => $q1, key => '', secret => 'local');
sql("INSERT INTO notify.item (id, title) VALUES ('VX-199', 'alias')");
poll(settled_sql($nid_c), '0/1', 'C: delivered with a stored credential alias');
# a replaced credential is used from the next claim on
sql("SELECT notify.set_aws_credential('local', '$AK', 'changed-secret', 'us-east-1')");
sql("INSERT INTO notify.item (id, title) VALUES ('VX-198', 'alias')");
poll("SELECT status FROM notify.outbox WHERE notification_id = '$nid_c' AND entity_id = 'VX-198'",
	'failed', 'C: a replaced stored secret is used (the proxy refuses it)');
sql("SELECT notify.set_aws_credential('local', '$AK', '$SK', 'us-east-1')");
sql("INSERT INTO notify.item (id, title) VALUES ('VX-200', 'alias')");
poll("SELECT status FROM notify.outbox WHERE notification_id = '$nid_c' AND entity_id = 'VX-200'",
	'delivered', 'C: and the restored one again');
@got = receive($proxy, $q1, 2);
is_deeply([ sort map { $_->{body} =~ /(VX-\d+)/ } @got ], [ 'VX-199', 'VX-200' ],
	'C: the messages arrived');
drop_notification($node, 'postgres', $nid_c);

# ---- D. FIFO: concurrent writers, one thread group ----
my $qf = (client('create', $proxy, $AK, $SK, 'f1.fifo', 'FifoQueue=true'))[0];
my $nid_d = sqs_notification(queue => 'f1.fifo', group => 'gf');
my @writers;
for my $w (1 .. 4)
{
	my $script = join '', map { "INSERT INTO notify.item (id, title) VALUES ('VX-F$w-$_', 'w$w');\n" } 1 .. 10;
	push @writers, IPC::Run::start(psql_cmd($node, 'postgres'), '<', \$script,
		'>', \my $o, '2>', \my $e);
}
$_->finish for @writers;
poll(settled_sql($nid_d), '0/40', 'D: 40 events from 4 concurrent writers are delivered');
@got = receive($proxy, $qf, 40, 20);
my @sent = split /\n/, sql("SELECT event_id FROM notify.outbox WHERE notification_id = '$nid_d' ORDER BY id");
is_deeply([ map { $_->{eventId} } @got ], \@sent, 'D: the FIFO queue gives them in commit order');
my %groups = map { $_->{group} => 1 } @got;
is(scalar keys %groups, 1, 'D: in one message group');
ok(!grep({ ($_->{dedup} // '') ne $_->{eventId} } @got), 'D: deduplicated by event id');
drop_notification($node, 'postgres', $nid_d);


# ---- E. one entry of a batch over the queue's size limit ----
my $qb = (client('create', $proxy, $AK, $SK, 'small', 'MaximumMessageSize=1024'))[0];
my $nid_e = sqs_notification(queue => 'small', group => 'gb');
my $long = 'x' x 2000;
sql("INSERT INTO notify.item (id, title) VALUES ('VX-E1', 'small'), ('VX-E2$long', 'big'), ('VX-E3', 'small')");
poll("SELECT count(*) FROM notify.outbox WHERE notification_id = '$nid_e' AND status IN ('delivered', 'failed')",
	'3', 'E: the batch is settled');
is(outcome($nid_e), 'delivered:1,failed:1,delivered:1', 'E: only the big entry failed, once');
like(sql("SELECT last_error FROM notify.outbox WHERE notification_id = '$nid_e' AND entity_id LIKE 'VX-E2%'"),
	qr/AWS error InvalidParameterValue: .*SenderFault true/, 'E: with the entry\'s AWS code');
@got = receive($proxy, $qb, 3, 3);
is_deeply([ sort map { $_->{body} =~ /(VX-E\d)/ } @got ], [ 'VX-E1', 'VX-E3' ],
	'E: the two others arrived once');
drop_notification($node, 'postgres', $nid_e);

# ---- F. nonexistent queue; role without keys ----
my $nid_f = sqs_notification(queue => 'nope');
sql("INSERT INTO notify.item (id, title) VALUES ('VX-300', 'no queue')");
poll("SELECT status FROM notify.outbox WHERE notification_id = '$nid_f'", 'failed',
	'F: a missing queue fails the event');
is(outcome($nid_f), 'failed:1', 'F: after one attempt');
like(sql("SELECT last_error FROM notify.outbox WHERE notification_id = '$nid_f'"),
	qr/AWS error QueueDoesNotExist: /, 'F: with AWS\'s code');
drop_notification($node, 'postgres', $nid_f);
my $nid_g = sqs_notification(queue => 'q1', key => '', secret => '',
	extra => '<roleArn>arn:aws:iam::123456789012:role/notify</roleArn>');
sql("INSERT INTO notify.item (id, title) VALUES ('VX-301', 'role')");
poll("SELECT status || ' ' || attempts FROM notify.outbox WHERE notification_id = '$nid_g'",
	'failed 1', 'F: a role without keys is refused, without a retry');
like(sql("SELECT last_error FROM notify.outbox WHERE notification_id = '$nid_g'"),
	qr/assuming an IAM role \(roleArn\) is not supported/, 'F: saying why');
drop_notification($node, 'postgres', $nid_g);

# ---- G. SNS Publish on fauxqs ----
my $fx = "http://127.0.0.1:$fauxqs_port";
my ($topic, $sq) = split / /, (client('sns-topic', $fx, 't1', 'sns-sink'))[0];
my $doc = notification_document(
	"<sns synchronous=\"false\"><endpoint>$fx</endpoint><topic>$topic</topic>"
	  . "<accessKey>$AK</accessKey><secret>$SK</secret><retry>2</retry>"
	  . '<contentType>application/json</contentType></sns>');
my $nid_h = sql("SELECT notify.create_notification('item', '$doc')");
sql("INSERT INTO notify.item (id, title) VALUES ('VX-400', 'sns')");
poll(settled_sql($nid_h), '0/1', 'G: SNS Publish is delivered');
@got = receive($fx, $sq, 1);
like(scalar(@got) && $got[0]{body}, qr/VX-400/, 'G: the subscribed queue got the message');
is($got[0]{eventId}, sql("SELECT event_id FROM notify.outbox WHERE notification_id = '$nid_h'"),
	'G: with the eventId attribute');
drop_notification($node, 'postgres', $nid_h);

# ---- H. synchronous SQS and SNS ----

# insert item $item; returns (sqlstate or 'OK', stderr)
sub insert_item
{
	my ($item) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"\\set VERBOSITY verbose\nINSERT INTO notify.item (id, title) VALUES ('$item', 'x');",
		on_error_stop => 1);
	return ('OK', $err) if $ret == 0;
	return (($err =~ /ERROR:\s+([0-9A-Z]{5}):/ ? $1 : "?? $err"), $err);
}

sub item_rows
{
	return sql("SELECT count(*) FROM notify.item WHERE id = '$_[0]'");
}

# a 200 continues: the message is in the queue while the transaction is
# still open (a later synchronous function, VX-n+1, holds the commit)
sql(q{CREATE FUNCTION public.hold_commit(e jsonb) RETURNS text LANGUAGE sql
	AS $$ SELECT pg_catalog.pg_sleep(4)::text || 'held' $$});
my $qs = (client('create', $proxy, $AK, $SK, 'qsync'))[0];
my $nid_s = sqs_notification(queue => 'qsync', sync => 1);
my $nid_hold = sql("SELECT notify.create_notification('item', '"
	  . notification_document('<function synchronous="true"><name>public.hold_commit</name></function>')
	  . "')");
my $script = "$PostgreSQL::Test::Utils::tmp_check/sync_sqs.sql";
open my $fh, '>', $script or die "$script: $!";
print $fh "INSERT INTO notify.item (id, title) VALUES ('VX-500', 'sync sqs');\n";
close $fh;
my ($hout, $herr) = ('', '');
my $h = IPC::Run::start(psql_cmd($node, 'postgres'), '<', $script,
	'>', \$hout, '2>', \$herr, IPC::Run::timeout(60));
@got = receive($proxy, $qs, 1, 3);
like(scalar(@got) && $got[0]{body}, qr/VX-500/,
	'H: synchronous SQS: the message is in the queue before the commit');
is(item_rows('VX-500'), '0', 'H: while the row is not visible yet');
$h->finish;
is($h->result(0), 0, 'H: a 200 continues: the change commits') or diag($herr);
is(item_rows('VX-500'), '1', 'H: the row is there');
is(sql("SELECT count(*) FROM notify.outbox WHERE notification_id = '$nid_s'"), '0',
	'H: a synchronous SQS event has no outbox row');
like($got[0]{eventId}, qr/^[0-9a-f-]{36}$/, 'H: the message carries its eventId');
drop_notification($node, 'postgres', $nid_hold);
drop_notification($node, 'postgres', $nid_s);

# a wrong secret: 403 stops
my $nid_w = sqs_notification(queue => 'qsync', sync => 1, secret => 'not-the-secret');
my ($st, $err) = insert_item('VX-501');
is($st, '09000', 'H: a wrong secret stops the transaction (09000)');
like($err, qr/stopped the transaction: HTTP status 403 from queue qsync at http:\/\/127\.0\.0\.1:\d+$/m,
	'H: the error gives the status, the queue and the endpoint');
like($err, qr/DETAIL:.*SignatureDoesNotMatch/, "H: the detail has AWS's code");
unlike($err, qr/not-the-secret/, 'H: the secret is not in the error');
is(item_rows('VX-501'), '0', 'H: no row');
drop_notification($node, 'postgres', $nid_w);

# an unreachable endpoint stops
my $sock = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0)
  or die "socket: $!";
my $closed = $sock->sockport;
close $sock;
my $nid_u = sqs_notification(queue => 'qsync', sync => 1,
	endpoint => "http://127.0.0.1:$closed");
($st, $err) = insert_item('VX-502');
is($st, '09000', 'H: an unreachable endpoint stops the transaction (09000)');
like($err, qr/stopped the transaction: no answer from queue qsync at http:\/\/127\.0\.0\.1:$closed$/m,
	'H: the error says there was no answer');
is(item_rows('VX-502'), '0', 'H: no row');
drop_notification($node, 'postgres', $nid_u);
is(scalar(receive($proxy, $qs, 1, 1)), 0, 'H: nothing more reached the queue');

# a synchronous SQS action naming a stored credential by alias
my $nid_alias = sqs_notification(queue => 'qsync', sync => 1, key => '', secret => 'local');
($st, $err) = insert_item('VX-504');
is($st, 'OK', 'H: synchronous SQS with a credential alias: the change commits') or diag($err);
@got = receive($proxy, $qs, 1, 3);
like(scalar(@got) && $got[0]{body}, qr/VX-504/, 'H: the alias signed the message the proxy accepted');
drop_notification($node, 'postgres', $nid_alias);
# an alias that is gone stops, naming it
my $nid_gone = sqs_notification(queue => 'qsync', sync => 1, key => '', secret => 'local');
sql("DELETE FROM notify.aws_credential WHERE alias = 'local'");
($st, $err) = insert_item('VX-505');
is($st, '09000', 'H: a synchronous SQS action whose alias is gone stops');
like($err, qr/local/, 'H: the error names the alias');
is(item_rows('VX-505'), '0', 'H: no row');
drop_notification($node, 'postgres', $nid_gone);

# synchronous SNS: Publish before the commit
$doc = notification_document(
	"<sns synchronous=\"true\"><endpoint>$fx</endpoint><topic>$topic</topic>"
	  . "<accessKey>$AK</accessKey><secret>$SK</secret><retry>2</retry>"
	  . '<contentType>application/json</contentType></sns>');
my $nid_sns = sql("SELECT notify.create_notification('item', '$doc')");
($st, $err) = insert_item('VX-503');
is($st, 'OK', 'H: synchronous SNS: the change commits') or diag($err);
@got = receive($fx, $sq, 1);
like(scalar(@got) && $got[0]{body}, qr/VX-503/, 'H: synchronous SNS: the message was published');
drop_notification($node, 'postgres', $nid_sns);

done_testing();
