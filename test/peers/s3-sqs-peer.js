'use strict';
/*
 * s3-sqs-peer.js
 *	  An S3-compatible server (s3rver) whose object events reach an SQS
 *	  queue (local-aws-sqs), as S3 event notifications do: the peer of the
 *	  S3 ingest tests.
 *
 * Usage: node --openssl-legacy-provider s3-sqs-peer.js S3_PORT SQS_PORT QUEUE BUCKET DIR
 *
 * Binds 127.0.0.1 only.  Prints "ready" when both servers listen.  Every
 * PUT, POST, COPY and DELETE of an object of BUCKET becomes one SQS message
 * {"Records": [record]} on QUEUE, with the object key form-URL-encoded as
 * S3 writes it ("a b+c" becomes "a+b%2Bc") and the bucket ARN filled in.
 * The messages are sent one at a time, in the order of the events, over
 * the SQS JSON protocol.  Objects are kept under DIR.  s3rver checks only
 * the access key id (S3RVER) of a request, not its signature.  The legacy
 * OpenSSL provider is needed for s3rver's continuation tokens.  Stops on
 * SIGTERM or SIGINT.
 */
const http = require('http');
const S3rver = require('s3rver');
const { createSqsServer } = require('local-aws-sqs');

const [s3Port, sqsPort, queue, bucket, dir] = process.argv.slice(2);
const queueUrl = `http://127.0.0.1:${sqsPort}/123456789012/${queue}`;

/* the key as S3 puts it into an event: form-URL-encoded, "/" kept */
const eventKey = (key) => encodeURIComponent(key)
	.replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
	.replace(/%20/g, '+').replace(/%2F/g, '/');

/* one SendMessage over the JSON protocol; SQS emulators need no signature */
function sendMessage(body) {
	return new Promise((resolve, reject) => {
		const payload = JSON.stringify({ QueueUrl: queueUrl, MessageBody: body });
		const req = http.request({
			host: '127.0.0.1', port: sqsPort, method: 'POST', path: '/',
			headers: {
				'Content-Type': 'application/x-amz-json-1.0',
				'X-Amz-Target': 'AmazonSQS.SendMessage',
				'Content-Length': Buffer.byteLength(payload),
			},
		}, (res) => {
			let answer = '';
			res.on('data', (c) => { answer += c; });
			res.on('end', () => (res.statusCode === 200 ? resolve() :
				reject(new Error(`SendMessage: ${res.statusCode} ${answer}`))));
		});
		req.on('error', reject);
		req.end(payload);
	});
}

/* events are forwarded in the order s3rver emits them */
let chain = Promise.resolve();

(async () => {
	await createSqsServer({
		port: +sqsPort, hostname: '127.0.0.1',
		emulateQueueCreationLifecycle: false, queues: [{ QueueName: queue }],
	});
	const s3 = new S3rver({
		address: '127.0.0.1', port: +s3Port, directory: dir, silent: true,
		configureBuckets: [{ name: bucket, configs: [] }],
	});
	s3.on('event', (event) => {
		for (const record of event.Records) {
			record.s3.object.key = eventKey(record.s3.object.key);
			record.s3.bucket.arn = `arn:aws:s3:::${record.s3.bucket.name}`;
			const body = JSON.stringify({ Records: [record] });
			chain = chain.then(() => sendMessage(body))
				.catch((e) => console.error('bridge send failed:', e.message));
		}
	});
	await s3.run();
	console.log('ready');
	const stop = async () => { await s3.close(); process.exit(0); };
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
})().catch((e) => { console.error(e); process.exit(1); });
