#!/usr/bin/env bash
#
# scripts/test.sh
#	THE test command of notify_ext, as root:  bash scripts/test.sh
#
#	1. installs missing build/test dependencies (apt, only when needed),
#	2. builds with warnings as errors and installs the extension,
#	3. runs pg_regress (REGRESS), pg_isolation_regress (ISOLATION) and the
#	   TAP tests (prove) through `make installcheck`, each suite on its own
#	   so one failing suite does not hide the others,
#	4. prints the diffs and TAP logs of failures,
#	5. runs the quick start as a user would (scripts/quickstart.sh in a
#	   directory and on ports of its own; it fails unless every event it
#	   shows was delivered and received) and the benchmark's smoke run
#	   (bench/run.sh --quick); NX_SKIP_BENCH=1 skips both,
#	6. ends with one line "N passed, N failed" (tests of the three suites,
#	   TAP counted per file, the smoke run as one, the source checks of
#	   test/include_layers.pl and test/contract_comments.pl as one) and
#	   exits non-zero on any failure.
#
#	As root the suites run as the postgres OS user (initdb refuses root) in
#	a copy of the tree under /tmp, because chown-ing the work tree would
#	make git refuse it ("dubious ownership").  The copy is removed after a
#	passing run and kept after a failing one (set NX_KEEP=1 to always keep
#	it).  As any other user everything runs in the tree itself.
#
#	A subset runs with NX_REGRESS, NX_ISOLATION and NX_TAP (space-separated
#	test names / test/t files; an empty value skips that suite), e.g.
#	NX_REGRESS=definitions NX_ISOLATION= NX_TAP= NX_SKIP_BENCH=1.
#	Runs of several checkouts on one machine take turns: the install into
#	PostgreSQL's directories and the suites hold /tmp/notify_ext_test.lock
#	(with PG_CONFIG naming another installation, a lock of that one's own).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
cd "$ROOT"

PASSED=0
FAILED=0
STATUS=0
WORK=$ROOT

SUMMARY_DONE=0
summary() {
	SUMMARY_DONE=1
	echo
	echo "${PASSED} passed, ${FAILED} failed"
}
# An unexpected exit (apt, copy) still ends with the summary line.
trap 'rc=$?; if [[ $SUMMARY_DONE -eq 0 ]]; then
	  if [[ $rc -ne 0 && $FAILED -eq 0 ]]; then FAILED=1; fi; summary; fi' EXIT

