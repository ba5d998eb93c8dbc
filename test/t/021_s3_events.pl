#
# 021_s3_events.pl
#	Bucket notification configurations end to end through the delivery
#	worker and the HTTP receiver (test/peers/receiver.js):
#
#	A. Saving a configuration sends one s3:TestEvent to each destination.
#	B. Matching file events reach their destination as S3 event messages
#	   (AWS and MinIO variants) with s3.configurationId the configuration's
#	   Id, key filters and event types applied, keys form-URL-encoded,
#	   sequencers fixed-width upper-case hex increasing per key.
#	C. Every received AWS message type-checks against @types/aws-lambda's
#	   S3Event with tsc --noEmit (the test event against the interface of
#	   its documented fields: the package has no type for it), and a
#	   message with a wrong field does not.  MinIO's variant is not an
#	   S3Event to TypeScript (extra members, no size and eTag on a delete),
#	   as MinIO's own messages are not.
#
# Every wait is bounded.
#
use strict;
use warnings;

use Cwd qw(abs_path);
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $node = notify_node('s3_events',
	    "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.launcher_naptime = '1s'\n");
$node->start;
my $recv = start_receiver('s3_events', 300);
my $base = $recv->{base};

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql('CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');
sql("INSERT INTO notify.storage (id, name) VALUES ('VX-7001', 'media')");

my $aws = 'arn:aws:sqs:eu-west-1:123456789012:uploads';
my $minio = 'arn:minio:sqs::1:webhook';
sql("SELECT notify.create_bucket_destination('$aws', "
	  . "'<http><url>$base/ok/aws</url><retry>0</retry></http>')");
sql("SELECT notify.create_bucket_destination('$minio', "
	  . "'<http><url>$base/ok/minio</url><retry>0</retry>"
	  . "<contentType>application/x-minio-event+json</contentType></http>')");
# an sqs destination is accepted and stored, and not named here
sql("SELECT notify.create_bucket_destination('arn:aws:sqs:eu-west-1:123456789012:q', "
	  . "'<sqs><endpoint>sqs.eu-west-1.amazonaws.com</endpoint><queue>q</queue>"
	  . "<accessKey>AKIAIOSFODNN7EXAMPLE</accessKey><secret>s3cr3t</secret></sqs>')");
is(sql("SELECT count(*) FROM notify.list_bucket_destinations() WHERE summary LIKE '%s3cr3t%'"),
	'0', 'a destination\'s credential is not shown');

