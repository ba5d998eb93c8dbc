/*-------------------------------------------------------------------------
 *
 * kinds.c
 *	  THE table of capture kinds, the column roles and the events capture
 *	  raises.
 *
 * A capture kind is what an attached table holds: item, collection,
 * collection-member, storage, file, metadata-change-set, job, access,
 * shape, document, group, group-member, filename, quota or deletion-lock.
 * Each row of
 * capture_kinds names the column roles its trigger may give and must give,
 * the options notify.attach() offers, the events it can raise and its
 * handler.  Everything else derives from it:
 *
 *	- the trigger (capture.c) resolves its arguments here and calls the
 *	  kind's handler: no list of kind names anywhere else in C;
 *	- notify.attach() takes the kind's options from
 *	  notify.capture_kind_options() and has the trigger arguments it built
 *	  checked by notify.capture_check_args() before it creates the trigger;
 *	- notify.attach_shipped_assets() checks the shipped triggers' arguments
 *	  through notify.capture_check_args() too.
 *
 * So a kind cannot be half-added, and a role given to a kind that does not
 * read it is refused instead of being ignored.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/kinds.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "storage/lockdefs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "capture/capture_internal.h"

PG_FUNCTION_INFO_V1(notify_ext_capture_kind_options);
PG_FUNCTION_INFO_V1(notify_ext_capture_check_args);
PG_FUNCTION_INFO_V1(notify_ext_capture_kind_trigger);

/*
 * The output keys of the events whose payload is a list of keys, in output
 * order (README.md, "Output keys", lists them).  Their positions are the
 * enums of capture_internal.h; "type" is the event's element and "action"
 * its verb.
 */
static const char *const access_keys[AK_COUNT + 1] = {
	[AK_TYPE] = "type",
	[AK_ACTION] = "action",
	[AK_ITEM] = "itemId",
	[AK_ACCESS] = "accessId",
	[AK_PERMISSION] = "permission",
	[AK_USER] = "user",
	[AK_GROUP] = "group",
};
static const char *const shape_keys[SK_COUNT + 1] = {
	[SK_TYPE] = "type",
	[SK_ACTION] = "action",
	[SK_ITEM] = "itemId",
	[SK_SHAPE] = "shapeId",
};
static const char *const group_keys[GK_COUNT + 1] = {
	[GK_GROUP] = "groupName",
	[GK_ACTION] = "action",
	[GK_USER] = "userName",
	[GK_OPERATION] = "operation",
	[GK_GROUPS] = "group",
	[GK_USERS] = "user",
};
static const char *const filename_keys[FK_COUNT + 1] = {
	[FK_STORAGE] = "storageId",
	[FK_ACTION] = "action",
	[FK_ITEM] = "itemId",
	[FK_SHAPE] = "shapeId",
	[FK_COMPONENT] = "componentId",
	[FK_FILE] = "fileId",
	[FK_USER] = "user",
	[FK_METADATA] = "metadata",
	[FK_SHAPE_TAGS] = "shapeTag",
};

/*
 * The payload facts of the events capture raises (their names and
 * resources are in notify_events[]): payload key of the entity id, payload
 * "action" verb, and the list of output keys of those built with
 * capture_emit_keyed().
 */
