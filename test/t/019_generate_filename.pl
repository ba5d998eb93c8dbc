#
# 019_generate_filename.pl
#	Generate filename: the synchronous <storage><filename/></storage>
#	notifications of a storage are asked, in the BEFORE INSERT trigger of
#	notify.file, and the first valid answer ([A-Za-z0-9_-]+) names the
#	file, against the real receiver (test/peers/receiver.js, /body/TEXT)
#	and function actions.
#
# Phases:
#	A. one valid answer: the path's base name is replaced (directory and
#	   extension kept); the row written, RETURNING and the file.new event
#	   of the AFTER capture trigger see the generated path; the receiver
#	   got the event before the row existed;
#	B. two valid answers: the lower notification id wins, both are asked,
#	   in id order;
#	C. no valid answer (an empty 204, a function returning ''), and an
#	   invalid one ("bad name!") which is ignored, a later valid one used;
#	D. a function action's answer names the file;
#	E. a hook that stops (4xx, a function returning NULL): the INSERT
#	   fails with 09000, no file row, no outbox row, later hooks not asked;
#	F. asynchronous filename notifications are unchanged: an outbox row,
#	   the path as inserted; an UPDATE asks nothing; another storage's
#	   notifications are not asked.
#
# Every wait is bounded.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $node = notify_node('filename',
	    "notify_ext.naptime = '200ms'\n"
	  . "notify_ext.launcher_naptime = '1s'\n"
	  . "notify_ext.sync_timeout_max = '5s'\n"
	  . "log_statement = none\n");
$node->start;
my $recv = start_receiver('filename', 300);
my $base = $recv->{base};

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql('CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');
sql(q{
CREATE FUNCTION public.fn_name(e jsonb) RETURNS text LANGUAGE sql
	AS $$ SELECT 'fn_' || replace(e #>> '{fileId,0}', 'VX-', '') $$;
CREATE FUNCTION public.fn_empty(e jsonb) RETURNS text LANGUAGE sql AS $$ SELECT '' $$;
CREATE FUNCTION public.fn_null(e jsonb) RETURNS text LANGUAGE sql AS $$ SELECT NULL::text $$;
});

my $storage = 0;
my @nids;

# a new storage; returns its id
sub new_storage
{
	my $id = 'VX-S' . ++$storage;
	sql("INSERT INTO notify.storage (id) VALUES ('$id')");
	return $id;
}

# a filename notification of storage $s with action $action; returns its id
sub filename_notification
{
	my ($s, $action) = @_;
	my $nid = sql("SELECT notify.create_notification('storage', '$s', '"
		  . notification_document($action, '<storage><filename/></storage>') . "')");
	push @nids, $nid;
	return $nid;
}

sub sync_http
{
	my ($url) = @_;
	return "<http synchronous=\"true\"><url>$url</url><method>POST</method>"
	  . '<timeout>5</timeout><retry>3</retry>'
	  . '<contentType>application/json</contentType></http>';
}

sub sync_function
{
	my ($name) = @_;
	return "<function synchronous=\"true\"><name>$name</name></function>";
}

# insert file $id on storage $s at $path; returns (sqlstate or 'OK', the
# path RETURNING gives, stderr)
sub insert_file
{
	my ($s, $id, $path) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"\\set VERBOSITY verbose\n"
		  . "INSERT INTO notify.file (id, storage_id, path) VALUES ('$id', '$s', '$path') RETURNING path;",
		on_error_stop => 1);
	return ('OK', $out, $err) if $ret == 0;
	return (($err =~ /ERROR:\s+([0-9A-Z]{5}):/ ? $1 : "?? $err"), $out, $err);
}

sub path_of
{
	my ($id) = @_;
	return sql("SELECT coalesce(path, '<null>') FROM notify.file WHERE id = '$id'");
}

# a resource-wide asynchronous file.new notification: its outbox rows show
# the path the AFTER capture trigger saw
my $file_new = sql("SELECT notify.create_notification('file', '"
	  . notification_document(
		"<http synchronous=\"false\"><url>$base/ok/file-new</url><method>POST</method>"
		  . '<timeout>5</timeout><retry>0</retry><contentType>application/json</contentType></http>',
		'<file><new/></file>') . "')");

