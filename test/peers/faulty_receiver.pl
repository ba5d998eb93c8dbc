#!/usr/bin/perl
#
# faulty_receiver.pl BIND_ADDRESS LOG_FILE
#	An HTTP receiver that misbehaves on purpose, for test/t/002_http_requests.pl
#	and test/t/008_ssrf.pl.
#
#	Listens on BIND_ADDRESS ("127.0.0.1", or "::", which takes IPv4 too) on
#	a free port, prints "ready PORT" once listening, and appends one line
#	per request to LOG_FILE: "METHOD PATH LOCAL_ADDRESS".  One process per
#	connection; it answers by the path's first segment:
#	  /short/...        200 with Content-Length: 100, then 10 bytes and close
#	  /stall/...        200 with Content-Length: 100, then nothing
#	  /chunked-cut/...  200 chunked, one chunk, then close without the last
#	  /big/...          200 with a body without end (no Content-Length, so
#	                    it lasts until close), sent until the client goes away
#	  anything else     204
#	A stalled or streaming connection ends when the client goes away, or
#	after 60 s; the receiver itself exits on SIGTERM or after 300 s.
#
use strict;
use warnings;

use IO::Socket::IP;

my ($bind, $log) = @ARGV;
die "usage: $0 BIND_ADDRESS LOG_FILE\n" unless defined $log;

$SIG{CHLD} = 'IGNORE';
$SIG{PIPE} = 'IGNORE';
$SIG{ALRM} = sub { exit 0 };
alarm 300;

my $listen = IO::Socket::IP->new(
	LocalHost => $bind,
	LocalPort => 0,
	Listen => 64,
	ReuseAddr => 1,
	($bind =~ /:/ ? (V6Only => 0) : ())) or die "cannot listen on $bind: $@\n";
$| = 1;
print "ready ", $listen->sockport, "\n";

while (1)
{
	my $conn = $listen->accept or next;
	my $pid = fork;
	die "fork: $!\n" unless defined $pid;
	if ($pid == 0)
	{
		close $listen;
		alarm 60;
		serve($conn);
		exit 0;
	}
	close $conn;
}

# Read one request (headers and a Content-Length body), log it, answer it.
sub serve
{
	my ($conn) = @_;
	my $buf = '';
	while ($buf !~ /\r\n\r\n/)
	{
		my $n = sysread($conn, $buf, 65536, length $buf);
		return if !$n;
	}
	my ($head, $body) = split /\r\n\r\n/, $buf, 2;
	my ($method, $path) = $head =~ /^(\S+) (\S+)/ or return;
	my ($len) = $head =~ /^content-length:\s*(\d+)/mi;
	$len //= 0;
	while (length $body < $len)
	{
		my $n = sysread($conn, $body, 65536, length $body);
		return if !$n;
	}

	if (open my $fh, '>>', $log)
	{
		syswrite($fh, "$method $path " . $conn->sockhost . "\n");
		close $fh;
	}

	my ($mode) = $path =~ m{^/([^/]*)};
	if ($mode eq 'short')
	{
		syswrite($conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
			  . "Content-Type: text/plain\r\n\r\n0123456789");
	}
	elsif ($mode eq 'stall')
	{
		syswrite($conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
			  . "Content-Type: text/plain\r\n\r\n");
		1 while sysread($conn, my $ignored, 65536);
	}
	elsif ($mode eq 'chunked-cut')
	{
		syswrite($conn, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			  . "Content-Type: text/plain\r\n\r\na\r\n0123456789\r\n");
	}
	elsif ($mode eq 'big')
	{
		my $chunk = 'x' x 65536;
		syswrite($conn, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
			  . "Content-Type: text/plain\r\n\r\n");
		1 while defined syswrite($conn, $chunk);
	}
	else
	{
		syswrite($conn, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
	}
	shutdown($conn, 1);
	close $conn;
}
