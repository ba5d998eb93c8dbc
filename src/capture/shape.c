/*-------------------------------------------------------------------------
 *
 * shape.c
 *	  Capture kind shape: a table of the shapes of items.
 *
 * INSERT raises shape.create, DELETE shape.delete, an UPDATE of a column
 * that is not ignored shape.modify.  The event belongs to the item that
 * owns the shape.  Output keys: shape_keys in kinds.c.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/shape.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "capture/capture_internal.h"

/* Emit event of the shape in tuple */
static void
emit_shape(const CaptureRow *row, NotifyEvent event, HeapTuple tuple)
{
	List	   *values[SK_COUNT] = {0};
	char	   *item = capture_role_text(row, tuple, CR_ITEM);

	values[SK_ITEM] = capture_value(item);
	values[SK_SHAPE] = capture_value(capture_role_text(row, tuple, CR_ID));
	capture_emit_keyed(row, event, item, values);
}

/*
 * capture_shape
 *		Handler of kind shape: shape.create, shape.delete, shape.modify.
 */
void
capture_shape(const CaptureRow *row)
{
	if (row->is_insert)
	{
		if (capture_matches(row, NE_SHAPE_CREATE) != NIL)
			emit_shape(row, NE_SHAPE_CREATE, row->tuple);
	}
	else if (row->is_delete)
	{
		if (capture_matches(row, NE_SHAPE_DELETE) != NIL)
			emit_shape(row, NE_SHAPE_DELETE, row->tuple);
	}
	else if (row->is_update && capture_matches(row, NE_SHAPE_MODIFY) != NIL &&
			 capture_row_changed(row))
		emit_shape(row, NE_SHAPE_MODIFY, row->newtuple);
}