const CaptureEventInfo capture_events[NE_COUNT] = {
	[NE_ITEM_CREATE] = {"itemId", "CREATE"},
	[NE_ITEM_DELETE] = {"itemId", "DELETE"},
	[NE_METADATA_MODIFY] = {"itemId", NULL},
	[NE_COLLECTION_CREATE] = {"collectionId", "CREATE"},
	[NE_COLLECTION_DELETE] = {"collectionId", "DELETE"},
	[NE_COLLECTION_METADATA_MODIFY] = {"collectionId", NULL},
	[NE_COLLECTION_MODIFY] = {"collectionId", "MODIFY"},
	[NE_DOCUMENT_MODIFY] = {"documentName", NULL},
	[NE_STORAGE_CREATE] = {"storageId", "CREATE"},
	[NE_STORAGE_DELETE] = {"storageId", "DELETE"},
	[NE_FILE_NEW] = {"fileId", "NEW"},
	[NE_FILE_DELETE] = {"fileId", "DELETE"},
	[NE_FILE_CHANGE] = {"fileId", "CHANGE"},
	[NE_FILE_CLOSE] = {"fileId", "CLOSE"},
	[NE_FILE_LOST] = {"fileId", "LOST"},
	[NE_FILE_HASH] = {"fileId", "HASH"},
	[NE_JOB_CREATE] = {"jobId", "CREATE"},
	[NE_JOB_STOP] = {"jobId", "STOP"},
	[NE_JOB_UPDATE] = {"jobId", "UPDATE"},
	[NE_JOB_FINISHED] = {"jobId", "FINISHED"},
	[NE_JOB_FAIL] = {"jobId", "FAIL"},
	[NE_ACCESS_CREATE] = {"itemId", "CREATE", access_keys},
	[NE_ACCESS_DELETE] = {"itemId", "DELETE", access_keys},
	[NE_ACCESS_CHANGE] = {"itemId", "CHANGE", access_keys},
	[NE_SHAPE_CREATE] = {"itemId", "CREATE", shape_keys},
	[NE_SHAPE_MODIFY] = {"itemId", "MODIFY", shape_keys},
	[NE_SHAPE_DELETE] = {"itemId", "DELETE", shape_keys},
	[NE_DOCUMENT_CREATE] = {"documentName", "CREATE"},
	[NE_DOCUMENT_DELETE] = {"documentName", "DELETE"},
	[NE_GROUP_CREATE] = {"groupName", "CREATE", group_keys},
	[NE_GROUP_DELETE] = {"groupName", "DELETE", group_keys},
	[NE_GROUP_MODIFY] = {"groupName", "MODIFY", group_keys},
	[NE_STORAGE_FILENAME] = {"storageId", "FILENAME", filename_keys},
	[NE_QUOTA_CREATE] = {"ruleId", "CREATE"},
	[NE_QUOTA_DELETE] = {"ruleId", "DELETE"},
	[NE_QUOTA_WARNING] = {"ruleId", "WARNING"},
	[NE_DELETION_LOCK_CREATE] = {"lockId", NULL},
	[NE_DELETION_LOCK_MODIFY] = {"newLockId", NULL},
	[NE_DELETION_LOCK_DELETE] = {"lockId", NULL},
	[NE_DELETION_LOCK_EXPIRE] = {"lockId", NULL},
	[NE_DELETION_LOCK_EFFECTIVE] = {"newLockId", NULL},
};

/*
 * The column roles: trigger argument name, notify.attach() option name
 * (NULL: attach gives it otherwise or not at all), whether it may be given
 * more than once, the type its column must have (InvalidOid: any) and the
 * column attach takes when the option is not given and the table has a
 * column of that name (the shipped tables' name; NULL: none).
 */
typedef struct CaptureRoleInfo
{
	const char *name;
	const char *option;
	bool		multiple;
	Oid			typid;
	const char *default_column;
} CaptureRoleInfo;

StaticAssertDecl(CR_COUNT <= 32,
				 "column roles must fit the uint32 role masks of CaptureKindInfo");

