/*-------------------------------------------------------------------------
 *
 * document.c
 *	  Capture kind document: a table of metadata documents, identified by
 *	  name.
 *
 * INSERT raises document.create, DELETE document.delete, an UPDATE
 * document.modify of its changed columns that are not ignored, as generic
 * metadata fields (like items).  Metadata change sets with resource
 * document (changeset.c) raise document.modify too, with the same field,
 * interval, language and track filters.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/document.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "capture/capture_internal.h"

/*
 * capture_document
 *		Handler of kind document: document.create, document.delete and
 *		document.modify of an UPDATE's changed columns.
 */
void
capture_document(const CaptureRow *row)
{
	capture_emit_entity(row, NE_DOCUMENT_CREATE, NE_DOCUMENT_DELETE,
						NE_DOCUMENT_MODIFY);
}
