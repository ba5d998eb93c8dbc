/*
 * fauxqs-peer.mjs
 *	  Start fauxqs (SQS, SNS) on 127.0.0.1 for the SNS tests.
 *
 * Usage: node test/peers/fauxqs-peer.mjs PORT
 *
 * Binds 127.0.0.1:PORT (0 picks a free port; fauxqs's own command binds
 * every address) and prints "ready <port>".  GET /_fauxqs/queues/<name>
 * shows a queue's state.  No signature is checked.  Stops on SIGTERM or
 * SIGINT.
 */
import { buildApp } from 'fauxqs';

const app = buildApp({ logger: false, host: '127.0.0.1' });
await app.listen({ port: Number(process.argv[2] || 0), host: '127.0.0.1' });
console.log(`ready ${app.server.address().port}`);
for (const sig of ['SIGTERM', 'SIGINT'])
	process.on(sig, () => process.exit(0));
