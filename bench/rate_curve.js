'use strict';
/*
 * bench/rate_curve.js
 *	  The rate scenario's curve (offered rate against achieved and delivered
 *	  rate, backlog and commit -> receipt latency) and the sustainable rate,
 *	  from what bench/run.sh measured.
 *
 * Usage: node bench/rate_curve.js OUTDIR	(prints the curves; what
 *		  bench/run.sh --only=rate shows)
 *		  require('./rate_curve.js').rateCurve(raw, key)	(bench/report.js)
 *
 * Reads the KEY.* keys of OUTDIR/raw.tsv, KEY being rate (one delivery
 * process) or rate2 (two): KEY.rates (the offered rates, space-separated)
 * and KEY.<R>.<figure> per offered rate R.
 *
 * A rate is sustained when pgbench achieved at least 95 % of it (the
 * offered load really was offered), the largest backlog during the load
 * stayed under one second of events (< R), every event was received and
 * the commit -> receipt p99 is at most 25 ms.  The sustainable rate is the
 * highest offered rate that was sustained (0 when none was).
 *
 * Exit status of the command: 0, or 1 when a figure is missing or a
 * correctness check failed (failed deliveries, receipts lost by the log).
 */
const fs = require('fs');
const path = require('path');

const KEPT_PACE = 0.95;			/* achieved / offered */
const P99_MS = 25;

/*
 * rateCurve(raw, key): raw is the key -> value map of raw.tsv, key the
 * curve's prefix (default 'rate').  Returns
 * { runs, sustainable_rate, problems, lines } where runs has one object per
 * offered rate, problems lists what is missing or wrong and lines is the
 * printed curve (a small table and the sustainable rate); null when raw
 * has no rate scenario.
 */
function rateCurve(raw, key = 'rate') {
	if (raw[`${key}.rates`] === undefined)
		return null;
	const procs = key === 'rate2' ? 2 : 1;
	const problems = [];
	const num = (key) => {
		const v = raw[key];
		if (v === undefined || v === '' || Number.isNaN(Number(v))) {
			problems.push(`missing figure ${key}`);
			return NaN;
		}
		return Number(v);
	};
	const runs = [];
	for (const r of raw[`${key}.rates`].split(/\s+/).filter(Boolean).map(Number)) {
		const k = (f) => `${key}.${r}.${f}`;
		const run = {
			offered: r,
			seconds: num(k('seconds')),
			achieved_tps: num(k('tps')),
			transactions: num(k('transactions')),
			events: num(k('events')),
			delivered: num(k('delivered')),
			received: num(k('received')),
			sink_requests: num(k('requests')),
			failed: num(k('failed')),
			load_s: num(k('load_ms')) / 1000,
			delivered_in_load: num(k('delivered_in_load')),
			max_backlog: num(k('max_backlog')),
			backlog_end: num(k('backlog_end')),
			p50_ms: num(k('p50')),
			p99_ms: num(k('p99')),
			max_ms: num(k('max')),
			min_ms: num(k('min')),
			schedule_lag_avg_ms: raw[k('schedule_lag_ms')] ? Number(raw[k('schedule_lag_ms')]) : null,
			schedule_lag_max_ms: raw[k('schedule_lag_max_ms')] ? Number(raw[k('schedule_lag_max_ms')]) : null,
			settle_ms: num(k('settle_ms')),
		};
		run.delivered_per_s = run.load_s > 0 ? run.delivered_in_load / run.load_s : NaN;
		run.checks = {
			kept_pace: run.achieved_tps >= KEPT_PACE * r,
			backlog_bounded: run.max_backlog < r,
			all_received: run.received === run.events && run.delivered === run.events,
			p99: run.p99_ms <= P99_MS,
		};
		run.ok = Object.values(run.checks).every(Boolean);
		if (run.failed > 0)
			problems.push(`rate ${r}: ${run.failed} deliveries failed`);
		if (num(k('no_commit_ts')) > 0)
			problems.push(`rate ${r}: rows without a commit timestamp`);
		if (run.received < run.delivered)
			problems.push(`rate ${r}: ${run.delivered} delivered but ${run.received} in the sink's log`);
		/* nginx's $msec has 1 ms resolution (truncated) */
		if (run.min_ms < -1)
			problems.push(`rate ${r}: negative latency ${run.min_ms} ms (clocks disagree)`);
		runs.push(run);
	}
	const ok = runs.filter((x) => x.ok);
	const sustainable = ok.length ? Math.max(...ok.map((x) => x.offered)) : 0;

	const int = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
	const ms = (v) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
	const why = (x) => {
		if (x.ok) return 'ok';
		const w = [];
		if (!x.checks.kept_pace) w.push('pgbench short');
		if (!x.checks.backlog_bounded) w.push('backlog >= 1 s');
		if (!x.checks.all_received) w.push(`${int(x.events - Math.min(x.received, x.delivered))} not received`);
		if (!x.checks.p99) w.push('p99 > 25 ms');
		return `no: ${w.join(', ')}`;
	};
	const header = ['offered/s', 'achieved/s', 'delivered/s', 'max backlog', 'backlog end',
		'p50 ms', 'p99 ms', 'max ms', 'ok?'];
	const rows = runs.map((x) => [int(x.offered), int(x.achieved_tps), int(x.delivered_per_s),
		int(x.max_backlog), int(x.backlog_end), ms(x.p50_ms), ms(x.p99_ms), ms(x.max_ms), why(x)]);
	const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
	const line = (r) => r.map((c, i) => (i < r.length - 1 ? c.padStart(widths[i]) : c)).join('  ');
	const lines = [];
	lines.push(`rate, ${procs} delivery process${procs > 1 ? 'es' : ''}: pgbench --rate INSERT runs of `
		+ `${runs.length ? runs[0].seconds : '?'} s, one notification to the nginx sink; `
		+ 'commit -> receipt = nginx arrival - commit timestamp');
	lines.push(line(header));
	lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
	for (const r of rows) lines.push(line(r));
	lines.push(`sustainable rate, ${procs} process${procs > 1 ? 'es' : ''}: ${int(sustainable)} events/s (highest offered rate with achieved >= 95 %, `
		+ 'max backlog < 1 s of events, every event received, p99 <= 25 ms)');
	return { runs, sustainable_rate: sustainable, problems, lines, processes: procs };
}

/*
 * readRaw(out): the key -> value map of OUTDIR/raw.tsv (one "key<TAB>value"
 * line per figure, as bench/run.sh writes them).
 */
function readRaw(out) {
	const raw = {};
	for (const line of fs.readFileSync(path.join(out, 'raw.tsv'), 'utf8').split('\n')) {
		if (!line) continue;
		const tab = line.indexOf('\t');
		raw[line.slice(0, tab)] = line.slice(tab + 1);
	}
	return raw;
}

module.exports = { rateCurve, readRaw };

if (require.main === module) {
	const out = process.argv[2];
	if (!out) {
		process.stderr.write('usage: node rate_curve.js OUTDIR\n');
		process.exit(2);
	}
	const raw = readRaw(out);
	const curves = ['rate', 'rate2'].map((k) => rateCurve(raw, k)).filter(Boolean);
	if (!curves.length) {
		process.stderr.write('no rate scenario in raw.tsv\n');
		process.exit(1);
	}
	let problems = 0;
	for (const c of curves) {
		for (const l of c.lines) process.stdout.write(l + '\n');
		for (const p of c.problems) process.stdout.write(`PROBLEM: ${p}\n`);
		problems += c.problems.length;
	}
	process.exit(problems ? 1 : 0);
}
