'use strict';
/*
 * bench/report.js
 *	  Turns what bench/run.sh measured into the printed table,
 *	  results.json and chart.png.
 *
 * Usage: node bench/report.js OUTDIR
 *
 * Reads OUTDIR/raw.tsv (key<TAB>value lines written by run.sh),
 * OUTDIR/keepup_<run>.csv (undelivered/delivered/captured once a second),
 * OUTDIR/memory_<drain>.csv (/proc/<worker>/status samples) and
 * OUTDIR/latency.csv (per event: seconds since the first commit, commit-to-
 * receipt latency in ms).  The rate scenario's curve and sustainable rate
 * come from bench/rate_curve.js.
 * Writes OUTDIR/table.txt, OUTDIR/results.json, OUTDIR/chart.png (gnuplot).
 *
 * Exit status: 0 all targets met (or quick mode, where targets are shown
 * but not judged), 3 a target not met, 1 a figure is missing or a
 * correctness check failed (events lost, failed deliveries).
 */
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { rateCurve, readRaw } = require('./rate_curve.js');

const out = process.argv[2];
if (!out) {
	process.stderr.write('usage: node report.js OUTDIR\n');
	process.exit(2);
}

/* ---- inputs ---- */
const raw = readRaw(out);
const problems = [];
function num(key) {
	const v = raw[key];
	if (v === undefined || v === '' || Number.isNaN(Number(v))) {
		problems.push(`missing figure ${key}`);
		return NaN;
	}
	return Number(v);
}
function optnum(key) {
	const v = raw[key];
	return v === undefined || v === '' ? null : Number(v);
}
function csv(file) {
	const p = path.join(out, file);
	if (!fs.existsSync(p)) return [];
	return fs.readFileSync(p, 'utf8').split('\n')
		.filter((l) => /^\d/.test(l))
		.map((l) => l.split(',').map(Number));
}

const quick = raw['meta.mode'] === 'quick';

