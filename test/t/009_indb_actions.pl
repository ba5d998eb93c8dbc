#
# 009_indb_actions.pl
#	In-database actions (<function>, <channel>) and who runs what: the
#	actions deliver, a notify_admin member has no way to run code as
#	another role, in-database actions run as their notification's owner (by
#	OID) inside a security-restricted operation with the session's settings
#	and a time limit, strict-lane capture locks cannot be taken from SQL to
#	stall writers, and a failed definition call leaves no password in the
#	server log.
#
# Phases:
#	0. <function> and <channel> actions: an accepting function gets the
#	   event, one returning NULL fails the event without a retry, a LISTEN
#	   session gets the JSON body as the payload;
#	A. the escalation: a notify_admin member names a function of its own
#	   that runs ALTER ROLE ... SUPERUSER (and one that tries SET SESSION
#	   AUTHORIZATION first); one insert later it is still not superuser, and
#	   the events failed with the error;
#	B. another admin's notification cannot be taken over by update;
#	C. the role an action runs as: the owner by OID (a rename keeps it, a
#	   new role with the old name does not get it), planner settings of the
#	   session, no settings left behind; a revoked EXECUTE privilege and a
#	   dropped owner fail the event; notify_ext.function_timeout cancels a
#	   slow function;
#	D. strict lanes: a LOGIN role that takes the advisory lock pg_locks shows
#	   for a writer does not stall the next writer;
#	E. server log: no password from a failed create_notification or
#	   set_aws_credential.
#
# Every wait is bounded.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $wait_s = 30;

my $node = notify_node('indb_actions',
	    "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.backoff_base = '100ms'\n"
	  . "notify_ext.backoff_max = '500ms'\n"
	  . "notify_ext.launcher_naptime = '1s'\n"
	  . "notify_ext.function_timeout = '1s'\n"
	  # the server's default logging (the test framework logs every statement)
	  . "log_statement = none\n");
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

# run $stmt as LOGIN role $role; returns (sqlstate or 'OK', stderr)
sub as_role
{
	my ($role, $stmt) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"\\set VERBOSITY verbose\n$stmt",
		on_error_stop => 1,
		extra_params => [ '-U', $role ]);
	return ('OK', $out) if $ret == 0;
	return ($err =~ /ERROR:\s+([0-9A-Z]{5}):/ ? $1 : "?? $err", $err);
}

sub poll
{
	my ($query, $expected, $name) = @_;
	local $NotifyTest::wait_s = $wait_s;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	poll_ok($node, 'postgres', $query, $expected, $name);
}

sub doc { return notification_document(@_); }

sub function_action
{
	my ($name, $retry) = @_;
	$retry //= 0;
	return "<function><name>$name</name><retry>$retry</retry></function>";
}

# create as $role a notification scoped to item $item; returns its id
sub create_as
{
	my ($role, $item, $action) = @_;
	my ($state, $out) = as_role($role,
		"SELECT notify.create_notification('item', '$item', '" . doc($action) . "')");
	is($state, 'OK', "$role creates a notification for $item");
	chomp $out;
	return $out;
}

sub outbox_of
{
	my ($nid, $col) = @_;
	return sql("SELECT $col FROM notify.outbox WHERE notification_id = '$nid' ORDER BY id LIMIT 1");
}

sql('CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');
sql(q{
	CREATE ROLE mallory LOGIN IN ROLE notify_admin;
	CREATE ROLE alice LOGIN IN ROLE notify_admin;
	CREATE ROLE bob LOGIN IN ROLE notify_admin;
	CREATE ROLE intruder LOGIN;
	CREATE SCHEMA mallory AUTHORIZATION mallory;
	CREATE SCHEMA alice AUTHORIZATION alice;
});
my $superuser = sql('SELECT current_user');

# ---------------------------------------------------------------------
# 0. <function> and <channel> actions deliver
# ---------------------------------------------------------------------
sql(q{CREATE TABLE public.accepted (n serial, event jsonb);
	CREATE FUNCTION public.accept_event(e jsonb) RETURNS text LANGUAGE plpgsql AS
	$$BEGIN INSERT INTO public.accepted (event) VALUES (e); RETURN 'ok'; END$$;
	CREATE FUNCTION public.reject_event(e jsonb) RETURNS text LANGUAGE sql AS
	$$SELECT NULL::text$$;});