sub file_new_path
{
	my ($id) = @_;
	return sql("SELECT payload::jsonb #>> '{path,0}' FROM notify.outbox "
		  . "WHERE notification_id = '$file_new' AND entity_id = '$id'");
}

# ---------------------------------------------------------------------
# A. one valid answer
# ---------------------------------------------------------------------
{
	my $s = new_storage();
	my $nid = filename_notification($s, sync_http("$base/body/VX-F1_master"));
	my ($st, $out, $err) = insert_file($s, 'VX-F1', 'incoming/upload.mxf');
	is($st, 'OK', 'one answer: the INSERT succeeds') or diag($err);
	is($out, 'incoming/VX-F1_master.mxf', 'one answer: RETURNING gives the generated path');
	is(path_of('VX-F1'), 'incoming/VX-F1_master.mxf',
		'one answer: the base name is replaced, directory and extension kept');
	is(file_new_path('VX-F1'), 'incoming/VX-F1_master.mxf',
		'one answer: the file.new event of the AFTER capture trigger has the generated path');
	my @r = requests($recv, '/body/VX-F1_master');
	is(scalar @r, 1, 'one answer: the hook was asked once');
	is($r[0]{f}{fileId}, 'VX-F1', 'one answer: the request is the filename event of the file');
	is($r[0]{f}{storageId}, $s, 'one answer: of its storage');
	is(sql("SELECT count(*) FROM notify.outbox WHERE notification_id = '$nid'"), '0',
		'one answer: a synchronous filename event has no outbox row');

	# a path without a directory or an extension
	($st, $out) = insert_file($s, 'VX-F2', 'plain');
	is($out, 'VX-F1_master', 'one answer: a bare path becomes the name');
	($st, $out) = insert_file($s, 'VX-F3', 'dir/.hidden');
	is($out, 'dir/VX-F1_master', 'one answer: a leading dot is no extension');
	($st, $out) = insert_file($s, 'VX-F4', 'a.b/c.tar.gz');
	is($out, 'a.b/VX-F1_master.gz', 'one answer: only the last extension is kept');
}

# ---------------------------------------------------------------------
# B. two valid answers: the lower notification id wins
# ---------------------------------------------------------------------
{
	my $s = new_storage();
	my $first = filename_notification($s, sync_http("$base/body/first_name"));
	my $second = filename_notification($s, sync_http("$base/body/second_name"));
	my ($st, $out, $err) = insert_file($s, 'VX-F10', 'x.wav');
	is($st, 'OK', 'two answers: the INSERT succeeds') or diag($err);
	is($out, 'first_name.wav', "two answers: the lower notification id's answer names the file");
	my @a = requests($recv, '/body/first_name');
	my @b = requests($recv, '/body/second_name');
	is(scalar(@a) . '/' . scalar(@b), '1/1', 'two answers: both hooks were asked');
	ok(@a && @b && $a[0]{t} < $b[0]{t}, 'two answers: in notification id order');
}

# ---------------------------------------------------------------------
# C. no valid answer, an invalid answer
# ---------------------------------------------------------------------
{
	my $s = new_storage();
	filename_notification($s, sync_http("$base/ok/empty"));
	filename_notification($s, sync_function('public.fn_empty'));
	my ($st, $out, $err) = insert_file($s, 'VX-F20', 'in/orig.mxf');
	is($st, 'OK', 'no valid answer: the INSERT succeeds') or diag($err);
	is($out, 'in/orig.mxf', 'no valid answer: the path as inserted');
	is(count_requests($recv, '/ok/empty'), 1, 'no valid answer: the hook was asked');

	$s = new_storage();
	filename_notification($s, sync_http("$base/body/bad%20name!"));
	($st, $out, $err) = insert_file($s, 'VX-F21', 'in/orig.mxf');
	is($st, 'OK', 'invalid answer: the INSERT succeeds') or diag($err);
	is($out, 'in/orig.mxf', 'invalid answer: "bad name!" is ignored, the path as inserted');

	filename_notification($s, sync_http("$base/body/good-name"));
	($st, $out, $err) = insert_file($s, 'VX-F22', 'in/orig.mxf');
	is($out, 'in/good-name.mxf', 'invalid answer: a later valid answer is used');

	$s = new_storage();
	filename_notification($s, sync_http("$base/body/dir%2Fname"));
	filename_notification($s, sync_http("$base/body/" . ('n' x 256)));
	filename_notification($s, sync_http("$base/body/%20%20spaced_name%0D%0A"));
	($st, $out, $err) = insert_file($s, 'VX-F23', 'orig.mxf');
	is($out, 'spaced_name.mxf',
		'invalid answers: a slash and 256 characters are refused, surrounding white space is trimmed');
}

