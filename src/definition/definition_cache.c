/*-------------------------------------------------------------------------
 *
 * definition_cache.c
 *	  Per-backend cache of parsed notification definitions.
 *
 * The capture trigger must not query the catalog or the definitions table
 * for every row it sees.  The first lookup in a backend loads every row of
 * notify.notification, parses each stored document once (definition_parse)
 * and files the result under (resource, trigger event) and under its id, in
 * a memory context below CacheMemoryContext.
 *
 * Invalidation: a statement trigger on notify.notification
 * (notify_ext_definitions_changed) registers a relcache invalidation of the
 * table; it reaches this backend at the next CommandCounterIncrement and
 * other backends when the changing transaction commits.  The relcache
 * callback (catalog.c) only bumps a generation -- nothing is freed then,
 * since it may run in the middle of a capture that is still walking a list
 * it got from us.  The next lookup sees the new generation and rebuilds.
 * DROP EXTENSION invalidates the dropped tables the same way.
 *
 * Loading runs as the owner of the extension's tables, so that the user
 * whose change is being captured needs no privilege on them.  A stored
 * document that no longer parses (one stored by an older version, or one
 * whose canonical form exceeds a notify_ext.max_document_size lowered
 * since it was stored) is skipped with a WARNING inside a subtransaction
 * rather than blocking every write to the asset tables.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/definition_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "common/hashfn.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "definition/definition_cache.h"
#include "notify_ext.h"
#include "common/subxact.h"
#include "common/url.h"

PG_FUNCTION_INFO_V1(notify_ext_definitions_changed);
PG_FUNCTION_INFO_V1(notify_ext_event_lane);

#define EVENT_KEY_LEN	96

typedef struct EventEntry
{
	char		key[EVENT_KEY_LEN]; /* "<resource>:<event>" */
	List	   *notifications;	/* CachedNotification * */
} EventEntry;

typedef struct IdEntry
{
	char		id[NAMEDATALEN];
	CachedNotification *notification;
} IdEntry;

static bool cache_valid = false;
static uint64 cache_catalog_generation = 0;	/* notify_catalog_generation()
											 * when loaded */
static uint64 cache_generation = 0;
static MemoryContext cache_context = NULL;
static HTAB *by_event = NULL;
static HTAB *by_id = NULL;

/* ----------------------------------------------------------------
 *		invalidation
 * ----------------------------------------------------------------
 */

/*
 * The cache is valid while it was loaded in the catalog generation that is
 * current (catalog.c's one relcache callback bumps it when the definitions
 * or the outbox table is invalidated).
 */
static bool
cache_is_current(void)
{
	return cache_valid && cache_catalog_generation == notify_catalog_generation();
}

/*
 * notify_ext_definitions_changed
 *		Statement trigger on notify.notification: send a relcache
 *		invalidation so every backend reloads its cached definitions.
 */
Datum
notify_ext_definitions_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired by a trigger",
						"notify.definitions_changed")));

	CacheInvalidateRelcache(trigdata->tg_relation);
	PG_RETURN_POINTER(NULL);
}

/* ----------------------------------------------------------------
 *		loading
 * ----------------------------------------------------------------
 */

/* Endpoint of an action without credentials: the unit of lanes */
static char *
action_endpoint(const NotifyAction *a)
{
	switch (a->kind)
	{
		case NA_HTTP:
			return notify_url_mask(a->url, NOTIFY_MASK_AUTHORITY);
		case NA_SQS:
			return psprintf("sqs:%s/%s", a->sqs_endpoint, a->sqs_queue);
		case NA_SNS:
			return psprintf("sns:%s/%s", a->sqs_endpoint, a->sns_topic);
		case NA_FUNCTION:
			return psprintf("function:%s", a->function_name);
		case NA_CHANNEL:
			return psprintf("channel:%s", a->channel);
	}
	return pstrdup("");
}

/*
 * set_lane
 *		Set cn's lane: by group ("g:"), by endpoint when the endpoint is
 *		ordered ("u:"), else per entity of the endpoint ("e:"), and the
 *		lane lock key hashed from the prefix.
 */