/* ---- formatting ---- */
const fmtInt = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const fmt1 = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const fmt2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const mb = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1048576).toFixed(1)} MB` : 'n/a');

/* ---- capture ---- */
const runs = {};
for (const name of ['insert_base', 'insert_1', 'insert_10', 'update_base', 'update_1', 'update_10',
	'insert_1_paused', 'update_1_paused', 'insert_10_paused', 'update_10_paused']) {
	if (raw[`capture.${name}.tps`] === undefined) continue;
	const r = {
		tps: num(`capture.${name}.tps`),
		transactions: num(`capture.${name}.transactions`),
		latency_avg_ms: optnum(`capture.${name}.latency_ms`),
		events: num(`capture.${name}.events`),
		definitions: raw[`capture.${name}.definitions`],
		worker: raw[`capture.${name}.worker`],
		outbox_seq_scans: optnum(`capture.${name}.outbox_seq_scans`),
		outbox_seq_tup_read: optnum(`capture.${name}.outbox_seq_tup_read`),
		cpu_worker_s: optnum(`capture.${name}.cpu_worker_s`),
		cpu_machine_busy_s: optnum(`capture.${name}.cpu_busy_s`),
	};
	const t0 = num(`capture.${name}.load_start_ms`);
	const t1 = num(`capture.${name}.load_end_ms`);
	r.load_seconds = (t1 - t0) / 1000;
	if (raw[`capture.${name}.delivered_in_load`] !== undefined) {
		/* keep-up: samples taken while pgbench ran */
		const samples = csv(`keepup_${name}.csv`);
		/* from the last sample taken as the load started (or the first one) to
		 * the last one taken while it ran */
		const before = samples.filter((s) => s[0] <= t0 + 200);
		const from = before.length ? before[before.length - 1][0] : (samples.length ? samples[0][0] : t0);
		const during = samples.filter((s) => s[0] >= from && s[0] <= t1 + 500);
		const und = during.map((s) => s[1]);
		const lastDelivered = optnum(`capture.${name}.last_delivered_ms`) || NaN;
		r.keepup = {
			samples: during.length,
			undelivered_start: und.length ? und[0] : null,
			undelivered_max: und.length ? Math.max(...und) : null,
			undelivered_end: und.length ? und[und.length - 1] : null,
			captured_per_s: r.events / r.load_seconds,
			delivered_in_load: num(`capture.${name}.delivered_in_load`),
			delivered_per_s: num(`capture.${name}.delivered_in_load`) / r.load_seconds,
			delivered_total: num(`capture.${name}.delivered_total`),
			last_delivery_after_load_ms: lastDelivered - t1,
			undelivered_after_settle: num(`capture.${name}.undelivered_end`),
			failed: num(`capture.${name}.failed`),
			series: samples.map((s) => ({ t_s: (s[0] - t0) / 1000, undelivered: s[1], delivered: s[2], captured: s[3] })),
		};
		if (r.keepup.failed > 0)
			problems.push(`${name}: ${r.keepup.failed} deliveries failed`);
	}
	runs[name] = r;
}

/* ---- drains and memory ---- */
const drains = {};
for (const name of ['small', 'two', 'large']) {
	const d = {
		events: num(`drain.${name}.events`),
		delivered: num(`drain.${name}.delivered`),
		failed: num(`drain.${name}.failed`),
		undelivered: num(`drain.${name}.undelivered`),
		sink_requests: num(`drain.${name}.sink_requests`),
		max_attempts: num(`drain.${name}.max_attempts`),
		first_batch: num(`drain.${name}.first_batch`),
		span_ms: num(`drain.${name}.span_ms`),
		build_ms: num(`drain.${name}.build_ms`),
		outbox_bytes_backlog: num(`drain.${name}.outbox_bytes_backlog`),
		outbox_bytes_drained: num(`drain.${name}.outbox_bytes_drained`),
		outbox_seq_scans: optnum(`drain.${name}.outbox_seq_scans`),
		cpu: {
			interval_s: num(`drain.${name}.cpu_interval_ms`) / 1000,
			worker_s: num(`drain.${name}.cpu_worker_s`),
			nginx_s: num(`drain.${name}.cpu_nginx_s`),
			machine_busy_s: num(`drain.${name}.cpu_busy_s`),
		},
		outbox_seq_tup_read: optnum(`drain.${name}.outbox_seq_tup_read`),
	};
	d.rate = (d.delivered - d.first_batch) / (d.span_ms / 1000);
	const wstart = num(`drain.${name}.worker_start_ms`);
	d.worker_start_to_first_ms = num(`drain.${name}.first_ms`) - wstart;
	d.wall_rate_from_worker_start = d.delivered / ((num(`drain.${name}.last_ms`) - wstart) / 1000);
	const mem = csv(`memory_${name}.csv`);
	d.memory = {
		samples: mem.length,
		rss_anon_max_kb: mem.length ? Math.max(...mem.map((m) => m[1])) : NaN,
		rss_shmem_max_kb: mem.length ? Math.max(...mem.map((m) => m[3])) : NaN,
		vm_rss_max_kb: mem.length ? Math.max(...mem.map((m) => m[4])) : NaN,
		vm_hwm_kb: mem.length ? mem[mem.length - 1][5] : NaN,
	};
	if (!mem.length) problems.push(`drain ${name}: no memory samples`);
	d.complete = d.delivered === d.events;
	if (d.failed > 0) problems.push(`drain ${name}: ${d.failed} failed`);
	drains[name] = d;
}

const retention = {
	rows_before: num('retention.rows_before'),
	bytes_before: num('retention.bytes_before'),
	purge_wait_ms: num('retention.purge_wait_ms'),
	rows_after: num('retention.rows_after'),
	bytes_after_purge: num('retention.bytes_after_purge'),
	heap_bytes_after_purge: num('retention.heap_bytes_after_purge'),
	bytes_after_vacuum: optnum('retention.bytes_after_vacuum'),
	heap_bytes_after_vacuum: optnum('retention.heap_bytes_after_vacuum'),
	vacuum_wait_ms: optnum('retention.vacuum_wait_ms'),
	dead_after_vacuum: optnum('retention.dead_after_vacuum'),
};

/* ---- latency ---- */
const latency = {
	offered_rate: num('latency.rate'),
	seconds: num('latency.seconds'),
	pgbench_tps: num('latency.tps'),
	transactions: num('latency.transactions'),
	events: num('latency.events'),
	received: num('latency.received'),
	requests: num('latency.requests'),
	min_ms: num('latency.min'),
	p50_ms: num('latency.p50'),
	p90_ms: num('latency.p90'),
	p99_ms: num('latency.p99'),
	p999_ms: num('latency.p999'),
	max_ms: num('latency.max'),
	from_txn_start_p50_ms: num('latency.start_p50'),
	from_txn_start_p99_ms: num('latency.start_p99'),
	first_event_after_worker_start_ms: num('latency.warmup_ms'),
	pgbench_latency_avg_ms: optnum('latency.pgbench_latency_ms'),
	schedule_lag_avg_ms: optnum('latency.schedule_lag_ms'),
};
/* latency over the run: first and last third */
{
	const series = csv('latency.csv');
	const span = series.length ? series[series.length - 1][0] : 0;
	const pct = (arr, p) => {
		if (!arr.length) return NaN;
		const s = arr.slice().sort((a, b) => a - b);
		return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
	};
	const first = series.filter((e) => e[0] < span / 3).map((e) => e[1]);
	const last = series.filter((e) => e[0] >= 2 * span / 3).map((e) => e[1]);
	latency.first_third = { p50_ms: pct(first, 0.5), p99_ms: pct(first, 0.99) };
	latency.last_third = { p50_ms: pct(last, 0.5), p99_ms: pct(last, 0.99) };
	latency.outbox_seq_scans = optnum('latency.outbox_seq_scans');
	latency.outbox_seq_tup_read = optnum('latency.outbox_seq_tup_read');
}
if (latency.received !== latency.events)
	problems.push(`latency: ${latency.received} of ${latency.events} events received`);
if (num('latency.no_commit_ts') > 0)
	problems.push('latency: rows without a commit timestamp');
if (latency.min_ms < 0)
	problems.push(`latency: negative latency ${latency.min_ms} ms (clocks disagree)`);

/* ---- targets ---- */
const NOISE = 0.03;				/* "no worse": within 3 % (run-to-run noise) */
const targets = [];
function atLeast(name, value, target, unit, baseline, targetText) {
	const met = value >= target;
	const margin = (value / target - 1) * 100;
	targets.push({ name, value, target, unit, baseline, target_text: targetText, met,
		margin_pct: margin });
}
function atMost(name, value, target, unit, baseline, targetText) {
	const met = value <= target;
	const margin = (1 - value / target) * 100;
	targets.push({ name, value, target, unit, baseline, target_text: targetText, met,
		margin_pct: margin });
}

const rows = [];				/* printed lines: [scenario, measured, baseline, target, verdict] */
function verdict(t) {
	if (!Number.isFinite(t.value)) return 'not measured';
	const how = `${Math.abs(t.margin_pct).toFixed(1)}%`;
	return t.met ? `met (${how} margin)` : `NOT met (short by ${how})`;
}
function addTargetRow(scenario, measured, baseline, t) {
	rows.push([scenario, measured, baseline, t.target_text, verdict(t)]);
}
function addInfoRow(scenario, measured, baseline, note) {
	rows.push([scenario, measured, baseline || '', note || '', 'info']);
}

for (const stmt of ['insert', 'update']) {
	const S = stmt.toUpperCase();
	const base = runs[`${stmt}_base`];
	const one = runs[`${stmt}_1`];
	const ten = runs[`${stmt}_10`];
	if (!base || !one || !ten) {
		problems.push(`capture ${stmt}: a run is missing`);
		continue;
	}
	const r1 = one.tps / base.tps;
	atLeast(`capture_${stmt}_1`, r1, 0.75, 'x baseline', base.tps, '>= 0.75x baseline');
	addTargetRow(`capture ${S}, 1 def`, `${fmtInt(one.tps)} tps = ${fmt2(r1)}x`,
		`${fmtInt(base.tps)} tps`, targets[targets.length - 1]);
	const r10 = ten.tps / one.tps;
	atLeast(`capture_${stmt}_10`, r10, 1 - NOISE, 'x 1-def', one.tps, '>= 1-def tps (-3% noise)');
	addTargetRow(`capture ${S}, 10 defs`, `${fmtInt(ten.tps)} tps = ${fmt2(r10)}x 1-def`,
		`${fmtInt(base.tps)} tps`, targets[targets.length - 1]);
	const paused = runs[`${stmt}_1_paused`];
	const paused10 = runs[`${stmt}_10_paused`];
	if (paused && paused10)
		addInfoRow(`  worker paused: 1 / 10 defs`, `${fmtInt(paused.tps)} / ${fmtInt(paused10.tps)} tps`,
			`${fmt2(paused.tps / base.tps)}x / ${fmt2(paused10.tps / base.tps)}x`, 'trigger cost alone, no delivery');
}

for (const stmt of ['insert', 'update']) {
	const one = runs[`${stmt}_1`];
	if (!one || !one.keepup) continue;
	const k = one.keepup;
	/* bounded: at the end of the load, delivery lags capture by under 1 s */
	atMost(`keepup_${stmt}`, k.undelivered_end, Math.max(k.captured_per_s, 1), 'events',
		null, '<= 1 s of captures');
	addTargetRow(`keep-up ${stmt.toUpperCase()}: undelivered`,
		`${fmtInt(k.undelivered_start)}/${fmtInt(k.undelivered_max)}/${fmtInt(k.undelivered_end)} start/max/end`,
		`${fmtInt(k.captured_per_s)} captured/s`, targets[targets.length - 1]);
	addInfoRow(`  delivered while loading`, `${fmtInt(k.delivered_per_s)}/s`,
		`${fmtInt(k.captured_per_s)} captured/s`,
		k.undelivered_after_settle > 0
			? `${fmtInt(k.undelivered_after_settle)} left ${fmt1(num(`capture.${stmt}_1.settle_ms`) / 1000)} s after load`
			: `last delivery ${fmtInt(k.last_delivery_after_load_ms)} ms after load`);
	addInfoRow('  worker during the load', `CPU ${Math.round(100 * one.cpu_worker_s / one.load_seconds)}% of a core`,
		`machine ${Math.round(100 * one.cpu_machine_busy_s / one.load_seconds)}%`,
		`outbox seq scans ${fmtInt(one.outbox_seq_scans)}, ${fmtInt(one.outbox_seq_tup_read)} rows`);
}

const small = drains.small;
const two = drains.two;
const large = drains.large;
/* the drain target: the better of one and two delivery processes */
const bestDrain = Math.max(small.rate, two.rate);
atLeast('drain', bestDrain, 30000, 'events/s', null, '>= 30,000 events/s');
addTargetRow(`drain ${fmtInt(small.events)} backlog`,
	`${fmtInt(bestDrain)} events/s (${two.rate > small.rate ? '2 processes' : '1 process'})`,
	small.complete ? '' : `only ${fmtInt(small.delivered)} delivered`, targets[targets.length - 1]);
addInfoRow('  1 vs 2 delivery processes', `${fmtInt(small.rate)} / ${fmtInt(two.rate)} events/s`,
	`${fmt2(two.rate / small.rate)}x`,
	two.complete ? 'same backlog, lanes divided' : `2 processes: only ${fmtInt(two.delivered)} delivered`);
/* worker CPU per delivered event over the drain (/proc/<pid>/stat) */
const usPerEvent = (d) => (d.delivered > 0 ? d.cpu.worker_s * 1e6 / d.delivered : NaN);
small.cpu_us_per_event = usPerEvent(small);
two.cpu_us_per_event = usPerEvent(two);
large.cpu_us_per_event = usPerEvent(large);
atMost('cpu_per_event', small.cpu_us_per_event, 20, 'us', null, '<= 20 us worker CPU per event');
addTargetRow('  delivery cost (small drain)', `${fmt1(small.cpu_us_per_event)} us worker CPU per event`,
	`large: ${fmt1(large.cpu_us_per_event)} us`, targets[targets.length - 1]);
addInfoRow('  delivery cost, 2 processes', `${fmt1(two.cpu_us_per_event)} us CPU per event`, '',
	'both processes together');
for (const [n, d] of [['small', small], ['two-process', two], ['large', large]]) {
	const c = d.cpu;
	addInfoRow(`  CPU during ${n} drain`, `worker ${Math.round(100 * c.worker_s / c.interval_s)}%, nginx ${Math.round(100 * c.nginx_s / c.interval_s)}%`,
		`of one core`, `machine busy ${Math.round(100 * c.machine_busy_s / c.interval_s)}% of 1 core (${raw['meta.cores']} cores)`);
}
for (const name of ['single', 'batched']) {
	const delivered = num(`sqs.${name}.delivered`);
	const span = num(`sqs.${name}.span_ms`);
	const rate = span > 0 ? (delivered - num(`sqs.${name}.first_batch`)) / (span / 1000) : 0;
	if (num(`sqs.${name}.failed`) > 0) problems.push(`sqs ${name}: ${num(`sqs.${name}.failed`)} failed`);
	addInfoRow(`  sqs ${name === 'single' ? 'SendMessage' : 'SendMessageBatch'} (local-aws-sqs)`,
		`${fmtInt(rate)} events/s`, `${fmtInt(delivered)} of ${fmtInt(num(`sqs.${name}.events`))}`,
		name === 'single' ? 'one event per lane, in parallel' : 'one lane, batches of 10');
}
addInfoRow('  worker start -> first delivery', `${fmtInt(small.worker_start_to_first_ms)} ms`, '',
	`${fmtInt(small.wall_rate_from_worker_start)}/s incl. start`);
const scaleRatio = large.rate / small.rate;
atLeast('scale', scaleRatio, 0.9, 'x small-backlog rate', small.rate, '>= 0.90x small backlog');
addTargetRow(`scale ${fmtInt(large.events)} backlog`, `${fmtInt(large.rate)} events/s = ${fmt2(scaleRatio)}x`,
	`${fmtInt(small.rate)} events/s`, targets[targets.length - 1]);
if (!large.complete)
	addInfoRow('  incomplete', `${fmtInt(large.delivered)} of ${fmtInt(large.events)} delivered`, '', '');
addInfoRow('  outbox seq scans (drains)', `${fmtInt(small.outbox_seq_scans)} / ${fmtInt(large.outbox_seq_scans)}`,
	'small / large', `${fmtInt(large.outbox_seq_tup_read)} rows read (large)`);
addInfoRow(`  outbox, ${fmtInt(retention.rows_before)} delivered rows`, mb(retention.bytes_before), '',
	`backlog ${mb(large.outbox_bytes_backlog)}`);
addInfoRow('  outbox after purge (~10 s)', `${mb(retention.bytes_after_purge)}, ${fmtInt(retention.rows_after)} rows`,
	'', `purged in ${fmt1(retention.purge_wait_ms / 1000)} s`);
if (retention.bytes_after_vacuum !== null) {
	atMost('retention', retention.bytes_after_vacuum, retention.bytes_before * 0.10, 'bytes',
		retention.bytes_before, '<= 10% of full size');
	addTargetRow('  outbox after autovacuum', `${mb(retention.bytes_after_vacuum)} (heap ${mb(retention.heap_bytes_after_vacuum)})`,
		mb(retention.bytes_before), targets[targets.length - 1]);
} else {
	addInfoRow('  outbox after autovacuum', 'not waited for (quick)', '', '');
}

const memMaxKb = Math.max(small.memory.rss_anon_max_kb, large.memory.rss_anon_max_kb);
atMost('memory', memMaxKb / 1024, 64, 'MB', null, '< 64 MB RssAnon');
addTargetRow('memory: worker RssAnon max', `${fmt1(small.memory.rss_anon_max_kb / 1024)} / ${fmt1(large.memory.rss_anon_max_kb / 1024)} MB`,
	'small / large', targets[targets.length - 1]);
addInfoRow('  VmHWM (incl. shared buffers)', `${fmt1(small.memory.vm_hwm_kb / 1024)} / ${fmt1(large.memory.vm_hwm_kb / 1024)} MB`,
	'', `RssShmem max ${fmt1(large.memory.rss_shmem_max_kb / 1024)} MB`);

atMost('latency_p50', latency.p50_ms, 5, 'ms', null, '<= 5 ms');
addTargetRow(`latency p50 @${fmtInt(latency.offered_rate)}/s`, `${fmt2(latency.p50_ms)} ms`,
	`${fmtInt(latency.received)} events`, targets[targets.length - 1]);
atMost('latency_p99', latency.p99_ms, 25, 'ms', null, '<= 25 ms');
addTargetRow('latency p99', `${fmt2(latency.p99_ms)} ms`, `${fmtInt(latency.pgbench_tps)} tps done`,
	targets[targets.length - 1]);
addInfoRow('  first / last third of the run', `p50 ${fmt2(latency.first_third.p50_ms)} / ${fmt2(latency.last_third.p50_ms)} ms`,
	'', `p99 ${fmt2(latency.first_third.p99_ms)} / ${fmt2(latency.last_third.p99_ms)} ms; outbox seq scans ${fmtInt(latency.outbox_seq_scans)}`);
addInfoRow('  first event after worker start', `${fmt2(num('latency.warmup_ms'))} ms`, '', 'warm-up event, not in the percentiles');
addInfoRow('  p90 / p99.9 / max', `${fmt2(latency.p90_ms)} / ${fmt2(latency.p999_ms)} / ${fmt2(latency.max_ms)} ms`,
	'', `from txn start: p50 ${fmt2(latency.from_txn_start_p50_ms)}, p99 ${fmt2(latency.from_txn_start_p99_ms)}`);

/* S3 ingest (info: no target); absent in older raw files */
if (raw['ingest.queue.events'] !== undefined) {
	const scanMs = num('ingest.scan.ms');
	const scanObjects = num('ingest.scan.objects');
	const queueMs = num('ingest.queue.ms');
	const applied = num('ingest.queue.applied');
	if (scanObjects < num('ingest.scan.bucket_objects')) problems.push(`ingest scan: ${scanObjects} of ${raw['ingest.scan.bucket_objects']} objects`);
	if (applied < num('ingest.queue.events')) problems.push(`ingest queue: ${applied} of ${raw['ingest.queue.events']} events applied`);
	addInfoRow(`ingest scan ${fmtInt(num('ingest.scan.bucket_objects'))} objects`,
		`${fmtInt(scanMs > 0 ? scanObjects / (scanMs / 1000) : 0)} objects/s`,
		`${fmt1(scanMs / 1000)} s`, `poller RssAnon ${fmt1(num('ingest.scan.rss_anon_kb') / 1024)} MB at its end`);
	addInfoRow(`ingest ${fmtInt(num('ingest.queue.events'))} queued S3 events`,
		`${fmtInt(queueMs > 0 ? applied / (queueMs / 1000) : 0)} events/s`,
		`${fmtInt(applied)} applied`, `poller RssAnon ${fmt1(num('ingest.queue.rss_anon_kb') / 1024)} MB; s3rver, local-aws-sqs`);
}

/* isolation: the receiver's notification beside a failing endpoint; its
 * commit -> receipt p99 within 2x of the latency run's (solo) */
for (const [name, what] of [['hung', 'hangs'], ['refused', 'refuses connections'], ['status500', 'answers 500']]) {
	if (raw[`isolation.${name}.p99`] === undefined) continue;
	const p99 = num(`isolation.${name}.p99`);
	const received = num(`isolation.${name}.received`);
	const events = num(`isolation.${name}.events`);
	if (received !== events)
		problems.push(`isolation ${name}: ${received} of ${events} events received`);
	atMost(`isolation_${name}`, p99, 2 * latency.p99_ms, 'ms', latency.p99_ms, '<= 2x solo p99');
	addTargetRow(`isolation: other endpoint ${what}, p99`, `${fmt2(p99)} ms (p50 ${fmt2(num(`isolation.${name}.p50`))})`,
		`solo ${fmt2(latency.p99_ms)} ms`, targets[targets.length - 1]);
	addInfoRow('  the failing notification', `${fmtInt(num(`isolation.${name}.bad_attempts`))} attempts for ${fmtInt(num(`isolation.${name}.bad_events`))} events`,
		'', `breakers not closed at the end: ${raw[`isolation.${name}.breaker`] || 'none'}`);
}

/* synchronous notification (info: no target); absent in older raw files */
if (raw['sync.insert.tps'] !== undefined) {
	const base = runs.insert_base;
	const st = num('sync.insert.tps');
	addInfoRow('sync INSERT, 1 synchronous def', `${fmtInt(st)} tps`,
		base ? `${fmtInt(base.tps)} tps = ${fmt2(st / base.tps)}x` : '',
		`latency ${fmt2(num('sync.insert.latency_ms'))} ms; each commit waits for the sink's answer`);
}

