/*-------------------------------------------------------------------------
 *
 * sqs.c
 *	  <sqs> and <sns> actions: Amazon SQS SendMessage / SendMessageBatch
 *	  and Amazon SNS Publish, as signed HTTP requests.
 *
 * Both transports build their requests with http.c's request setup and run
 * them on the one libcurl multi handle of curl_multi.c (transfers of
 * family HTTP_FAMILY_AWS, which only this file pops), so keep-alive, the
 * SSRF guard (host lists, connect-time check) and the transfer lifetime
 * are the webhook transport's.  Requests are signed by libcurl
 * (CURLOPT_AWS_SIGV4 "aws:amz:<region>:<service>" with the access key and
 * secret key as user name and password); nothing here computes a
 * signature.  The region is the action's (explicit or derived from the
 * endpoint host or topic ARN), else that of its stored credential, else
 * us-east-1.  The endpoint is https://<host>/, or the URL given.
 *
 * SQS uses the JSON protocol: POST to the endpoint with X-Amz-Target
 * AmazonSQS.SendMessage or AmazonSQS.SendMessageBatch, Content-Type
 * application/x-amz-json-1.0 and QueueUrl in the body.  A queue given by
 * name is looked up once with GetQueueUrl (cached for the process, per
 * endpoint, queue and access key).  The message body is the event encoded
 * in the action's content type; the event id and the notification id go
 * as String message attributes eventId and notificationId.  A FIFO queue
 * (name ending in .fifo) gets MessageGroupId = the action's
 * <messageGroupId>, else the event's delivery lane key (16 hex digits, so
 * one lane is one group) and MessageDeduplicationId = the event id.
 *
 * Batching (TransportOps.batch_max = 10): dispatch.c hands the due events
 * of one lane and action in consecutive start calls, every one but the
 * last with "more"; they are held and sent as one SendMessageBatch (one
 * SendMessage when alone), split where the batch would pass 256 KiB.  The
 * answer is read per entry: listed in Successful, delivered; in Failed,
 * answered with status 500 when SenderFault is false (retried by
 * retry.c) or 400 when true (failed for good), with AWS's code and
 * message; missing from both, no answer (retried).
 *
 * SNS uses the Query protocol (Action=Publish, TopicArn, Message and the
 * same two message attributes, form-encoded), one event per request.
 *
 * Time limit: AWS_TIMEOUT_S per request, or, when the request gives
 * TransportRequest.timeout_ms (synchronous actions, delivery/sync.c),
 * that long for the whole attempt, GetQueueUrl included.  The result
 * never carries an answer body (TransportResult.answer is NULL).
 *
 * Errors: a transfer that got no complete answer is no answer (retried);
 * a non-2xx answer is answered with its status, the error being "AWS
 * error <code>: <message> (HTTP status N)" from the JSON body
 * (__type/message), the XML body (Code/Message) or x-amzn-query-error
 * (read by aws.c, which the S3 ingest poller shares).
 * Throttling codes (ThrottlingException, RequestThrottled, Throttling,
 * TooManyRequestsException) are reported with status 429, so that they
 * are retried like a 429.  Refused before sending (never retried): no
 * usable credentials (no <accessKey>/<secret>, or an alias that is gone),
 * a body over 256 KiB (never truncated), an endpoint the host lists
 * refuse.  <roleArn>, <roleSessionName> and <roleExternalId> are kept in
 * the definition but no role is assumed (there is no STS client here): the
 * given or stored keys are used as they are, and an action with a role but
 * no keys is refused saying so.
 *
 * Memory: a call (one request with its entries) lives in its own context,
 * a child of AwsContext, from start until its last result is queued; its
 * secret is wiped before the context goes.  Results wait in AwsContext
 * until popped; their error strings are copied into the context current
 * at next_result.  Credentials never reach a message: the secret is
 * masked out of every error text.  No transaction is open here and
 * neither SPI nor the catalog is used (the worker resolves aliases at
 * claim time).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/sqs.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>

#include "lib/stringinfo.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "transport/aws.h"
#include "transport/http_internal.h"
#include "transport/transport.h"

#define AWS_BODY_MAX		262144	/* SQS and SNS message size limit */
#define SQS_BATCH_MAX		10
#define AWS_TIMEOUT_S		30	/* total time of one request */
#define AWS_DEFAULT_REGION	"us-east-1"
#define AWS_JSON_TYPE		"application/x-amz-json-1.0"
#define AWS_FORM_TYPE		"application/x-www-form-urlencoded; charset=utf-8"


