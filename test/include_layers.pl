#!/usr/bin/perl
#
# include_layers.pl
#	Check that the includes of src/ point down the layers of the data path
#	and that no two files include each other, directly or not.  A file's
#	layer is its folder; the top-level headers (guc.h, notify_ext.h) are the
#	lowest layer and the top-level sources (notify_ext.c, guc.c) the
#	highest.  Prints each include that points up or sideways and each
#	include circle, and exits 1 when there is any.
#
use strict;
use warnings;

use File::Find;

# lowest first: a file may include files of its own layer or of a lower one
my @layers = qw(top.h common definition encode bgw outbox transport capture
  delivery ingest top.c);
my %rank;
@rank{@layers} = (0 .. $#layers);

my @files;
find(sub { push @files, $File::Find::name if /\.[ch]$/ }, 'src');

sub layer
{
	my ($path) = @_;
	(my $rel = $path) =~ s{^src/}{};
	return $1 if $rel =~ m{^([^/]+)/};
	return $rel =~ /\.h$/ ? 'top.h' : 'top.c';
}

my %edges;
my $bad = 0;
for my $f (sort @files)
{
	open my $fh, '<', $f or die "$f: $!\n";
	while (my $line = <$fh>)
	{
		next unless $line =~ /^#include "([^"]+)"/;
		my $target = "src/$1";
		next unless -f $target;
		push @{ $edges{$f} }, $target;
		my ($from, $to) = (layer($f), layer($target));
		die "$f: unknown layer $from\n" unless defined $rank{$from};
		die "$target: unknown layer $to\n" unless defined $rank{$to};
		if ($rank{$to} > $rank{$from})
		{
			print "$f: includes $target of a higher layer ($to above $from)\n";
			$bad = 1;
		}
	}
	close $fh;
}

# include circles between files
my %state;
my @stack;
sub visit
{
	my ($f) = @_;
	$state{$f} = 1;
	push @stack, $f;
	for my $t (@{ $edges{$f} || [] })
	{
		if (($state{$t} // 0) == 1)
		{
			my @cycle = @stack[ (grep { $stack[$_] eq $t } 0 .. $#stack)[0] .. $#stack ];
			print "include circle: ", join(' -> ', @cycle, $t), "\n";
			$bad = 1;
		}
		elsif (!$state{$t})
		{
			visit($t);
		}
	}
	pop @stack;
	$state{$f} = 2;
}
visit($_) for grep { !$state{$_} } sort keys %edges;

exit $bad;
