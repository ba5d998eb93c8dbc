/*-------------------------------------------------------------------------
 *
 * filename.c
 *	  Capture kind filename: a BEFORE INSERT trigger on a table of files
 *	  that raises storage.filename and names the file after the answer of
 *	  a synchronous notification.
 *
 * Vidispine raises the filename trigger when a file is about to be created
 * on a storage, and names the file after the reply of a synchronous
 * action.  Here the event is raised by a second capture trigger on the
 * file table, notify_capture_filename, fired BEFORE INSERT: before the
 * file row is written, and only for the notifications of the row's
 * storage (a notification scoped to a storage id).
 *
 * Asynchronous notifications get an outbox row like every other event.
 * Synchronous ones are delivered at once, in this trigger, one after the
 * other by ascending notification id number (VX-2 before VX-10; the order
 * of delivery/sync.c), through capture_sync_deliver_now: each is a hook
 * that may stop the INSERT (the first stop ERRORs, the rest are not sent).
 * The first answer, in that order, that is a valid name (after trimming
 * white space: [A-Za-z0-9_-]+, at most FILENAME_NAME_MAX bytes) names the
 * file; the others are ignored.  The name replaces the base name of the
 * last component of the row's path: the directory before the last '/'
 * and the extension from the last '.' of that component (not a leading
 * one) are kept ("in/upload.mxf" named "VX-9" becomes "in/VX-9.mxf"); a
 * NULL path becomes the name.  No valid answer, or no path column in the
 * trigger, leaves the row as inserted.  The trigger returns the renamed
 * row, so the row written, the later BEFORE triggers and the AFTER
 * capture trigger (file.new) all see the generated path.
 *
 * Output keys: filename_keys in kinds.c.  storageId, action and fileId
 * are always there; itemId, shapeId, componentId, metadata and shapeTag
 * when the table gives their columns and the row has them; user is the
 * acting user (capture_acting_user).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/filename.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/lsyscache.h"

#include "capture/capture_internal.h"
#include "capture/sync_queue.h"

/* longest valid name (a file name component on most file systems) */
#define FILENAME_NAME_MAX	255

/*
 * filename_order
 *		list_sort comparator of SyncEvent: lower notification id number
 *		first, then the id's text.
 */
static int
filename_order(const ListCell *a, const ListCell *b)
{
	const SyncEvent *x = lfirst(a);
	const SyncEvent *y = lfirst(b);

	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return strcmp(x->notification_id, y->notification_id);
}

/*
 * filename_valid_name
 *		The answer trimmed of surrounding white space when it is a valid
 *		name ([A-Za-z0-9_-]+, at most FILENAME_NAME_MAX bytes), palloc'd;
 *		else NULL.
 */
static char *
filename_valid_name(const char *answer)
{
	const char *start = answer;
	const char *end;
	const char *p;

	if (answer == NULL)
		return NULL;
	while (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')
		start++;
	end = start + strlen(start);
	while (end > start &&
		   (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if (end == start || end - start > FILENAME_NAME_MAX)
		return NULL;
	for (p = start; p < end; p++)
	{
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			  (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return NULL;
	}
	return pnstrdup(start, end - start);
}

/*
 * filename_path
 *		path with the base name of its last component replaced by name: the
 *		directory (up to the last '/') and the extension (from the last '.'
 *		of the last component, unless that is its first character) are
 *		kept.  A NULL path gives the name.
 */
static char *
filename_path(const char *path, const char *name)
{
	const char *last;
	const char *dot;
	StringInfoData buf;

	if (path == NULL)
		return pstrdup(name);
	last = strrchr(path, '/');
	last = last ? last + 1 : path;
	dot = strrchr(last, '.');
	if (dot == last)
		dot = NULL;
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, path, last - path);
	appendStringInfoString(&buf, name);
	if (dot != NULL)
		appendStringInfoString(&buf, dot);
	return buf.data;
}

/*
 * filename_rename
 *		Make the row the trigger returns carry path in its path column
 *		(converted by the column type's input function, so a too long
 *		varchar ERRORs as an INSERT of it would).
 */
static void
filename_rename(const CaptureRow *row, const char *path)
{
	AttrNumber	att = row->ct->att[CR_PATH];
	Form_pg_attribute a = TupleDescAttr(row->desc, att - 1);
	Oid			input;
	Oid			ioparam;
	int			col = att;
	Datum		value;
	bool		isnull = false;

	getTypeInputInfo(a->atttypid, &input, &ioparam);
	value = OidInputFunctionCall(input, unconstify(char *, path), ioparam,
								 a->atttypmod);
	*row->returned = heap_modify_tuple_by_cols(*row->returned, row->desc, 1,
											   &col, &value, &isnull);
}

/*
 * capture_filename
 *		Handler of kind filename: an INSERT raises storage.filename of the
 *		row's storage; its synchronous notifications are delivered here and
 *		the first valid answer names the file (see the file header).
 *		ERRORs, stopping the INSERT, when a synchronous notification stops.
 */
void
capture_filename(const CaptureRow *row)
{
	List	   *values[FK_COUNT] = {0};
	List	   *matches;
	List	   *sync_events = NIL;
	ListCell   *lc;
	char	   *storage;
	char	   *payload = NULL;
	char	   *name = NULL;

	if (!row->is_insert)
		return;
	matches = capture_matches(row, NE_STORAGE_FILENAME);
	if (matches == NIL)
		return;
	Assert(row->returned != NULL);
	storage = capture_role_text(row, row->tuple, CR_STORAGE);
	values[FK_STORAGE] = capture_value(storage);
	values[FK_ITEM] = capture_value(capture_role_text(row, row->tuple, CR_ITEM));
	values[FK_SHAPE] = capture_value(capture_role_text(row, row->tuple, CR_SHAPE));
	values[FK_COMPONENT] = capture_value(capture_role_text(row, row->tuple, CR_COMPONENT));
	values[FK_FILE] = capture_value(capture_role_text(row, row->tuple, CR_ID));
	values[FK_USER] = capture_value(capture_acting_user());
	values[FK_METADATA] = capture_role_values(row, row->tuple, CR_METADATA);
	values[FK_SHAPE_TAGS] = capture_role_values(row, row->tuple, CR_TAGS);

	foreach(lc, matches)
	{
		CachedNotification *cn = lfirst(lc);

		if (!capture_scope_matches(cn, storage))
			continue;
		if (payload == NULL)
			payload = capture_keyed_payload(NE_STORAGE_FILENAME, values);
		if (cn->def->action.synchronous)
			sync_events = lappend(sync_events,
								  capture_sync_make(cn, resource_name(cn->def->resource),
													event_name(NE_STORAGE_FILENAME),
													storage, payload));
		else
			capture_emit(row, cn, NE_STORAGE_FILENAME, storage, payload);
	}

	/* the synchronous ones: each asked in turn, the first valid name wins */
	list_sort(sync_events, filename_order);
	foreach(lc, sync_events)
	{
		char	   *answer = capture_sync_deliver_now(list_make1(lfirst(lc)));

		if (name == NULL)
			name = filename_valid_name(answer);
	}
	if (name != NULL && row->ct->att[CR_PATH] != InvalidAttrNumber)
		filename_rename(row, filename_path(capture_role_text(row, row->tuple,
															 CR_PATH),
										   name));
}
