/*-------------------------------------------------------------------------
 *
 * names.c
 *	  THE lists of names of the notification model: resources, trigger
 *	  events, action kinds and content types.
 *
 * Each fact is written once, here, as an array indexed by the enum of
 * definition.h (designated initializers keep array and enum aligned);
 * everything else uses the enum ids and asks this file for a name or a
 * lookup.  The trigger validation (trigger.c) derives the elements of
 * <trigger> and their events from notify_events[], capture names the
 * events it raises by NotifyEvent, and the SQL CHECK on
 * notify.notification.resource calls notify.is_resource(), which reads
 * resource_names[].  Adding an event or a resource is a row here.
 *
 * Everything here is pure: no catalog access, no I/O.  Lookups of a name
 * that comes from input either report "not found" to the caller or raise
 * ERRCODE_INVALID_PARAMETER_VALUE; an enum value out of range is an
 * internal error (elog).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/names.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "definition/definition.h"
#include "common/text_escape.h"

/*---- The lists ----*/

/* SQL names of the resources a notification belongs to */
static const char *const resource_names[NR_COUNT] = {
	[NR_ITEM] = "item",
	[NR_COLLECTION] = "collection",
	[NR_DOCUMENT] = "document",
	[NR_GROUP] = "group",
	[NR_JOB] = "job",
	[NR_STORAGE] = "storage",
	[NR_FILE] = "file",
	[NR_QUOTA] = "quota",
	[NR_DELETION_LOCK] = "deletion-lock",
};

/* Element names of the action kinds inside <action> */
static const char *const action_kind_names[NA_COUNT] = {
	[NA_HTTP] = "http",
	[NA_SQS] = "sqs",
	[NA_FUNCTION] = "function",
	[NA_CHANNEL] = "channel",
	[NA_SNS] = "sns",
};

/* MIME types of the body formats */
static const char *const content_type_names[NCT_COUNT] = {
	[NCT_TEXT] = "text/plain",
	[NCT_XML] = "application/xml",
	[NCT_JSON] = "application/json",
	[NCT_S3_EVENT] = "application/x-s3-event+json",
	[NCT_MINIO_EVENT] = "application/x-minio-event+json",
};

/*
 * Every trigger event.  The rows of one element are in the order the
 * messages list them; the elements in the order of trigger.c's table.
 */