/* capture at synchronous_commit = on (info); absent in older raw files */
for (const st of ['insert', 'update']) {
	if (raw[`capture.commit_${st}_base.tps`] === undefined) continue;
	const b = num(`capture.commit_${st}_base.tps`);
	const ws = num(`capture.commit_${st}_1_wsync.tps`);
	const wa = num(`capture.commit_${st}_1.tps`);
	addInfoRow(`capture ${st.toUpperCase()} at synchronous_commit = on, 1 def`,
		`${fmtInt(wa)} tps = ${fmt2(wa / b)}x`, `${fmtInt(b)} tps`,
		`worker commits synchronous (worker_synchronous_commit = on): ${fmtInt(ws)} tps = ${fmt2(ws / b)}x`);
}

/* sustainable rate: the highest offered rate sustained (bench/rate_curve.js);
 * absent in older raw files */
/* the target takes the better of one and two delivery processes */
const rateCurves = ['rate', 'rate2'].map((k) => rateCurve(raw, k)).filter(Boolean);
const rate = rateCurves.length
	? rateCurves.reduce((a, b) => (b.sustainable_rate > a.sustainable_rate ? b : a)) : null;
if (rate) {
	for (const c of rateCurves) problems.push(...c.problems);
	atLeast('sustainable_rate', rate.sustainable_rate, 20000, 'events/s', null, '>= 20,000 events/s');
	const best = rate.runs.find((x) => x.offered === rate.sustainable_rate);
	addTargetRow('sustainable rate (pgbench --rate)',
		`${fmtInt(rate.sustainable_rate)} events/s (${rate.processes} process${rate.processes > 1 ? 'es' : ''})`,
		best ? `p99 ${fmt2(best.p99_ms)} ms, max backlog ${fmtInt(best.max_backlog)}` : 'no rate sustained',
		targets[targets.length - 1]);
	if (rateCurves.length > 1)
		addInfoRow('  1 vs 2 delivery processes', rateCurves.map((c) => fmtInt(c.sustainable_rate)).join(' / ') + ' events/s',
			'', 'sustainable rate of each curve');
}

