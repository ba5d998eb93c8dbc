'use strict';
/*
 * ingest_load.js
 *	  Load for the ingest scenario of bench/run.sh, over plain HTTP (no
 *	  modules needed).
 *
 *	  node ingest_load.js put S3_PORT BUCKET PREFIX COUNT
 *		PUT COUNT small objects PREFIX000000.. into BUCKET of s3rver
 *		(test/peers/s3-sqs-peer.js), 16 at a time; s3rver checks the
 *		access key id only, so the request carries S3RVER's and no real
 *		signature.
 *	  node ingest_load.js events SQS_PORT QUEUE BUCKET PREFIX COUNT
 *		Send COUNT S3 ObjectCreated:Put event messages for keys
 *		PREFIX000000.. to QUEUE (SendMessageBatch of ten, 8 at a time).
 *
 *	  Prints "done N" and exits 0, or exits 1 on the first failure.
 */
const http = require('http');

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function request(port, method, path, headers, body) {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent },
			(res) => {
				let answer = '';
				res.on('data', (c) => { answer += c; });
				res.on('end', () => (res.statusCode < 300 ? resolve(answer) :
					reject(new Error(`${method} ${path}: ${res.statusCode} ${answer}`))));
			});
		req.on('error', reject);
		req.end(body);
	});
}

const key = (prefix, i) => prefix + String(i).padStart(6, '0');

async function pool(count, width, fn) {
	let next = 0;
	const worker = async () => {
		while (next < count) {
			const i = next++;
			await fn(i);
		}
	};
	await Promise.all(Array.from({ length: width }, worker));
}

async function put(port, bucket, prefix, count) {
	const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
	await pool(count, 16, (i) => request(port, 'PUT', `/${bucket}/${key(prefix, i)}`, {
		'Content-Type': 'text/plain',
		'Content-Length': 1,
		'x-amz-date': stamp,
		'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
		Authorization: `AWS4-HMAC-SHA256 Credential=S3RVER/${stamp.slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${'0'.repeat(64)}`,
	}, 'x'));
}

async function events(port, queue, bucket, prefix, count) {
	const queueUrl = `http://127.0.0.1:${port}/123456789012/${queue}`;
	await pool(Math.ceil(count / 10), 8, (b) => {
		const entries = [];
		for (let i = b * 10; i < Math.min(count, b * 10 + 10); i++) {
			const record = {
				eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1',
				eventTime: new Date().toISOString(), eventName: 'ObjectCreated:Put',
				s3: {
					bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
					object: { key: key(prefix, i), size: 1, eTag: 'e' + i,
						sequencer: (1e15 + i).toString(16).toUpperCase() },
				},
			};
			entries.push({ Id: 'm' + i, MessageBody: JSON.stringify({ Records: [record] }) });
		}
		const body = JSON.stringify({ QueueUrl: queueUrl, Entries: entries });
		return request(port, 'POST', '/', {
			'Content-Type': 'application/x-amz-json-1.0',
			'X-Amz-Target': 'AmazonSQS.SendMessageBatch',
			'Content-Length': Buffer.byteLength(body),
		}, body);
	});
}

const [what, ...args] = process.argv.slice(2);
const run = what === 'put' ? put(+args[0], args[1], args[2], +args[3]) :
	what === 'events' ? events(+args[0], args[1], args[2], args[3], +args[4]) :
	Promise.reject(new Error('usage: ingest_load.js put|events ...'));
run.then(() => { console.log(`done ${what === 'put' ? args[3] : args[4]}`); process.exit(0); })
	.catch((e) => { console.error(e.message); process.exit(1); });
