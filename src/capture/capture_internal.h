/*-------------------------------------------------------------------------
 *
 * capture_internal.h
 *	  What the files of the capture trigger share: the table of capture
 *	  kinds, the column roles, the events capture raises, the resolved
 *	  configuration of one trigger and the helpers to emit events.
 *
 * The trigger (capture.c) resolves its arguments against the kinds table
 * (kinds.c), then calls the kind's handler (item.c, collection.c,
 * storage.c, file.c, changeset.c, job.c), which reads the row and emits events
 * through emit.c with payloads built by payload.c.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/capture_internal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_CAPTURE_INTERNAL_H
#define NOTIFY_CAPTURE_INTERNAL_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/bitmapset.h"
#include "nodes/pg_list.h"
#include "utils/relcache.h"

#include "definition/definition.h"
#include "definition/definition_cache.h"
#include "notify_ext.h"

/*
 * Column roles: what a column of an attached table means to capture.  A
 * trigger argument "role=column" gives a role its column; "ignore" may be
 * given many times (columns that are not metadata fields).
 */
typedef enum CaptureRole
{
	CR_ID,
	CR_STORAGE,
	CR_ITEM,
	CR_PATH,
	CR_STATE,
	CR_HASH,
	CR_RESOURCE,
	CR_FIELDS,
	CR_CHANGESET,
	CR_IGNORE,
	CR_TYPE,
	CR_STEP,
	CR_STEP_STATUS,
	CR_TOTAL_STEPS,
	CR_USER,
	CR_START_TIME,
	CR_ERROR,
	CR_DATA,
	CR_NOTIFICATION,
	CR_NOTIFICATION_DATA,
	CR_PERMISSION,
	CR_GROUP,
	CR_SHAPE,
	CR_COMPONENT,
	CR_TAGS,
	CR_METADATA,
	CR_SIZE,
	CR_ITEM_LIMIT,
	CR_STORAGE_LIMIT,
	CR_ENTITY_TYPE,
	CR_ENTITY,
	CR_EXPIRY,
	CR_COUNT
} CaptureRole;

#define CR_BIT(role)	(1U << (role))

/*
 * The events capture raises are NotifyEvent ids: their names and resources
 * are the rows of notify_events[] (definition/names.c), the one list of
 * event names.  What capture adds to an event is its payload: the key of
 * the entity id and the "action" verb.
 */
typedef struct CaptureEventInfo
{
	const char *idkey;			/* payload key of the entity id; NULL: capture
								 * does not raise the event */
	const char *verb;			/* payload "action" value; NULL: none */
	const char *const *keys;	/* every output key in order, NULL-ended, for
								 * capture_emit_keyed; NULL: idkey, action */
} CaptureEventInfo;

/*
 * Positions of the output keys of the events whose keys are a list of
 * capture_events (the spellings are there, in kinds.c, and nowhere else).
 */
typedef enum AccessKey
{
	AK_TYPE, AK_ACTION, AK_ITEM, AK_ACCESS, AK_PERMISSION, AK_USER, AK_GROUP,
	AK_COUNT
} AccessKey;

typedef enum ShapeKey
{
	SK_TYPE, SK_ACTION, SK_ITEM, SK_SHAPE, SK_COUNT
} ShapeKey;

typedef enum GroupKey
{
	GK_GROUP, GK_ACTION, GK_USER, GK_OPERATION, GK_GROUPS, GK_USERS, GK_COUNT
} GroupKey;

typedef enum FilenameKey
{
	FK_STORAGE, FK_ACTION, FK_ITEM, FK_SHAPE, FK_COMPONENT, FK_FILE, FK_USER,
	FK_METADATA, FK_SHAPE_TAGS, FK_COUNT
} FilenameKey;


struct CaptureKindInfo;

/* What one capture trigger's arguments say, resolved to attribute numbers */
typedef struct CaptureTable
{
	Oid			tgoid;			/* hash key */
	Oid			relid;			/* InvalidOid: stale, rebuild */
	const struct CaptureKindInfo *kind;
	AttrNumber	att[CR_COUNT];	/* column of each role; unused for CR_IGNORE */
	Bitmapset  *ignore;			/* columns that are not metadata */
} CaptureTable;

/* One row change seen by one trigger call */
typedef struct CaptureRow
{
	const NotifyCatalog *cat;
	const CaptureTable *ct;
	TupleDesc	desc;
	HeapTuple	tuple;			/* the inserted, deleted or old row */
	HeapTuple	newtuple;		/* the new row of an UPDATE, else NULL */
	bool		is_insert;
	bool		is_delete;
	bool		is_update;
	HeapTuple  *returned;		/* BEFORE trigger: the row to write, which
								 * the handler may replace (starts as
								 * tuple); NULL for an AFTER trigger */
} CaptureRow;

/* A kind's handler: emits the events of one row change */
typedef void (*CaptureHandler) (const CaptureRow *row);

/*
 * One kind of attached table.  roles: the roles its trigger may give;
 * attach_roles: those notify.attach() offers as options (the id role is
 * attach's id_column argument); required: those its trigger must give.
 */