# count_words STRING: number of whitespace-separated words
# shellcheck disable=SC2086  # splitting is the point; globbing is off
count_words() { set -f; set -- $1; echo $#; }

nx_install_deps

# Node modules of the test peers, when the peers declare any.
if [[ -f test/peers/package.json ]] &&
   { [[ ! -d test/peers/node_modules ]] || [[ test/peers/package.json -nt test/peers/node_modules ]]; }; then
	nx_log "npm install in test/peers"
	if [[ -f test/peers/package-lock.json ]]; then
		(cd test/peers && npm ci --no-audit --no-fund --loglevel=error)
	else
		(cd test/peers && npm install --no-audit --no-fund --loglevel=error)
	fi
	touch test/peers/node_modules
fi

REGRESS_TESTS=${NX_REGRESS-$(nx_make_var REGRESS)}
ISOLATION_TESTS=${NX_ISOLATION-$(nx_make_var ISOLATION)}
TAP_ENABLED=$(nx_make_var TAP_TESTS)
TAP_FILES=""
if [[ -n $TAP_ENABLED ]]; then
	TAP_FILES=${NX_TAP-$(nx_make_var PROVE_TESTS)}
fi
N_REGRESS=$(count_words "$REGRESS_TESTS")
N_ISOLATION=$(count_words "$ISOLATION_TESTS")
N_TAP=$(count_words "$TAP_FILES")

# one run at a time per machine: the install is shared
LOCK=/tmp/notify_ext_test.lock
if [[ $NX_PG_CONFIG != "${NX_PG_BIN}/pg_config" ]]; then
	LOCK=/tmp/notify_ext_test.$(printf '%s' "$NX_PG_CONFIG" | md5sum | cut -c1-12).lock
fi
exec 9>"$LOCK"
flock 9

if ! nx_build_install; then
	echo "build or install failed" >&2
	FAILED=$((N_REGRESS + N_ISOLATION + N_TAP))
	[[ $FAILED -gt 0 ]] || FAILED=1
	summary
	exit 1
fi

# Source checks (one test): includes point down the layers of src/ with no
# include circle, and every function has a contract comment.
nx_log "source checks: test/include_layers.pl, test/contract_comments.pl"
if perl test/include_layers.pl && perl test/contract_comments.pl; then
	PASSED=$((PASSED + 1))
else
	FAILED=$((FAILED + 1))
	STATUS=1
fi

if nx_is_root; then
	WORK=$(mktemp -d /tmp/notify_ext_test.XXXXXX)
	nx_log "copying the tree to $WORK for the postgres user"
	tar -C "$ROOT" --anchored \
		--exclude=./.git --exclude=./results --exclude=./output_iso \
		--exclude=./tmp_check --exclude=./tmp_check_iso --exclude=./tmp_regress \
		--exclude=./regression.diffs --exclude=./regression.out --exclude=./log \
		--exclude=./tmp_check_suites \
		-cf - . | tar -C "$WORK" -xf -
	chown -R "$NX_OS_USER": "$WORK"
	chmod 755 "$WORK"
	export NX_OWNER_HOME=$WORK
fi
cd "$WORK"
LOGDIR=$WORK/tmp_check_suites
mkdir -p "$LOGDIR"
rm -f "$LOGDIR"/suite_*.log

# run_suite NAME MAKEARGS...: make installcheck with only one suite enabled;
# output to the terminal and to log/suite_NAME.log.  Returns make's status.
run_suite() {
	local name=$1
	shift
	nx_log "installcheck: $name"
	set +e
	nx_as_owner make installcheck PG_CONFIG="$NX_PG_CONFIG" "$@" 2>&1 | tee "$LOGDIR/suite_$name.log"
	local rc=${PIPESTATUS[0]}
	set -e
	return "$rc"
}

# tally_regress LOG CONFIGURED RC: count pg_regress/pg_isolation_regress
# result lines ("test x ... ok", "     x ... FAILED"); tests that never
# reported count as failed.
tally_regress() {
	local log=$1 configured=$2 rc=$3 ok
	# PG15: "test name ... ok" / "     name ... ok"; PG16+: "ok 1 - name"
	ok=$(grep -cE '^(test +| +)[^ ]+ +\.\.\. ok|^ok +[0-9]+ ' "$log" || true)
	local bad=$((configured - ok))
	if [[ $rc -ne 0 && $bad -le 0 ]]; then bad=1; ok=$((configured - 1)); fi
	[[ $ok -ge 0 ]] || ok=0
	PASSED=$((PASSED + ok))
	FAILED=$((FAILED + bad))
	[[ $bad -eq 0 ]] || STATUS=1
}

# tally_tap LOG CONFIGURED RC: prove lists failing files in its "Test
# Summary Report"; all files count as failed when prove did not finish.
tally_tap() {
	local log=$1 configured=$2 rc=$3 total bad
	total=$(sed -n 's/^Files=\([0-9]*\),.*/\1/p' "$log" | tail -n1)
	if grep -q '^Result: PASS' "$log" && [[ $rc -eq 0 ]]; then
		PASSED=$((PASSED + ${total:-$configured}))
		return
	fi
	STATUS=1
	if [[ -z $total ]]; then
		FAILED=$((FAILED + (configured > 0 ? configured : 1)))
		return
	fi
	bad=$(grep -E '^[^ ]+\.(pl|t) +\(Wstat: ' "$log" | awk '{print $1}' | sort -u | wc -l)
	[[ $bad -gt 0 ]] || bad=1
	[[ $bad -le $total ]] || bad=$total
	PASSED=$((PASSED + total - bad))
	FAILED=$((FAILED + bad))
}

show_file() {
	local f=$1 max=${2:-0} n
	[[ -f $f ]] || return 0
	n=$(wc -l <"$f")
	echo "======== $f ($n lines) ========"
	if [[ $max -gt 0 && $n -gt $max ]]; then
		echo "[... first $((n - max)) lines omitted ...]"
		tail -n "$max" "$f"
	else
		cat "$f"
	fi
}

if [[ $N_REGRESS -gt 0 ]]; then
	rc=0
	run_suite regress REGRESS="$REGRESS_TESTS" ISOLATION= TAP_TESTS= || rc=$?
	tally_regress "$LOGDIR/suite_regress.log" "$N_REGRESS" "$rc"
	if [[ $rc -ne 0 ]]; then
		STATUS=1
		show_file regression.diffs
		show_file log/postmaster.log 200
	fi
fi

if [[ $N_ISOLATION -gt 0 ]]; then
	rc=0
	run_suite isolation REGRESS= ISOLATION="$ISOLATION_TESTS" TAP_TESTS= || rc=$?
	tally_regress "$LOGDIR/suite_isolation.log" "$N_ISOLATION" "$rc"
	if [[ $rc -ne 0 ]]; then
		STATUS=1
		show_file output_iso/regression.diffs
		show_file output_iso/log/postmaster.log 200
	fi
fi

if [[ $N_TAP -gt 0 ]]; then
	rc=0
	run_suite tap REGRESS= ISOLATION= PROVE_TESTS="$TAP_FILES" || rc=$?
	tally_tap "$LOGDIR/suite_tap.log" "$N_TAP" "$rc"
	if [[ $rc -ne 0 ]]; then
		STATUS=1
		# the test's own log (regress_log_*) first, then the servers' logs
		for f in tmp_check/log/regress_log_* tmp_check/log/*.log; do
			show_file "$f" 400
		done
	fi
fi

# The quick start, as the README shows it (one test).
if [[ -z ${NX_SKIP_BENCH:-} ]]; then
	nx_log "quick start: scripts/quickstart.sh, then its stop command"
	QS_TMP=$(mktemp -d /tmp/notify_ext_qs.XXXXXX)
	chmod 755 "$QS_TMP"
	rc=0
	(cd "$ROOT" && NX_QS_DIR=$QS_TMP/qs NX_QS_PORT=$(nx_free_port) bash scripts/quickstart.sh 9>&-) \
		>"$LOGDIR/suite_quickstart.log" 2>&1 || rc=$?
	(cd "$ROOT" && NX_QS_DIR=$QS_TMP/qs bash scripts/quickstart.sh stop 9>&-) >>"$LOGDIR/suite_quickstart.log" 2>&1 || rc=$?
	if [[ $rc -eq 0 ]] && grep -q '^It worked: ' "$LOGDIR/suite_quickstart.log"; then
		PASSED=$((PASSED + 1))
		rm -rf "$QS_TMP"
	else
		FAILED=$((FAILED + 1))
		STATUS=1
		show_file "$LOGDIR/suite_quickstart.log" 200
	fi
fi

# The benchmark's smoke run (tiny counts): it must keep working.  Figures
# are not judged here; the full run is not a test (see bench/README.md).
if [[ -z ${NX_SKIP_BENCH:-} ]]; then
	nx_log "benchmark smoke run: bench/run.sh --quick"
	rc=0
	(cd "$ROOT" && bash bench/run.sh --quick) >"$LOGDIR/suite_bench.log" 2>&1 || rc=$?
	if [[ $rc -eq 0 ]]; then
		PASSED=$((PASSED + 1))
		sed -n '/^notify_ext benchmark/,$p' "$LOGDIR/suite_bench.log"
	else
		FAILED=$((FAILED + 1))
		STATUS=1
		show_file "$LOGDIR/suite_bench.log" 200
	fi
fi

if [[ $WORK != "$ROOT" ]]; then
	if [[ $STATUS -eq 0 && -z ${NX_KEEP:-} ]]; then
		cd /
		rm -rf "$WORK"
	else
		nx_log "test tree kept: $WORK (results/, output_iso/, tmp_check/log/)"
	fi
fi

summary
exit "$STATUS"