typedef enum AwsOp
{
	AWS_GET_QUEUE_URL,
	AWS_SEND,
	AWS_PUBLISH
} AwsOp;

/* One event of a call */
typedef struct AwsEntry
{
	void	   *arg;
	char	   *body;
	size_t		len;
	char	   *event_id;
	char	   *notification_id;
} AwsEntry;

/* One request (and the GetQueueUrl before it, when needed) */
typedef struct AwsCall
{
	MemoryContext context;
	const NotifyAction *action; /* identity only, for batching */
	bool		sns;
	AwsOp		op;
	char	   *url;			/* where to POST */
	char	   *host;			/* normalized, for the SSRF guard */
	char	   *sigv4;			/* "aws:amz:<region>:<service>" */
	char	   *access_key;
	char	   *secret;
	char	   *queue_key;		/* cache key of a queue given by name */
	char	   *queue_name;
	char	   *queue_url;		/* NULL until known */
	char	   *topic;
	char	   *group_id;		/* FIFO: the action's, or NULL for lanes */
	uint64		lane_key;
	TimestampTz deadline;		/* TransportRequest.timeout_ms after start,
								 * for every request of the call; 0: each
								 * request gets AWS_TIMEOUT_S */
	bool		fifo;
	int			n;
	size_t		total;
	AwsEntry	entries[SQS_BATCH_MAX];
} AwsCall;

typedef struct AwsResult
{
	dlist_node	node;
	TransportResult r;
} AwsResult;

typedef struct QueueUrlEntry
{
	char		key[512];		/* endpoint \n queue \n access key */
	char		url[1024];
} QueueUrlEntry;

/* What a finished transfer came to, read before it is released */
typedef struct AwsAnswer
{
	CURLcode	code;
	long		status;
	bool		refused;
	char	   *body;			/* whole response body, NUL-terminated */
	char	   *query_error;	/* x-amzn-query-error, or NULL */
	char	   *error;			/* http_result_error, or NULL */
	int			retry_after_ms;
	int			duration_ms;
} AwsAnswer;

static MemoryContext AwsContext = NULL;
static AwsCall *held = NULL;	/* SQS entries waiting for more of a batch */
static dlist_head sqs_results = DLIST_STATIC_INIT(sqs_results);
static dlist_head sns_results = DLIST_STATIC_INIT(sns_results);
static int	sqs_taken = 0;		/* requests taken, result not popped */
static int	sns_taken = 0;
static HTAB *queue_urls = NULL;

static void aws_call_flush(AwsCall *call);
static void aws_call_send(AwsCall *call);


/* ---------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------
 */

/*
 * aws_context
 *		AwsContext, created on first use (a child of TopMemoryContext).
 */
static MemoryContext
aws_context(void)
{
	if (AwsContext == NULL)
		AwsContext = AllocSetContextCreate(TopMemoryContext,
										   "notify_ext AWS",
										   ALLOCSET_DEFAULT_SIZES);
	return AwsContext;
}

/*
 * aws_init
 *		init of both transports: the multi handle (shared with http.c).
 */
static void
aws_init(void)
{
	http_init();
	(void) aws_context();
}

/*
 * aws_configure
 *		configure of both transports: nothing of their own (http.c's
 *		configure applies the host lists and limits to the shared handle).
 */
static void
aws_configure(void)
{
}

/*
 * aws_queue_result
 *		Queue the result of one entry of call (error copied into
 *		AwsContext, masked) and count the request as answered.
 */
