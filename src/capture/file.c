/*-------------------------------------------------------------------------
 *
 * file.c
 *	  Capture kind file: a table of files of storages.
 *
 * INSERT file.new, DELETE file.delete; UPDATE: state to CLOSED file.close,
 * to LOST or MISSING file.lost, hash set or changed file.hash, any other
 * change file.change.  A notification with a storage filter sees the files
 * of that storage only.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/file.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"

#include "capture/capture_internal.h"

/*
 * Emit a file event of tuple to the matching notifications whose storage
 * filter lets its storage through: {fileId, action, storageId, path,
 * itemId (only if set)}.
 */
static void
emit_file(const CaptureRow *row, NotifyEvent event, HeapTuple tuple)
{
	List	   *matches = capture_matches(row, event);
	ListCell   *lc;
	char	   *payload = NULL;
	char	   *file_id = NULL;
	char	   *storage_id = NULL;

	foreach(lc, matches)
	{
		CachedNotification *cn = lfirst(lc);

		if (payload == NULL)
		{
			StringInfoData buf;
			char	   *item_id;

			file_id = capture_role_text(row, tuple, CR_ID);
			storage_id = capture_role_text(row, tuple, CR_STORAGE);
			item_id = capture_role_text(row, tuple, CR_ITEM);
			initStringInfo(&buf);
			payload_add(&buf, capture_events[event].idkey, file_id);
			payload_add(&buf, "action", capture_events[event].verb);
			payload_add(&buf, "storageId", storage_id);
			payload_add(&buf, "path", capture_role_text(row, tuple, CR_PATH));
			if (item_id)
				payload_add(&buf, "itemId", item_id);
			payload = payload_finish(&buf);
		}
		if (cn->def->trigger.file_storage != NULL &&
			(storage_id == NULL || strcmp(cn->def->trigger.file_storage, storage_id) != 0))
			continue;
		capture_emit(row, cn, event, file_id, payload);
	}
}

/*
 * The events of an UPDATE of a file: state to CLOSED file.close, to LOST
 * or MISSING file.lost, any other state file.change; hash set or changed
 * file.hash; any other column not ignored file.change.
 */
static void
capture_file_update(const CaptureRow *row)
{
	const CaptureTable *ct = row->ct;
	TupleDesc	desc = row->desc;
	AttrNumber	state_att = ct->att[CR_STATE];
	AttrNumber	hash_att = ct->att[CR_HASH];
	bool		changed = false;
	bool		closed = false;
	bool		lost = false;
	bool		hashed = false;
	int			i;

	if (state_att != InvalidAttrNumber &&
		capture_column_changed(row->tuple, row->newtuple, desc, state_att))
	{
		char	   *state = capture_column_text(row->newtuple, desc, state_att);

		if (state && strcmp(state, "CLOSED") == 0)
			closed = true;
		else if (state && (strcmp(state, "LOST") == 0 || strcmp(state, "MISSING") == 0))
			lost = true;
		else
			changed = true;
	}
	if (hash_att != InvalidAttrNumber &&
		capture_column_changed(row->tuple, row->newtuple, desc, hash_att) &&
		capture_column_text(row->newtuple, desc, hash_att) != NULL)
		hashed = true;

	for (i = 0; i < desc->natts && !changed; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->attnum == state_att ||
			att->attnum == hash_att || bms_is_member(att->attnum, ct->ignore))
			continue;
		if (capture_column_changed(row->tuple, row->newtuple, desc, att->attnum))
			changed = true;
	}

	if (changed)
		emit_file(row, NE_FILE_CHANGE, row->newtuple);
	if (closed)
		emit_file(row, NE_FILE_CLOSE, row->newtuple);
	if (lost)
		emit_file(row, NE_FILE_LOST, row->newtuple);
	if (hashed)
		emit_file(row, NE_FILE_HASH, row->newtuple);
}

/* The size of a file row, 0 when unknown or with no size column */
static int64
file_size(const CaptureRow *row, HeapTuple tuple)
{
	char	   *size = capture_role_text(row, tuple, CR_SIZE);

	return size ? strtoi64(size, NULL, 10) : 0;
}

/*
 * capture_file
 *		Handler of kind file: INSERT file.new, DELETE file.delete, UPDATE
 *		as capture_file_update; the change of size goes to the quota
 *		usage.
 */
void
capture_file(const CaptureRow *row)
{
	if (row->is_insert)
		emit_file(row, NE_FILE_NEW, row->tuple);
	else if (row->is_delete)
		emit_file(row, NE_FILE_DELETE, row->tuple);
	else if (row->is_update)
		capture_file_update(row);

	if (row->ct->att[CR_SIZE] != InvalidAttrNumber)
	{
		int64		before = row->is_insert ? 0 : file_size(row, row->tuple);
		int64		after = row->is_delete ? 0 :
			file_size(row, row->is_update ? row->newtuple : row->tuple);

		quota_usage_changed(row, 0, after - before);
	}
}
