#
# 010_worker_isolation.pl
#	What roles other than the extension's can make the delivery worker (a
#	superuser session) do, through settings it inherits and state a
#	function action leaves in it; and what a definition call made from
#	PL/pgSQL leaves in the server log.
#
# Phases:
#	A. a database owner that is not superuser sets the database's
#	   search_path to a schema of its own, ahead of pg_catalog, holding an
#	   "=" and a ">" for bigint and a jsonb_typeof(jsonb) that would make it
#	   superuser when a superuser runs them; after a restart (the worker
#	   reads the setting when it connects) the worker claims and delivers,
#	   a superuser's notification naming jsonb_typeof runs pg_catalog's,
#	   and the owner is still not superuser;
#	B. a function action that takes a session-level advisory lock (and one
#	   that takes one and fails) leaves no lock held by the worker;
#	C. a create_notification that fails inside a DO block leaves no
#	   password in the server log (the context quotes the block's
#	   statement).
#
# Every wait is bounded.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $wait_s = 30;

my $node = PostgreSQL::Test::Cluster->new('worker_isolation');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'notify_ext'\n"
	  . "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.launcher_naptime = '1s'\n"
	  . "notify_ext.function_timeout = '5s'\n"
	  # the server's default logging (the test framework logs every statement)
	  . "log_statement = none\n");
$node->start;

# statements of the superuser in database $db, with pg_catalog first
sub sql_in
{
	my ($db, $stmt) = @_;
	return $node->safe_psql($db, "SET search_path = pg_catalog, public; $stmt");
}

# run $stmt as LOGIN role $role in $db; returns (sqlstate or 'OK', stdout)
sub as_role
{
	my ($role, $db, $stmt) = @_;
	my ($ret, $out, $err) = $node->psql($db,
		"\\set VERBOSITY verbose\n$stmt",
		on_error_stop => 1,
		extra_params => [ '-U', $role ]);
	return ('OK', $out) if $ret == 0;
	return ($err =~ /ERROR:\s+([0-9A-Z]{5}):/ ? $1 : "?? $err", $err);
}

sub poll_ok
{
	my ($db, $query, $expected, $name) = @_;
	local $PostgreSQL::Test::Utils::timeout_default = $wait_s;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	ok($node->poll_query_until($db, $query, $expected), $name);
}

sub function_doc
{
	my ($name, $event) = @_;
	$event //= 'create';
	return '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">'
	  . "<action><function><name>$name</name><retry>0</retry></function></action>"
	  . "<trigger><item><$event/></item></trigger></NotificationDocument>";
}

