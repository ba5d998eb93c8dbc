/*-------------------------------------------------------------------------
 *
 * endpoint.c
 *	  Per-endpoint concurrency budgets and circuit breakers.
 *
 * An endpoint is where an action sends: scheme, host and port of an <http>
 * URL, the endpoint (else the region) of an <sqs>/<sns> action, the
 * function of a <function> action, the channel of a <channel> action.  Two
 * things are kept per endpoint:
 *
 *	Budget.  At most notify_ext.max_inflight_per_endpoint attempts (capped
 *	by notify_ext.max_inflight) run at once to one endpoint, so that an
 *	endpoint that hangs holds a share of the slots, never all of them, and
 *	the lanes of other endpoints keep being started.
 *
 *	Circuit breaker (network endpoints only: an in-database action that
 *	fails is its function's doing, retried as before).  After
 *	notify_ext.breaker_failures consecutive failed
 *	attempts (no complete answer: connection refused or reset, timeout; or a
 *	5xx status) the breaker opens: no attempt is started to the endpoint for
 *	notify_ext.breaker_delay.  Then it is half-open: one attempt (the probe)
 *	is started; its success closes the breaker, its failure opens it again
 *	for another delay.  Any complete answer below 500 is a success.
 *
 * A lane whose head cannot start for either reason is parked on its
 * endpoint (Lane.lnode on Endpoint.parked instead of ready_lanes) and
 * goes back to ready_lanes, in the order it was parked, as slots free up
 * or the breaker lets a probe or everything through.  A parked event is
 * not attempted, so it uses up none of its retries while the breaker is
 * open; its row stays in_flight or retrying.
 *
 * The worker shows its endpoints (open and half-open ones first, then the
 * busiest) in its shared memory slot for notify.endpoint_status.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/delivery/endpoint.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "bgw/shmem.h"
#include "delivery/delivery_internal.h"
#include "guc.h"
#include "transport/transport.h"

/* how often at most the shown endpoints are written to shared memory */
#define PUBLISH_MS	100

static HTAB *endpoints = NULL;
static int	endpoint_slotno = -1;
static bool publish_wanted = false;
static TimestampTz published_at = 0;

/*
 * endpoint_key_of_url
 *		Write "scheme://host:port" of url into key (lower-case scheme and
 *		host, default port of http and https filled in; user information,
 *		path and query left out).  The whole URL, cut, when it has no
 *		"://".
 */
static void
endpoint_key_of_url(const char *url, char *key)
{
	const char *sep = strstr(url, "://");
	const char *auth;
	const char *end;
	const char *at;
	const char *host;
	const char *hostend;
	const char *port = NULL;
	char		scheme[16];
	char		hostbuf[NOTIFY_ENDPOINT_KEYLEN];
	int			slen;
	int			i;

	if (sep == NULL || sep - url >= (int) sizeof(scheme))
	{
		strlcpy(key, url, NOTIFY_ENDPOINT_KEYLEN);
		return;
	}
	slen = sep - url;
	for (i = 0; i < slen; i++)
		scheme[i] = pg_tolower((unsigned char) url[i]);
	scheme[slen] = '\0';
	auth = sep + 3;
	end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (host = auth; host < end; host++)
		if (*host == '@')
			at = host;
	host = at ? at + 1 : auth;
	if (*host == '[')
	{
		hostend = memchr(host, ']', end - host);
		hostend = hostend ? hostend + 1 : end;
	}
	else
	{
		hostend = memchr(host, ':', end - host);
		if (hostend == NULL)
			hostend = end;
	}
	if (hostend < end && *hostend == ':')
		port = hostend + 1;
	slen = Min(hostend - host, (int) sizeof(hostbuf) - 1);
	for (i = 0; i < slen; i++)
		hostbuf[i] = pg_tolower((unsigned char) host[i]);
	hostbuf[slen] = '\0';
	if (port != NULL && port < end)
		snprintf(key, NOTIFY_ENDPOINT_KEYLEN, "%s://%s:%.*s", scheme, hostbuf,
				 (int) (end - port), port);
	else
		snprintf(key, NOTIFY_ENDPOINT_KEYLEN, "%s://%s:%s", scheme, hostbuf,
				 strcmp(scheme, "https") == 0 ? "443" : "80");
}