static void
set_lane(CachedNotification *cn)
{
	const NotifyAction *a = &cn->def->action;

	if (a->group != NULL)
		cn->lane_prefix = psprintf("g:%s", a->group);
	else if (cn->endpoint_ordering)
		cn->lane_prefix = psprintf("u:%s", action_endpoint(a));
	else
	{
		cn->lane_prefix = psprintf("e:%s", action_endpoint(a));
		cn->lane_per_entity = true;
	}
	cn->lane_lock_key = (int32) hash_bytes((const unsigned char *) cn->lane_prefix,
										   strlen(cn->lane_prefix));
	cn->lane_prefix_hash = notify_lane_prefix_hash(cn->lane_prefix);
}

/*
 * notify_lane_prefix_hash
 *		The hash of a lane prefix ("g:...", "u:...", "e:...") that
 *		notify_lane starts from.
 */
uint64
notify_lane_prefix_hash(const char *lane_prefix)
{
	return hash_bytes_extended((const unsigned char *) lane_prefix,
							   strlen(lane_prefix), 0);
}

/*
 * notify_lane
 *		An event's lane number: the hash of its lane prefix, combined with
 *		its resource and entity when the lane is per entity; never negative.
 *		Capture writes it to the outbox row's lane column; the delivery
 *		worker keys its lanes by it and the delivery processes divide the
 *		lanes by it (notify_lane_process), so that the events of one lane
 *		always meet in one process.
 */
int64
notify_lane(uint64 prefix_hash, bool per_entity, const char *resource,
			const char *entity_id)
{
	uint64		h = prefix_hash;

	if (per_entity)
	{
		h = hash_combine64(h, hash_bytes_extended((const unsigned char *) resource,
												  strlen(resource), 0));
		if (entity_id)
			h = hash_combine64(h, hash_bytes_extended((const unsigned char *) entity_id,
													  strlen(entity_id), 1));
	}
	return (int64) (h & PG_INT64_MAX);
}

/*
 * notify_ext_event_lane
 *		SQL notify.event_lane(notification_id, resource, entity_id): the lane
 *		number capture writes for an event of that notification (notify_lane
 *		with its current definition); NULL when the notification does not
 *		exist.  The upgrade to 1.1 fills in the lane of the events written
 *		before it with this.
 */
Datum
notify_ext_event_lane(PG_FUNCTION_ARGS)
{
	char	   *id;
	char	   *resource;
	char	   *entity_id;
	CachedNotification *cn;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	resource = text_to_cstring(PG_GETARG_TEXT_PP(1));
	entity_id = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	cn = definition_cache_get(id);
	if (cn == NULL)
		PG_RETURN_NULL();
	PG_RETURN_INT64(notify_lane(cn->lane_prefix_hash, cn->lane_per_entity,
								resource, entity_id));
}

/*
 * make_event_key
 *		Write the by_event hash key of (resource, event) into key, which has
 *		EVENT_KEY_LEN bytes.
 */
static void
make_event_key(char *key, NotifyResource resource, const char *event)
{
	snprintf(key, EVENT_KEY_LEN, "%d:%s", (int) resource, event);
}

typedef struct CacheAddArgs
{
	const char *id;
	const char *resource;
	const char *entity_id;
	const char *document;
	Oid			owner;
	const char *ordering;
	const char *url_password;
	const char *sqs_secret;
	const char *signing_alias;
	const char *signing_secret;
	const char *signing_previous;
	Oid			signing_owner;
	const char *s3_configuration_id;	/* NULL: no bucket configuration */
	const char *s3_bucket;
	const char *s3_region;
	const char *s3_prefix;
	const char *s3_suffix;
} CacheAddArgs;

