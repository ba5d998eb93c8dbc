#
# 013_webhook_signing.pl
#	Standard Webhooks signing of <http> requests, checked by the
#	standardwebhooks npm package as a receiver checks them: the receiver
#	(test/peers/receiver.js --webhook-secret) verifies every request with
#	each of three secrets, test/peers/verify_webhook.js verifies altered
#	copies of a request.
#
#	- every request of a signed notification carries webhook-id (its event
#	  id), webhook-timestamp (now) and webhook-signature, and verifies with
#	  the secret, not with another one;
#	- a request whose body or timestamp was altered is rejected;
#	- during a rotation (a secret and its previous one) the header carries
#	  two signatures and a receiver holding only the old or only the new
#	  secret verifies; after it, only the new one does;
#	- an unsigned notification's requests carry no webhook-* header;
#	- the secrets never show in a view, another role's query, an error or
#	  the server log.
#
# Every wait is bounded.
#
use strict;
use warnings;

use IPC::Run;
use JSON::PP;
use MIME::Base64;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

# three Standard Webhooks secrets: "whsec_" and the base64 of 32 bytes
sub new_secret
{
	return 'whsec_' . encode_base64(join('', map { chr(int(rand(256))) } 1 .. 32), '');
}
my ($old, $new, $other) = (new_secret(), new_secret(), new_secret());

my $node = notify_node('webhook_signing',
	    "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.launcher_naptime = '1s'\n");
$node->start;
my $recv = start_receiver('webhook_signing', 300,
	'--webhook-secret', $old, '--webhook-secret', $new,
	'--webhook-secret', $other);
my $base = $recv->{base};

sub sql { return $node->safe_psql('postgres', $_[0]); }

