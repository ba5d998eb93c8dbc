/*-------------------------------------------------------------------------
 *
 * capture_internal.h
 *	  What the files of the capture trigger share: the table of capture
 *	  kinds, the column roles, the events capture raises, the resolved
 *	  configuration of one trigger and the helpers to emit events.
 *
 * The trigger (capture.c) resolves its arguments against the kinds table
 * (kinds.c), then calls the kind's handler (item.c, collection.c,
 * storage.c, file.c, changeset.c), which reads the row and emits events
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
	CR_SIZE,					/* a file's size in bytes (S3 event messages) */
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
} CaptureEventInfo;

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

/* the handlers of the kinds table */
extern void capture_item(const CaptureRow *row);
extern void capture_collection(const CaptureRow *row);
extern void capture_collection_member(const CaptureRow *row);
extern void capture_storage(const CaptureRow *row);
extern void capture_file(const CaptureRow *row);
extern void capture_change_set(const CaptureRow *row);

#endif							/* NOTIFY_CAPTURE_INTERNAL_H */