static const CaptureRoleInfo capture_roles[CR_COUNT] = {
	[CR_ID] = {"id", NULL, false, InvalidOid, NULL},
	[CR_STORAGE] = {"storage", "storage_column", false, InvalidOid, "storage_id"},
	[CR_ITEM] = {"item", "item_column", false, InvalidOid, "item_id"},
	[CR_PATH] = {"path", "path_column", false, InvalidOid, "path"},
	[CR_STATE] = {"state", "state_column", false, InvalidOid, "state"},
	[CR_HASH] = {"hash", "hash_column", false, InvalidOid, "hash"},
	[CR_RESOURCE] = {"resource", "resource_column", false, InvalidOid, "resource"},
	[CR_FIELDS] = {"fields", "fields_column", false, JSONBOID, "fields"},
	[CR_CHANGESET] = {"changeset", NULL, false, InvalidOid, NULL},
	[CR_IGNORE] = {"ignore", "ignore_columns", true, InvalidOid, NULL},
	[CR_TYPE] = {"type", "type_column", false, InvalidOid, "type"},
	[CR_STEP] = {"step", "step_column", false, InvalidOid, "current_step"},
	[CR_STEP_STATUS] = {"step_status", "step_status_column", false, InvalidOid, "step_status"},
	[CR_TOTAL_STEPS] = {"total_steps", "total_steps_column", false, InvalidOid, "total_steps"},
	[CR_USER] = {"user", "user_column", false, InvalidOid, NULL},
	[CR_START_TIME] = {"start_time", "start_time_column", false, InvalidOid, "started_at"},
	[CR_ERROR] = {"error", "error_column", false, InvalidOid, "error_message"},
	[CR_DATA] = {"data", "data_column", false, JSONBOID, "data"},
	[CR_NOTIFICATION] = {"notification", "notification_column", false, InvalidOid, "notification_id"},
	[CR_NOTIFICATION_DATA] = {"notification_data", "notification_data_column", false, InvalidOid, "notification_data"},
	[CR_PERMISSION] = {"permission", "permission_column", false, InvalidOid, "permission"},
	[CR_GROUP] = {"group", "group_column", false, InvalidOid, NULL},
	[CR_SHAPE] = {"shape", "shape_column", false, InvalidOid, "shape_id"},
	[CR_COMPONENT] = {"component", "component_column", false, InvalidOid, "component_id"},
	[CR_TAGS] = {"tags", "tags_column", false, TEXTARRAYOID, NULL},
	[CR_METADATA] = {"metadata", "metadata_column", false, InvalidOid, NULL},
	[CR_SIZE] = {"size", "size_column", false, InvalidOid, "size"},
	[CR_ITEM_LIMIT] = {"item_limit", "item_limit_column", false, InvalidOid, "item_limit"},
	[CR_STORAGE_LIMIT] = {"storage_limit", "storage_limit_column", false, InvalidOid, "storage_limit"},
	[CR_ENTITY_TYPE] = {"entity_type", "entity_type_column", false, InvalidOid, "entity_type"},
	[CR_ENTITY] = {"entity", "entity_column", false, InvalidOid, "entity_id"},
	[CR_EXPIRY] = {"expiry", "expiry_column", false, TIMESTAMPTZOID, "expiry_time"},
};

static const NotifyEvent item_events[] = {
	NE_ITEM_CREATE, NE_ITEM_DELETE, NE_METADATA_MODIFY, NE_QUOTA_WARNING,
	NE_COUNT
};
static const NotifyEvent collection_events[] = {
	NE_COLLECTION_CREATE, NE_COLLECTION_DELETE, NE_COLLECTION_METADATA_MODIFY,
	NE_COUNT
};
static const NotifyEvent member_events[] = {
	NE_COLLECTION_MODIFY, NE_DELETION_LOCK_EFFECTIVE, NE_COUNT
};
static const NotifyEvent storage_events[] = {
	NE_STORAGE_CREATE, NE_STORAGE_DELETE, NE_COUNT
};
static const NotifyEvent file_events[] = {
	NE_FILE_NEW, NE_FILE_DELETE, NE_FILE_CHANGE, NE_FILE_CLOSE, NE_FILE_LOST,
	NE_FILE_HASH, NE_QUOTA_WARNING, NE_COUNT
};
static const NotifyEvent change_set_events[] = {
	NE_METADATA_MODIFY, NE_COLLECTION_METADATA_MODIFY, NE_DOCUMENT_MODIFY,
	NE_COUNT
};
static const NotifyEvent job_events[] = {
	NE_JOB_CREATE, NE_JOB_STOP, NE_JOB_UPDATE, NE_JOB_FINISHED, NE_JOB_FAIL,
	NE_COUNT
};
static const NotifyEvent access_events[] = {
	NE_ACCESS_CREATE, NE_ACCESS_DELETE, NE_ACCESS_CHANGE, NE_COUNT
};
static const NotifyEvent shape_events[] = {
	NE_SHAPE_CREATE, NE_SHAPE_MODIFY, NE_SHAPE_DELETE, NE_COUNT
};
static const NotifyEvent document_events[] = {
	NE_DOCUMENT_CREATE, NE_DOCUMENT_DELETE, NE_DOCUMENT_MODIFY, NE_COUNT
};
static const NotifyEvent group_events[] = {
	NE_GROUP_CREATE, NE_GROUP_DELETE, NE_COUNT
};
static const NotifyEvent group_member_events[] = {
	NE_GROUP_MODIFY, NE_COUNT
};
static const NotifyEvent filename_events[] = {
	NE_STORAGE_FILENAME, NE_COUNT
};
static const NotifyEvent quota_events[] = {
	NE_QUOTA_CREATE, NE_QUOTA_DELETE, NE_QUOTA_WARNING, NE_COUNT
};
static const NotifyEvent deletion_lock_events[] = {
	NE_DELETION_LOCK_CREATE, NE_DELETION_LOCK_MODIFY, NE_DELETION_LOCK_DELETE,
	NE_DELETION_LOCK_EXPIRE, NE_DELETION_LOCK_EFFECTIVE, NE_COUNT
};

