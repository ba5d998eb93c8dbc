/*-------------------------------------------------------------------------
 *
 * sqs_queue.c
 *	  The SQS calls of the S3 ingest poller (JSON protocol): GetQueueUrl,
 *	  ReceiveMessage and DeleteMessageBatch, their bodies and answers.
 *
 * Every call is a POST of application/x-amz-json-1.0 to the SQS endpoint
 * with X-Amz-Target AmazonSQS.<action> and the queue's URL in the body
 * (the endpoint, not the queue URL, is posted to: emulators' queue URLs do
 * not always resolve).  JSON is built and read with json-c; every json-c
 * object made here is released before return.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/ingest/sqs_queue.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>

#include "ingest/ingest_internal.h"
#include "transport/aws.h"

/*
 * ingest_sqs_endpoint
 *		The URL SQS calls are posted to: that of sqs_endpoint when it is a
 *		URL, https://<sqs_endpoint>/ when it is a host, else the AWS
 *		endpoint of region.  palloc'd.
 */
char *
ingest_sqs_endpoint(const char *sqs_endpoint, const char *region)
{
	if (sqs_endpoint == NULL || sqs_endpoint[0] == '\0')
		return psprintf("https://sqs.%s.amazonaws.com/", region);
	if (strncmp(sqs_endpoint, "http://", 7) == 0 ||
		strncmp(sqs_endpoint, "https://", 8) == 0)
		return psprintf("%s/", sqs_endpoint);
	return psprintf("https://%s/", sqs_endpoint);
}

/*
 * json_text
 *		obj as compact JSON text, palloc'd; releases obj.
 */
static char *
json_text(struct json_object *obj)
{
	char	   *s = pstrdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));

	json_object_put(obj);
	return s;
}

/*
 * ingest_sqs_get_queue_url_body
 *		The body of GetQueueUrl for queue name.
 */
char *
ingest_sqs_get_queue_url_body(const char *name)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "QueueName", json_object_new_string(name));
	return json_text(o);
}

/*
 * ingest_sqs_queue_url
 *		The QueueUrl of a successful GetQueueUrl answer, palloc'd, or NULL.
 */
char *
ingest_sqs_queue_url(const IngestHttp *r)
{
	struct json_object *j = json_tokener_parse(r->response.data);
	const char *url = aws_json_string(j, "QueueUrl");
	char	   *result = url ? pstrdup(url) : NULL;

	if (j != NULL)
		json_object_put(j);
	return result;
}

/*
 * ingest_sqs_receive_body
 *		The body of ReceiveMessage: at most max messages, long poll of
 *		wait_s seconds.
 */
char *
ingest_sqs_receive_body(const char *queue_url, int max, int wait_s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "QueueUrl", json_object_new_string(queue_url));
	json_object_object_add(o, "MaxNumberOfMessages", json_object_new_int(max));
	json_object_object_add(o, "WaitTimeSeconds", json_object_new_int(wait_s));
	return json_text(o);
}

/*
 * ingest_sqs_messages
 *		The messages of a successful ReceiveMessage answer: a palloc'd
 *		array of *n (0 and NULL when none).  A message without receipt
 *		handle is left out.  An answer that is not JSON sets *error and
 *		gives no message.
 */
IngestMessage *
ingest_sqs_messages(const IngestHttp *r, int *n, char **error)
{
	struct json_object *j;
	struct json_object *list;
	IngestMessage *msgs = NULL;
	size_t		i,
				len;

	*n = 0;
	*error = NULL;
	if (r->response.len == 0)
		return NULL;
	j = json_tokener_parse(r->response.data);
	if (j == NULL || !json_object_is_type(j, json_type_object))
	{
		*error = pstrdup("the ReceiveMessage answer is not a JSON object");
		if (j != NULL)
			json_object_put(j);
		return NULL;
	}
	if (json_object_object_get_ex(j, "Messages", &list) &&
		json_object_is_type(list, json_type_array) &&
		(len = json_object_array_length(list)) > 0)
	{
		msgs = palloc0(sizeof(IngestMessage) * len);
		for (i = 0; i < len; i++)
		{
			struct json_object *m = json_object_array_get_idx(list, i);
			const char *id = aws_json_string(m, "MessageId");
			const char *handle = aws_json_string(m, "ReceiptHandle");
			const char *body = aws_json_string(m, "Body");

			if (handle == NULL)
				continue;
			msgs[*n].message_id = pstrdup(id ? id : "");
			msgs[*n].receipt_handle = pstrdup(handle);
			msgs[*n].body = pstrdup(body ? body : "");
			(*n)++;
		}
	}
	json_object_put(j);
	return msgs;
}

/*
 * ingest_sqs_delete_body
 *		The body of DeleteMessageBatch for the messages of msgs (n at most
 *		10) whose remove flag is set; entry Id is the message's index.
 *		NULL when there is none.
 */
char *
ingest_sqs_delete_body(const char *queue_url, IngestMessage *msgs, int n)
{
	struct json_object *o;
	struct json_object *entries = json_object_new_array();
	int			i;

	for (i = 0; i < n; i++)
	{
		struct json_object *e;
		char		id[16];

		if (!msgs[i].remove)
			continue;
		e = json_object_new_object();
		snprintf(id, sizeof(id), "m%d", i);
		json_object_object_add(e, "Id", json_object_new_string(id));
		json_object_object_add(e, "ReceiptHandle",
							   json_object_new_string(msgs[i].receipt_handle));
		json_object_array_add(entries, e);
	}
	if (json_object_array_length(entries) == 0)
	{
		json_object_put(entries);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "QueueUrl", json_object_new_string(queue_url));
	json_object_object_add(o, "Entries", entries);
	return json_text(o);
}

/*
 * ingest_sqs_delete_failures
 *		Of a successful DeleteMessageBatch answer: NULL when no entry
 *		failed, else "N messages could not be deleted: <first message>".
 */
char *
ingest_sqs_delete_failures(const IngestHttp *r)
{
	struct json_object *j = json_tokener_parse(r->response.data);
	struct json_object *failed;
	char	   *result = NULL;
	size_t		len;

	if (j != NULL && json_object_object_get_ex(j, "Failed", &failed) &&
		json_object_is_type(failed, json_type_array) &&
		(len = json_object_array_length(failed)) > 0)
	{
		const char *msg = aws_json_string(json_object_array_get_idx(failed, 0),
											 "Message");

		result = psprintf("%zu messages could not be deleted: %s", len,
						  msg ? msg : "no reason given");
	}
	if (j != NULL)
		json_object_put(j);
	return result;
}
