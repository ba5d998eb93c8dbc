/*-------------------------------------------------------------------------
 *
 * access.c
 *	  Capture kind access: a table of the access controls of items.
 *
 * A row grants a permission on an item to a user or a group.  INSERT
 * raises access.create, DELETE access.delete, an UPDATE of a column that
 * is not ignored access.change (with the new row).  The event belongs to
 * the item: a notification scoped to an item sees its access controls
 * only.  Output keys: access_keys in kinds.c.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/access.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "capture/capture_internal.h"

/* Emit event of the access control in tuple */
static void
emit_access(const CaptureRow *row, NotifyEvent event, HeapTuple tuple)
{
	List	   *values[AK_COUNT] = {0};
	char	   *item = capture_role_text(row, tuple, CR_ITEM);

	values[AK_ITEM] = capture_value(item);
	values[AK_ACCESS] = capture_value(capture_role_text(row, tuple, CR_ID));
	values[AK_PERMISSION] = capture_value(capture_role_text(row, tuple, CR_PERMISSION));
	values[AK_USER] = capture_value(capture_role_text(row, tuple, CR_USER));
	values[AK_GROUP] = capture_value(capture_role_text(row, tuple, CR_GROUP));
	capture_emit_keyed(row, event, item, values);
}

/*
 * capture_access
 *		Handler of kind access: access.create, access.delete, access.change.
 */
void
capture_access(const CaptureRow *row)
{
	if (row->is_insert)
	{
		if (capture_matches(row, NE_ACCESS_CREATE) != NIL)
			emit_access(row, NE_ACCESS_CREATE, row->tuple);
	}
	else if (row->is_delete)
	{
		if (capture_matches(row, NE_ACCESS_DELETE) != NIL)
			emit_access(row, NE_ACCESS_DELETE, row->tuple);
	}
	else if (row->is_update && capture_matches(row, NE_ACCESS_CHANGE) != NIL &&
			 capture_row_changed(row))
		emit_access(row, NE_ACCESS_CHANGE, row->newtuple);
}
