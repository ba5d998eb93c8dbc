/*-------------------------------------------------------------------------
 *
 * storage.c
 *	  Capture kind storage: a table of storages.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/storage.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"


#include "capture/capture_internal.h"

/*
 * capture_storage
 *		Handler of kind storage: storage.create, storage.delete; an UPDATE
 *		raises nothing.
 */
void
capture_storage(const CaptureRow *row)
{
	capture_emit_entity(row, NE_STORAGE_CREATE, NE_STORAGE_DELETE, NE_COUNT);
}