my $item_c = 'VX-900003';
my %nid_c;
$nid_c{$_->[0]} = sql("SELECT notify.create_notification('item', '$item_c', '"
	  . doc($_->[1]) . "')")
  for ([ accept => '<function><name>public.accept_event</name></function>' ],
	[ reject => '<function><name>public.reject_event</name><retry>3</retry></function>' ],
	[ chan => '<channel><name>chan</name><contentType>application/json</contentType></channel>' ]);

my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN chan');

sql("INSERT INTO notify.item (id, title) VALUES ('$item_c', 'phase C')");

poll("SELECT status FROM notify.outbox WHERE notification_id = '$nid_c{accept}'",
	'delivered', 'function: delivered');
is(sql("SELECT count(*) FROM public.accepted WHERE event = "
		  . "'{\"itemId\":[\"$item_c\"],\"action\":[\"CREATE\"]}'::jsonb"),
	'1', 'function: the event row is in the table');
poll("SELECT status FROM notify.outbox WHERE notification_id = '$nid_c{reject}'",
	'failed', 'function returning NULL: failed');
like(outbox_of($nid_c{reject}, 'last_error'), qr/not accepted/,
	'function returning NULL: "not accepted"');
is(outbox_of($nid_c{reject}, 'attempts'), '1', 'function returning NULL: not retried');
poll("SELECT status FROM notify.outbox WHERE notification_id = '$nid_c{chan}'",
	'delivered', 'channel: delivered');
{
	my $payload = '{"field":[{"key":"itemId","value":"' . $item_c
	  . '"},{"key":"action","value":"CREATE"}]}';
	my $seen = '';
	wait_until(
		$wait_s,
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
# A. the escalation
# ---------------------------------------------------------------------
my ($st) = as_role('mallory', qq{
	CREATE FUNCTION mallory.escalate(jsonb) RETURNS text LANGUAGE plpgsql AS \$\$
	BEGIN
		ALTER ROLE mallory SUPERUSER;
		RETURN 'ok';
	END \$\$;
	CREATE FUNCTION mallory.escape(jsonb) RETURNS text LANGUAGE plpgsql AS \$\$
	BEGIN
		EXECUTE 'SET SESSION AUTHORIZATION $superuser';
		ALTER ROLE mallory SUPERUSER;
		RETURN 'ok';
	END \$\$;
	CREATE FUNCTION mallory.reset(jsonb) RETURNS text LANGUAGE plpgsql AS \$\$
	BEGIN
		RESET ROLE;
		ALTER ROLE mallory SUPERUSER;
		RETURN 'ok';
	END \$\$;
});
is($st, 'OK', 'mallory defines functions of its own');
my %esc;
$esc{$_} = create_as('mallory', 'VX-1001', function_action("mallory.$_"))
  for qw(escalate escape reset);
sql("INSERT INTO notify.item (id, title) VALUES ('VX-1001', 'bait')");
for my $k (sort keys %esc)
{
	poll("SELECT status FROM notify.outbox WHERE notification_id = '$esc{$k}'",
		'failed', "$k: the event failed");
}
is(sql("SELECT rolsuper FROM pg_roles WHERE rolname = 'mallory'"),
	'f', 'mallory is not superuser');
like(outbox_of($esc{escalate}, 'last_error'), qr/permission denied|must be superuser/,
	'escalate: ALTER ROLE refused: the function ran as mallory');
like(outbox_of($esc{escape}, 'last_error'),
	qr/session_authorization|security-restricted|permission denied/,
	'escape: SET SESSION AUTHORIZATION refused');
like(outbox_of($esc{reset}, 'last_error'),
	qr/role|security-restricted|permission denied|superuser/,
	'reset: RESET ROLE gives nothing');

# ---------------------------------------------------------------------
# B. taking over another admin's notification
# ---------------------------------------------------------------------
as_role('alice', q{
	CREATE TABLE alice.log (who text, seqscan text, leaked text, at timestamptz DEFAULT now());
	CREATE FUNCTION alice.record(e jsonb) RETURNS text LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO alice.log (who, seqscan, leaked)
			VALUES (current_user, current_setting('enable_seqscan'),
					current_setting('notify_test.leak', true));
		PERFORM set_config('notify_test.leak', 'leaked', false);
		PERFORM set_config('search_path', 'alice', false);
		RETURN 'ok';
	END $$;
});
my $alice_nid = create_as('alice', 'VX-2001', function_action('alice.record'));
($st) = as_role('mallory',
	"SELECT notify.update_notification('item', '$alice_nid', '"
	  . doc(function_action('mallory.escalate')) . "')");
is($st, '42501', "mallory cannot update alice's notification");
($st) = as_role('mallory', "SELECT notify.delete_notification('item', '$alice_nid')");
is($st, '42501', "mallory cannot delete alice's notification");
($st) = as_role('mallory',
	"SELECT notify.create_notification('item', '"
	  . doc(function_action('alice.record')) . "')");
is($st, '42501', "mallory cannot name a function it may not execute");

# ---------------------------------------------------------------------
# C. as whom, with which settings
# ---------------------------------------------------------------------
sql("INSERT INTO notify.item (id, title) VALUES ('VX-2001', 'one')");
poll("SELECT count(*) FROM alice.log", '1', 'the first event reached alice.record');
# the next checks use a resource-wide notification of alice's
my ($ok, $out) = as_role('alice',
	"SELECT notify.create_notification('item', '" . doc(function_action('alice.record')) . "')");
chomp $out;
my $alice_wide = $out;
sql("INSERT INTO notify.item (id, title) VALUES ('VX-2002', 'x')");
poll("SELECT count(*) FROM alice.log", '2', 'the second event reached alice.record');
is( sql("SELECT string_agg(DISTINCT who, ',') FROM alice.log"),
	'alice', 'the function ran as alice');
is(sql("SELECT string_agg(DISTINCT seqscan, ',') FROM alice.log"),
	'on', "the worker's enable_seqscan = off does not reach the function");
is(sql("SELECT count(*) FROM alice.log WHERE leaked IS NOT NULL AND leaked <> ''"),
	'0', 'settings a function changes do not outlive its call');

# renamed: the same role (by OID) runs it, not a new role with the old name
sql('ALTER ROLE alice RENAME TO alice_renamed');
sql('CREATE ROLE alice');
sql("INSERT INTO notify.item (id, title) VALUES ('VX-2003', 'after rename')");
poll("SELECT count(*) FROM alice.log", '3', 'the event after the rename reached alice.record');
is( sql("SELECT who FROM alice.log ORDER BY at DESC LIMIT 1"),
	'alice_renamed', 'after a rename the action runs as the same role (by OID)');
sql('DROP ROLE alice');
sql('ALTER ROLE alice_renamed RENAME TO alice');

# lost privilege: EXECUTE revoked after create
sql(q{
	CREATE FUNCTION public.granted(jsonb) RETURNS text LANGUAGE sql AS $$ SELECT 'ok' $$;
	REVOKE ALL ON FUNCTION public.granted(jsonb) FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION public.granted(jsonb) TO alice, bob;
});
my $granted_nid = create_as('alice', 'VX-3001', function_action('public.granted'));
sql('REVOKE EXECUTE ON FUNCTION public.granted(jsonb) FROM alice');
sql("INSERT INTO notify.item (id, title) VALUES ('VX-3001', 'revoked')");
poll("SELECT status FROM notify.outbox WHERE notification_id = '$granted_nid'",
	'failed', 'revoked EXECUTE: the event failed');
like(outbox_of($granted_nid, 'last_error'),
	qr/permission denied for function public\.granted/,
	'revoked EXECUTE: "permission denied for function"');

# dropped owner: never falls back to the worker's role
my $bob_nid = create_as('bob', 'VX-3002', function_action('public.granted'));
sql('REVOKE EXECUTE ON FUNCTION public.granted(jsonb) FROM bob; DROP ROLE bob');
sql("INSERT INTO notify.item (id, title) VALUES ('VX-3002', 'orphan')");
poll("SELECT status FROM notify.outbox WHERE notification_id = '$bob_nid'",
	'failed', 'dropped owner: the event failed');
like(outbox_of($bob_nid, 'last_error'), qr/role with OID \d+, the owner of notification .* does not exist/,
	'dropped owner: the error names the missing role');

# time limit: a slow function is cancelled, the next one runs
sql(q{
	CREATE FUNCTION public.slow(jsonb) RETURNS text LANGUAGE sql AS $$ SELECT pg_sleep(20)::text $$;
	CREATE TABLE public.fast_log (at timestamptz DEFAULT clock_timestamp());
	CREATE FUNCTION public.fast(jsonb) RETURNS text LANGUAGE sql AS $$ INSERT INTO public.fast_log DEFAULT VALUES RETURNING 'ok' $$;
});
my $slow_nid = sql("SELECT notify.create_notification('item', 'VX-4001', '"
	  . doc(function_action('public.slow')) . "')");
my $fast_nid = sql("SELECT notify.create_notification('item', 'VX-4001', '"
	  . doc(function_action('public.fast')) . "')");
my $t0 = time;
sql("INSERT INTO notify.item (id, title) VALUES ('VX-4001', 'slow')");
poll("SELECT status FROM notify.outbox WHERE notification_id = '$slow_nid'",
	'failed', 'slow function: the attempt failed');
like(outbox_of($slow_nid, 'last_error'), qr/statement timeout/,
	'slow function: cancelled by notify_ext.function_timeout');
poll("SELECT status FROM notify.outbox WHERE notification_id = '$fast_nid'",
	'delivered', 'the other function of the same event is delivered');
cmp_ok(time - $t0, '<', 15, 'both done well before the slow function would have ended');

# ---------------------------------------------------------------------
# D. strict lanes: their lock cannot be taken from SQL
# ---------------------------------------------------------------------
my $lane_nid = sql("SELECT notify.create_notification('item', '"
	  . doc('<channel><name>lane_test</name></channel>', '<item><delete/></item>') . "')");
sql("SELECT notify.set_ordering('item', '$lane_nid', 'endpoint')");
sql(q{INSERT INTO notify.item (id, title) SELECT 'VX-50' || g, 'x' FROM generate_series(1, 3) g});
sql('GRANT USAGE ON SCHEMA notify TO intruder');

my $writer = $node->background_psql('postgres');
$writer->query_safe('BEGIN');
$writer->query_safe("DELETE FROM notify.item WHERE id = 'VX-501'");
my $writer_pid = $writer->query_safe('SELECT pg_backend_pid()');
chomp $writer_pid;
my $lock = sql("SELECT classid || ',' || objid || ',' || objsubid FROM pg_locks "
	  . "WHERE locktype = 'advisory' AND pid = $writer_pid");
like($lock, qr/^\d+,\d+,\d+$/, 'a writer of a strict lane holds its lane lock');
my ($classid, $objid) = split /,/, $lock;

my $intruder = $node->background_psql('postgres', extra_params => [ '-U', 'intruder' ]);
# what an attacker would do: take the same keys with SQL's advisory locks
my $as_int4 = sub {
	my $v = shift;
	return "(${v}::bigint - CASE WHEN ${v}::bigint > 2147483647 THEN 4294967296 ELSE 0 END)::int4";
};
$intruder->query_safe('SELECT pg_advisory_lock(' . $as_int4->($classid) . ', ' . $as_int4->($objid) . ')');
$intruder->query_safe("SELECT pg_advisory_lock((${classid}::bigint << 32) | ${objid}::bigint)");
$writer->query_safe('COMMIT');
$writer->quit;

# the next writer of the lane is not stalled by the intruder's locks
my ($ret, $wout, $werr) = $node->psql('postgres',
	"SET statement_timeout = '5s'; DELETE FROM notify.item WHERE id = 'VX-502'");
is($ret, 0, 'the next writer of the lane is not stalled by locks an intruder holds')
  or diag($werr);
$intruder->quit;

# ---------------------------------------------------------------------
# E. no password in the server log
# ---------------------------------------------------------------------
my $log_start = -s $node->logfile;
($st) = as_role('alice',
	"SELECT notify.create_notification('item', '"
	  . doc('<http><url>https://hook:log-leak-pw1@example.com/</url></http>',
		'<item><nonsense/></item>') . "')");
isnt($st, 'OK', 'a bad document is refused');
($st) = as_role('alice',
	"SELECT notify.set_aws_credential(NULL, 'AKIAEXAMPLE', 'log-leak-pw2')");
is($st, '22004', 'a NULL alias is refused with 22004');
($st) = as_role('alice',
	"SELECT notify.set_aws_credential('bad alias', 'AKIAEXAMPLE', 'log-leak-pw3')");
is($st, '22023', 'an alias no document can name is refused with 22023');
my $log = slurp_file($node->logfile, $log_start);
like($log, qr/ERROR:/, 'the errors are in the server log');
unlike($log, qr/STATEMENT:.*notify\.(create_notification|set_aws_credential)/,
	'the failed statements are not logged');
unlike($log, qr/log-leak-pw/, 'no password or secret key in the server log');

$node->stop;
done_testing();