const NotifyEventInfo notify_events[NE_COUNT] = {
	[NE_ITEM_CREATE] = {"item.create", NR_ITEM, "item", "create", NULL, false},
	[NE_ITEM_DELETE] = {"item.delete", NR_ITEM, "item", "delete", NULL, false},
	[NE_METADATA_MODIFY] = {"metadata.modify", NR_ITEM, "metadata", "modify", NULL, true},
	[NE_ACCESS_CREATE] = {"access.create", NR_ITEM, "access", "create", NULL, false},
	[NE_ACCESS_DELETE] = {"access.delete", NR_ITEM, "access", "delete", NULL, false},
	[NE_ACCESS_CHANGE] = {"access.change", NR_ITEM, "access", "change", NULL, false},
	[NE_SHAPE_CREATE] = {"shape.create", NR_ITEM, "shape", "create", NULL, false},
	[NE_SHAPE_MODIFY] = {"shape.modify", NR_ITEM, "shape", "modify", NULL, false},
	[NE_SHAPE_DELETE] = {"shape.delete", NR_ITEM, "shape", "delete", NULL, false},
	[NE_COLLECTION_CREATE] = {"collection.create", NR_COLLECTION, "collection", "create", NULL, false},
	[NE_COLLECTION_DELETE] = {"collection.delete", NR_COLLECTION, "collection", "delete", NULL, false},
	[NE_COLLECTION_MODIFY] = {"collection.modify", NR_COLLECTION, "collection", "modify", NULL, false},
	/* <collection><metadata><modify/></metadata>: parameters on <modify> */
	[NE_COLLECTION_METADATA_MODIFY] = {"collection.metadata.modify", NR_COLLECTION, "collection", "metadata", NULL, true},
	[NE_DOCUMENT_CREATE] = {"document.create", NR_DOCUMENT, "document", "create", NULL, false},
	[NE_DOCUMENT_DELETE] = {"document.delete", NR_DOCUMENT, "document", "delete", NULL, false},
	[NE_DOCUMENT_MODIFY] = {"document.modify", NR_DOCUMENT, "document", "modify", NULL, true},
	[NE_GROUP_CREATE] = {"group.create", NR_GROUP, "group", "create", NULL, false},
	[NE_GROUP_DELETE] = {"group.delete", NR_GROUP, "group", "delete", NULL, false},
	[NE_GROUP_MODIFY] = {"group.modify", NR_GROUP, "group", "modify", NULL, false},
	[NE_JOB_CREATE] = {"job.create", NR_JOB, "job", "create", NULL, false},
	[NE_JOB_STOP] = {"job.stop", NR_JOB, "job", "stop", NULL, false},
	[NE_JOB_UPDATE] = {"job.update", NR_JOB, "job", "update", NULL, false},
	[NE_JOB_FINISHED] = {"job.finished", NR_JOB, "job", "finished", NULL, false},
	[NE_JOB_FAIL] = {"job.fail", NR_JOB, "job", "fail", NULL, false},
	[NE_STORAGE_CREATE] = {"storage.create", NR_STORAGE, "storage", "create", NULL, false},
	[NE_STORAGE_DELETE] = {"storage.delete", NR_STORAGE, "storage", "delete", NULL, false},
	[NE_STORAGE_FILENAME] = {"storage.filename", NR_STORAGE, "storage", "filename", NULL, false},
	[NE_FILE_NEW] = {"file.new", NR_FILE, "file", "new", NULL, false},
	[NE_FILE_CHANGE] = {"file.change", NR_FILE, "file", "change", NULL, false},
	[NE_FILE_CLOSE] = {"file.close", NR_FILE, "file", "close", NULL, false},
	[NE_FILE_DELETE] = {"file.delete", NR_FILE, "file", "delete", NULL, false},
	[NE_FILE_HASH] = {"file.hash", NR_FILE, "file", "hash", NULL, false},
	[NE_FILE_LOST] = {"file.lost", NR_FILE, "file", "lost", NULL, false},
	[NE_QUOTA_WARNING] = {"quota.warning", NR_QUOTA, "quota", "warning", NULL, false},
	/* Vidispine's reference also spells it <created/> */
	[NE_QUOTA_CREATE] = {"quota.create", NR_QUOTA, "quota", "create", "created", false},
	[NE_QUOTA_DELETE] = {"quota.delete", NR_QUOTA, "quota", "delete", NULL, false},
	[NE_DELETION_LOCK_CREATE] = {"deletionLock.create", NR_DELETION_LOCK, "deletionLock", "create", NULL, false},
	[NE_DELETION_LOCK_MODIFY] = {"deletionLock.modify", NR_DELETION_LOCK, "deletionLock", "modify", NULL, false},
	[NE_DELETION_LOCK_DELETE] = {"deletionLock.delete", NR_DELETION_LOCK, "deletionLock", "delete", NULL, false},
	[NE_DELETION_LOCK_EXPIRE] = {"deletionLock.expire", NR_DELETION_LOCK, "deletionLock", "expire", NULL, false},
	[NE_DELETION_LOCK_EFFECTIVE] = {"deletionLock.effective", NR_DELETION_LOCK, "deletionLock", "effective", NULL, false},
};


/*---- Resources ----*/

/*
 * resource_lookup
 *		The NotifyResource named name ('item', ..., 'deletion-lock'), or -1.
 */
int
resource_lookup(const char *name)
{
	int			i;

	for (i = 0; i < NR_COUNT; i++)
	{
		if (strcmp(name, resource_names[i]) == 0)
			return i;
	}
	return -1;
}

