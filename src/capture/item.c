/*-------------------------------------------------------------------------
 *
 * item.c
 *	  Capture kind item: a table of items.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/item.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"


#include "capture/capture_internal.h"

/*
 * capture_item
 *		Handler of kind item: item.create, item.delete, and metadata.modify
 *		of an UPDATE's changed columns (generic fields, no language or
 *		track); an INSERT or DELETE changes the quota usage by one item.
 */
void
capture_item(const CaptureRow *row)
{
	capture_emit_entity(row, NE_ITEM_CREATE, NE_ITEM_DELETE,
						NE_METADATA_MODIFY);
	if (row->is_insert || row->is_delete)
		quota_usage_changed(row, row->is_insert ? 1 : -1, 0);
}