# ---------------------------------------------------------------------
# A. the database's search_path does not reach the worker's statements
# ---------------------------------------------------------------------
$node->safe_psql('postgres', q{
	CREATE ROLE appowner LOGIN;
	CREATE ROLE alice LOGIN;
	CREATE DATABASE app OWNER appowner;
});
sql_in('app', q{
	CREATE EXTENSION notify_ext;
	CREATE EXTENSION notify_ext_assets;
	GRANT notify_admin TO appowner, alice;
});
my ($st) = as_role('appowner', 'app', q{
	CREATE TABLE public.pwned (who text, what text);
	GRANT INSERT ON public.pwned TO PUBLIC;
	CREATE FUNCTION public.take_over(what text) RETURNS void LANGUAGE plpgsql AS $$
	BEGIN
		IF current_setting('is_superuser') = 'on' THEN
			INSERT INTO public.pwned VALUES (current_user, what);
			ALTER ROLE appowner SUPERUSER;
		END IF;
	END $$;
	CREATE FUNCTION public.evil_eq(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM public.take_over('=');
		RETURN $1 OPERATOR(pg_catalog.=) $2;
	END $$;
	CREATE FUNCTION public.evil_gt(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM public.take_over('>');
		RETURN $1 OPERATOR(pg_catalog.>) $2;
	END $$;
	CREATE OPERATOR public.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.evil_eq);
	CREATE OPERATOR public.> (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.evil_gt);
	CREATE FUNCTION public.jsonb_typeof(jsonb) RETURNS text LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM public.take_over('jsonb_typeof');
		RETURN 'object';
	END $$;
	ALTER DATABASE app SET search_path = public, pg_catalog;
});
is($st, 'OK', 'the database owner puts its own operators before pg_catalog');

# a superuser's notification naming a pg_catalog function without schema
my $typeof_nid = sql_in('app',
	"SELECT notify.create_notification('item', '" . function_doc('jsonb_typeof') . "')");
like($typeof_nid, qr/^VX-\d+$/, 'a notification naming jsonb_typeof is created');

# the worker reads the database's settings when it connects
$node->restart;
sql_in('app', "INSERT INTO notify.item (id, title) VALUES ('VX-100', 'bait')");
poll_ok('app', "SELECT status FROM notify.outbox WHERE notification_id = '$typeof_nid'",
	'delivered', "the worker claims and delivers under the database's search_path");
is(sql_in('app', 'SELECT count(*) FROM public.pwned'), '0',
	"none of the database owner's operators or functions ran as superuser");
is(sql_in('app', "SELECT rolsuper FROM pg_roles WHERE rolname = 'appowner'"),
	'f', 'the database owner is not superuser');

# ---------------------------------------------------------------------
# B. no session-level advisory lock outlives a function action
# ---------------------------------------------------------------------
sql_in('app', 'ALTER DATABASE app RESET search_path; CREATE SCHEMA alice AUTHORIZATION alice');
($st) = as_role('alice', 'app', q{
	CREATE FUNCTION alice.hold(jsonb) RETURNS text LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM pg_advisory_lock(4242);
		PERFORM pg_advisory_lock_shared(4243);
		RETURN 'ok';
	END $$;
	CREATE FUNCTION alice.hold_and_fail(jsonb) RETURNS text LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM pg_advisory_lock(4244);
		RAISE EXCEPTION 'failing on purpose';
	END $$;
});
is($st, 'OK', 'alice defines functions that take advisory locks');
my ($hold_st, $hold_nid) = as_role('alice', 'app',
	"SELECT notify.create_notification('item', '" . function_doc('alice.hold', 'delete') . "')");
my ($fail_st, $fail_nid) = as_role('alice', 'app',
	"SELECT notify.create_notification('item', '" . function_doc('alice.hold_and_fail', 'delete') . "')");
chomp $hold_nid;
chomp $fail_nid;
is("$hold_st $fail_st", 'OK OK', 'alice creates both notifications');
sql_in('app', "DELETE FROM notify.item WHERE id = 'VX-100'");
poll_ok('app', "SELECT status FROM notify.outbox WHERE notification_id = '$hold_nid'",
	'delivered', 'the locking function was called');
poll_ok('app', "SELECT status FROM notify.outbox WHERE notification_id = '$fail_nid'",
	'failed', 'the locking and failing function was called');
is( sql_in('app',
		"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid IN (4242, 4243, 4244)"),
	'0', 'the worker holds none of the advisory locks the functions took');
is(sql_in('app', 'SELECT pg_try_advisory_lock(4242) AND pg_try_advisory_lock(4244)'),
	't', 'another session takes them at once');

# ---------------------------------------------------------------------
# C. a failed call inside a DO block: no password in the server log
# ---------------------------------------------------------------------
my $log_start = -s $node->logfile;
($st) = as_role('alice', 'app', q{
	DO $$
	BEGIN
		PERFORM notify.create_notification('item',
			'{"action": {"http": {"url": "https://hook:do-leak-pw@example.com/"}}, "trigger": {"item": {"nonsense": ""}}}');
	END $$;
});
isnt($st, 'OK', 'the bad document is refused');
my $log = slurp_file($node->logfile, $log_start);
like($log, qr/ERROR:/, 'the error is in the server log');
unlike($log, qr/do-leak-pw/, 'the password of the DO block is not in the server log');

$node->stop;
done_testing();