# ---------------------------------------------------------------------
# A. The test event
# ---------------------------------------------------------------------
sql(qq{SELECT notify.put_bucket_notification('media', '
<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <QueueConfiguration>
    <Id>photos</Id><Queue>$aws</Queue><Event>s3:ObjectCreated:*</Event>
    <Filter><S3Key><FilterRule><Name>prefix</Name><Value>photos/</Value></FilterRule></S3Key></Filter>
  </QueueConfiguration>
  <QueueConfiguration>
    <Id>removals</Id><Queue>$minio</Queue><Event>s3:ObjectRemoved:*</Event>
  </QueueConfiguration>
</NotificationConfiguration>')});

ok(wait_until(30, sub { requests($recv, '/ok/aws') >= 1 && requests($recv, '/ok/minio') >= 1 }),
	'A: each destination receives a message');
my @test = (requests($recv, '/ok/aws'), requests($recv, '/ok/minio'));
is(scalar @test, 2, 'A: one test event per destination');
for my $r (@test)
{
	my $j = decode_json($r->{b});
	is($j->{Event}, 's3:TestEvent', "A $r->{u}: Event s3:TestEvent");
	is($j->{Service}, 'Amazon S3', "A $r->{u}: Service");
	is($j->{Bucket}, 'media', "A $r->{u}: Bucket is the storage's name");
	like($j->{Time}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, "A $r->{u}: Time");
	ok(!exists $j->{Records}, "A $r->{u}: not a Records message");
	is($r->{h}{'content-type'}, 'application/json', "A $r->{u}: Content-Type");
}

# ---------------------------------------------------------------------
# B. File events
# ---------------------------------------------------------------------
my $key = "photos/red flower+1 \x{e9}.jpg";
my $key_sql = $key;
{
	# the key in UTF-8 for psql
	utf8::encode($key_sql);
}
$node->safe_psql('postgres',
	"INSERT INTO notify.file (id, storage_id, path, size, hash, state) "
	  . "VALUES ('VX-7101', 'VX-7001', '$key_sql', 84452, 'eb52f8e46f60a27a8a1a704e25757f30', 'OPEN')");
sql("INSERT INTO notify.file (id, storage_id, path, size) VALUES ('VX-7102', 'VX-7001', 'docs/a.txt', 1)");
sql("UPDATE notify.file SET state = 'CLOSED' WHERE id = 'VX-7101'");
sql("DELETE FROM notify.file WHERE id = 'VX-7101'");

ok(wait_until(30, sub { requests($recv, '/ok/aws') >= 3 && requests($recv, '/ok/minio') >= 2 }),
	'B: the file events arrive');
# a moment for anything that should not come
sleep 1;
my @aws = grep { decode_json($_->{b})->{Records} } requests($recv, '/ok/aws');
my @minio = grep { decode_json($_->{b})->{Records} } requests($recv, '/ok/minio');
is(scalar @aws, 2, 'B: two created events on photos/ (docs/a.txt filtered out)');
is(scalar @minio, 1, 'B: one removed event (the MinIO destination)');
poll_ok($node, 'postgres',
	"SELECT count(*) FILTER (WHERE status = 'delivered') || '/' || count(*) FROM notify.outbox",
	'5/5', 'B: the five events are delivered');

my @rec = map { decode_json($_->{b})->{Records}[0] } @aws;
is_deeply([ map { $_->{eventName} } @rec ],
	[ 'ObjectCreated:Put', 'ObjectCreated:CompleteMultipartUpload' ],
	'B: event names of file new and close');
for my $r (@rec)
{
	is($r->{eventVersion}, '2.1', 'B: eventVersion');
	is($r->{eventSource}, 'aws:s3', 'B: eventSource');
	is($r->{awsRegion}, 'eu-west-1', 'B: awsRegion from the destination ARN');
	is($r->{s3}{configurationId}, 'photos', 'B: configurationId is the Id');
	is($r->{s3}{bucket}{name}, 'media', 'B: bucket name');
	is($r->{s3}{bucket}{arn}, 'arn:aws:s3:::media', 'B: bucket arn');
	is($r->{s3}{object}{key}, 'photos/red+flower%2B1+%C3%A9.jpg', 'B: key form-URL-encoded');
	is($r->{s3}{object}{size}, 84452, 'B: size');
	is($r->{s3}{object}{eTag}, 'eb52f8e46f60a27a8a1a704e25757f30', 'B: eTag');
	like($r->{s3}{object}{sequencer}, qr/^[0-9A-F]{16}$/, 'B: sequencer fixed-width hex');
	like($r->{requestParameters}{sourceIPAddress}, qr/^(|[0-9a-f.:]+)$/, 'B: sourceIPAddress');
}
my @m = map { decode_json($_->{b}) } @minio;
@m = grep { $_->{EventName} eq 's3:ObjectRemoved:Delete' } @m;
is(scalar @m, 1, 'B: MinIO wrapper with EventName');
is($m[0]{Key}, "media/$key", 'B: MinIO Key is bucket/key');
my $mr = $m[0]{Records}[0];
is($mr->{eventVersion}, '2.0', 'B: MinIO eventVersion');
is($mr->{eventSource}, 'minio:s3', 'B: MinIO eventSource');
is($mr->{eventName}, 's3:ObjectRemoved:Delete', 'B: MinIO eventName keeps s3:');
is($mr->{s3}{configurationId}, 'removals', 'B: MinIO configurationId');
is($mr->{s3}{object}{key}, 'photos%2Fred+flower%2B1+%C3%A9.jpg', 'B: MinIO key query-escaped');
is($mr->{source}{userAgent}, 'notify_ext', 'B: MinIO source');
# the delete of the same key comes after new and close
my @seq = (map({ $_->{s3}{object}{sequencer} } @rec), $mr->{s3}{object}{sequencer});
ok($seq[0] lt $seq[1] && $seq[1] lt $seq[2], "B: sequencers increase per key (@seq)");

# ---------------------------------------------------------------------
# C. Type-check with @types/aws-lambda
# ---------------------------------------------------------------------
my $peers = abs_path('test/peers');
my $tsc = "$peers/node_modules/typescript/bin/tsc";
ok(-f $tsc, 'C: tsc is installed in test/peers');

# tsc --noEmit on a file of typed constants; returns (exit code, output)
sub typecheck
{
	my ($name, $body) = @_;
	my $dir = "$PostgreSQL::Test::Utils::tmp_check/ts_$name";
	mkdir $dir;
	open my $fh, '>', "$dir/check.ts" or die $!;
	print $fh "import type { S3Event } from 'aws-lambda';\n"
	  . "interface S3TestEvent { Service: 'Amazon S3'; Event: 's3:TestEvent'; Time: string;\n"
	  . "  Bucket: string; RequestId: string; HostId: string }\n$body";
	close $fh;
	open $fh, '>', "$dir/tsconfig.json" or die $!;
	print $fh encode_json({
		compilerOptions => {
			strict => JSON::PP::true, noEmit => JSON::PP::true,
			skipLibCheck => JSON::PP::true,
			target => 'es2020', module => 'commonjs', moduleResolution => 'node',
			types => [], baseUrl => '.',
			paths => { 'aws-lambda' => ["$peers/node_modules/\@types/aws-lambda"] },
		},
		files => ['check.ts'] });
	close $fh;
	my $out = `node $tsc -p $dir/tsconfig.json 2>&1`;
	return ($? >> 8, $out);
}

my $body = '';
my $i = 0;
for my $r (@test)
{
	$body .= "export const t$i: S3TestEvent = $r->{b};\n";
	$i++;
}
for my $r (@aws)
{
	$body .= "export const e$i: S3Event = $r->{b};\n";
	$i++;
}
my ($rc, $out) = typecheck('good', $body);
is($rc, 0, "C: $i received messages type-check") or diag($out);

my $bad = $aws[0]{b};
$bad =~ s/"size":84452/"size":"84452"/;
($rc, $out) = typecheck('bad', "export const bad: S3Event = $bad;\n");
isnt($rc, 0, 'C: a message with a string size does not');

done_testing();
