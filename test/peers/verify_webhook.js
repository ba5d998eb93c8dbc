'use strict';
/*
 * verify_webhook.js
 *	  Verify one logged request as a receiver of Standard Webhooks would.
 *
 * Usage: node test/peers/verify_webhook.js SECRET < REQUEST
 *
 * REQUEST is one line of receiver.js's log (JSON with "h", the headers,
 * and "b", the body in base64), possibly altered by the test.  Prints
 * "verified" when new Webhook(SECRET).verify(body, headers) of the
 * standardwebhooks package accepts it, else "rejected: <reason>"; exits 0
 * either way (2 on bad usage).
 */
const fs = require('fs');
const { Webhook } = require('standardwebhooks');

if (process.argv.length !== 3) {
	process.stderr.write('usage: node verify_webhook.js SECRET < REQUEST\n');
	process.exit(2);
}
const req = JSON.parse(fs.readFileSync(0, 'utf8'));
try {
	new Webhook(process.argv[2]).verify(Buffer.from(req.b, 'base64'), req.h);
	process.stdout.write('verified\n');
} catch (e) {
	process.stdout.write(`rejected: ${e.message}\n`);
}
