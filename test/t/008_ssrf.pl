#
# 008_ssrf.pl
#	The SSRF guard, end to end through the worker.
#
#	A. notify_ext.denied_hosts (set by ALTER SYSTEM and reloaded) and a
#	   link-local address: the events fail at once, without a retry and
#	   without a request reaching the HTTP receiver (test/peers/receiver.js).
#	B. In a private network namespace (unshare) whose loopback carries the
#	   cloud metadata addresses, with the receiver listening on every
#	   address and curl proving each one answers: the worker refuses
#	   0.0.0.0, 0, [::], 100.100.100.200, [fd00:ec2::254] and
#	   169.254.169.254 without connecting, with default settings, while
#	   127.0.0.1 in the same namespace is delivered.  The PostgreSQL cluster
#	   of this phase runs inside the namespace
#	   (test/peers/faulty_receiver.pl answers 204 there).  When no namespace
#	   can be made here, phase B reports a failure (not a skip).
#
#	Every wait is bounded.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use NotifyTest;

my $receiver_script = 'test/peers/faulty_receiver.pl';
my @cleanup_pids;

END
{
	my $rc = $?;
	kill 'TERM', @cleanup_pids if @cleanup_pids;
	$? = $rc;
}

# Create an item-create notification scoped to $entity with an <http> action.
sub http_notification
{
	my ($node, $entity, $url, $retry, $timeout) = @_;
	my $doc = notification_document(
		"<http><url>$url</url><retry>$retry</retry><timeout>$timeout</timeout></http>");
	return $node->safe_psql('postgres',
		"SELECT notify.create_notification('item', '$entity', '$doc')");
}

# The same with a URL whose host create_notification refuses: a definition
# stored before the settings refused its host, which the worker must still
# refuse.  Written over a permitted URL directly in the stored document.
sub stored_notification
{
	my ($node, $entity, $url, $retry, $timeout) = @_;
	my $nid = http_notification($node, $entity, 'http://stored.invalid/', $retry, $timeout);
	$node->safe_psql('postgres',
		"UPDATE notify.notification SET document = replace(document, "
		  . "'http://stored.invalid/', '$url') WHERE id = '$nid'");
	return $nid;
}

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

sub ssrf_node
{
	my ($name) = @_;
	return notify_node($name,
		    "notify_ext.naptime = '200ms'\n"
		  . "notify_ext.backoff_base = '100ms'\n"
		  . "notify_ext.backoff_max = '1s'\n"
		  . "notify_ext.launcher_naptime = '1s'\n");
}

# ---------------------------------------------------------------------
# A. denied_hosts and link-local addresses
# ---------------------------------------------------------------------
my $node = ssrf_node('ssrf');
$node->start;
my $recv = start_receiver('ssrf', 300);
my $port = $recv->{port};

sub sql { return $node->safe_psql('postgres', $_[0]); }
sub field { return outbox_field($node, 'postgres', @_); }