/* Parse one stored row into the cache; called inside a subtransaction */
static void
cache_add_row(void *arg)
{
	CacheAddArgs *a = arg;
	MemoryContext old = MemoryContextSwitchTo(cache_context);
	CachedNotification *cn = palloc0(sizeof(CachedNotification));
	char		key[EVENT_KEY_LEN];
	EventEntry *ev;
	IdEntry    *ie;
	bool		found;

	cn->id = pstrdup(a->id);
	cn->entity_id = a->entity_id ? pstrdup(a->entity_id) : NULL;
	cn->owner = a->owner;
	cn->endpoint_ordering = (strcmp(a->ordering, "endpoint") == 0);
	cn->def = definition_parse(resource_from_name(a->resource),
							   a->document, strlen(a->document));
	definition_set_secrets(cn->def, a->url_password, a->sqs_secret);
	if (cn->def->action.kind == NA_HTTP && a->signing_alias != NULL)
	{
		cn->def->action.signing_alias = pstrdup(a->signing_alias);
		if (a->signing_secret != NULL)
			cn->def->action.signing_secret = pstrdup(a->signing_secret);
		if (a->signing_previous != NULL)
			cn->def->action.signing_previous = pstrdup(a->signing_previous);
		cn->def->action.signing_owner = a->signing_owner;
	}
	set_lane(cn);
	if (a->s3_configuration_id != NULL)
	{
		cn->s3 = palloc0(sizeof(S3Target));
		cn->s3->configuration_id = pstrdup(a->s3_configuration_id);
		cn->s3->bucket = pstrdup(a->s3_bucket);
		cn->s3->region = pstrdup(a->s3_region);
		cn->s3->prefix = pstrdup(a->s3_prefix);
		cn->s3->suffix = pstrdup(a->s3_suffix);
	}

	make_event_key(key, cn->def->resource, cn->def->trigger.event);
	ev = hash_search(by_event, key, HASH_ENTER, &found);
	if (!found)
		ev->notifications = NIL;
	ev->notifications = lappend(ev->notifications, cn);

	ie = hash_search(by_id, cn->id, HASH_ENTER, &found);
	ie->notification = cn;
	MemoryContextSwitchTo(old);
}

/*
 * Parse one stored row into the cache, inside a subtransaction so that a
 * document this version cannot read is skipped with a WARNING.
 */
static void
cache_add(CacheAddArgs *args)
{
	char	   *error = NULL;

	if (!subxact_run(cache_add_row, args, &error, NULL))
		ereport(WARNING,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("notification \"%s\" is ignored: its stored document cannot be read",
						args->id),
				 errdetail_internal("%s", error),
				 errhint("Delete it with notify.delete_notification and create it again.")));
}

/*
 * cache_hash_create
 *		A hash table in cache_context keyed by strings of keysize bytes.
 */
static HTAB *
cache_hash_create(const char *name, Size keysize, Size entrysize)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = cache_context;
	return hash_create(name, 64, &ctl,
					   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
}

/*
 * Load every definition.  Runs SPI as the extension owner.  The valid flag
 * is set before reading, so an invalidation that arrives while we read
 * makes the next lookup load again.
 */