#define FILE_ROLES \
	(CR_BIT(CR_STORAGE) | CR_BIT(CR_ITEM) | CR_BIT(CR_PATH) | \
	 CR_BIT(CR_STATE) | CR_BIT(CR_HASH) | CR_BIT(CR_SIZE))
#define QUOTA_ROLES (CR_BIT(CR_ITEM_LIMIT) | CR_BIT(CR_STORAGE_LIMIT))
#define LOCK_ROLES \
	(CR_BIT(CR_ENTITY_TYPE) | CR_BIT(CR_ENTITY) | CR_BIT(CR_EXPIRY))

/* what a job table may tell besides id, state (its status) and type */
#define JOB_ROLES \
	(CR_BIT(CR_STEP) | CR_BIT(CR_STEP_STATUS) | CR_BIT(CR_TOTAL_STEPS) | \
	 CR_BIT(CR_USER) | CR_BIT(CR_START_TIME) | CR_BIT(CR_ERROR) | \
	 CR_BIT(CR_ITEM) | CR_BIT(CR_DATA) | CR_BIT(CR_NOTIFICATION) | \
	 CR_BIT(CR_NOTIFICATION_DATA))

/*
 * THE table of capture kinds, in the order notify.attach()'s hint lists
 * them.
 */
static const CaptureKindInfo capture_kinds[] = {
	{"item",
		CR_BIT(CR_ID) | CR_BIT(CR_IGNORE), CR_BIT(CR_IGNORE), CR_BIT(CR_ID),
	item_events, capture_item},
	{"collection",
		CR_BIT(CR_ID) | CR_BIT(CR_IGNORE), CR_BIT(CR_IGNORE), CR_BIT(CR_ID),
	collection_events, capture_collection},
	{"collection-member",
		CR_BIT(CR_ID) | CR_BIT(CR_ITEM), CR_BIT(CR_ITEM), CR_BIT(CR_ID),
	member_events, capture_collection_member},
	{"file",
		CR_BIT(CR_ID) | FILE_ROLES | CR_BIT(CR_IGNORE), FILE_ROLES,
		CR_BIT(CR_ID) | CR_BIT(CR_STORAGE) | CR_BIT(CR_PATH) | CR_BIT(CR_STATE),
	file_events, capture_file},
	{"storage",
		CR_BIT(CR_ID) | CR_BIT(CR_IGNORE), CR_BIT(CR_IGNORE), CR_BIT(CR_ID),
	storage_events, capture_storage},
	{"metadata-change-set",
		CR_BIT(CR_ID) | CR_BIT(CR_RESOURCE) | CR_BIT(CR_FIELDS) | CR_BIT(CR_CHANGESET),
		CR_BIT(CR_RESOURCE) | CR_BIT(CR_FIELDS),
		CR_BIT(CR_ID) | CR_BIT(CR_FIELDS),
	change_set_events, capture_change_set},
	{"job",
		CR_BIT(CR_ID) | CR_BIT(CR_STATE) | CR_BIT(CR_TYPE) | JOB_ROLES,
		CR_BIT(CR_STATE) | CR_BIT(CR_TYPE) | JOB_ROLES,
		CR_BIT(CR_ID) | CR_BIT(CR_STATE) | CR_BIT(CR_TYPE),
	job_events, capture_job},
	{"access",
		CR_BIT(CR_ID) | CR_BIT(CR_ITEM) | CR_BIT(CR_PERMISSION) | CR_BIT(CR_USER) |
		CR_BIT(CR_GROUP) | CR_BIT(CR_IGNORE),
		CR_BIT(CR_ITEM) | CR_BIT(CR_PERMISSION) | CR_BIT(CR_USER) |
		CR_BIT(CR_GROUP) | CR_BIT(CR_IGNORE),
		CR_BIT(CR_ID) | CR_BIT(CR_ITEM) | CR_BIT(CR_PERMISSION),
	access_events, capture_access},
	{"shape",
		CR_BIT(CR_ID) | CR_BIT(CR_ITEM) | CR_BIT(CR_IGNORE),
		CR_BIT(CR_ITEM) | CR_BIT(CR_IGNORE),
		CR_BIT(CR_ID) | CR_BIT(CR_ITEM),
	shape_events, capture_shape},
	{"document",
		CR_BIT(CR_ID) | CR_BIT(CR_IGNORE), CR_BIT(CR_IGNORE), CR_BIT(CR_ID),
	document_events, capture_document},
	{"group",
		CR_BIT(CR_ID) | CR_BIT(CR_IGNORE), CR_BIT(CR_IGNORE), CR_BIT(CR_ID),
	group_events, capture_group},
	{"group-member",
		CR_BIT(CR_ID) | CR_BIT(CR_USER) | CR_BIT(CR_GROUP),
		CR_BIT(CR_USER) | CR_BIT(CR_GROUP), CR_BIT(CR_ID),
	group_member_events, capture_group_member},
	/* a second trigger on a table of files, BEFORE the file row is written */
	{"filename",
		CR_BIT(CR_ID) | CR_BIT(CR_STORAGE) | CR_BIT(CR_ITEM) | CR_BIT(CR_SHAPE) |
		CR_BIT(CR_COMPONENT) | CR_BIT(CR_TAGS) | CR_BIT(CR_METADATA) |
		CR_BIT(CR_PATH),
		CR_BIT(CR_STORAGE) | CR_BIT(CR_ITEM) | CR_BIT(CR_SHAPE) |
		CR_BIT(CR_COMPONENT) | CR_BIT(CR_TAGS) | CR_BIT(CR_METADATA) |
		CR_BIT(CR_PATH),
		CR_BIT(CR_ID) | CR_BIT(CR_STORAGE),
	filename_events, capture_filename, true, "notify_capture_filename"},
	{"quota",
		CR_BIT(CR_ID) | QUOTA_ROLES, QUOTA_ROLES, CR_BIT(CR_ID),
	quota_events, capture_quota},
	{"deletion-lock",
		CR_BIT(CR_ID) | LOCK_ROLES, LOCK_ROLES, CR_BIT(CR_ID) | LOCK_ROLES,
	deletion_lock_events, capture_deletion_lock},
};

