'use strict';
/*
 * local-sqs.js
 *	  Start an SQS server (npm local-aws-sqs) for the tests and benchmark.
 *
 * Usage: node test/peers/local-sqs.js PORT
 *
 * Binds 127.0.0.1:PORT (0 picks a free port) and prints "ready <port>".
 * Queue URLs are http://127.0.0.1:<port>/123456789012/<name>.  It checks
 * no signature: put sigv4-proxy.js in front.  Stops on SIGTERM or SIGINT.
 */
const net = require('net');
const { createSqsServer } = require('local-aws-sqs');

/* a free port of 127.0.0.1, when 0 was asked for */
function freePort(port)
{
	if (+port !== 0)
		return Promise.resolve(+port);
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
	});
}

freePort(process.argv[2] || 0)
	.then((port) => createSqsServer({ port, hostname: '127.0.0.1',
		emulateQueueCreationLifecycle: false }).then(() => console.log(`ready ${port}`)))
	.catch((e) => { console.error(e); process.exit(1); });
for (const sig of ['SIGTERM', 'SIGINT'])
	process.on(sig, () => process.exit(0));
