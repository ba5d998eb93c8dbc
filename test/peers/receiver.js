'use strict';
/*
 * receiver.js
 *	  HTTP receiver for the TAP tests: logs every request, answers by path.
 *
 * Usage: node test/peers/receiver.js PORT LOGFILE [--max-seconds N]
 *			[--webhook-secret SECRET]...
 *
 * Binds 127.0.0.1:PORT (0 picks a free port), prints "ready <port>" once
 * listening, and appends one JSON line per request to LOGFILE, written
 * before the answer is sent:
 *	{"t": arrival time in ms (performance.timeOrigin + performance.now()),
 *	 "m": method, "u": url, "h": headers (lower-case names),
 *	 "b": body in base64, byte-exact,
 *	 "w": with --webhook-secret, one entry per secret in the order given:
 *		  "verified" or "rejected: <reason>", as the standardwebhooks
 *		  package's Webhook(secret).verify(body, headers) decides, the way
 *		  a receiver of signed webhooks checks each request,
 *	 "p": the client's port (one per connection: keep-alive shows as
 *	      requests with the same port)}
 *
 * Answers (path prefixes; counters are per exact path, query excluded):
 *	/ok*, /hook*		204
 *	/status/NNN*		status NNN (a 3xx carries Location: /ok)
 *	/slow/MS*			204 after MS milliseconds
 *	/slow/MS/NNN*		status NNN after MS milliseconds (body "status NNN")
 *	/flaky/N/*			500 for the first N requests, then 204
 *	/retry-after/S/*	first request 503 with Retry-After: S (URL-decoded,
 *						so an HTTP date works too), then 204
 *	/auth*				204 with Basic user:secret, else 401
 *	/body/TEXT*			200 with the body TEXT (URL-decoded, up to the next
 *						'/'), as text/plain
 *	GET /_stats			{"count": requests logged so far} (not logged)
 *	anything else		404
 *
 * Stops by itself after --max-seconds (default 600), and on SIGTERM or
 * SIGINT.  Keep-alive is node's default.  Needs no npm package but
 * standardwebhooks with --webhook-secret (test/peers/package.json).
 */
const http = require('http');
const fs = require('fs');
const { performance } = require('perf_hooks');

function usage() {
	process.stderr.write('usage: node receiver.js PORT LOGFILE [--max-seconds N]\n');
	process.exit(2);
}

const positional = [];
let maxSeconds = 600;
const webhookSecrets = [];
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i];
	if (a === '--webhook-secret')
		webhookSecrets.push(process.argv[++i]);
	else if (a === '--max-seconds')
		maxSeconds = Number(process.argv[++i]);
	else if (a.startsWith('--max-seconds='))
		maxSeconds = Number(a.slice('--max-seconds='.length));
	else
		positional.push(a);
}
if (positional.length !== 2 || !/^\d+$/.test(positional[0]) ||
	!(maxSeconds > 0))
	usage();

const port = Number(positional[0]);
const logFd = fs.openSync(positional[1], 'a');
const expectedAuth = 'Basic ' + Buffer.from('user:secret').toString('base64');
const verifiers = webhookSecrets.map((s) => {
	const { Webhook } = require('standardwebhooks');
	return new Webhook(s);
});
const hits = new Map();			/* exact path -> requests seen */
let count = 0;

function bump(path) {
	const n = (hits.get(path) || 0) + 1;
	hits.set(path, n);
	return n;
}

function answer(req, res, path) {
	let m;

	if (path.startsWith('/ok') || path.startsWith('/hook')) {
		res.writeHead(204);
		return res.end();
	}
	if ((m = /^\/status\/(\d{3})/.exec(path))) {
		const code = Number(m[1]);
		const headers = (code >= 300 && code < 400) ? { Location: '/ok' } : {};
		if (code < 200 || code > 599) {
			res.writeHead(400);
			return res.end('status out of range');
		}
		res.writeHead(code, headers);
		return res.end(code === 204 || code === 304 ? undefined : `status ${code}`);
	}
	if ((m = /^\/slow\/(\d+)(?:\/([2-5]\d\d))?/.exec(path))) {
		const code = m[2] ? Number(m[2]) : 204;
		const timer = setTimeout(() => {
			res.writeHead(code);
			res.end(code === 204 ? undefined : `status ${code}`);
		}, Number(m[1]));
		res.on('close', () => clearTimeout(timer));
		return undefined;
	}
	if ((m = /^\/flaky\/(\d+)\//.exec(path))) {
		if (bump(path) <= Number(m[1])) {
			res.writeHead(500);
			return res.end('flaky failure');
		}
		res.writeHead(204);
		return res.end();
	}
	if ((m = /^\/retry-after\/([^/]+)\//.exec(path))) {
		if (bump(path) === 1) {
			res.writeHead(503, { 'Retry-After': decodeURIComponent(m[1]) });
			return res.end('try again later');
		}
		res.writeHead(204);
		return res.end();
	}
	if ((m = /^\/body\/([^/]*)/.exec(path))) {
		res.writeHead(200, { 'Content-Type': 'text/plain' });
		return res.end(decodeURIComponent(m[1]));
	}
	if (path.startsWith('/auth')) {
		if (req.headers.authorization === expectedAuth) {
			res.writeHead(204);
			return res.end();
		}
		res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="notify"' });
		return res.end('unauthorized');
	}
	res.writeHead(404);
	return res.end('not found');
}

const server = http.createServer((req, res) => {
	const t = performance.timeOrigin + performance.now();
	const path = req.url.split('?')[0];

	if (req.method === 'GET' && path === '/_stats') {
		res.writeHead(200, { 'Content-Type': 'application/json' });
		return res.end(JSON.stringify({ count }));
	}

	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks);

		count++;
		const entry = {
			t, m: req.method, u: req.url, h: req.headers, p: req.socket.remotePort,
			b: body.toString('base64'),
		};
		if (verifiers.length > 0)
			entry.w = verifiers.map((v) => {
				try {
					v.verify(body, req.headers);
					return 'verified';
				} catch (e) {
					return `rejected: ${e.message}`;
				}
			});
		fs.writeSync(logFd, JSON.stringify(entry) + '\n');
		answer(req, res, path);
	});
	return undefined;
});

let stopping = false;
function stop(code) {
	if (stopping)
		return;
	stopping = true;
	server.close();
	if (server.closeAllConnections)
		server.closeAllConnections();
	try {
		fs.closeSync(logFd);
	} catch (e) {
		/* already closed */
	}
	process.exit(code);
}

process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
setTimeout(() => stop(0), maxSeconds * 1000);

server.on('error', (e) => {
	process.stderr.write(`receiver: ${e.message}\n`);
	process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
	process.stdout.write(`ready ${server.address().port}\n`);
});