static void
aws_queue_result(AwsCall *call, int i, TransportOutcome outcome, int status,
				 const char *error, int retry_after_ms, int duration_ms)
{
	MemoryContext old = MemoryContextSwitchTo(aws_context());
	AwsResult  *r = palloc0(sizeof(AwsResult));

	r->r.arg = call->entries[i].arg;
	r->r.outcome = outcome;
	r->r.status = status;
	r->r.error = error ? aws_clean(error, call->secret) : NULL;
	r->r.duration_ms = duration_ms;
	r->r.retry_after_ms = retry_after_ms;
	dlist_push_tail(call->sns ? &sns_results : &sqs_results, &r->node);
	MemoryContextSwitchTo(old);
}

/*
 * aws_call_free
 *		Wipe a call's secret and free it.
 */
static void
aws_call_free(AwsCall *call)
{
	if (call->secret != NULL)
		explicit_bzero(call->secret, strlen(call->secret));
	MemoryContextDelete(call->context);
}

/*
 * aws_refuse
 *		Fill *refusal for a request refused before sending; error is kept.
 */
static void
aws_refuse(const TransportRequest *req, char *error, TransportResult *refusal)
{
	refusal->arg = req->arg;
	refusal->outcome = TRANSPORT_REFUSED;
	refusal->status = 0;
	refusal->error = error;
	refusal->duration_ms = 0;
	refusal->retry_after_ms = -1;
	refusal->answer = NULL;
}


/* ---------------------------------------------------------------------
 * Starting
 * ---------------------------------------------------------------------
 */

/*
 * aws_check
 *		What refuses req before anything is sent (credentials, size), as a
 *		message palloc'd in CurrentMemoryContext, or NULL.
 */
static char *
aws_check(const TransportRequest *req, const char *what)
{
	const NotifyAction *a = req->action;

	if (a->sqs_access_key == NULL && a->sqs_secret != NULL)
		return psprintf("AWS credential \"%s\" does not exist or may not be used by the notification's owner",
						a->sqs_secret);
	if (a->sqs_access_key == NULL && a->aws_role_arn != NULL)
		return pstrdup("assuming an IAM role (roleArn) is not supported: give <accessKey> and <secret>, or a stored credential alias");
	if (a->sqs_access_key == NULL)
		return psprintf("the %s action has no AWS credentials", what);
	if (req->body == NULL && req->len > 0)
		elog(ERROR, "AWS transport called without a body");
	if (req->len > AWS_BODY_MAX)
		return psprintf("the message body of %zu bytes exceeds the %s limit of %d bytes",
						req->len, what, AWS_BODY_MAX);
	return NULL;
}

/*
 * aws_call_new
 *		A call for req's action (no entry yet), or NULL with *error set
 *		when its endpoint or queue URL is unusable or refused by the host
 *		lists.
 */
static AwsCall *
aws_call_new(const TransportRequest *req, bool sns, char **error)
{
	const NotifyAction *a = req->action;
	MemoryContext ctx;
	MemoryContext old;
	AwsCall    *call;
	NotifyUrl	u;
	const char *region = a->sqs_region ? a->sqs_region : AWS_DEFAULT_REGION;
	const char *q = a->sqs_queue;

	*error = NULL;
	ctx = AllocSetContextCreate(aws_context(), "notify_ext AWS call",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(ctx);
	call = palloc0(sizeof(AwsCall));
	call->context = ctx;
	call->action = a;
	call->sns = sns;
	call->op = sns ? AWS_PUBLISH : AWS_SEND;
	call->lane_key = req->lane_key;
	if (req->timeout_ms > 0)
		call->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													 req->timeout_ms);
	if (strstr(a->sqs_endpoint, "://") != NULL)
		call->url = pstrdup(a->sqs_endpoint);
	else
		call->url = psprintf("https://%s/", a->sqs_endpoint);
	call->sigv4 = psprintf("aws:amz:%s:%s", region, sns ? "sns" : "sqs");
	call->access_key = pstrdup(a->sqs_access_key);
	call->secret = pstrdup(a->sqs_secret);

	if (http_parse_url(call->url, &u, error))
	{
		notify_url_wipe(&u);
		call->host = pstrdup(u.host);
		*error = http_host_refusal(call->host);
	}

	if (*error == NULL && !sns)
	{
		size_t		ql;

		if (strstr(q, "://") != NULL)
		{
			call->queue_url = pstrdup(q);
			call->queue_name = pstrdup(strrchr(q, '/') + 1);
			/* the queue URL's host must pass the guard as well */
			if (http_parse_url(q, &u, error))
			{
				notify_url_wipe(&u);
				*error = http_host_refusal(u.host);
			}
		}
		else
		{
			call->queue_name = pstrdup(q);
			call->queue_key = psprintf("%s\n%s\n%s", call->url, q,
									   call->access_key);
		}
		ql = strlen(call->queue_name);
		call->fifo = ql > 5 && strcmp(call->queue_name + ql - 5, ".fifo") == 0;
		call->group_id = a->sqs_group_id ? pstrdup(a->sqs_group_id) : NULL;
	}
	if (sns)
		call->topic = pstrdup(a->sns_topic);
	MemoryContextSwitchTo(old);

	if (*error != NULL)
	{
		char	   *e = pstrdup(*error);

		aws_call_free(call);
		*error = e;
		return NULL;
	}
	return call;
}