/*
 * resource_from_name
 *		Map 'item', 'collection', ... 'deletion-lock' to a NotifyResource.
 *		Unknown names are an ERROR (ERRCODE_INVALID_PARAMETER_VALUE) whose
 *		hint lists the valid ones; a name that looks like a document (the
 *		arguments swapped) is said to be one, not echoed.
 */
NotifyResource
resource_from_name(const char *name)
{
	int			r = resource_lookup(name);
	StringInfoData valid;
	int			i;

	if (r >= 0)
		return (NotifyResource) r;

	initStringInfo(&valid);
	for (i = 0; i < NR_COUNT; i++)
	{
		if (i > 0)
			appendStringInfoString(&valid, i == NR_COUNT - 1 ? " and " : ", ");
		appendStringInfoString(&valid, resource_names[i]);
	}
	/* a document given as the resource (arguments swapped): not echoed */
	name += strspn(name, " \t\r\n");
	if (name[0] == '<' || name[0] == '{')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid notification resource: the value looks like a NotificationDocument"),
				 errdetail("The resource comes first, as in notify.create_notification('item', document)."),
				 errhint("Valid resources are %s.", valid.data)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid notification resource \"%s\"",
					notify_quote_value(name)),
			 errhint("Valid resources are %s.", valid.data)));
	return NR_ITEM;				/* keep compiler quiet */
}

/*
 * resource_name
 *		SQL name of a resource ("deletion-lock" for NR_DELETION_LOCK).
 *		Returns a static string.
 */
const char *
resource_name(NotifyResource r)
{
	if ((int) r < 0 || r >= NR_COUNT)
		elog(ERROR, "invalid notification resource %d", (int) r);
	return resource_names[r];
}


/*---- Action kinds ----*/

/*
 * action_kind_lookup
 *		The NotifyActionKind whose element is named name ("http", "sqs",
 *		"function", "channel"), or -1.
 */
int
action_kind_lookup(const char *name)
{
	int			i;

	for (i = 0; i < NA_COUNT; i++)
	{
		if (strcmp(name, action_kind_names[i]) == 0)
			return i;
	}
	return -1;
}

/*
 * action_kind_name
 *		"http", "sqs", "function" or "channel".  Returns a static string.
 */
const char *
action_kind_name(NotifyActionKind kind)
{
	if ((int) kind < 0 || kind >= NA_COUNT)
		elog(ERROR, "invalid action kind %d", (int) kind);
	return action_kind_names[kind];
}


/*---- Content types ----*/

/*
 * content_type_lookup
 *		The NotifyContentType of a MIME type, compared without regard to
 *		case, or -1.
 */
int
content_type_lookup(const char *name)
{
	int			i;

	for (i = 0; i < NCT_COUNT; i++)
	{
		if (pg_strcasecmp(name, content_type_names[i]) == 0)
			return i;
	}
	return -1;
}

/*
 * content_type_name
 *		MIME type of a NotifyContentType.  Returns a static string.
 */
const char *
content_type_name(NotifyContentType ct)
{
	if ((int) ct < 0 || ct >= NCT_COUNT)
		elog(ERROR, "invalid content type %d", (int) ct);
	return content_type_names[ct];
}


/*---- Events ----*/

/*
 * event_name
 *		Canonical name of an event ("item.create", "deletionLock.expire").
 *		Returns a static string.
 */
const char *
event_name(NotifyEvent ev)
{
	if ((int) ev < 0 || ev >= NE_COUNT)
		elog(ERROR, "invalid trigger event %d", (int) ev);
	return notify_events[ev].name;
}

/*
 * event_lookup
 *		The NotifyEvent of a canonical event name, or -1.
 */
int
event_lookup(const char *name)
{
	int			i;

	for (i = 0; i < NE_COUNT; i++)
	{
		if (strcmp(name, notify_events[i].name) == 0)
			return i;
	}
	return -1;
}
