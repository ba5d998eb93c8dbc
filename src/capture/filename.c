/*-------------------------------------------------------------------------
 *
 * filename.c
 *	  Capture kind filename: a BEFORE INSERT trigger on a table of files
 *	  that raises storage.filename.
 *
 * Vidispine raises the filename trigger when a file is about to be created
 * on a storage, and names the file after the reply of a synchronous
 * action.  Here the event is raised by a second capture trigger on the
 * file table, notify_capture_filename, fired BEFORE INSERT: before the
 * file row is written, and only for the notifications of the row's
 * storage (a notification scoped to a storage id).  The event is an outbox
 * row like every other, delivered asynchronously.
 *
 * The synchronous answer (the reply that names the file) is the point
 * marked below in capture_filename: the row returned by a BEFORE trigger
 * is the row written, so a synchronous action's reply can set the path
 * there before the INSERT goes on.
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

#include "capture/capture_internal.h"

/*
 * capture_filename
 *		Handler of kind filename: an INSERT raises storage.filename of the
 *		row's storage.  The row is not changed.
 */
void
capture_filename(const CaptureRow *row)
{
	List	   *values[FK_COUNT] = {0};
	char	   *storage;

	if (!row->is_insert || capture_matches(row, NE_STORAGE_FILENAME) == NIL)
		return;
	storage = capture_role_text(row, row->tuple, CR_STORAGE);
	values[FK_STORAGE] = capture_value(storage);
	values[FK_ITEM] = capture_value(capture_role_text(row, row->tuple, CR_ITEM));
	values[FK_SHAPE] = capture_value(capture_role_text(row, row->tuple, CR_SHAPE));
	values[FK_COMPONENT] = capture_value(capture_role_text(row, row->tuple, CR_COMPONENT));
	values[FK_FILE] = capture_value(capture_role_text(row, row->tuple, CR_ID));
	values[FK_USER] = capture_value(capture_acting_user());
	values[FK_METADATA] = capture_role_values(row, row->tuple, CR_METADATA);
	values[FK_SHAPE_TAGS] = capture_role_values(row, row->tuple, CR_TAGS);
	capture_emit_keyed(row, NE_STORAGE_FILENAME, storage, values);

	/*
	 * Here the synchronous filename answer goes: a synchronous action's
	 * valid reply ([A-Za-z0-9_-]+) would become the file's name in the row
	 * the trigger returns.
	 */
}
