/*-------------------------------------------------------------------------
 *
 * trigger.c
 *	  Validate the <trigger> element of a NotificationDocument.
 *
 * defn_parse_trigger() is called by definition_parse() (parse.c)
 * with the document's <trigger> element.  A trigger holds one resource
 * element (an element of notify_events, names.c), which holds one event
 * element (one of that element's events there) plus
 * the parameters allowed next to it: metadata parameters (field,
 * interval, language, track) on a modify event, placeholder, filter and
 * contentFilters next to a job event, storage next to a file event.  The
 * trigger must belong to the notification's resource.  defn_parse_trigger()
 * fills def->trigger (event name such as "item.create", filters) and
 * returns the canonical <trigger> element, built from scratch: resource
 * element, event element, then its parameters; <quota><created/> becomes
 * <create/>; comma lists are trimmed and empty parameters, meaning "all",
 * are dropped.
 *
 * Like the rest of the parser it is pure (no catalog access, no I/O).
 * Errors are ereport(ERROR) naming the element and the value at fault:
 * ERRCODE_INVALID_PARAMETER_VALUE, or ERRCODE_INVALID_REGULAR_EXPRESSION
 * for <key-regex> and <value-regex>.  The shared tree and value helpers
 * come from definition_internal.h.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/trigger.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/float.h"

#include "definition/definition.h"
#include "definition/definition_internal.h"
#include "common/text_escape.h"

/*---- Reference tables ----*/

static const char *const content_filter_names[] = {
	"jobId", "jobState", "user", "startTime", "jobType", "jobData",
	"errorMessage", "itemId", "totalSteps", "currentStep", NULL
};

/*
 * Which parameters sit next to the event element inside a resource
 * element of <trigger>.
 */
typedef enum TriggerSiblings
{
	TS_NONE,
	TS_JOB,						/* placeholder, filter, contentFilters */
	TS_FILE						/* storage */
} TriggerSiblings;

/*
 * The elements of <trigger> and their events are those of notify_events
 * (names.c), in its order.  Only these elements take parameters next to
 * their event element.
 */
static const struct
{
	const char *element;
	TriggerSiblings siblings;
}			trigger_siblings[] = {
	{"job", TS_JOB},
	{"file", TS_FILE},
};

/*---- Local helpers ----*/

static char *parse_field_list(const char *value, const DocNode *node,
							  const DocNode *parent, NotifyTrigger *trig);
static char *parse_interval_list(const char *value, const DocNode *node,
								 const DocNode *parent, NotifyTrigger *trig);
static char *parse_simple_list(const char *value, const DocNode *node,
							   const DocNode *parent, bool track,
							   List **result);
static void parse_md_params(const DocNode *event, NotifyTrigger *trig,
							DocNode *canon);
static void parse_job_siblings(const DocNode *res, Slot *slots,
							   NotifyTrigger *trig, DocNode *canon);
static int	first_event_of(const char *element);
static char *trigger_element_list(void);


/*---- Triggers ----*/

/*
 * first_event_of
 *		Index in notify_events of the first event of an element of
 *		<trigger>, or -1 when no event has that element.  The events of one
 *		element are adjacent.
 */
static int
first_event_of(const char *element)
{
	int			i;

	for (i = 0; i < NE_COUNT; i++)
	{
		if (strcmp(notify_events[i].element, element) == 0)
			return i;
	}
	return -1;
}

/*
 * trigger_element_list
 *		"A trigger holds one of item, metadata, ... and deletionLock.", for
 *		error details.  palloc'd.
 */
static char *
trigger_element_list(void)
{
	StringInfoData buf;
	List	   *elements = NIL;
	ListCell   *lc;
	int			i;

	for (i = 0; i < NE_COUNT; i++)
	{
		if (first_event_of(notify_events[i].element) == i)
			elements = lappend(elements, (char *) notify_events[i].element);
	}
	initStringInfo(&buf);
	appendStringInfoString(&buf, "A trigger holds one of ");
	foreach(lc, elements)
	{
		if (lc != list_head(elements))
			appendStringInfoString(&buf, lnext(elements, lc) == NULL ?
								   " and " : ", ");
		appendStringInfoString(&buf, (char *) lfirst(lc));
	}
	appendStringInfoChar(&buf, '.');
	return buf.data;
}

