#
# 006_ssrf_transfer.pl
#	Delivery correctness and the SSRF guard, end to end through the worker.
#
#	A. Transfers that do not complete are failed attempts, retried, never
#	   delivered: a 200 whose body is shorter than its Content-Length, a
#	   chunked body cut off, a 200 header followed by a stall past the
#	   timeout (test/peers/faulty_receiver.pl on 127.0.0.1).  A 200 with an
#	   endless body is delivered without waiting for the timeout (the
#	   transport stops reading after a bounded amount).
#	B. In a private network namespace (unshare) whose loopback carries the
#	   cloud metadata addresses, with the receiver listening on every
#	   address and curl proving each one answers: the worker refuses
#	   0.0.0.0, 0, [::], 100.100.100.200, [fd00:ec2::254] and
#	   169.254.169.254 without connecting, with default settings, while
#	   127.0.0.1 in the same namespace is delivered.  The PostgreSQL cluster
#	   of this phase runs inside the namespace.  When no namespace can be
#	   made here, phase B reports a failure (not a skip).
#
#	Every wait is bounded; the whole test takes about 15 s.
#
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $receiver_script = 'test/peers/faulty_receiver.pl';
my $wait_s = 20;
my $recv_a;
my @cleanup_pids;

END
{
	my $rc = $?;
	if ($recv_a && $recv_a->pumpable)
	{
		$recv_a->signal('TERM');
		$recv_a->finish;
	}
	kill 'TERM', @cleanup_pids if @cleanup_pids;
	$? = $rc;
}

# Poll $query on $node until it returns $expected (bounded).
sub poll_ok
{
	my ($node, $query, $expected, $name) = @_;
	local $PostgreSQL::Test::Utils::timeout_default = $wait_s;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	ok($node->poll_query_until('postgres', $query, $expected), $name);
}

# Create an item-create notification scoped to $entity with an <http> action.
sub http_notification
{
	my ($node, $entity, $url, $retry, $timeout) = @_;
	my $doc =
	    '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">'
	  . "<action><http><url>$url</url><retry>$retry</retry>"
	  . "<timeout>$timeout</timeout></http></action>"
	  . '<trigger><item><create/></item></trigger></NotificationDocument>';
	return $node->safe_psql('postgres',
		"SELECT notify.create_notification('item', '$entity', '$doc')");
}

sub outbox_field
{
	my ($node, $nid, $expr) = @_;
	return $node->safe_psql('postgres',
		"SELECT $expr FROM notify.outbox WHERE notification_id = '$nid'");
}

# Requests logged by a receiver whose path starts with $prefix
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

sub new_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'notify_ext'\n"
		  . "notify_ext.naptime = '200ms'\n"
		  . "notify_ext.backoff_base = '100ms'\n"
		  . "notify_ext.backoff_max = '1s'\n"
		  . "notify_ext.launcher_naptime = '1s'\n");
	return $node;
}

# ---------------------------------------------------------------------
# A. Transfers that do not complete
# ---------------------------------------------------------------------
my $node = new_node('transfer');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION notify_ext; CREATE EXTENSION notify_ext_assets');

my $log_a = "$PostgreSQL::Test::Utils::log_path/005_receiver_a.log";
unlink $log_a;
my ($out_a, $err_a) = ('', '');
$recv_a = IPC::Run::start([ $^X, $receiver_script, '127.0.0.1', $log_a ],
	'<', \undef, '>', \$out_a, '2>', \$err_a);
{
	my $timer = IPC::Run::timer(15);
	$timer->start;
	$recv_a->pump_nb
	  while $out_a !~ /^ready \d+$/m && !$timer->is_expired && $recv_a->pumpable;
}
my ($port_a) = $out_a =~ /^ready (\d+)$/m;
ok($port_a, 'receiver A listens on 127.0.0.1') or BAIL_OUT("receiver: $err_a");
my $base = "http://127.0.0.1:$port_a";