/*
 * aws_call_add
 *		Append req as an entry of call (body and ids copied).
 */
static void
aws_call_add(AwsCall *call, const TransportRequest *req)
{
	MemoryContext old = MemoryContextSwitchTo(call->context);
	AwsEntry   *e = &call->entries[call->n++];

	e->arg = req->arg;
	e->body = palloc(req->len + 1);
	if (req->len > 0)
		memcpy(e->body, req->body, req->len);
	e->body[req->len] = '\0';
	e->len = req->len;
	e->event_id = pstrdup(req->event_id ? req->event_id : "");
	e->notification_id = pstrdup(req->notification_id ? req->notification_id : "");
	call->total += req->len;
	MemoryContextSwitchTo(old);
}

/*
 * sqs_start
 *		Take one event for an <sqs> action; see the file banner for
 *		batching.  Returns false with *refusal filled when refused before
 *		sending (no credentials, body too large, endpoint refused).
 *		ERRORs only when out of memory or on libcurl misuse.
 */
static bool
sqs_start(const TransportRequest *req, TransportResult *refusal)
{
	char	   *error;

	if (req->action == NULL || req->action->kind != NA_SQS)
		elog(ERROR, "SQS transport called for an action that is not SQS");
	http_multi_prepare();

	error = aws_check(req, "SQS");
	if (error == NULL && held != NULL &&
		(held->action != req->action || held->lane_key != req->lane_key ||
		 held->n >= SQS_BATCH_MAX || held->total + req->len > AWS_BODY_MAX))
		aws_call_flush(held);
	if (error == NULL && held == NULL)
		held = aws_call_new(req, false, &error);
	if (error != NULL)
	{
		if (held != NULL && !req->more)
			aws_call_flush(held);
		aws_refuse(req, error, refusal);
		return false;
	}

	aws_call_add(held, req);
	sqs_taken++;
	if (!req->more)
		aws_call_flush(held);
	return true;
}

/*
 * sns_start
 *		Take one event for an <sns> action: one Publish request.  Refusals
 *		as for sqs_start.
 */
static bool
sns_start(const TransportRequest *req, TransportResult *refusal)
{
	char	   *error;
	AwsCall    *call = NULL;

	if (req->action == NULL || req->action->kind != NA_SNS)
		elog(ERROR, "SNS transport called for an action that is not SNS");
	http_multi_prepare();

	error = aws_check(req, "SNS");
	if (error == NULL)
		call = aws_call_new(req, true, &error);
	if (error != NULL)
	{
		aws_refuse(req, error, refusal);
		return false;
	}
	aws_call_add(call, req);
	sns_taken++;
	aws_call_flush(call);
	return true;
}

/*
 * aws_call_flush
 *		Send a call whose entries are complete (the held batch, or an SNS
 *		call): with GetQueueUrl first when the queue URL is not known yet.
 */