/*
 * split_list
 *		The comma-separated entries of a trigger parameter, trimmed, as a
 *		List of palloc'd strings.  ERRORs on an empty entry.
 */
static List *
split_list(const char *value, const DocNode *node, const DocNode *parent)
{
	char	   *copy = pstrdup(value);
	char	   *entry;
	char	   *next;
	List	   *entries = NIL;

	for (entry = copy; entry != NULL; entry = next)
	{
		char	   *comma = strchr(entry, ',');
		char	   *e;

		next = NULL;
		if (comma)
		{
			*comma = '\0';
			next = comma + 1;
		}
		e = defn_trim_copy(entry);
		if (e[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("empty entry in list \"%s\" for %s",
							notify_quote_value(value),
							defn_where(node, parent))));
		entries = lappend(entries, e);
	}
	return entries;
}

/*
 * parse_field_list
 *		<field>: comma-separated entries "name", "name:newname", "-name" or
 *		"/group/.../name".  Appends NotifyFieldFilters to trig->md_fields
 *		and returns the canonical list text.
 */
static char *
parse_field_list(const char *value, const DocNode *node,
				 const DocNode *parent, NotifyTrigger *trig)
{
	ListCell   *lc;
	StringInfoData canon;

	initStringInfo(&canon);
	foreach(lc, split_list(value, node, parent))
	{
		char	   *e = lfirst(lc);
		NotifyFieldFilter *f = palloc0(sizeof(NotifyFieldFilter));
		bool		ok;

		if (e[0] == '-')
		{
			f->exclude = true;
			f->name = pstrdup(e + 1);
			ok = defn_matches_charset(f->name, "_.-", true);
		}
		else if (e[0] == '/')
		{
			char	   *last = strrchr(e, '/');
			char	   *p;

			if (strchr(e, ':') != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("field path \"%s\" for %s cannot be renamed",
								notify_quote_value(e), defn_where(node, parent)),
						 errdetail("Only plain field names take the form name:newname.")));
			f->name = pstrdup(last + 1);
			f->path = pnstrdup(e, last - e);	/* "" for "/name" */
			ok = defn_matches_charset(f->name, "_.-", true);
			/* every component between the slashes must be a valid name */
			for (p = e; ok && p < last; p++)
			{
				if (p[0] == '/' && p[1] == '/')
					ok = false;
				else if (*p != '/' && !defn_matches_charset(pnstrdup(p, 1), "_.-", true))
					ok = false;
			}
		}
		else
		{
			char	   *colon = strchr(e, ':');

			if (colon)
			{
				f->name = pnstrdup(e, colon - e);
				f->rename = pstrdup(colon + 1);
				ok = defn_matches_charset(f->name, "_.-", true) &&
					defn_matches_charset(f->rename, "_.-", true);
			}
			else
			{
				f->name = pstrdup(e);
				ok = defn_matches_charset(f->name, "_.-", true);
			}
		}
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid field entry \"%s\" for %s",
							notify_quote_value(e),
							defn_where(node, parent)),
					 errdetail("Entries are name, name:newname, -name or /group/name, where names have letters, digits, \"_\", \".\" or \"-\".")));

		trig->md_fields = lappend(trig->md_fields, f);
		if (canon.len > 0)
			appendStringInfoChar(&canon, ',');
		appendStringInfoString(&canon, e);
	}
	return canon.data;
}

/*
 * parse_interval_list
 *		<interval>: "all" (default), "generic", or comma-separated spans
 *		start-end, each a non-negative number or -INF/+INF, start <= end.
 *		Returns the canonical text, or NULL for "all".
 */
