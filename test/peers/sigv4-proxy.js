'use strict';
/*
 * sigv4-proxy.js
 *	  A reverse proxy that checks AWS Signature Version 4 before passing a
 *	  request on, for SQS and SNS servers that accept any signature.
 *
 * Usage: node test/peers/sigv4-proxy.js PORT UPSTREAM ACCESS_KEY SECRET_KEY
 *
 * Binds 127.0.0.1:PORT (0 picks a free port) and prints "ready <port>".  A
 * request whose Authorization header is not an AWS4-HMAC-SHA256 signature
 * made with SECRET_KEY for ACCESS_KEY (header signing, non-S3 path
 * canonicalization, x-amz-date within 300 s) gets 403 with an AWS-style
 * JSON error (__type SignatureDoesNotMatch, or InvalidClientTokenId for an
 * unknown key); every other request goes to UPSTREAM unchanged and its
 * answer comes back unchanged.  GET /_proxy_stats gives {"passed": n,
 * "refused": n}.  Stops on SIGTERM or SIGINT.  No npm packages.
 */
const http = require('http');
const crypto = require('crypto');

const [port, upstream, accessKey, secretKey] = process.argv.slice(2);
const up = new URL(upstream);
const stats = { passed: 0, refused: 0 };

const hmac = (key, text) => crypto.createHmac('sha256', key).update(text).digest();
const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');
/* RFC 3986 encoding, as SigV4 wants it */
const uriEncode = (s) => encodeURIComponent(s).replace(/[!'()*]/g,
	(c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

/* null when the signature is right, else [AWS error code, message] */
function check(req, body)
{
	const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/
		.exec(req.headers.authorization || '');
	if (!auth)
		return ['MissingAuthenticationToken', 'no AWS4-HMAC-SHA256 Authorization header'];
	const [, key, day, region, service, signedHeaders, signature] = auth;
	if (key !== accessKey)
		return ['InvalidClientTokenId', 'the access key id is not known'];
	const stamp = req.headers['x-amz-date'] || '';
	if (stamp.slice(0, 8) !== day)
		return ['IncompleteSignature', 'x-amz-date does not match the credential scope'];
	const when = Date.UTC(+stamp.slice(0, 4), +stamp.slice(4, 6) - 1, +stamp.slice(6, 8),
		+stamp.slice(9, 11), +stamp.slice(11, 13), +stamp.slice(13, 15));
	if (!(Math.abs(Date.now() - when) <= 300000))
		return ['RequestExpired', 'x-amz-date is more than 300 s away'];
	const names = signedHeaders.split(';');
	if (!names.includes('host'))
		return ['IncompleteSignature', 'the host header is not signed'];

	const u = new URL(req.url, 'http://unused');
	/* non-S3 services encode each path segment twice */
	const path = u.pathname.split('/')
		.map((seg) => uriEncode(uriEncode(decodeURIComponent(seg)))).join('/') || '/';
	const query = [...u.searchParams]
		.map(([k, v]) => [uriEncode(k), uriEncode(v)])
		.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : (a[0] < b[0] ? -1 : 1)))
		.map(([k, v]) => `${k}=${v}`).join('&');
	const headers = names.map((n) =>
		`${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
	const canonical = [req.method, path, query, headers, signedHeaders,
		req.headers['x-amz-content-sha256'] || sha256(body)].join('\n');
	const toSign = ['AWS4-HMAC-SHA256', stamp, `${day}/${region}/${service}/aws4_request`,
		sha256(canonical)].join('\n');
	let k = hmac('AWS4' + secretKey, day);
	k = hmac(k, region);
	k = hmac(k, service);
	k = hmac(k, 'aws4_request');
	if (hmac(k, toSign).toString('hex') !== signature)
		return ['SignatureDoesNotMatch',
			'The request signature we calculated does not match the signature you provided.'];
	return null;
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks);
		if (req.method === 'GET' && req.url === '/_proxy_stats')
		{
			res.writeHead(200, { 'content-type': 'application/json' });
			return res.end(JSON.stringify(stats));
		}
		const bad = check(req, body);
		if (bad)
		{
			stats.refused++;
			res.writeHead(403, {
				'content-type': 'application/x-amz-json-1.0',
				'x-amzn-query-error': `${bad[0]};Sender`,
			});
			return res.end(JSON.stringify({ __type: `com.amazon.coral.service#${bad[0]}`, message: bad[1] }));
		}
		stats.passed++;
		const fwd = http.request({ host: up.hostname, port: up.port, method: req.method,
			path: req.url, headers: req.headers }, (r) => {
			res.writeHead(r.statusCode, r.headers);
			r.pipe(res);
		});
		fwd.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
		fwd.end(body);
	});
});
server.listen(+port, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
for (const sig of ['SIGTERM', 'SIGINT'])
	process.on(sig, () => process.exit(0));