#define NUM_CAPTURE_KINDS lengthof(capture_kinds)

/*
 * capture_kind_lookup
 *		The kind named name, or NULL if there is none.
 */
const CaptureKindInfo *
capture_kind_lookup(const char *name)
{
	int			i;

	for (i = 0; i < NUM_CAPTURE_KINDS; i++)
	{
		if (strcmp(capture_kinds[i].name, name) == 0)
			return &capture_kinds[i];
	}
	return NULL;
}

/*
 * capture_role_lookup
 *		The CaptureRole named name (a trigger argument's "role="), or -1.
 */
int
capture_role_lookup(const char *name)
{
	int			i;

	for (i = 0; i < CR_COUNT; i++)
	{
		if (strcmp(capture_roles[i].name, name) == 0)
			return i;
	}
	return -1;
}

/*
 * capture_role_name
 *		The trigger argument name of a role.
 */
const char *
capture_role_name(CaptureRole role)
{
	Assert(role >= 0 && role < CR_COUNT);
	return capture_roles[role].name;
}

/*
 * capture_role_type
 *		The type a role's column must have, InvalidOid for any.
 */
Oid
capture_role_type(CaptureRole role)
{
	Assert(role >= 0 && role < CR_COUNT);
	return capture_roles[role].typid;
}

/*
 * capture_kind_raises
 *		Is event one of the events of kind's row of the table?  The emit
 *		functions assert it, so that a handler cannot raise an event its row
 *		does not list.
 */
bool
capture_kind_raises(const CaptureKindInfo *kind, NotifyEvent event)
{
	const NotifyEvent *e;

	for (e = kind->events; *e != NE_COUNT; e++)
	{
		if (*e == event)
			return true;
	}
	return false;
}

/*
 * Refuse a kind that is not in the table, with the list of those that are.
 */
