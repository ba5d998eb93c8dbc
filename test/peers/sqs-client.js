'use strict';
/*
 * sqs-client.js
 *	  An SQS consumer for the tests, using the AWS SDK (@aws-sdk/client-sqs)
 *	  the way an application would; also sets up SNS topics on fauxqs.
 *
 * Usage:
 *	node sqs-client.js create ENDPOINT AK SK NAME [ATTR=VALUE ...]
 *		create queue NAME (attributes such as FifoQueue=true or
 *		MaximumMessageSize=1024); prints its QueueUrl
 *	node sqs-client.js receive ENDPOINT AK SK QUEUE_URL COUNT SECONDS
 *		receive (and delete) messages until COUNT arrived or SECONDS passed;
 *		prints one JSON line per message: body, eventId, notificationId
 *		(message attributes), group and dedup (FIFO system attributes)
 *	node sqs-client.js sns-topic ENDPOINT TOPIC QUEUE
 *		on fauxqs: create TOPIC and QUEUE and subscribe the queue with raw
 *		delivery; prints the topic ARN and the queue URL on one line
 *
 * The region is us-east-1.  Exits 1 with the error on stderr.
 */
const { SQSClient, CreateQueueCommand, ReceiveMessageCommand,
	DeleteMessageCommand, GetQueueAttributesCommand } = require('@aws-sdk/client-sqs');

const [cmd, endpoint, ...args] = process.argv.slice(2);

function client(ak, sk)
{
	return new SQSClient({ region: 'us-east-1', endpoint,
		credentials: { accessKeyId: ak, secretAccessKey: sk } });
}

/* an SNS Query request to fauxqs; returns the XML answer */
async function sns(params)
{
	const r = await fetch(endpoint, { method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams(params).toString() });
	const text = await r.text();
	if (!r.ok)
		throw new Error(`SNS ${params.Action}: ${r.status} ${text}`);
	return text;
}

async function main()
{
	if (cmd === 'create')
	{
		const [ak, sk, name, ...attrs] = args;
		const Attributes = Object.fromEntries(attrs.map((a) => a.split('=')));
		const r = await client(ak, sk).send(new CreateQueueCommand({ QueueName: name, Attributes }));
		console.log(r.QueueUrl);
	}
	else if (cmd === 'receive')
	{
		const [ak, sk, url, count, seconds] = args;
		const c = client(ak, sk);
		const end = Date.now() + 1000 * +seconds;
		let n = 0;
		while (n < +count && Date.now() < end)
		{
			const r = await c.send(new ReceiveMessageCommand({ QueueUrl: url,
				MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
				MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'],
				AttributeNames: ['All'] }));
			for (const m of r.Messages || [])
			{
				const a = m.MessageAttributes || {};
				const s = m.Attributes || {};
				console.log(JSON.stringify({ body: m.Body,
					eventId: a.eventId && a.eventId.StringValue,
					notificationId: a.notificationId && a.notificationId.StringValue,
					group: s.MessageGroupId, dedup: s.MessageDeduplicationId }));
				await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
				n++;
			}
		}
	}
	else if (cmd === 'sns-topic')
	{
		const [topic, queue] = args;
		const q = await client('x', 'x').send(new CreateQueueCommand({ QueueName: queue }));
		const attrs = await client('x', 'x').send(new GetQueueAttributesCommand({
			QueueUrl: q.QueueUrl, AttributeNames: ['QueueArn'] }));
		const created = await sns({ Action: 'CreateTopic', Name: topic });
		const arn = /<TopicArn>([^<]+)<\/TopicArn>/.exec(created)[1];
		await sns({ Action: 'Subscribe', TopicArn: arn, Protocol: 'sqs',
			Endpoint: attrs.Attributes.QueueArn,
			'Attributes.entry.1.key': 'RawMessageDelivery',
			'Attributes.entry.1.value': 'true' });
		console.log(`${arn} ${q.QueueUrl}`);
	}
	else
		throw new Error(`unknown command ${cmd}`);
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