/* ---- print ---- */
const header = ['scenario', 'measured', 'baseline / ref', 'target', 'result'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
const lines = [];
lines.push(`notify_ext benchmark (${raw['meta.mode']}): ${raw['meta.cores']} cores (${raw['meta.cpu']}), PostgreSQL ${raw['meta.postgres']}`);
lines.push(`pgbench -c ${raw['meta.clients']} -j ${raw['meta.threads']} -M prepared, ${raw['meta.capture_seconds']} s per capture run; synchronous_commit = off in every run;`);
lines.push(`shared_buffers ${raw['meta.shared_buffers']}; notify_ext defaults: batch_size ${raw['meta.batch_size']}, max_inflight ${raw['meta.max_inflight']}, max_host_connections ${raw['meta.max_host_connections']}`);
lines.push(`commit ${raw['meta.commit']} (${raw['meta.worktree']}); load average ${raw['meta.loadavg_start']} at start, ${raw['meta.loadavg_end']} at end`);
lines.push('');
lines.push(line(header));
lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) lines.push(line(r));
lines.push('');
for (const c of rateCurves) {
	for (const l of c.lines) lines.push(l);
	lines.push('');
}
lines.push('latency = receiver arrival time (test/peers/receiver.js) - commit timestamp of the inserting');
lines.push('transaction (track_commit_timestamp, latency, isolation and rate runs only); same host clock.');
const unmet = targets.filter((t) => !t.met);
if (quick)
	lines.push('quick mode: tiny counts, targets shown but not judged.');
