/*-------------------------------------------------------------------------
 *
 * group.c
 *	  Capture kinds group (a table of groups, identified by name) and
 *	  group-member (a table of the users and groups that are members of a
 *	  group).
 *
 * A group INSERT raises group.create, a DELETE group.delete; a member row
 * INSERT raises group.modify of its group with operation ADD, a DELETE
 * with REMOVE, naming the user or group added or removed.  Every event
 * names the acting user (capture_acting_user: the setting notify.acting_user, else
 * current_user).  Output keys: group_keys in kinds.c.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/group.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "capture/capture_internal.h"

/*
 * capture_group
 *		Handler of kind group: group.create, group.delete; an UPDATE raises
 *		nothing.
 */
void
capture_group(const CaptureRow *row)
{
	NotifyEvent event;
	List	   *values[GK_COUNT] = {0};
	char	   *name;

	if (row->is_insert)
		event = NE_GROUP_CREATE;
	else if (row->is_delete)
		event = NE_GROUP_DELETE;
	else
		return;
	if (capture_matches(row, event) == NIL)
		return;
	name = capture_role_text(row, row->tuple, CR_ID);
	values[GK_GROUP] = capture_value(name);
	values[GK_USER] = capture_value(capture_acting_user());
	capture_emit_keyed(row, event, name, values);
}

/*
 * capture_group_member
 *		Handler of kind group-member: INSERT raises group.modify ADD, DELETE
 *		group.modify REMOVE, of the row's group, with the member user or
 *		group; an UPDATE raises nothing.
 */
void
capture_group_member(const CaptureRow *row)
{
	List	   *values[GK_COUNT] = {0};
	char	   *name;

	if ((!row->is_insert && !row->is_delete) ||
		capture_matches(row, NE_GROUP_MODIFY) == NIL)
		return;
	name = capture_role_text(row, row->tuple, CR_ID);
	values[GK_GROUP] = capture_value(name);
	values[GK_USER] = capture_value(capture_acting_user());
	values[GK_OPERATION] = capture_value(row->is_insert ? "ADD" : "REMOVE");
	values[GK_GROUPS] = capture_value(capture_role_text(row, row->tuple, CR_GROUP));
	values[GK_USERS] = capture_value(capture_role_text(row, row->tuple, CR_USER));
	capture_emit_keyed(row, NE_GROUP_MODIFY, name, values);
}