static void
cache_load(const NotifyCatalog *cat)
{
	Oid			save_userid;
	int			save_sec;
	int			ret;
	uint64		i;
	bool		signing;
	bool		has_buckets;

	if (cache_context == NULL)
		cache_context = AllocSetContextCreate(CacheMemoryContext,
											  "notify_ext definitions",
											  ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(cache_context);
	by_event = NULL;
	by_id = NULL;

	by_event = cache_hash_create("notify_ext definitions by event",
								 EVENT_KEY_LEN, sizeof(EventEntry));
	by_id = cache_hash_create("notify_ext definitions by id",
							  NAMEDATALEN, sizeof(IdEntry));

	cache_valid = true;
	cache_catalog_generation = notify_catalog_generation();
	cache_generation++;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(cat->owner,
						   save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/*
	 * Signing secrets came with version 1.1: until ALTER EXTENSION UPDATE,
	 * a 1.0 schema has none (and no notification signs).  So did the
	 * notifications of bucket configurations (notify.bucket_notification).
	 */
	signing = OidIsValid(get_relname_relid("signing_secret", cat->schema));
	has_buckets = OidIsValid(get_relname_relid("bucket_notification", cat->schema));
	ret = SPI_execute(psprintf("SELECT n.id, n.resource, n.entity_id, n.document, n.owner, "
							   "n.ordering, s.url_password, s.sqs_secret, %s, %s "
							   "FROM notify.notification n "
							   "LEFT JOIN notify.notification_secret s "
							   "ON s.notification_id OPERATOR(pg_catalog.=) n.id %s%s"
							   "ORDER BY n.created_at, n.id",
							   signing ?
							   "n.signing_alias, g.secret, g.previous_secret, g.owner" :
							   "NULL::text, NULL::text, NULL::text, NULL::oid",
							   has_buckets ?
							   "b.configuration_id, b.bucket, b.region, b.prefix, b.suffix" :
							   "NULL::text, NULL::text, NULL::text, NULL::text, NULL::text",
							   signing ?
							   "LEFT JOIN notify.signing_secret g "
							   "ON g.alias OPERATOR(pg_catalog.=) n.signing_alias "
							   "AND pg_catalog.pg_has_role(n.owner, g.owner, 'USAGE') " : "",
							   has_buckets ?
							   "LEFT JOIN notify.bucket_notification b "
							   "ON b.notification_id OPERATOR(pg_catalog.=) n.id " : ""),
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read notification definitions: %s",
			 SPI_result_code_string(ret));

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		CacheAddArgs args;
		bool		isnull;

		args.id = SPI_getvalue(tup, desc, 1);
		if (strlen(args.id) >= NAMEDATALEN)
			continue;			/* ids are VX-<n>; cannot happen */
		args.resource = SPI_getvalue(tup, desc, 2);
		args.entity_id = SPI_getvalue(tup, desc, 3);
		args.document = SPI_getvalue(tup, desc, 4);
		args.owner = DatumGetObjectId(SPI_getbinval(tup, desc, 5, &isnull));
		args.ordering = SPI_getvalue(tup, desc, 6);
		args.url_password = SPI_getvalue(tup, desc, 7);
		args.sqs_secret = SPI_getvalue(tup, desc, 8);
		args.signing_alias = SPI_getvalue(tup, desc, 9);
		args.signing_secret = SPI_getvalue(tup, desc, 10);
		args.signing_previous = SPI_getvalue(tup, desc, 11);
		args.signing_owner = DatumGetObjectId(SPI_getbinval(tup, desc, 12, &isnull));
		if (isnull)
			args.signing_owner = InvalidOid;
		args.s3_configuration_id = SPI_getvalue(tup, desc, 13);
		args.s3_bucket = SPI_getvalue(tup, desc, 14);
		args.s3_region = SPI_getvalue(tup, desc, 15);
		args.s3_prefix = SPI_getvalue(tup, desc, 16);
		args.s3_suffix = SPI_getvalue(tup, desc, 17);
		cache_add(&args);
	}
	SPI_finish();

	SetUserIdAndSecContext(save_userid, save_sec);
}

/*
 * cache_ensure
 *		Load the cache if it is not valid.  Returns false when the extension
 *		is not installed in this database (nothing to match), else true.
 */
static bool
cache_ensure(void)
{
	const NotifyCatalog *cat = notify_catalog();

	if (!OidIsValid(cat->schema))
		return false;
	if (!cache_is_current())
		cache_load(cat);
	return true;
}

/* ----------------------------------------------------------------
 *		lookups
 * ----------------------------------------------------------------
 */

/*
 * definition_cache_match
 *		Notifications whose trigger is `event` of `resource`.
 *
 * Returns a list owned by the cache (do not modify or free); it stays valid
 * until the next call into this module.  NIL when none, or when the
 * extension is not installed.  May ERROR while loading (SPI failure).
 */
List *
definition_cache_match(NotifyResource resource, const char *event)
{
	char		key[EVENT_KEY_LEN];
	EventEntry *ev;

	if (!cache_ensure())
		return NIL;
	make_event_key(key, resource, event);
	ev = hash_search(by_event, key, HASH_FIND, NULL);
	return ev ? ev->notifications : NIL;
}

/*
 * definition_cache_get
 *		The notification with this id, or NULL.  Owned by the cache, valid
 *		until the next call into this module.
 */
CachedNotification *
definition_cache_get(const char *id)
{
	IdEntry    *ie;

	if (strlen(id) >= NAMEDATALEN || !cache_ensure())
		return NULL;
	ie = hash_search(by_id, id, HASH_FIND, NULL);
	return ie ? ie->notification : NULL;
}

/*
 * definition_cache_generation
 *		A number that changes whenever the cache is rebuilt, so that a
 *		caller holding copies of cached definitions knows to refresh them.
 */
uint64
definition_cache_generation(void)
{
	return cache_generation;
}

/*
 * definition_cache_refresh
 *		Load the definitions again, with the latest snapshot rather than
 *		the caller's, and return the notification with this id or NULL.
 *
 * For the delivery worker: a claimed event's notification committed before
 * the event did, but the worker's transaction may have taken its snapshot
 * and read invalidations before that.  Capture never calls this: it uses
 * the definitions its own snapshot sees.
 */
CachedNotification *
definition_cache_refresh(const char *id)
{
	CachedNotification *cn;

	AcceptInvalidationMessages();
	cache_valid = false;
	PushActiveSnapshot(GetLatestSnapshot());
	cn = definition_cache_get(id);
	PopActiveSnapshot();
	return cn;
}
