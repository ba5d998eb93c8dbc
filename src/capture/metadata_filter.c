/*-------------------------------------------------------------------------
 *
 * metadata_filter.c
 *	  Decide which changed metadata fields a metadata trigger reports.
 *
 * A metadata modify trigger (item, collection, document) may restrict
 * itself with four parameters, in the syntax of Vidispine's "retrieve
 * metadata" query parameters:
 *
 *	field		"a,b:renamed,-c,/group/sub/d": which fields, under which
 *				output key.  No entry means every field.  "-x" excludes x;
 *				when only exclusions are given, every other field passes.
 *				A path entry matches the field only at that position in the
 *				group hierarchy ("/d" = outside any group) and is never
 *				renamed.  A field matched by several entries is reported
 *				under each distinct output key once.
 *	interval	"all" (default), "generic" (non-timed values only), or time
 *				spans "start-end"; a timed value passes if it overlaps one.
 *	language	language codes with '*' wildcards; a value passes if its
 *				language matches one (values without a language do not).
 *	track		track names; a value passes if its track is listed.
 *
 * The result is the list of output keys with their values, in the order
 * the fields were changed, values of one key merged.  An empty result
 * means the trigger does not fire.  Pure functions: no catalog access.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/metadata_filter.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/value.h"

#include "capture/metadata_filter.h"

/*
 * glob_match
 *		'*' matches any run of characters; everything else literally.
 */
static bool
glob_match(const char *pattern, const char *s)
{
	while (*pattern)
	{
		if (*pattern == '*')
		{
			while (*pattern == '*')
				pattern++;
			if (*pattern == '\0')
				return true;
			for (; *s; s++)
				if (glob_match(pattern, s))
					return true;
			return false;
		}
		if (*s == '\0' || *s != *pattern)
			return false;
		pattern++;
		s++;
	}
	return *s == '\0';
}

/*
 * value_in_filter
 *		Does value pass a filter list of names: true when the list is NIL,
 *		false when value is NULL, else whether one name of the list matches
 *		it, as a glob pattern (glob) or exactly.
 */
static bool
value_in_filter(List *filter, const char *value, bool glob)
{
	ListCell   *lc;

	if (filter == NIL)
		return true;
	if (value == NULL)
		return false;
	foreach(lc, filter)
	{
		const char *name = lfirst(lc);

		if (glob ? glob_match(name, value) : strcmp(name, value) == 0)
			return true;
	}
	return false;
}

/*
 * value_passes
 *		Does the changed value mv pass the trigger's metadata filters:
 *		generic-only, intervals (overlap), languages (globs) and tracks?
 *		A filter that is set refuses a value that lacks the property.
 */
static bool
value_passes(const NotifyTrigger *trigger, const MetadataValue *mv)
{
	ListCell   *lc;

	/* interval */
	if (trigger->md_generic_only && mv->timed)
		return false;
	if (trigger->md_intervals != NIL)
	{
		bool		hit = false;

		if (!mv->timed)
			return false;
		foreach(lc, trigger->md_intervals)
		{
			NotifyInterval *iv = lfirst(lc);

			if (mv->start <= iv->end && iv->start <= mv->end)
			{
				hit = true;
				break;
			}
		}
		if (!hit)
			return false;
	}

	/* language (globs) and track (exact names) */
	return value_in_filter(trigger->md_languages, mv->language, true) &&
		value_in_filter(trigger->md_tracks, mv->track, false);
}

/* Append values under key, merging with an earlier output key */
static List *
add_output(List *out, const char *key, List *values)
{
	ListCell   *lc;
	MatchedField *mf;

	foreach(lc, out)
	{
		mf = lfirst(lc);
		if (strcmp(mf->key, key) == 0)
		{
			mf->values = list_concat(mf->values, values);
			return out;
		}
	}
	mf = palloc(sizeof(MatchedField));
	mf->key = pstrdup(key);
	mf->values = list_copy(values);
	return lappend(out, mf);
}

/*
 * metadata_filter_apply
 *		Output keys for the changed values `changes` (MetadataValue *) under
 *		the filters of `trigger`.
 *
 * Returns a list of MatchedField, palloc'd in CurrentMemoryContext; NIL
 * when nothing passes (the trigger does not fire).  Does not ERROR.
 */
List *
metadata_filter_apply(const NotifyTrigger *trigger, List *changes)
{
	List	   *out = NIL;
	ListCell   *lc;
	bool		has_include = false;

	foreach(lc, trigger->md_fields)
	{
		if (!((NotifyFieldFilter *) lfirst(lc))->exclude)
			has_include = true;
	}

	foreach(lc, changes)
	{
		MetadataValue *mv = lfirst(lc);
		ListCell   *fc;
		bool		excluded = false;

		if (!value_passes(trigger, mv))
			continue;

		foreach(fc, trigger->md_fields)
		{
			NotifyFieldFilter *ff = lfirst(fc);

			if (ff->exclude && strcmp(ff->name, mv->name) == 0)
				excluded = true;
		}
		if (excluded)
			continue;

		if (!has_include)
		{
			out = add_output(out, mv->name, mv->values);
			continue;
		}

		/* each output key takes this value once, however many entries match */
		{
			List	   *keys = NIL;

			foreach(fc, trigger->md_fields)
			{
				NotifyFieldFilter *ff = lfirst(fc);
				const char *key;

				if (ff->exclude || strcmp(ff->name, mv->name) != 0)
					continue;
				if (ff->path != NULL &&
					strcmp(ff->path, mv->path ? mv->path : "") != 0)
					continue;
				key = (ff->path == NULL && ff->rename) ? ff->rename : mv->name;
				if (list_member(keys, makeString((char *) key)))
					continue;
				keys = lappend(keys, makeString((char *) key));
				out = add_output(out, key, mv->values);
			}
			list_free_deep(keys);
		}
	}
	return out;
}