my $item_a = 'VX-950001';
my %nid;
$nid{short} = http_notification($node, $item_a, "$base/short/a", 1, 3);
$nid{chunked} = http_notification($node, $item_a, "$base/chunked-cut/a", 1, 3);
$nid{stall} = http_notification($node, $item_a, "$base/stall/a", 1, 1);
$nid{big} = http_notification($node, $item_a, "$base/big/a", 1, 5);
$nid{ok} = http_notification($node, $item_a, "$base/ok/a", 1, 3);
$node->safe_psql('postgres',
	"INSERT INTO notify.item (id, title) VALUES ('$item_a', 'phase A')");

my $nids = join(',', map { "'$_'" } values %nid);
poll_ok($node,
	"SELECT count(*) FROM notify.outbox WHERE notification_id IN ($nids) "
	  . "AND status IN ('delivered', 'failed')",
	'5', 'phase A: every event reaches a final state');

for my $k (qw(short chunked stall))
{
	is(outbox_field($node, $nid{$k}, "status || '|' || attempts"),
		'failed|2', "$k: failed after 2 attempts (retried), not delivered");
	is( $node->safe_psql('postgres',
			"SELECT string_agg(attempt || ':' || coalesce(status_code::text, '-') || ':' "
			  . "|| delivered || ':' || (error IS NOT NULL), ',' ORDER BY attempt) "
			  . "FROM notify.delivery_attempts WHERE notification_id = '$nid{$k}'"),
		'1:200:false:true,2:200:false:true',
		"$k: both attempts recorded with status 200, an error, not delivered");
}
like(outbox_field($node, $nid{short}, 'last_error'),
	qr/transfer closed with \d+ bytes remaining|outstanding read data|partial/i,
	'short body: the error is libcurl\'s');
like(outbox_field($node, $nid{stall}, 'last_error'), qr/timed? ?out/i,
	'stall: the error says timeout');
is(scalar(logged($log_a, '/short/a')), 2, 'short body: 2 requests logged');
is(scalar(logged($log_a, '/chunked-cut/a')), 2, 'chunked cut: 2 requests logged');
is(scalar(logged($log_a, '/stall/a')), 2, 'stall: 2 requests logged');

is(outbox_field($node, $nid{big}, "status || '|' || attempts || '|' || last_status"),
	'delivered|1|200', 'endless 2xx body: delivered at the first attempt');
cmp_ok(outbox_field($node, $nid{big}, 'last_duration_ms'), '<', 2500,
	'endless 2xx body: reading stopped long before the 5 s timeout');
is(outbox_field($node, $nid{ok}, "status || '|' || attempts"),
	'delivered|1', 'control: a complete 204 is delivered');

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

my $ns = new_node('ssrf_ns');
my $dir_b = PostgreSQL::Test::Utils::tempdir();
my $log_b = "$PostgreSQL::Test::Utils::log_path/005_receiver_b.log";
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
$nid_b{$_} = http_notification($ns, $item_b, $refused{$_}, 3, 2) for keys %refused;
my $nid_control = http_notification($ns, $item_b,
	"http://127.0.0.1:$port_b/ok/control", 3, 2);
$ns->safe_psql('postgres',
	"INSERT INTO notify.item (id, title) VALUES ('$item_b', 'phase B')");

poll_ok($ns,
	"SELECT status FROM notify.outbox WHERE notification_id = '$nid_control'",
	'delivered', 'control: 127.0.0.1 in the namespace is delivered');
my $nids_b = join(',', map { "'$_'" } values %nid_b);
poll_ok($ns,
	"SELECT count(*) FROM notify.outbox WHERE notification_id IN ($nids_b) "
	  . "AND status IN ('delivered', 'failed')",
	scalar(keys %nid_b), 'phase B: every refused event reaches a final state');
for my $k (sort keys %nid_b)
{
	is( outbox_field($ns, $nid_b{$k},
			"status || '|' || attempts || '|' || coalesce(last_status::text, '-')"),
		'failed|1|-', "$refused{$k}: failed at once, no retry, no status");
	like(outbox_field($ns, $nid_b{$k}, 'last_error'), qr/is not allowed/,
		"$refused{$k}: the error is a refusal");
}
is(scalar(logged($log_b, '/refused/')), 0,
	'no refused address reached the receiver');
is(scalar(logged($log_b, '/ok/control')), 1, 'the control request reached it');

$ns->stop;
done_testing();
