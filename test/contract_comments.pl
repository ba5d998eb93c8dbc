#!/usr/bin/perl
#
# contract_comments.pl [FILE...]
#	List the functions of src/ (or of FILE...) that have no contract
#	comment: a definition in PostgreSQL layout (the return type on a line of
#	its own, the name at the start of the next line) whose type line does
#	not follow the end of a comment ("*/").  Prints FILE:LINE: NAME, one a
#	line, and exits 1 when there is any.
#
use strict;
use warnings;

use File::Find;

my @files = @ARGV;
find(sub { push @files, $File::Find::name if /\.c$/ }, 'src') unless @files;

my $missing = 0;
for my $f (sort @files)
{
	open my $fh, '<', $f or die "$f: $!\n";
	my @l = <$fh>;
	close $fh;
	for my $i (1 .. $#l)
	{
		next unless $l[$i] =~ /^([A-Za-z_]\w*)\(/;
		my $name = $1;
		# a definition: the parameter list ends without ';' before '{'
		my $j = $i;
		$j++ while $j < $#l && $l[$j] !~ /\)\s*;?\s*$/;
		next if $l[$j] =~ /;\s*$/;
		next unless $j + 1 <= $#l && $l[ $j + 1 ] =~ /^\{/;
		next if $name =~ /^(PG_FUNCTION_INFO_V1|PG_MODULE_MAGIC)$/;
		# the type line above the name, then the comment's end above it
		my $k = $i - 1;
		$k-- if $k > 0 && $l[$k] =~ /^(static |extern )?[\w\s\*]+$/ && $l[ $k - 1 ] =~ /^(static|extern)\s*$/;
		my $above = $k > 0 ? $l[ $k - 1 ] : '';
		next if $above =~ m{\*/\s*$};
		print "$f:", $i + 1, ": $name\n";
		$missing++;
	}
}
exit($missing ? 1 : 0);