static void
unknown_kind_error(const char *name)
{
	StringInfoData hint;
	int			i;

	initStringInfo(&hint);
	appendStringInfoString(&hint, "Supported resources are ");
	for (i = 0; i < NUM_CAPTURE_KINDS; i++)
	{
		if (i > 0)
			appendStringInfoString(&hint, i == NUM_CAPTURE_KINDS - 1 ? " and " : ", ");
		appendStringInfoString(&hint, capture_kinds[i].name);
	}
	appendStringInfoChar(&hint, '.');

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("cannot attach capture for resource \"%s\"",
					name ? name : "<NULL>"),
			 errhint("%s", hint.data)));
}

/*
 * notify.capture_kind_options(kind text)
 *		RETURNS TABLE (option text, role text, multiple boolean,
 *					   required boolean, default_column text)
 *
 * The options notify.attach() takes for kind, in the order its hint lists
 * them, each with the trigger role it gives a column to, whether it takes
 * an array of columns, whether the trigger needs it and the column attach
 * takes when it is not given (NULL: none).  ERRORs on an unknown or NULL
 * kind with attach's message.
 */
Datum
notify_ext_capture_kind_options(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const CaptureKindInfo *kind;
	char	   *name;
	int			r;

	name = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	kind = name ? capture_kind_lookup(name) : NULL;
	if (kind == NULL)
		unknown_kind_error(name);

	InitMaterializedSRF(fcinfo, 0);
	for (r = 0; r < CR_COUNT; r++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, true};

		if ((kind->attach_roles & CR_BIT(r)) == 0)
			continue;
		Assert(capture_roles[r].option != NULL);
		values[0] = CStringGetTextDatum(capture_roles[r].option);
		values[1] = CStringGetTextDatum(capture_roles[r].name);
		values[2] = BoolGetDatum(capture_roles[r].multiple);
		values[3] = BoolGetDatum((kind->required & CR_BIT(r)) != 0);
		if (capture_roles[r].default_column != NULL)
		{
			values[4] = CStringGetTextDatum(capture_roles[r].default_column);
			nulls[4] = false;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * notify.capture_check_args(relation regclass, args text[]) RETURNS void
 *
 * Checks the arguments of a capture trigger on relation the way the trigger
 * resolves them when it first fires (kind, roles of the kind, columns,
 * required roles, column types), so that notify.attach() and
 * notify.attach_shipped_assets() never create a trigger that would fail.
 * ERRORs with the trigger's message on the first problem.
 */
Datum
notify_ext_capture_check_args(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	char	  **args;
	int			i;
	Relation	rel;
	CaptureTable ct;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &nelems);
	args = palloc(sizeof(char *) * (nelems + 1));
	for (i = 0; i < nelems; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("capture trigger arguments must not be null")));
		args[i] = TextDatumGetCString(elems[i]);
	}

	rel = relation_open(relid, AccessShareLock);
	memset(&ct, 0, sizeof(ct));
	capture_args_resolve(&ct, rel, "notify_capture", nelems, args,
						 CurrentMemoryContext);
	relation_close(rel, AccessShareLock);

	PG_RETURN_VOID();
}

/*
 * notify.capture_kind_trigger(kind text, OUT name text, OUT timing text,
 *							   OUT events text)
 *
 * The capture trigger a kind's table gets from notify.attach() and
 * notify.attach_shipped_assets(): its name ("notify_capture", or the
 * kind's own so that two kinds can sit on one table), its timing (AFTER,
 * or BEFORE for a kind that must see the row before it is written) and the
 * events attach gives it.  ERRORs on an unknown or NULL kind with attach's
 * message.
 */
Datum
notify_ext_capture_kind_trigger(PG_FUNCTION_ARGS)
{
	const CaptureKindInfo *kind;
	char	   *name;
	TupleDesc	desc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	name = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	kind = name ? capture_kind_lookup(name) : NULL;
	if (kind == NULL)
		unknown_kind_error(name);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = CStringGetTextDatum(kind->trigger_name ? kind->trigger_name
									: "notify_capture");
	values[1] = CStringGetTextDatum(kind->before ? "BEFORE" : "AFTER");
	values[2] = CStringGetTextDatum(kind->before ? "INSERT"
									: "INSERT OR UPDATE OR DELETE");
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc),
													  values, nulls)));
}