$node->safe_psql('postgres', 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');

my $signed = json_notification($node, 'postgres', "$base/ok/signed");
my $plain = json_notification($node, 'postgres', "$base/ok/plain");
sql("SELECT notify.set_signing_secret('hooks', '$old')");
sql("SELECT notify.set_signing('item', '$signed', 'hooks')");

# items created; waits until both notifications delivered all of them
my $items = 0;
sub create_items
{
	my ($n) = @_;
	my @ids;
	for (1 .. $n)
	{
		$items++;
		push @ids, "('VX-7$items', 'signed $items')";
	}
	sql('INSERT INTO notify.item (id, title) VALUES ' . join(', ', @ids));
	ok( wait_for($node, 'postgres',
			"SELECT count(*) FROM notify.outbox WHERE status <> 'delivered'",
			'0', 60),
		"$n items delivered");
}

# ---------------------------------------------------------------------
# One secret
# ---------------------------------------------------------------------
create_items(3);
my @signed = requests($recv, '/ok/signed', 1);
my @plain = requests($recv, '/ok/plain', 1);
is(scalar @signed, 3, 'three signed requests');
is(scalar @plain, 3, 'three unsigned requests');

my $now = time;
for my $r (@signed)
{
	is($r->{h}{'webhook-id'}, $r->{eid}, 'webhook-id is the event id');
	ok(abs($r->{h}{'webhook-timestamp'} - $now) < 60,
		'webhook-timestamp is the time of sending');
	like($r->{h}{'webhook-signature'}, qr{^v1,[A-Za-z0-9+/]{43}=$},
		'one v1 signature');
	is_deeply([ map { (split /:/)[0] } @{ $r->{w} } ],
		[ 'verified', 'rejected', 'rejected' ],
		'verified with the secret, rejected with the others');
}
for my $r (@plain)
{
	is_deeply([ grep { /^webhook-/ } sort keys %{ $r->{h} } ], [],
		'an unsigned request has no webhook-* header');
	is($r->{w}[0], 'rejected: Missing required headers',
		'and the receiver rejects it');
}

# altered copies of one request, verified with the right secret
sub verify_copy
{
	my ($r, $secret, %change) = @_;
	my %h = (%{ $r->{h} }, %{ $change{h} // {} });
	my $line = encode_json({ h => \%h,
		b => encode_base64($change{b} // $r->{b}, '') });
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'node', 'test/peers/verify_webhook.js', $secret ],
		'<', \$line, '>', \$out, '2>', \$err, IPC::Run::timeout(30));
	chomp $out;
	return $out || "no answer: $err";
}
my $r = $signed[0];
is(verify_copy($r, $old), 'verified', 'the request as sent verifies');
like(verify_copy($r, $old, b => $r->{b} . ' '), qr/^rejected: No matching signature/,
	'a body altered by one byte is rejected');
(my $other_body = $r->{b}) =~ s/VX-7/VX-8/;
isnt($other_body, $r->{b}, 'body altered');
like(verify_copy($r, $old, b => $other_body), qr/^rejected: No matching signature/,
	'an altered entity id in the body is rejected');
like(verify_copy($r, $old, h => { 'webhook-timestamp' => $r->{h}{'webhook-timestamp'} + 1 }),
	qr/^rejected: No matching signature/, 'an altered timestamp is rejected');
like(verify_copy($r, $old, h => { 'webhook-id' => $signed[1]{h}{'webhook-id'} }),
	qr/^rejected: No matching signature/, 'another event id is rejected');

# ---------------------------------------------------------------------
# Rotation: the new secret with the old one as previous
# ---------------------------------------------------------------------
sql("SELECT notify.set_signing_secret('hooks', '$new', previous_secret => '$old')");
create_items(2);
@signed = requests($recv, '/ok/signed', 1);
is(scalar @signed, 5, 'two more signed requests');
for my $r (@signed[ 3 .. 4 ])
{
	like($r->{h}{'webhook-signature'},
		qr{^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$},
		'two signatures during the rotation');
	is_deeply([ map { (split /:/)[0] } @{ $r->{w} } ],
		[ 'verified', 'verified', 'rejected' ],
		'a receiver with only the old or only the new secret verifies');
}

# the rotation is over: the old secret no longer verifies
sql("SELECT notify.set_signing_secret('hooks', '$new')");
create_items(1);
@signed = requests($recv, '/ok/signed', 1);
is(scalar @signed, 6, 'one more signed request');
like($signed[5]{h}{'webhook-signature'}, qr{^v1,[A-Za-z0-9+/]{43}=$},
	'one signature after the rotation');
is_deeply([ map { (split /:/)[0] } @{ $signed[5]{w} } ],
	[ 'rejected', 'verified', 'rejected' ],
	'only the new secret verifies after the rotation');

# signing stopped: no headers
sql("SELECT notify.set_signing('item', '$signed', NULL)");
create_items(1);
@signed = requests($recv, '/ok/signed', 1);
is_deeply([ grep { /^webhook-/ } sort keys %{ $signed[6]{h} } ], [],
	'no webhook-* header once signing is stopped');

# ---------------------------------------------------------------------
# The secrets stay hidden
# ---------------------------------------------------------------------
sql("CREATE ROLE other_admin LOGIN IN ROLE notify_admin");
is($node->safe_psql('postgres',
		"SET ROLE other_admin; SELECT count(*) FROM notify.signing_secret"),
	'0', 'another role reads no signing secret');
is(sqlstate_of($node, 'postgres',
		"SET ROLE other_admin; SELECT notify.set_signing_secret('hooks', '$other')"),
	'42501', 'another role cannot replace the secret');
is(sqlstate_of($node, 'postgres',
		"SET ROLE other_admin; SELECT notify.set_signing('item', '$plain', 'hooks')"),
	'42501', 'another role cannot sign with it');
my ($ret, $out, $err) = $node->psql('postgres',
	"SELECT notify.set_signing_secret('hooks', '${new}x')");
like($err, qr/invalid secret for signing secret "hooks"/, 'a bad secret is refused');
unlike($err, qr/\Q$new\E/, 'without showing it');
my $views = sql("SELECT string_agg(x::text, ' ') FROM (SELECT * FROM notify.notifications) x")
  . sql("SELECT notify.get_notification('item', '$signed')")
  . sql("SELECT string_agg(x::text, ' ') FROM notify.delivery_status x");
unlike($views, qr/\Q@{[substr($old, 6, 20)]}\E|\Q@{[substr($new, 6, 20)]}\E/,
	'no view shows a secret');
# (the test cluster logs every statement: only the other lines count)
my $log = join('', grep { !/ LOG:  statement: / } split /^/, slurp_file($node->logfile));
unlike($log, qr/\Q@{[substr($old, 6, 20)]}\E|\Q@{[substr($new, 6, 20)]}\E/,
	'no message in the server log holds a secret');

# ---------------------------------------------------------------------
# A role that lost the alias's owner role no longer signs with it
# ---------------------------------------------------------------------
sql("CREATE ROLE team_role IN ROLE notify_admin; "
	  . "CREATE ROLE team_member IN ROLE notify_admin, team_role");
sql("SET ROLE team_role; SELECT notify.set_signing_secret('team', '$other')");
my $doc = notification_document(
	"<http synchronous=\"false\"><url>$base/ok/member</url><retry>0</retry>"
	  . '<contentType>application/json</contentType></http>');
my $member = sql("SET ROLE team_member; SELECT notify.create_notification('item', '$doc')");
sql("SET ROLE team_member; SELECT notify.set_signing('item', '$member', 'team')");
create_items(1);
my @member = requests($recv, '/ok/member', 1);
is(scalar @member, 1, 'a member signs with the team\'s secret');
like($member[0]{h}{'webhook-signature'} // '', qr{^v1,},
	'the member\'s request is signed');
sql("REVOKE team_role FROM team_member");
$items++;
sql("INSERT INTO notify.item (id, title) VALUES ('VX-7$items', 'revoked')");
ok( wait_for($node, 'postgres',
		"SELECT status || ' ' || last_error FROM notify.outbox "
		  . "WHERE notification_id = '$member' AND entity_id = 'VX-7$items'",
		'failed signing secret "team" does not exist or may not be used by the notification\'s owner', 30),
	'after the revoke the event fails instead of being signed');
is(scalar(my @after = requests($recv, '/ok/member', 1)), 1,
	'nothing more reaches the member\'s URL');

$node->stop;
done_testing();