# ---------------------------------------------------------------------
# D. a function action's answer
# ---------------------------------------------------------------------
{
	my $s = new_storage();
	filename_notification($s, sync_function('public.fn_name'));
	my ($st, $out, $err) = insert_file($s, 'VX-F30', 'media/in.mp4');
	is($st, 'OK', 'function: the INSERT succeeds') or diag($err);
	is($out, 'media/fn_F30.mp4', "function: its result names the file (built from fileId)");
}

# ---------------------------------------------------------------------
# E. a hook that stops
# ---------------------------------------------------------------------
{
	my $s = new_storage();
	filename_notification($s, sync_http("$base/body/never_used"));
	filename_notification($s, sync_http("$base/status/403/veto"));
	filename_notification($s, sync_http("$base/body/not_asked"));
	my $before = sql('SELECT count(*) FROM notify.outbox');
	my ($st, $out, $err) = insert_file($s, 'VX-F40', 'in/x.mxf');
	is($st, '09000', '4xx: the INSERT fails with 09000');
	like($err, qr/stopped the transaction: HTTP status 403 from http:\/\/127\.0\.0\.1:\d+\/status\/403\/veto$/m,
		'4xx: the error gives the status and the URL');
	is(sql("SELECT count(*) FROM notify.file WHERE id = 'VX-F40'"), '0', '4xx: no file row');
	is(sql('SELECT count(*) FROM notify.outbox'), $before,
		'4xx: no outbox row (the file.new event is gone too)');
	is(count_requests($recv, '/body/not_asked'), 0, '4xx: a later hook is not asked');

	$s = new_storage();
	filename_notification($s, sync_function('public.fn_null'));
	($st, $out, $err) = insert_file($s, 'VX-F41', 'in/x.mxf');
	is($st, '09000', 'function NULL: the INSERT fails with 09000');
	like($err, qr/function public\.fn_null returned NULL$/m, 'function NULL: the error says so');
	is(sql("SELECT count(*) FROM notify.file WHERE id = 'VX-F41'"), '0', 'function NULL: no file row');
}

# ---------------------------------------------------------------------
# F. asynchronous filename notifications, UPDATE, other storages
# ---------------------------------------------------------------------
{
	my $s = new_storage();
	my $other = new_storage();
	my $async = filename_notification($s,
		"<http synchronous=\"false\"><url>$base/body/async_name</url><method>POST</method>"
		  . '<timeout>5</timeout><retry>0</retry><contentType>application/json</contentType></http>');
	filename_notification($other, sync_http("$base/body/other_storage"));
	my ($st, $out, $err) = insert_file($s, 'VX-F50', 'in/a.mxf');
	is($out, 'in/a.mxf', 'asynchronous: the path as inserted');
	is(sql("SELECT event || ' ' || entity_id FROM notify.outbox WHERE notification_id = '$async'"),
		"storage.filename $s", 'asynchronous: an outbox row, as before');
	poll_ok($node, 'postgres',
		"SELECT status FROM notify.outbox WHERE notification_id = '$async'",
		'delivered', 'asynchronous: delivered by the worker');
	is(path_of('VX-F50'), 'in/a.mxf', 'asynchronous: its answer names nothing');
	is(count_requests($recv, '/body/other_storage'), 0,
		"another storage's synchronous notification is not asked");

	sql("UPDATE notify.file SET path = 'in/b.mxf' WHERE id = 'VX-F1'");
	is(scalar(requests($recv, '/body/VX-F1_master')), 4, 'an UPDATE asks nothing');
}

done_testing();