static void
aws_call_flush(AwsCall *call)
{
	if (call == held)
		held = NULL;
	if (!call->sns && call->queue_url == NULL && queue_urls != NULL)
	{
		QueueUrlEntry *e = hash_search(queue_urls, call->queue_key,
									   HASH_FIND, NULL);

		if (e != NULL)
			call->queue_url = MemoryContextStrdup(call->context, e->url);
	}
	if (!call->sns && call->queue_url == NULL)
		call->op = AWS_GET_QUEUE_URL;
	aws_call_send(call);
}

/*
 * aws_json_attrs
 *		Append the "MessageAttributes" member for one entry.
 */
static void
aws_json_attrs(StringInfo b, const AwsEntry *e)
{
	appendStringInfoString(b, ",\"MessageAttributes\":{\"eventId\":{\"DataType\":\"String\",\"StringValue\":");
	escape_json(b, e->event_id);
	appendStringInfoString(b, "},\"notificationId\":{\"DataType\":\"String\",\"StringValue\":");
	escape_json(b, e->notification_id);
	appendStringInfoString(b, "}}");
}

/*
 * aws_json_message
 *		Append the members of one message: body, attributes, and for a FIFO
 *		queue its group and deduplication ids.
 */
static void
aws_json_message(StringInfo b, const AwsCall *call, const AwsEntry *e)
{
	appendStringInfoString(b, "\"MessageBody\":");
	escape_json(b, e->body);
	aws_json_attrs(b, e);
	if (call->fifo)
	{
		char		lane[17];

		snprintf(lane, sizeof(lane), "%016llx",
				 (unsigned long long) call->lane_key);
		appendStringInfoString(b, ",\"MessageGroupId\":");
		escape_json(b, call->group_id ? call->group_id : lane);
		appendStringInfoString(b, ",\"MessageDeduplicationId\":");
		escape_json(b, e->event_id);
	}
}

/*
 * aws_form_add
 *		Append "&name=value" (value form-encoded) to a Query request.
 */