$node->safe_psql('postgres', 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');

sql("ALTER SYSTEM SET notify_ext.denied_hosts = '127.0.0.2'");
sql('SELECT pg_reload_conf()');
poll_ok($node, 'postgres', 'SHOW notify_ext.denied_hosts', '127.0.0.2', 'denied_hosts reloaded');
# the worker reloads its configuration at the top of its loop: give it a
# few periods before the events exist
sleep 1;

my $item_d = 'VX-900004';
my %nid_d;
# create_notification refuses both hosts already
is( sqlstate_of($node, 'postgres', "SELECT notify.create_notification('item', '"
		  . notification_document(http_action(url => "http://127.0.0.2:$port/ok/denied"))
		  . "')"),
	'42501', 'create_notification refuses a denied host');
is( sqlstate_of($node, 'postgres', "SELECT notify.create_notification('item', '"
		  . notification_document(http_action(url => 'http://169.254.169.254/latest'))
		  . "')"),
	'42501', 'create_notification refuses a link-local host');
$nid_d{denied} = stored_notification($node, $item_d, "http://127.0.0.2:$port/ok/denied", 3, 10);
$nid_d{ll} = stored_notification($node, $item_d, 'http://169.254.169.254/latest', 3, 2);
sql("INSERT INTO notify.item (id, title) VALUES ('$item_d', 'phase D')");

poll_ok($node, 'postgres', "SELECT status FROM notify.outbox WHERE notification_id = '$nid_d{denied}'",
	'failed', 'denied host: failed');
is(field($nid_d{denied}, 'attempts'), '1', 'denied host: one attempt, no retry');
like(field($nid_d{denied}, 'last_error'), qr/notify_ext\.denied_hosts/,
	'denied host: last_error names denied_hosts');
is(scalar(requests($recv, '/ok/denied')), 0, 'denied host: no request reached the receiver');

poll_ok($node, 'postgres', "SELECT status FROM notify.outbox WHERE notification_id = '$nid_d{ll}'",
	'failed', 'link-local: failed');
is(field($nid_d{ll}, 'attempts'), '1', 'link-local: one attempt, no retry');
like(field($nid_d{ll}, 'last_error'), qr/link-local/,
	'link-local: last_error says link-local');
is(field($nid_d{ll}, 'last_status IS NULL AND last_duration_ms < 100'), 't',
	'link-local: refused without a network attempt');
is( sql("SELECT failed || '/' || (oldest_pending_age IS NULL) FROM notify.delivery_status "
		  . "WHERE notification_id = '$nid_d{ll}'"),
	'1/true', 'delivery_status: the link-local notification has one failed event');

$node->stop;

# ---------------------------------------------------------------------
# B. The SSRF guard in a network namespace
# ---------------------------------------------------------------------
my ($ip_cmd) = grep { -x $_ } qw(/usr/sbin/ip /sbin/ip /usr/bin/ip /bin/ip);
my ($uid, $gid) = ($<, (split ' ', $()[0]);
my $probe_ns = defined $ip_cmd
  && system('unshare', '-r', '--net', 'sh', '-c',
	"$ip_cmd link set lo up && $ip_cmd addr add 100.100.100.200/32 dev lo && "
	  . "exec unshare --user --map-user=$uid --map-group=$gid true") == 0;
if (!ok($probe_ns,
		'a network namespace can be made here (unshare -r --net, ip)'))
{
	diag('phase B (the SSRF guard against reachable addresses) did not run');
	done_testing();
	exit;
}

my $ns = ssrf_node('ssrf_ns');
my $dir_b = PostgreSQL::Test::Utils::tempdir();
my $log_b = "$PostgreSQL::Test::Utils::log_path/ssrf_receiver_b.log";
unlink $log_b;

# Inside the namespace: loopback up with the metadata addresses, the
# receiver on every address, curl to each address, then the cluster (in a
# nested user namespace that maps back to this user: postgres refuses to
# run as root).
my $ns_script = <<'EOS';
set -e
"$IP" link set lo up
"$IP" addr add 100.100.100.200/32 dev lo
"$IP" addr add 169.254.169.254/32 dev lo
"$IP" -6 addr add fd00:ec2::254/128 dev lo
"$PERL" "$RECEIVER" :: "$RLOG" > "$DIR/ready" 2>&1 &
echo $! > "$DIR/receiver.pid"
n=0
until grep -q '^ready ' "$DIR/ready"; do
	n=$((n + 1))
	if [ $n -gt 100 ]; then echo "receiver did not start" >&2; exit 1; fi
	sleep 0.1
done
port=$(sed -n 's/^ready //p' "$DIR/ready")
for h in 127.0.0.1 0.0.0.0 0 '[::]' 100.100.100.200 '[fd00:ec2::254]' 169.254.169.254; do
	code=$(curl -g -s -o /dev/null -w '%{http_code}' --max-time 5 -d x "http://$h:$port/probe" || true)
	echo "$h $code" >> "$DIR/probes"
done
exec unshare --user --map-user="$MAPUID" --map-group="$MAPGID" \
	pg_ctl -w -D "$PGDATA_NS" -l "$PGLOG" -o "--cluster-name=ssrf_ns" start
EOS
{
	local %ENV = $ns->_get_env(PGAPPNAME => undef);
	$ENV{IP} = $ip_cmd;
	$ENV{PERL} = $^X;
	$ENV{RECEIVER} = $receiver_script;
	$ENV{RLOG} = $log_b;
	$ENV{DIR} = $dir_b;
	$ENV{MAPUID} = $uid;
	$ENV{MAPGID} = $gid;
	$ENV{PGDATA_NS} = $ns->data_dir;
	$ENV{PGLOG} = $ns->logfile;
	my $rc = PostgreSQL::Test::Utils::system_log('unshare', '-r', '--net', 'sh',
		'-c', $ns_script);
	if (-f "$dir_b/receiver.pid")
	{
		push @cleanup_pids,
		  PostgreSQL::Test::Utils::slurp_file("$dir_b/receiver.pid") =~ /(\d+)/;
	}
	$ns->_update_pid($rc == 0 ? 1 : -1);
	ok($rc == 0, 'cluster started inside the network namespace')
	  or BAIL_OUT('could not start the cluster in the namespace');
}
my ($port_b) = PostgreSQL::Test::Utils::slurp_file("$dir_b/ready") =~ /^ready (\d+)$/m;

# The proof that a refusal matters: each address answers inside the namespace.
is( PostgreSQL::Test::Utils::slurp_file("$dir_b/probes"),
	join('', map { "$_ 204\n" }
		  ('127.0.0.1', '0.0.0.0', '0', '[::]', '100.100.100.200',
			'[fd00:ec2::254]', '169.254.169.254')),
	'in the namespace, curl reaches the receiver at every address');
is(scalar(logged($log_b, '/probe')), 7, 'the receiver logged the 7 probes');

$ns->safe_psql('postgres', 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');
my $item_b = 'VX-950002';
my %refused = (
	zero4 => "http://0.0.0.0:$port_b/refused/zero4",
	zero => "http://0:$port_b/refused/zero",
	zero6 => "http://[::]:$port_b/refused/zero6",
	alibaba => "http://100.100.100.200:$port_b/refused/alibaba",
	aws6 => "http://[fd00:ec2::254]:$port_b/refused/aws6",
	linklocal => "http://169.254.169.254:$port_b/refused/linklocal");
my %nid_b;
$nid_b{$_} = stored_notification($ns, $item_b, $refused{$_}, 3, 2) for keys %refused;
my $nid_control = http_notification($ns, $item_b,
	"http://127.0.0.1:$port_b/ok/control", 3, 2);
$ns->safe_psql('postgres',
	"INSERT INTO notify.item (id, title) VALUES ('$item_b', 'phase B')");

poll_ok($ns, 'postgres',
	"SELECT status FROM notify.outbox WHERE notification_id = '$nid_control'",
	'delivered', 'control: 127.0.0.1 in the namespace is delivered');
my $nids_b = join(',', map { "'$_'" } values %nid_b);
poll_ok($ns, 'postgres',
	"SELECT count(*) FROM notify.outbox WHERE notification_id IN ($nids_b) "
	  . "AND status IN ('delivered', 'failed')",
	scalar(keys %nid_b), 'phase B: every refused event reaches a final state');
for my $k (sort keys %nid_b)
{
	is( outbox_field($ns, 'postgres', $nid_b{$k},
			"status || '|' || attempts || '|' || coalesce(last_status::text, '-')"),
		'failed|1|-', "$refused{$k}: failed at once, no retry, no status");
	like(outbox_field($ns, 'postgres', $nid_b{$k}, 'last_error'), qr/is not allowed/,
		"$refused{$k}: the error is a refusal");
}
is(scalar(logged($log_b, '/refused/')), 0,
	'no refused address reached the receiver');
is(scalar(logged($log_b, '/ok/control')), 1, 'the control request reached it');

$ns->stop;
done_testing();