typedef struct CaptureKindInfo
{
	const char *name;			/* notify.attach() resource, trigger arg 1 */
	uint32		roles;
	uint32		attach_roles;
	uint32		required;
	const NotifyEvent *events; /* the events it can raise, NE_COUNT-ended */
	CaptureHandler handler;
	bool		before;			/* fires BEFORE INSERT (else AFTER INSERT OR
								 * UPDATE OR DELETE) */
	const char *trigger_name;	/* NULL: notify_capture */
} CaptureKindInfo;

/* kinds.c */
extern const CaptureEventInfo capture_events[NE_COUNT];
extern const CaptureKindInfo *capture_kind_lookup(const char *name);
extern int	capture_role_lookup(const char *name);
extern const char *capture_role_name(CaptureRole role);
extern Oid	capture_role_type(CaptureRole role);
extern bool capture_kind_raises(const CaptureKindInfo *kind, NotifyEvent event);

/* capture.c */
extern void capture_args_resolve(CaptureTable *ct, Relation rel,
								 const char *tgname, int nargs, char **args,
								 MemoryContext cxt);
extern char *capture_column_text(HeapTuple tuple, TupleDesc desc, AttrNumber att);
extern bool capture_column_changed(HeapTuple oldtup, HeapTuple newtup,
								   TupleDesc desc, AttrNumber att);
extern char *capture_role_text(const CaptureRow *row, HeapTuple tuple,
							   CaptureRole role);
extern List *capture_role_values(const CaptureRow *row, HeapTuple tuple,
								 CaptureRole role);
extern bool capture_row_changed(const CaptureRow *row);
extern char *capture_acting_user(void);

/* payload.c: the event's multi-map as a JSON object of string arrays */
extern void payload_add(StringInfo buf, const char *key, const char *value);
extern void payload_add_list(StringInfo buf, const char *key, List *values);
extern char *payload_finish(StringInfo buf);

/* emit.c */
extern bool capture_scope_matches(const CachedNotification *cn,
								  const char *entity_id);
extern List *capture_matches(const CaptureRow *row, NotifyEvent event);
extern void capture_emit(const CaptureRow *row, const CachedNotification *cn,
						 NotifyEvent event, const char *entity_id,
						 const char *payload);
extern void capture_emit_simple(const CaptureRow *row, NotifyEvent event,
								const char *id);
extern void capture_emit_metadata(const CaptureRow *row, NotifyEvent event,
								  const char *id, const char *change_set_id,
								  List *changes);
extern void capture_emit_entity(const CaptureRow *row, NotifyEvent create,
								NotifyEvent delete, NotifyEvent modify);
extern List *capture_value(const char *value);
extern char *capture_keyed_payload(NotifyEvent event, List **values);
extern void capture_emit_keyed(const CaptureRow *row, NotifyEvent event,
							   const char *entity_id, List **values);

/* the handlers of the kinds table */
extern void capture_item(const CaptureRow *row);
extern void capture_collection(const CaptureRow *row);
extern void capture_collection_member(const CaptureRow *row);
extern void capture_storage(const CaptureRow *row);
extern void capture_file(const CaptureRow *row);
extern void capture_change_set(const CaptureRow *row);
extern void capture_job(const CaptureRow *row);
extern void capture_access(const CaptureRow *row);
extern void capture_shape(const CaptureRow *row);
extern void capture_document(const CaptureRow *row);
extern void capture_group(const CaptureRow *row);
extern void capture_group_member(const CaptureRow *row);
extern void capture_filename(const CaptureRow *row);
extern void capture_quota(const CaptureRow *row);
extern void capture_deletion_lock(const CaptureRow *row);

/* capture_state.c: SQL as the owner, cached "any rows" flags */
typedef struct CaptureSpi
{
	Oid			save_userid;
	int			save_sec;
} CaptureSpi;

typedef struct CaptureStateFlag
{
	const char *relname;		/* table of the extension's schema */
	Oid			relid;
	uint64		generation;		/* catalog generation of relid */
	bool		resolved;		/* relid and generation are set */
	bool		registered;
	bool		known;
	bool		any;
} CaptureStateFlag;

extern void capture_spi_begin(CaptureSpi *spi);
extern void capture_spi_end(CaptureSpi *spi);
extern void capture_spi_run(SPIPlanPtr *plan, const char *sql, int nargs,
							const char **args);
extern bool capture_state_any(CaptureStateFlag *flag);
extern void capture_state_changed(CaptureStateFlag *flag);

/* quota.c: usage of the quota rules, kept by item and file capture */
extern void quota_usage_changed(const CaptureRow *row, int64 items, int64 bytes);

/* quota_usage.c: the rules' usage held by this transaction */
typedef struct QuotaUsage
{
	char	   *rule_id;
	char	   *item_limit;		/* NULL: none */
	char	   *storage_limit;	/* NULL: none */
	int64		items;
	int64		bytes;
} QuotaUsage;

extern List *quota_usage_add(int64 items, int64 bytes);
extern bool quota_usage_pending(void);
extern bool quota_usage_rule_changed(Oid relid, const char *old_id,
									 const char *new_id, const char *item_limit,
									 const char *storage_limit, int64 *items,
									 int64 *bytes, bool *crossed);

/* deletion_lock.c: an item joined or left a collection */
extern void deletion_lock_member_changed(const CaptureRow *row);

#endif							/* NOTIFY_CAPTURE_INTERNAL_H */