static void
aws_form_add(StringInfo b, CURL *easy, const char *name, const char *value,
			 size_t len)
{
	char	   *enc = curl_easy_escape(easy, value, (int) len);

	if (enc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	appendStringInfo(b, "&%s=", name);
	appendStringInfoString(b, enc);
	curl_free(enc);
}

/*
 * aws_request_body
 *		The body of call's current request, and its X-Amz-Target (NULL for
 *		the Query protocol).
 */
static char *
aws_request_body(AwsCall *call, CURL *easy, const char **target)
{
	StringInfoData b;
	int			i;

	initStringInfo(&b);
	switch (call->op)
	{
		case AWS_GET_QUEUE_URL:
			*target = "AmazonSQS.GetQueueUrl";
			appendStringInfoString(&b, "{\"QueueName\":");
			escape_json(&b, call->queue_name);
			appendStringInfoChar(&b, '}');
			break;
		case AWS_SEND:
			appendStringInfoString(&b, "{\"QueueUrl\":");
			escape_json(&b, call->queue_url);
			if (call->n == 1)
			{
				*target = "AmazonSQS.SendMessage";
				appendStringInfoChar(&b, ',');
				aws_json_message(&b, call, &call->entries[0]);
			}
			else
			{
				*target = "AmazonSQS.SendMessageBatch";
				appendStringInfoString(&b, ",\"Entries\":[");
				for (i = 0; i < call->n; i++)
				{
					appendStringInfo(&b, "%s{\"Id\":\"e%d\",", i ? "," : "", i);
					aws_json_message(&b, call, &call->entries[i]);
					appendStringInfoChar(&b, '}');
				}
				appendStringInfoChar(&b, ']');
			}
			appendStringInfoChar(&b, '}');
			break;
		case AWS_PUBLISH:
			{
				AwsEntry   *e = &call->entries[0];

				*target = NULL;
				appendStringInfoString(&b, "Action=Publish&Version=2010-03-31");
				aws_form_add(&b, easy, "TopicArn", call->topic, strlen(call->topic));
				aws_form_add(&b, easy, "Message", e->body, e->len);
				appendStringInfoString(&b, "&MessageAttributes.entry.1.Name=eventId"
									   "&MessageAttributes.entry.1.Value.DataType=String");
				aws_form_add(&b, easy, "MessageAttributes.entry.1.Value.StringValue",
							 e->event_id, strlen(e->event_id));
				appendStringInfoString(&b, "&MessageAttributes.entry.2.Name=notificationId"
									   "&MessageAttributes.entry.2.Value.DataType=String");
				aws_form_add(&b, easy, "MessageAttributes.entry.2.Value.StringValue",
							 e->notification_id, strlen(e->notification_id));
			}
			break;
	}
	return b.data;
}

/*
 * aws_call_send
 *		Start call's current request as a signed transfer.  ERRORs only when
 *		out of memory or on libcurl misuse; the transfer is released then.
 */
static void
aws_call_send(AwsCall *call)
{
	HttpTransfer *volatile t = http_get_transfer(HTTP_FAMILY_AWS);
	MemoryContext old = MemoryContextSwitchTo(call->context);

	PG_TRY();
	{
		const char *target = NULL;
		char	   *body = aws_request_body(call, t->easy, &target);
		CURL	   *e = t->easy;

		t->arg = call;
		t->host = MemoryContextStrdup(HttpContext, call->host);
		t->secret = MemoryContextStrdup(HttpContext, call->secret);
		http_setup(t, call->url, false, AWS_TIMEOUT_S, body, strlen(body),
				   target ? AWS_JSON_TYPE : AWS_FORM_TYPE, NULL, NULL);
		pfree(body);
		if (target != NULL)
			http_add_header(t, "X-Amz-Target", target);
		if (call->deadline != 0)
		{
			long		secs;
			int			usecs;

			/* what is left of the attempt's time limit (GetQueueUrl first) */
			TimestampDifference(GetCurrentTimestamp(), call->deadline,
								&secs, &usecs);
			NOTIFY_CURL_SETOPT(e, CURLOPT_TIMEOUT_MS,
					   Max(secs * 1000 + usecs / 1000, 1L));
		}
		t->resp_all = MemoryContextAlloc(HttpContext, HTTP_RESPONSE_MAX + 1);
		NOTIFY_CURL_SETOPT(e, CURLOPT_HTTPHEADER, t->headers);
		NOTIFY_CURL_SETOPT(e, CURLOPT_AWS_SIGV4, call->sigv4);
		NOTIFY_CURL_SETOPT(e, CURLOPT_USERNAME, call->access_key);
		NOTIFY_CURL_SETOPT(e, CURLOPT_PASSWORD, call->secret);
		http_multi_add(t);
	}
	PG_CATCH();
	{
		http_release(t);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
}


/* ---------------------------------------------------------------------
 * Answers
 * ---------------------------------------------------------------------
 */

/*
 * aws_batch_answer
 *		Results of a SendMessageBatch answered with 200, entry by entry.
 */
static void
aws_batch_answer(AwsCall *call, const AwsAnswer *ans)
{
	struct json_object *j = json_tokener_parse(ans->body);
	bool		seen[SQS_BATCH_MAX] = {false};
	const char *lists[] = {"Successful", "Failed"};
	int			l;
	int			i;

	for (l = 0; l < 2 && j != NULL; l++)
	{
		struct json_object *arr;
		size_t		k;

		if (!json_object_object_get_ex(j, lists[l], &arr) ||
			!json_object_is_type(arr, json_type_array))
			continue;
		for (k = 0; k < json_object_array_length(arr); k++)
		{
			struct json_object *it = json_object_array_get_idx(arr, k);
			const char *id = aws_json_string(it, "Id");
			struct json_object *sf;
			bool		sender = true;
			char	   *msg;

			if (id == NULL || id[0] != 'e' || !isdigit((unsigned char) id[1]))
				continue;
			i = atoi(id + 1);
			if (i < 0 || i >= call->n || seen[i])
				continue;
			seen[i] = true;
			if (l == 0)
			{
				aws_queue_result(call, i, TRANSPORT_DELIVERED, (int) ans->status,
								 NULL, -1, ans->duration_ms);
				continue;
			}
			if (json_object_object_get_ex(it, "SenderFault", &sf))
				sender = json_object_get_boolean(sf);
			msg = psprintf("AWS error %s: %s (batch entry, SenderFault %s)",
						   aws_json_string(it, "Code") ? aws_json_string(it, "Code") : "unknown",
						   aws_json_string(it, "Message") ? aws_json_string(it, "Message") : "no message",
						   sender ? "true" : "false");
			aws_queue_result(call, i, TRANSPORT_ANSWERED,
							 aws_is_throttling(aws_json_string(it, "Code")) ? 429 :
							 sender ? 400 : 500,
							 msg, -1, ans->duration_ms);
			pfree(msg);
		}
	}
	if (j != NULL)
		json_object_put(j);
	for (i = 0; i < call->n; i++)
	{
		if (!seen[i])
			aws_queue_result(call, i, TRANSPORT_NO_ANSWER, (int) ans->status,
							 "the SendMessageBatch answer has no result for this entry",
							 -1, ans->duration_ms);
	}
}

/*
 * aws_call_answer
 *		A request of call has its answer: queue the results of its entries
 *		and free it, or (GetQueueUrl answered) send the message request.
 */
static void
aws_call_answer(AwsCall *call, const AwsAnswer *ans)
{
	int			i;

	if (ans->code != CURLE_OK || ans->status == 0)
	{
		TransportOutcome o = (ans->refused && ans->code != CURLE_OK) ?
			TRANSPORT_REFUSED : TRANSPORT_NO_ANSWER;

		for (i = 0; i < call->n; i++)
			aws_queue_result(call, i, o, (int) ans->status, ans->error,
							 ans->retry_after_ms, ans->duration_ms);
	}
	else if (ans->status < 200 || ans->status > 299)
	{
		char	   *code;
		char	   *message;
		char	   *error;
		int			status = (int) ans->status;

		aws_error_of(ans->body, ans->query_error, &code, &message);
		if (code != NULL)
			error = psprintf("AWS error %s: %s (HTTP status %d)", code,
							 message ? message : "no message", status);
		else
			error = pstrdup(ans->error ? ans->error : "AWS error");
		if (aws_is_throttling(code))
			status = 429;
		for (i = 0; i < call->n; i++)
			aws_queue_result(call, i, TRANSPORT_ANSWERED, status, error,
							 ans->retry_after_ms, ans->duration_ms);
	}
	else if (call->op == AWS_GET_QUEUE_URL)
	{
		struct json_object *j = json_tokener_parse(ans->body);
		const char *url = aws_json_string(j, "QueueUrl");

		if (url != NULL && strlen(url) < sizeof(((QueueUrlEntry *) 0)->url) &&
			strlen(call->queue_key) < sizeof(((QueueUrlEntry *) 0)->key))
		{
			QueueUrlEntry *e;

			if (queue_urls == NULL)
			{
				HASHCTL		ctl;

				memset(&ctl, 0, sizeof(ctl));
				ctl.keysize = sizeof(((QueueUrlEntry *) 0)->key);
				ctl.entrysize = sizeof(QueueUrlEntry);
				ctl.hcxt = aws_context();
				queue_urls = hash_create("notify_ext SQS queue URLs", 16, &ctl,
										 HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
			}
			e = hash_search(queue_urls, call->queue_key, HASH_ENTER, NULL);
			strlcpy(e->url, url, sizeof(e->url));
			call->queue_url = MemoryContextStrdup(call->context, url);
		}
		if (j != NULL)
			json_object_put(j);
		if (call->queue_url != NULL)
		{
			call->op = AWS_SEND;
			aws_call_send(call);
			return;
		}
		for (i = 0; i < call->n; i++)
			aws_queue_result(call, i, TRANSPORT_NO_ANSWER, (int) ans->status,
							 "the GetQueueUrl answer has no QueueUrl", -1,
							 ans->duration_ms);
	}
	else if (call->op == AWS_SEND && call->n > 1)
		aws_batch_answer(call, ans);
	else
	{
		for (i = 0; i < call->n; i++)
			aws_queue_result(call, i, TRANSPORT_DELIVERED, (int) ans->status,
							 NULL, -1, ans->duration_ms);
	}
	aws_call_free(call);
}

/*
 * aws_drive
 *		drive of both transports: run the shared multi handle for at most
 *		timeout_ms, then read every finished AWS transfer (which may start
 *		the message request after a GetQueueUrl).
 */
static void
aws_drive(int timeout_ms)
{
	HttpTransfer *t;

	http_poll(timeout_ms);
	while ((t = http_done_head(HTTP_FAMILY_AWS)) != NULL)
	{
		AwsCall    *call = (AwsCall *) t->arg;
		MemoryContext old = MemoryContextSwitchTo(call->context);
		struct curl_header *h;
		AwsAnswer	ans;

		ans.code = t->code;
		ans.status = t->status;
		ans.refused = t->refused;
		ans.retry_after_ms = t->retry_after_ms;
		ans.duration_ms = t->duration_ms;
		ans.body = pnstrdup(t->resp_all ? t->resp_all : "",
							t->resp_all ? Min(t->resp_read, HTTP_RESPONSE_MAX) : 0);
		ans.query_error = NULL;
		if (curl_easy_header(t->easy, "x-amzn-query-error", 0, CURLH_HEADER, -1,
							 &h) == CURLHE_OK && h->value != NULL)
			ans.query_error = pstrdup(h->value);
		ans.error = http_result_error(t);
		http_done_finish(t);
		MemoryContextSwitchTo(old);
		aws_call_answer(call, &ans);
	}
}


/* ---------------------------------------------------------------------
 * Results and the transports
 * ---------------------------------------------------------------------
 */

/*
 * aws_pop
 *		Pop the oldest result of list into *res (error copied into
 *		CurrentMemoryContext); false when none waits.
 */
static bool
aws_pop(dlist_head *list, int *taken, TransportResult *res)
{
	AwsResult  *r;

	if (dlist_is_empty(list))
		return false;
	r = dlist_container(AwsResult, node, dlist_pop_head_node(list));
	*res = r->r;
	res->error = r->r.error ? pstrdup(r->r.error) : NULL;
	res->answer = NULL;			/* AWS's answers are not passed on */
	if (r->r.error)
		pfree(r->r.error);
	pfree(r);
	(*taken)--;
	return true;
}

/*
 * sqs_next_result
 *		Pop one finished SQS request's result.
 */
static bool
sqs_next_result(TransportResult *res)
{
	return aws_pop(&sqs_results, &sqs_taken, res);
}

/*
 * sns_next_result
 *		Pop one finished SNS request's result.
 */
static bool
sns_next_result(TransportResult *res)
{
	return aws_pop(&sns_results, &sns_taken, res);
}

/*
 * sqs_inflight
 *		SQS requests taken whose result has not been popped.
 */
static int
sqs_inflight(void)
{
	return sqs_taken;
}

/*
 * sns_inflight
 *		SNS requests taken whose result has not been popped.
 */
static int
sns_inflight(void)
{
	return sns_taken;
}

/*
 * aws_abort_all
 *		abort_all of both transports: drop every call and result without
 *		results (the worker leaves).  The transfers go with http.c's abort.
 */
static void
aws_abort_all(void)
{
	http_abort_all();
	held = NULL;
	if (AwsContext != NULL)
		MemoryContextDelete(AwsContext);
	AwsContext = NULL;
	queue_urls = NULL;
	dlist_init(&sqs_results);
	dlist_init(&sns_results);
	sqs_taken = 0;
	sns_taken = 0;
}

/* <sqs> actions: SendMessage / SendMessageBatch, JSON protocol */
const TransportOps sqs_transport = {
	.name = "sqs",
	.batch_max = SQS_BATCH_MAX,
	.init = aws_init,
	.configure = aws_configure,
	.start = sqs_start,
	.inflight = sqs_inflight,
	.drive = aws_drive,
	.next_result = sqs_next_result,
	.abort_all = aws_abort_all
};

/* <sns> actions: Publish, Query protocol */
const TransportOps sns_transport = {
	.name = "sns",
	.batch_max = 1,
	.init = aws_init,
	.configure = aws_configure,
	.start = sns_start,
	.inflight = sns_inflight,
	.drive = aws_drive,
	.next_result = sns_next_result,
	.abort_all = aws_abort_all
};