static char *
parse_interval_list(const char *value, const DocNode *node,
					const DocNode *parent, NotifyTrigger *trig)
{
	ListCell   *lc;
	StringInfoData canon;
	int			nentries = 0;
	bool		keyword = false;

	initStringInfo(&canon);
	foreach(lc, split_list(value, node, parent))
	{
		char	   *e = lfirst(lc);

		nentries++;

		if (strcmp(e, "all") == 0 || strcmp(e, "generic") == 0)
		{
			keyword = true;
			if (strcmp(e, "generic") == 0)
				trig->md_generic_only = true;
		}
		else
		{
			NotifyInterval *span = palloc0(sizeof(NotifyInterval));
			const char *p = e;
			double		bounds[2];
			int			i;
			bool		ok = true;

			for (i = 0; i < 2 && ok; i++)
			{
				if (i == 1)
				{
					if (*p != '-')
					{
						ok = false;
						break;
					}
					p++;
				}
				if (strncmp(p, "-INF", 4) == 0)
				{
					bounds[i] = -get_float8_infinity();
					p += 4;
				}
				else if (strncmp(p, "+INF", 4) == 0)
				{
					bounds[i] = get_float8_infinity();
					p += 4;
				}
				else if (*p >= '0' && *p <= '9')
				{
					const char *s = p;

					while (*p >= '0' && *p <= '9')
						p++;
					if (*p == '.' && p[1] >= '0' && p[1] <= '9')
					{
						p++;
						while (*p >= '0' && *p <= '9')
							p++;
					}
					bounds[i] = strtod(pnstrdup(s, p - s), NULL);
				}
				else
					ok = false;
			}
			if (!ok || *p != '\0')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid interval \"%s\" for %s",
								notify_quote_value(e),
								defn_where(node, parent)),
						 errdetail("An interval is \"all\", \"generic\" or a list of spans start-end, each bound a non-negative number, -INF or +INF.")));
			if (bounds[0] > bounds[1])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("interval \"%s\" for %s ends before it starts",
								notify_quote_value(e), defn_where(node, parent))));
			span->start = bounds[0];
			span->end = bounds[1];
			trig->md_intervals = lappend(trig->md_intervals, span);
		}
		if (canon.len > 0)
			appendStringInfoChar(&canon, ',');
		appendStringInfoString(&canon, e);
	}
	if (keyword && nentries > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid interval \"%s\" for %s",
						notify_quote_value(value),
						defn_where(node, parent)),
				 errdetail("\"all\" and \"generic\" stand alone, not in a list.")));
	if (keyword && !trig->md_generic_only)
		return NULL;
	return canon.data;
}

/*
 * parse_simple_list
 *		<language> (codes with '*' wildcards, such as en_*) or <track>
 *		(names such as A1, V2): comma-separated, appended to *result as
 *		strings.  Returns the canonical text.
 */
static char *
parse_simple_list(const char *value, const DocNode *node,
				  const DocNode *parent, bool track, List **result)
{
	ListCell   *lc;
	StringInfoData canon;

	initStringInfo(&canon);
	foreach(lc, split_list(value, node, parent))
	{
		char	   *e = lfirst(lc);
		bool		ok;

		if (track)
		{
			const char *p = e;

			while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
				p++;
			ok = (p > e && *p >= '1' && *p <= '9');
			if (ok)
			{
				for (p++; *p; p++)
				{
					if (*p < '0' || *p > '9')
						ok = false;
				}
			}
		}
		else
			ok = defn_matches_charset(e, "_*-", true);
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid %s \"%s\" for %s",
							track ? "track" : "language", notify_quote_value(e),
							defn_where(node, parent)),
					 track ?
					 errdetail("A track is letters followed by a number from 1, such as A1 or V2.") :
					 errdetail("A language is a code such as en or en_US; \"*\" matches any characters.")));
		*result = lappend(*result, e);
		if (canon.len > 0)
			appendStringInfoChar(&canon, ',');
		appendStringInfoString(&canon, e);
	}
	return canon.data;
}

/*
 * parse_md_params
 *		The optional metadata parameters of a modify event: field, interval,
 *		language and track, each at most once.  Empty ones mean "all" and
 *		are dropped.
 */