/*
 * endpoints_init
 *		Create the endpoint table and clear what a previous worker of slot
 *		slotno showed.  Once per worker.
 */
void
endpoints_init(int slotno)
{
	HASHCTL		ctl;
	NotifyDbSlot *slot = &notify_shared->slots[slotno];

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NOTIFY_ENDPOINT_KEYLEN;
	ctl.entrysize = sizeof(Endpoint);
	ctl.hcxt = TopMemoryContext;
	endpoints = hash_create("notify_ext endpoints", 64, &ctl,
							HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	endpoint_slotno = slotno;
	SpinLockAcquire(&slot->ep_mutex);
	slot->nendpoints = 0;
	SpinLockRelease(&slot->ep_mutex);
}

/*
 * endpoint_for_action
 *		The endpoint an action sends to (made on first use; lives as long
 *		as the worker), or NULL outside the delivery worker.
 */
Endpoint *
endpoint_for_action(const NotifyAction *action)
{
	char		key[NOTIFY_ENDPOINT_KEYLEN];
	Endpoint   *ep;
	bool		found;

	memset(key, 0, sizeof(key));
	switch (action->kind)
	{
		case NA_HTTP:
			if (action->url == NULL)
				return NULL;
			endpoint_key_of_url(action->url, key);
			break;
		case NA_SQS:
		case NA_SNS:
			if (action->sqs_endpoint != NULL)
				endpoint_key_of_url(action->sqs_endpoint, key);
			else
				snprintf(key, sizeof(key), "%s:%s",
						 action->kind == NA_SQS ? "sqs" : "sns",
						 action->sqs_region ? action->sqs_region : "");
			break;
		case NA_FUNCTION:
			snprintf(key, sizeof(key), "function:%s",
					 action->function_name ? action->function_name : "");
			break;
		case NA_CHANNEL:
			snprintf(key, sizeof(key), "channel:%s",
					 action->channel ? action->channel : "");
			break;
	}
	if (endpoints == NULL)
		return NULL;			/* not in a worker (no budgets to keep) */
	ep = hash_search(endpoints, key, HASH_ENTER, &found);
	if (!found)
	{
		ep->inflight = 0;
		ep->failures = 0;
		ep->state = BREAKER_CLOSED;
		ep->opened_at = 0;
		ep->probe_at = 0;
		ep->nparked = 0;
		ep->network = action->kind != NA_FUNCTION && action->kind != NA_CHANNEL;
		dlist_init(&ep->parked);
		publish_wanted = true;
	}
	return ep;
}

/*
 * endpoint_room
 *		How many attempts may start now to ep: its budget left; 1 for the
 *		probe of a half-open breaker with nothing running; 0 while open
 *		(an open breaker whose delay is over becomes half-open here).
 */
int
endpoint_room(Endpoint *ep, TimestampTz now)
{
	int			limit = Min(notify_ext_max_inflight_per_endpoint,
							notify_ext_max_inflight);

	if (ep->state == BREAKER_OPEN)
	{
		if (now < ep->probe_at)
			return 0;
		ep->state = BREAKER_HALF_OPEN;
		publish_wanted = true;
	}
	if (ep->state == BREAKER_HALF_OPEN)
		return ep->inflight == 0 ? 1 : 0;
	return Max(limit - ep->inflight, 0);
}

/*
 * endpoint_park
 *		Hold back a ready lane (taken off ready_lanes) whose head cannot
 *		start now because of its endpoint's budget or breaker.
 */
void
endpoint_park(Endpoint *ep, Lane *lane)
{
	Assert(!lane->listed);
	dlist_push_tail(&ep->parked, &lane->lnode);
	lane->listed = true;
	lane->parked_on = ep;
	ep->nparked++;
	publish_wanted = true;
}

/*
 * endpoint_unparked
 *		A lane parked on ep was taken off its list (by lane.c or here).
 */
void
endpoint_unparked(Lane *lane)
{
	if (lane->parked_on != NULL)
	{
		lane->parked_on->nparked--;
		lane->parked_on = NULL;
		publish_wanted = true;
	}
}

/*
 * endpoint_release_parked
 *		Move up to n lanes parked on ep back to ready_lanes, oldest first
 *		(n < 0: all).
 */
static void
endpoint_release_parked(Endpoint *ep, int n)
{
	while (n != 0 && !dlist_is_empty(&ep->parked))
	{
		Lane	   *lane = dlist_container(Lane, lnode,
										   dlist_pop_head_node(&ep->parked));

		endpoint_unparked(lane);
		dlist_push_tail(&ready_lanes, &lane->lnode);
		if (n > 0)
			n--;
	}
}

/*
 * endpoint_started
 *		n attempts to ep were started.
 */
void
endpoint_started(Endpoint *ep, int n)
{
	ep->inflight += n;
	publish_wanted = true;
}

/*
 * endpoint_finished
 *		One attempt to ep is over with result res (NULL: dropped without a
 *		result).  Counts it for the breaker (failure: no complete answer or
 *		a 5xx; a refusal by the worker counts for nothing), then lets
 *		parked lanes go as the breaker and the freed slot allow.
 */
void
endpoint_finished(Endpoint *ep, const TransportResult *res, TimestampTz now)
{
	Assert(ep->inflight > 0);
	ep->inflight--;
	publish_wanted = true;
	if (ep->network && res != NULL && res->outcome != TRANSPORT_REFUSED)
	{
		bool		failed = res->outcome == TRANSPORT_NO_ANSWER ||
			(res->outcome == TRANSPORT_ANSWERED && res->status >= 500);

		if (!failed)
		{
			ep->failures = 0;
			if (ep->state != BREAKER_CLOSED)
			{
				ep->state = BREAKER_CLOSED;
				endpoint_release_parked(ep, -1);
				return;
			}
		}
		else
		{
			ep->failures++;
			if (ep->state == BREAKER_HALF_OPEN ||
				(ep->state == BREAKER_CLOSED && notify_ext_breaker_failures > 0 &&
				 ep->failures >= notify_ext_breaker_failures))
			{
				ep->state = BREAKER_OPEN;
				ep->opened_at = now;
				ep->probe_at = TimestampTzPlusMilliseconds(now,
														   notify_ext_breaker_delay);
			}
		}
	}
	if (ep->state == BREAKER_CLOSED)
		endpoint_release_parked(ep, endpoint_room(ep, now));
	else if (ep->state == BREAKER_HALF_OPEN && ep->inflight == 0)
		endpoint_release_parked(ep, 1);
}

/*
 * endpoints_promote
 *		Let parked lanes go where there is room now (the probe of an open
 *		breaker whose delay is over, a budget raised by a reload), and
 *		lower *sleep_ms to the wait until the next probe; then show the
 *		endpoints when they changed.
 */
void
endpoints_promote(TimestampTz now, long *sleep_ms)
{
	HASH_SEQ_STATUS status;
	Endpoint   *ep;

	if (endpoints == NULL)
		return;
	hash_seq_init(&status, endpoints);
	while ((ep = hash_seq_search(&status)) != NULL)
	{
		int			room;

		if (ep->nparked == 0)
			continue;
		room = endpoint_room(ep, now);
		if (room > 0)
			endpoint_release_parked(ep, room);
		else if (ep->state == BREAKER_OPEN)
		{
			long		ms = (long) ((ep->probe_at - now) / 1000) + 1;

			if (ms < *sleep_ms)
				*sleep_ms = ms;
		}
	}
	endpoints_publish(now);
}

/* qsort comparator: open, half-open, then busiest first */
static int
cmp_shown(const void *a, const void *b)
{
	const NotifyEndpointStat *x = a;
	const NotifyEndpointStat *y = b;
	int			rx = x->state == 'c' ? 1 : 0;
	int			ry = y->state == 'c' ? 1 : 0;

	if (rx != ry)
		return rx - ry;
	return (y->inflight + y->waiting) - (x->inflight + x->waiting);
}

/*
 * endpoints_publish
 *		Write the endpoints to this worker's slot for notify.endpoint_status
 *		when they changed, at most every PUBLISH_MS.
 */
void
endpoints_publish(TimestampTz now)
{
	HASH_SEQ_STATUS status;
	Endpoint   *ep;
	NotifyEndpointStat *shown;
	NotifyDbSlot *slot;
	int			n = 0;
	int			cap;

	if (endpoints == NULL || !publish_wanted ||
		!TimestampDifferenceExceeds(published_at, now, PUBLISH_MS))
		return;
	cap = hash_get_num_entries(endpoints);
	shown = palloc(sizeof(NotifyEndpointStat) * Max(cap, 1));
	hash_seq_init(&status, endpoints);
	while ((ep = hash_seq_search(&status)) != NULL)
	{
		NotifyEndpointStat *s = &shown[n++];

		memcpy(s->endpoint, ep->key, NOTIFY_ENDPOINT_KEYLEN);
		s->state = ep->state == BREAKER_OPEN ? 'o' :
			ep->state == BREAKER_HALF_OPEN ? 'h' : 'c';
		s->failures = ep->failures;
		s->inflight = ep->inflight;
		s->waiting = ep->nparked;
		s->opened_at = ep->opened_at;
		s->probe_at = ep->state == BREAKER_OPEN ? ep->probe_at : 0;
	}
	qsort(shown, n, sizeof(NotifyEndpointStat), cmp_shown);
	n = Min(n, NOTIFY_ENDPOINTS_SHOWN);
	slot = &notify_shared->slots[endpoint_slotno];
	SpinLockAcquire(&slot->ep_mutex);
	memcpy(slot->endpoints, shown, sizeof(NotifyEndpointStat) * n);
	slot->nendpoints = n;
	SpinLockRelease(&slot->ep_mutex);
	pfree(shown);
	publish_wanted = false;
	published_at = now;
}

PG_FUNCTION_INFO_V1(notify_ext_endpoint_status);

/*
 * notify_ext_endpoint_status
 *		SQL notify.endpoint_slots(): the endpoints each delivery process of
 *		this database shows (see endpoints_publish), with its process
 *		number.  No rows when no worker runs for it or the library is not
 *		preloaded.
 */
Datum
notify_ext_endpoint_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	NotifyEndpointStat shown[NOTIFY_ENDPOINTS_SHOWN];
	int			slotno;

	InitMaterializedSRF(fcinfo, 0);
	if (notify_shared == NULL)
		return (Datum) 0;
	for (slotno = 0; slotno < notify_shared->nslots; slotno++)
	{
		NotifyDbSlot *slot = &notify_shared->slots[slotno];
		int			process = slot->process;
		int			n;
		int			i;

		if (slot->dboid != MyDatabaseId || slot->pid == 0)
			continue;
		SpinLockAcquire(&slot->ep_mutex);
		n = slot->nendpoints;
		memcpy(shown, slot->endpoints, sizeof(NotifyEndpointStat) * n);
		SpinLockRelease(&slot->ep_mutex);
		for (i = 0; i < n; i++)
		{
			NotifyEndpointStat *s = &shown[i];
			Datum		values[8];
			bool		nulls[8] = {false, false, false, false, false, false, false, false};

			s->endpoint[NOTIFY_ENDPOINT_KEYLEN - 1] = '\0';
			values[0] = CStringGetTextDatum(s->endpoint);
			values[1] = CStringGetTextDatum(s->state == 'o' ? "open" :
											s->state == 'h' ? "half-open" : "closed");
			values[2] = Int32GetDatum(s->failures);
			values[3] = Int32GetDatum(s->inflight);
			values[4] = Int32GetDatum(s->waiting);
			values[5] = TimestampTzGetDatum(s->opened_at);
			nulls[5] = (s->opened_at == 0);
			values[6] = TimestampTzGetDatum(s->probe_at);
			nulls[6] = (s->probe_at == 0);
			values[7] = Int32GetDatum(process);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