else
	lines.push(`${targets.length - unmet.length} of ${targets.length} targets met.`);
for (const p of problems) lines.push(`PROBLEM: ${p}`);
const text = lines.join('\n') + '\n';
process.stdout.write('\n' + text);
fs.writeFileSync(path.join(out, 'table.txt'), text);

/* ---- results.json ---- */
const meta = {};
for (const [k, v] of Object.entries(raw))
	if (k.startsWith('meta.')) meta[k.slice(5)] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
meta.synchronous_commit = 'off';
const results = {
	generated_at: new Date().toISOString(),
	meta,
	capture: runs,
	drain: drains,
	retention,
	latency,
	rate: rate ? { runs: rate.runs, sustainable_rate: rate.sustainable_rate, processes: rate.processes } : null,
	rate_curves: rateCurves.map((c) => ({ processes: c.processes, runs: c.runs, sustainable_rate: c.sustainable_rate })),
	targets,
	targets_judged: !quick,
	all_targets_met: unmet.length === 0,
	problems,
	raw,
};
fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');

/* ---- chart ---- */
function chart() {
	const capDat = [];
	for (const [name, label] of [['insert_base', 'INSERT\\nno trig.'], ['insert_1', 'INSERT\\n1 def'],
		['insert_10', 'INSERT\\n10 defs'], ['update_base', 'UPDATE\\nno trig.'],
		['update_1', 'UPDATE\\n1 def'], ['update_10', 'UPDATE\\n10 defs']]) {
		if (runs[name]) capDat.push(`"${label}" ${runs[name].tps.toFixed(1)}`);
	}
	fs.writeFileSync(path.join(out, 'capture.dat'), capDat.join('\n') + '\n');
	fs.writeFileSync(path.join(out, 'drain.dat'),
		`"${fmtInt(small.events)}\\nbacklog" ${small.rate.toFixed(1)}\n"${fmtInt(large.events)}\\nbacklog" ${large.rate.toFixed(1)}\n`);
	fs.writeFileSync(path.join(out, 'latency.dat'),
		[['p50', latency.p50_ms], ['p90', latency.p90_ms], ['p99', latency.p99_ms],
			['p99.9', latency.p999_ms], ['max', latency.max_ms]]
			.map(([l, v]) => `"${l}" ${Number(v).toFixed(3)}`).join('\n') + '\n');
	const gp = `
set terminal pngcairo size 1500,540 font "sans,10" noenhanced
set output "${path.join(out, 'chart.png')}"
set multiplot layout 1,3 title "notify_ext benchmark (${raw['meta.mode']}, ${raw['meta.cores']} cores, synchronous_commit=off)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set grid ytics
set bmargin 5
set offsets 0, 0, graph 0.08, 0
set yrange [0:*]
unset key
set title "capture: pgbench tps (-c ${raw['meta.clients']} -j ${raw['meta.threads']}, worker on)"
set ylabel "transactions/s"
plot "${path.join(out, 'capture.dat')}" using 2:xtic(1) lc rgb "#4477aa", \\
     "" using 0:2:(sprintf("%.0f",$2)) with labels offset 0,0.8
set title "drain to nginx: events/s (target 30,000)"
set ylabel "events/s"
set yrange [0:35000<*]
plot "${path.join(out, 'drain.dat')}" using 2:xtic(1) lc rgb "#228833", \\
     "" using 0:2:(sprintf("%.0f",$2)) with labels offset 0,0.8, \\
     30000 with lines lc rgb "red" dt 2
set title "latency commit -> receipt at ${fmtInt(latency.offered_rate)}/s (targets p50 5, p99 25 ms)"
set ylabel "ms"
set logscale y
set yrange [0.1:*]
plot "${path.join(out, 'latency.dat')}" using 2:xtic(1) lc rgb "#aa3377", \\
     "" using 0:2:(sprintf("%.2f",$2)) with labels offset 0,0.8, \\
     5 with lines lc rgb "orange" dt 2, 25 with lines lc rgb "red" dt 2
unset multiplot
`;
	const gpFile = path.join(out, 'chart.gp');
	fs.writeFileSync(gpFile, gp);
	try {
		execFileSync('gnuplot', [gpFile], { stdio: ['ignore', 'ignore', 'pipe'] });
		process.stdout.write(`chart: ${path.join(out, 'chart.png')}\n`);
	} catch (e) {
		process.stderr.write(`warning: gnuplot failed: ${e.stderr ? e.stderr.toString() : e.message}\n`);
	}
}
if (!problems.some((p) => p.startsWith('missing')))
	chart();
process.stdout.write(`results: ${path.join(out, 'results.json')}\n`);

if (problems.length) process.exit(1);
if (!quick && unmet.length) process.exit(3);
process.exit(0);