static void
parse_md_params(const DocNode *event, NotifyTrigger *trig, DocNode *canon)
{
	Slot		slots[] = {
		{"field", false, false, NULL},
		{"interval", false, false, NULL},
		{"language", false, false, NULL},
		{"track", false, false, NULL},
	};
	char	   *v;
	char	   *c;

	/* JSON may write a parameterless modify as true */
	if (event->children == NIL)
	{
		defn_check_empty(event);
		return;
	}
	defn_match_slots(event, slots, lengthof(slots));

	if (slots[0].node && (v = defn_leaf_text(slots[0].node))[0] != '\0')
	{
		c = parse_field_list(v, slots[0].node, event, trig);
		defn_node_add(canon, "field", c, false);
		trig->has_md_filter = true;
	}
	if (slots[1].node && (v = defn_leaf_text(slots[1].node))[0] != '\0')
	{
		c = parse_interval_list(v, slots[1].node, event, trig);
		if (c != NULL)
		{
			defn_node_add(canon, "interval", c, false);
			trig->has_md_filter = true;
		}
	}
	if (slots[2].node && (v = defn_leaf_text(slots[2].node))[0] != '\0')
	{
		c = parse_simple_list(v, slots[2].node, event, false,
							  &trig->md_languages);
		defn_node_add(canon, "language", c, false);
		trig->has_md_filter = true;
	}
	if (slots[3].node && (v = defn_leaf_text(slots[3].node))[0] != '\0')
	{
		c = parse_simple_list(v, slots[3].node, event, true,
							  &trig->md_tracks);
		defn_node_add(canon, "track", c, false);
		trig->has_md_filter = true;
	}
}

/*
 * parse_job_siblings
 *		placeholder, filter and contentFilters next to a job event
 *		(slots[0..2]), appended to canon (the <job> element) in that order.
 */
static void
parse_job_siblings(const DocNode *res, Slot *slots, NotifyTrigger *trig,
				   DocNode *canon)
{
	ListCell   *lc;

	if (slots[0].node != NULL)
	{
		trig->placeholder = defn_parse_bool_value(slots[0].node, res);
		defn_node_add(canon, "placeholder", trig->placeholder ? "true" : "false",
				 false);
	}

	if (slots[1].node != NULL)
	{
		const DocNode *filter = slots[1].node;
		Slot		fslots[] = {
			{"type", false, true, NULL},
			{"step", false, false, NULL},
			{"jobdata", false, true, NULL},
		};
		DocNode    *cfilter = defn_node_add(canon, "filter", NULL, false);

		defn_match_slots(filter, fslots, lengthof(fslots));

		foreach(lc, filter->children)
		{
			DocNode    *child = (DocNode *) lfirst(lc);
			char	   *type;

			if (strcmp(child->name, "type") != 0)
				continue;
			type = defn_leaf_text(child);
			if (!defn_matches_charset(type, "_", true))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid job type \"%s\" for %s",
								notify_quote_value(type),
								defn_where(child, filter)),
						 errdetail("A job type such as PLACEHOLDER_IMPORT has letters, digits and \"_\".")));
			trig->job_types = lappend(trig->job_types, type);
			defn_node_add(cfilter, "type", type, false);
		}

		if (fslots[1].node != NULL)
		{
			char	   *step = defn_leaf_text(fslots[1].node);
			int			n;

			if (!defn_parse_uint(step, &n))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value \"%s\" for %s",
								notify_quote_value(step),
								defn_where(fslots[1].node, filter)),
						 errdetail("A step is a non-negative integer.")));
			trig->job_step = n;
			defn_node_add(cfilter, "step", psprintf("%d", n), false);
		}

		foreach(lc, filter->children)
		{
			DocNode    *child = (DocNode *) lfirst(lc);
			Slot		jslots[] = {
				{"key", false, false, NULL},
				{"value", false, false, NULL},
				{"key-regex", false, false, NULL},
				{"value-regex", false, false, NULL},
			};
			NotifyJobData *jd;
			DocNode    *cjd;
			bool		plain;
			bool		regex;

			if (strcmp(child->name, "jobdata") != 0)
				continue;
			defn_match_slots(child, jslots, lengthof(jslots));
			plain = (jslots[0].node && jslots[1].node &&
					 !jslots[2].node && !jslots[3].node);
			regex = (!jslots[0].node && !jslots[1].node &&
					 jslots[2].node && jslots[3].node);
			if (!plain && !regex)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid <jobdata> in <filter>"),
						 errdetail("A <jobdata> holds either <key> and <value>, or <key-regex> and <value-regex>.")));

			jd = palloc0(sizeof(NotifyJobData));
			jd->is_regex = regex;
			cjd = defn_node_add(cfilter, "jobdata", NULL, false);
			if (plain)
			{
				jd->key = defn_leaf_text(jslots[0].node);
				jd->value = defn_leaf_text(jslots[1].node);
				if (jd->key[0] == '\0')
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("empty element <key> in <jobdata>")));
				defn_node_add(cjd, "key", jd->key, false);
				defn_node_add(cjd, "value", jd->value, false);
			}
			else
			{
				jd->key = defn_leaf_text(jslots[2].node);
				jd->value = defn_leaf_text(jslots[3].node);
				defn_check_regex(jd->key, jslots[2].node, child);
				defn_check_regex(jd->value, jslots[3].node, child);
				defn_node_add(cjd, "key-regex", jd->key, false);
				defn_node_add(cjd, "value-regex", jd->value, false);
			}
			trig->job_data = lappend(trig->job_data, jd);
		}
	}

	if (slots[2].node != NULL)
	{
		const DocNode *cf = slots[2].node;
		Slot		cslots[] = {{"contentFilter", false, true, NULL}};
		DocNode    *ccf = defn_node_add(canon, "contentFilters", NULL, false);

		defn_match_slots(cf, cslots, lengthof(cslots));
		if (cslots[0].node == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("missing element <contentFilter> in <contentFilters>")));
		foreach(lc, cf->children)
		{
			DocNode    *child = (DocNode *) lfirst(lc);
			char	   *name = defn_leaf_text(child);
			ListCell   *lc2;
			int			i;

			for (i = 0; content_filter_names[i] != NULL; i++)
			{
				if (strcmp(content_filter_names[i], name) == 0)
					break;
			}
			if (content_filter_names[i] == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid content filter \"%s\" for %s",
								notify_quote_value(name),
								defn_where(child, cf)),
						 errdetail("Valid content filters are jobId, jobState, user, startTime, jobType, jobData, errorMessage, itemId, totalSteps and currentStep.")));
			foreach(lc2, trig->content_filters)
			{
				if (strcmp((char *) lfirst(lc2), name) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("duplicate content filter \"%s\" in <contentFilters>",
									notify_quote_value(name))));
			}
			trig->content_filters = lappend(trig->content_filters, name);
			defn_node_add(ccf, "contentFilter", name, false);
		}
	}
}

/*
 * defn_parse_trigger
 *		<trigger> holds one resource element, which holds one event element
 *		plus the parameters allowed next to it.  Fills def->trigger, checks
 *		that the trigger belongs to def->resource and returns the canonical
 *		<trigger> element.
 */
DocNode *
defn_parse_trigger(const DocNode *trigger, NotifyDefinition *def)
{
	NotifyTrigger *trig = &def->trigger;
	const DocNode *res = NULL;
	const DocNode *event = NULL;
	const NotifyEventInfo *ev = NULL;
	TriggerSiblings siblings = TS_NONE;
	int			first;
	DocNode    *canon = defn_node_new("trigger", NULL, false);
	DocNode    *cres;
	DocNode    *cevent;
	Slot		sib[] = {
		{"placeholder", false, false, NULL},
		{"filter", false, false, NULL},
		{"contentFilters", false, false, NULL},
	};
	Slot		storage_slot = {"storage", false, false, NULL};
	StringInfoData valid;
	ListCell   *lc;
	int			i;

	/* the resource element */
	foreach(lc, trigger->children)
	{
		DocNode    *child = (DocNode *) lfirst(lc);

		if (child->is_attr)
			defn_unexpected_child(trigger, child, NULL);
		if (first_event_of(child->name) < 0)
			defn_unexpected_child(trigger, child, trigger_element_list());
		if (res != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("more than one trigger in <trigger>"),
					 errdetail("Found <%s> and <%s>; a notification has exactly one trigger.",
							   notify_quote_value(res->name),
							   notify_quote_value(child->name))));
		res = child;
	}
	defn_check_no_text(trigger);
	if (res == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing resource element in <trigger>"),
				 errdetail_internal("%s", trigger_element_list())));
	first = first_event_of(res->name);
	for (i = 0; i < lengthof(trigger_siblings); i++)
	{
		if (strcmp(trigger_siblings[i].element, res->name) == 0)
			siblings = trigger_siblings[i].siblings;
	}

	/* list of what may appear inside the resource element, for messages */
	initStringInfo(&valid);
	appendStringInfo(&valid, "Element <%s> holds one event: ", res->name);
	for (i = first; i < NE_COUNT && strcmp(notify_events[i].element, res->name) == 0; i++)
	{
		bool		last = (i + 1 == NE_COUNT ||
							strcmp(notify_events[i + 1].element, res->name) != 0);

		if (i > first)
			appendStringInfoString(&valid, last ? " or " : ", ");
		appendStringInfoString(&valid, notify_events[i].event);
	}
	if (siblings == TS_JOB)
		appendStringInfoString(&valid, "; next to it placeholder, filter and contentFilters");
	if (siblings == TS_FILE)
		appendStringInfoString(&valid, "; next to it storage");
	appendStringInfoChar(&valid, '.');

	/* the event element and its siblings */
	foreach(lc, res->children)
	{
		DocNode    *child = (DocNode *) lfirst(lc);
		const NotifyEventInfo *is_event = NULL;

		if (child->is_attr)
			defn_unexpected_child(res, child, valid.data);
		for (i = first; i < NE_COUNT && strcmp(notify_events[i].element, res->name) == 0; i++)
		{
			if (strcmp(notify_events[i].event, child->name) == 0 ||
				(notify_events[i].alias != NULL &&
				 strcmp(notify_events[i].alias, child->name) == 0))
				is_event = &notify_events[i];
		}

		if (is_event != NULL)
		{
			if (event != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("more than one event in <%s>",
								notify_quote_value(res->name)),
						 errdetail("Found <%s> and <%s>; a trigger has exactly one event.",
								   notify_quote_value(event->name),
								   notify_quote_value(child->name))));
			event = child;
			ev = is_event;
			continue;
		}

		if (siblings == TS_JOB)
		{
			for (i = 0; i < lengthof(sib); i++)
			{
				if (strcmp(sib[i].name, child->name) == 0)
					break;
			}
			if (i < lengthof(sib))
			{
				if (sib[i].node != NULL)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("duplicate element <%s> in <%s>",
									notify_quote_value(child->name),
									notify_quote_value(res->name))));
				sib[i].node = child;
				continue;
			}
		}
		if (siblings == TS_FILE && strcmp(child->name, "storage") == 0)
		{
			if (storage_slot.node != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("duplicate element <storage> in <file>")));
			storage_slot.node = child;
			continue;
		}
		defn_unexpected_child(res, child, valid.data);
	}
	defn_check_no_text(res);
	if (event == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing event element in <%s>",
						notify_quote_value(res->name)),
				 errdetail_internal("%s", valid.data)));

	/* whether the notification's resource fits */
	if (ev->resource != def->resource)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trigger \"%s\" does not belong to resource \"%s\"",
						notify_quote_value(ev->name),
						resource_name(def->resource)),
				 errhint("Create it as a notification of resource \"%s\".",
						 resource_name(ev->resource))));
	trig->event = pstrdup(ev->name);
	trig->event_id = (NotifyEvent) (ev - notify_events);

	/* canonical tree and parameters */
	cres = defn_node_add(canon, res->name, NULL, false);
	if (trig->event_id == NE_COLLECTION_METADATA_MODIFY)
	{
		Slot		mslots[] = {{"modify", false, false, NULL}};
		DocNode    *cmeta = defn_node_add(cres, "metadata", NULL, false);

		defn_match_slots(event, mslots, lengthof(mslots));
		if (mslots[0].node == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("missing element <modify> in <metadata>")));
		cevent = defn_node_add(cmeta, "modify", NULL, false);
		parse_md_params(mslots[0].node, trig, cevent);
	}
	else
	{
		/* the canonical spelling of the event element, not its alias */
		cevent = defn_node_add(cres, ev->event, NULL, false);
		if (ev->md_params)
			parse_md_params(event, trig, cevent);
		else
			defn_check_empty(event);
	}

	if (siblings == TS_JOB)
		parse_job_siblings(res, sib, trig, cres);
	if (storage_slot.node != NULL)
	{
		char	   *storage = defn_leaf_text(storage_slot.node);

		if (!defn_matches_charset(storage, "_-", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid storage id \"%s\" for %s",
							notify_quote_value(storage),
							defn_where(storage_slot.node, res)),
					 errdetail("A storage id such as VX-2 has letters, digits, \"_\" and \"-\".")));
		trig->file_storage = storage;
		defn_node_add(cres, "storage", storage, false);
	}
	return canon;
}
