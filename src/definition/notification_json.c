/*-------------------------------------------------------------------------
 *
 * notification_json.c
 *	  The JSON spelling of a NotificationDocument: its reader, with the
 *	  RFC 8259 checks json-c does not make, and its writer.
 *
 * The rules the readers follow for untrusted input, the ownership of the
 * json-c objects and the determinism of the output are those of the
 * family, described in notification_document.c.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/notification_json.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <json-c/json_object.h>
#include <json-c/json_object_iterator.h>
#include <json-c/json_tokener.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/json.h"

#include "common/text_escape.h"
#include "definition/definition_internal.h"
#include "definition/notification_document.h"

/*
 * One open object or array of a JSON text, for json_check_text.  keys holds
 * the decoded keys of an object so far (palloc'd UTF-8 strings).
 */
typedef struct JsonScanFrame
{
	bool		is_object;
	bool		want_key;		/* the next string is a key */
	List	   *keys;
} JsonScanFrame;
static void json_check_text(const char *text, size_t len);
static size_t json_scan_string(const char *text, size_t len, size_t pos,
							   StringInfo decoded);
static int	json_scan_hex4(const char *text, size_t len, size_t pos);
static void json_scan_word(const char *text, size_t start, size_t end);
static void json_check_duplicates(List *keys);
static int	json_key_cmp(const ListCell *a, const ListCell *b);
static void json_add_member(DocNode *parent, const char *key,
							struct json_object *value, int depth);
static DocNode *json_value_to_node(const char *key, struct json_object *value,
								   int depth);
static void json_check_key(const char *key);
static void json_check_string(const char *key, const char *s, size_t len);
static void json_write_object(StringInfo buf, const DocNode *node);
static void json_write_value(StringInfo buf, const DocNode *parent,
							 const DocNode *node);

/*
 * Vidispine's JSON binding (the NotificationDocument types of npm
 * @vidispine/types): the elements whose JSON value is not a string.  A
 * list element is written as an array even when it occurs once; a boolean
 * or number is written bare when its text is one.  parent NULL: under any
 * element.  The reader accepts either spelling of each (a lone value or an
 * array, a bare or a quoted scalar).
 */
typedef enum JsonBindingType
{
	JB_LIST,
	JB_BOOLEAN,
	JB_NUMBER
} JsonBindingType;

typedef struct JsonBinding
{
	const char *parent;
	const char *name;
	JsonBindingType type;
} JsonBinding;

static const JsonBinding json_bindings[] = {
	{"contentFilters", "contentFilter", JB_LIST},	/* Array<...> */
	{NULL, "synchronous", JB_BOOLEAN},	/* NotificationActionType */
	{"job", "placeholder", JB_BOOLEAN},
	{NULL, "retry", JB_NUMBER}, /* NotificationActionType */
	{"filter", "step", JB_NUMBER},
};

static const JsonBinding *json_binding_of(const DocNode *parent,
										  const DocNode *node);


/*---- Reading ----*/


/*
 * document_read_json
 *		Parse JSON text (len bytes, server encoding, starting at '{') into a
 *		DocNode tree.
 *
 * The root object holds "action" and "trigger"; a root of the form
 * {"NotificationDocument": {...}} is unwrapped.  The tokener and every
 * json_object are freed on every path.
 */
DocNode *
document_read_json(const char *text, int len)
{
	struct json_tokener *volatile tok = NULL;
	struct json_object *volatile parsed = NULL;
	DocNode    *volatile result = NULL;
	char	   *copy;
	char	   *utf8;
	int			utf8len;

	copy = pnstrdup(text, len);
	utf8 = pg_server_to_any(copy, strlen(copy), PG_UTF8);
	utf8len = strlen(utf8);

	PG_TRY();
	{
		enum json_tokener_error jerr;
		struct json_object *top;
		size_t		end;

		tok = json_tokener_new_ex(DOC_MAX_DEPTH);
		if (tok == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		json_tokener_set_flags(tok,
							   JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		parsed = json_tokener_parse_ex(tok,
									   utf8, utf8len);
		jerr = json_tokener_get_error(tok);
		end = json_tokener_get_parse_end(tok);

		if (jerr == json_tokener_error_depth)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("NotificationDocument is nested more than %d levels deep",
							DOC_MAX_DEPTH)));
		if (jerr == json_tokener_continue)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_JSON_TEXT),
					 errmsg("invalid JSON in NotificationDocument"),
					 errdetail("The document ends before the JSON value is complete.")));
		if (jerr != json_tokener_success || parsed == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_JSON_TEXT),
					 errmsg("invalid JSON in NotificationDocument"),
					 errdetail("Character %d: %s.", (int) end + 1,
							   json_tokener_error_desc(jerr))));
		for (; end < (size_t) utf8len; end++)
		{
			char		c = utf8[end];

			if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_JSON_TEXT),
						 errmsg("invalid JSON in NotificationDocument"),
						 errdetail("Character %d: unexpected text after the JSON object.",
								   (int) end + 1)));
		}
		if (!json_object_is_type(parsed, json_type_object))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_JSON_TEXT),
					 errmsg("NotificationDocument in JSON must be an object")));
		json_check_text(utf8, utf8len);

		top = parsed;
		if (json_object_object_length(top) == 1)
		{
			struct json_object *inner;

			if (json_object_object_get_ex(top, "NotificationDocument", &inner))
			{
				if (!json_object_is_type(inner, json_type_object))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_JSON_TEXT),
							 errmsg("\"NotificationDocument\" must be a JSON object")));
				top = inner;
			}
		}
		result = json_value_to_node("NotificationDocument", top, 1);
	}
	PG_CATCH();
	{
		if (parsed != NULL)
			json_object_put(parsed);
		if (tok != NULL)
			json_tokener_free(tok);
		PG_RE_THROW();
	}
	PG_END_TRY();

	json_object_put(parsed);
	json_tokener_free(tok);

	if (utf8 != copy)
		pfree(utf8);
	pfree(copy);

	return result;
}

/*
 * json_check_text
 *		Check a JSON text that json-c accepted in strict mode for what
 *		strict mode lets through; len bytes of UTF-8 text.
 *
 * json-c has already checked the structure (brackets, commas, colons,
 * double-quoted strings, escapes, nesting depth), so this is a plain walk
 * over the tokens.  It refuses, with ERRCODE_INVALID_JSON_TEXT:
 *	- bare words other than true, false, null and RFC 8259 numbers (json-c
 *	  takes NaN, Infinity, -Infinity and "1.");
 *	- raw control characters inside strings (RFC 8259 wants them escaped);
 *	- \u0000 anywhere (json-c cuts a key there) and a UTF-16 surrogate
 *	  that is not part of a high-low pair (json-c turns it into U+FFFD);
 *	- a key that occurs twice in one object (json-c keeps the last value).
 * Positions in messages count bytes from 1, like the json-c errors above.
 */
static void
json_check_text(const char *text, size_t len)
{
	List	   *stack = NIL;
	size_t		i = 0;

	while (i < len)
	{
		char		c = text[i];
		JsonScanFrame *top = stack ? (JsonScanFrame *) llast(stack) : NULL;

		switch (c)
		{
			case ' ':
			case '\t':
			case '\n':
			case '\r':
			case ':':
				i++;
				break;
			case '{':
			case '[':
				{
					JsonScanFrame *frame = palloc0(sizeof(JsonScanFrame));

					frame->is_object = (c == '{');
					frame->want_key = frame->is_object;
					stack = lappend(stack, frame);
					i++;
				}
				break;
			case '}':
			case ']':
				if (top == NULL)
					elog(ERROR, "unbalanced JSON text after parsing");
				if (top->is_object)
					json_check_duplicates(top->keys);
				stack = list_delete_last(stack);
				i++;
				break;
			case ',':
				if (top != NULL && top->is_object)
					top->want_key = true;
				i++;
				break;
			case '"':
				if (top != NULL && top->is_object && top->want_key)
				{
					StringInfoData key;

					initStringInfo(&key);
					i = json_scan_string(text, len, i + 1, &key);
					top->keys = lappend(top->keys, key.data);
					top->want_key = false;
				}
				else
					i = json_scan_string(text, len, i + 1, NULL);
				break;
			default:
				{
					size_t		start = i;

					while (i < len && strchr(" \t\n\r,:{}[]\"", text[i]) == NULL)
						i++;
					json_scan_word(text, start, i);
				}
				break;
		}
	}
}

/*
 * json_scan_string
 *		Check one JSON string whose body starts at text[pos] (after the
 *		opening quote); returns the position after the closing quote.
 *
 * When decoded is not NULL the string's value is appended to it as UTF-8
 * (used for keys).  See json_check_text for what is refused.
 */
static size_t
json_scan_string(const char *text, size_t len, size_t pos,
				 StringInfo decoded)
{
	while (pos < len && text[pos] != '"')
	{
		unsigned char c = (unsigned char) text[pos];
		int			cp;
		size_t		at;

		if (c < 0x20)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_JSON_TEXT),
					 errmsg("invalid JSON in NotificationDocument"),
					 errdetail("Character %d: control character U+%04X inside a string.",
							   (int) pos + 1, (unsigned int) c),
					 errhint("Write a line feed as \\n, a tab as \\t and a carriage return as \\r.")));
		if (c != '\\')
		{
			if (decoded)
				appendStringInfoChar(decoded, (char) c);
			pos++;
			continue;
		}

		/* an escape; json-c has checked its form */
		if (pos + 1 >= len)
			elog(ERROR, "unterminated JSON string after parsing");
		if (text[pos + 1] != 'u')
		{
			if (decoded)
			{
				char		e = text[pos + 1];

				appendStringInfoChar(decoded,
									 e == 'b' ? '\b' : e == 'f' ? '\f' :
									 e == 'n' ? '\n' : e == 'r' ? '\r' :
									 e == 't' ? '\t' : e);
			}
			pos += 2;
			continue;
		}

		/* \uXXXX, possibly the first half of a surrogate pair */
		cp = json_scan_hex4(text, len, pos + 2);
		at = pos;
		pos += 6;
		if (cp < 0)
			elog(ERROR, "invalid JSON escape after parsing");
		if (cp == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_JSON_TEXT),
					 errmsg("invalid JSON in NotificationDocument"),
					 errdetail("Character %d: \\u0000 is not allowed.",
							   (int) at + 1)));
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_JSON_TEXT),
					 errmsg("invalid JSON in NotificationDocument"),
					 errdetail("Character %d: Unicode low surrogate \\u%04X must follow a high surrogate.",
							   (int) at + 1, (unsigned int) cp)));
		if (cp >= 0xD800 && cp <= 0xDBFF)
		{
			int			low = -1;

			if (pos + 1 < len && text[pos] == '\\' && text[pos + 1] == 'u')
				low = json_scan_hex4(text, len, pos + 2);
			if (low < 0xDC00 || low > 0xDFFF)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_JSON_TEXT),
						 errmsg("invalid JSON in NotificationDocument"),
						 errdetail("Character %d: Unicode high surrogate \\u%04X must be followed by a low surrogate.",
								   (int) at + 1, (unsigned int) cp)));
			cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
			pos += 6;
		}
		if (decoded)
		{
			unsigned char utf8[8];

			unicode_to_utf8((pg_wchar) cp, utf8);
			appendBinaryStringInfo(decoded, (char *) utf8,
								   pg_utf_mblen(utf8));
		}
	}
	if (pos >= len)
		elog(ERROR, "unterminated JSON string after parsing");
	return pos + 1;
}

/*
 * json_scan_hex4
 *		Value of the four hexadecimal digits at text[pos], or -1 when there
 *		are not four of them.
 */
static int
json_scan_hex4(const char *text, size_t len, size_t pos)
{
	int			v = 0;
	int			k;

	if (pos + 4 > len)
		return -1;
	for (k = 0; k < 4; k++)
	{
		char		h = text[pos + k];

		v <<= 4;
		if (h >= '0' && h <= '9')
			v += h - '0';
		else if (h >= 'a' && h <= 'f')
			v += h - 'a' + 10;
		else if (h >= 'A' && h <= 'F')
			v += h - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * json_scan_word
 *		A bare word text[start..end) must be true, false, null or a number
 *		of RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 */
static void
json_scan_word(const char *text, size_t start, size_t end)
{
	const char *p = text + start;
	const char *e = text + end;
	size_t		n = end - start;
	bool		ok;

	if ((n == 4 && strncmp(p, "true", 4) == 0) ||
		(n == 5 && strncmp(p, "false", 5) == 0) ||
		(n == 4 && strncmp(p, "null", 4) == 0))
		return;

	if (p < e && *p == '-')
		p++;
	ok = (p < e && *p >= '0' && *p <= '9');
	if (ok && *p == '0')
		p++;
	else
	{
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (ok && p < e && *p == '.')
	{
		p++;
		ok = (p < e && *p >= '0' && *p <= '9');
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (ok && p < e && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		ok = (p < e && *p >= '0' && *p <= '9');
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (ok && p == e)
		return;

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_JSON_TEXT),
			 errmsg("invalid JSON in NotificationDocument"),
			 errdetail("Character %d: \"%s\" is not a JSON value.",
					   (int) start + 1,
					   notify_quote_value(document_utf8_to_server(text + start, (int) n))),
			 errhint("A JSON value is a string, a number, true, false, null, an object or an array; NaN and Infinity are not numbers.")));
}

/*
 * json_check_duplicates
 *		Refuse a key that occurs more than once among the keys of one
 *		object (UTF-8 strings, as decoded by json_scan_string).  Sorting
 *		keeps this O(n log n) for an object with many keys.
 */
static void
json_check_duplicates(List *keys)
{
	ListCell   *lc;
	const char *prev = NULL;

	if (list_length(keys) < 2)
		return;
	keys = list_copy(keys);
	list_sort(keys, json_key_cmp);
	foreach(lc, keys)
	{
		const char *key = (const char *) lfirst(lc);

		if (prev != NULL && strcmp(prev, key) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_JSON_TEXT),
					 errmsg("duplicate key \"%s\" in NotificationDocument",
							notify_quote_value(document_utf8_to_server(key, strlen(key)))),
					 errdetail("A key occurs once in a JSON object; a repeated element is written as an array.")));
		prev = key;
	}
	list_free(keys);
}

/* list_sort comparator for json_check_duplicates */
static int
json_key_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/*
 * json_add_member
 *		Add one key/value pair of a JSON object to parent: an array becomes
 *		one child per element, all named key; anything else one child.
 */
static void
json_add_member(DocNode *parent, const char *key, struct json_object *value,
				int depth)
{
	json_check_key(key);

	if (json_object_is_type(value, json_type_array))
	{
		size_t		n = json_object_array_length(value);
		size_t		i;

		for (i = 0; i < n; i++)
		{
			struct json_object *elem = json_object_array_get_idx(value, i);

			if (json_object_is_type(elem, json_type_array))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_JSON_TEXT),
						 errmsg("nested array in \"%s\" of NotificationDocument",
								notify_quote_value(document_utf8_to_server(key, strlen(key)))),
						 errdetail("An array stands for a repeated element; arrays of arrays have no meaning.")));
			parent->children = lappend(parent->children,
									   json_value_to_node(key, elem, depth));
		}
	}
	else
		parent->children = lappend(parent->children,
								   json_value_to_node(key, value, depth));
}

/*
 * json_value_to_node
 *		Convert one JSON value (not an array) named key into a DocNode.
 *
 * Objects give child elements in key order; strings, numbers and
 * booleans give text ("true"/"false"); null and "" give an empty element.
 */
static DocNode *
json_value_to_node(const char *key, struct json_object *value, int depth)
{
	DocNode    *node;
	char	   *name = document_utf8_to_server(key, strlen(key));

	check_stack_depth();
	if (depth > DOC_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("NotificationDocument is nested more than %d levels deep",
						DOC_MAX_DEPTH)));

	node = defn_node_new(name, NULL, false);

	switch (json_object_get_type(value))
	{
		case json_type_null:
			break;
		case json_type_boolean:
			node->text = pstrdup(json_object_get_boolean(value) ? "true" : "false");
			break;
		case json_type_int:
		case json_type_double:
			{
				const char *num = json_object_get_string(value);

				if (num == NULL)
					ereport(ERROR,
							(errcode(ERRCODE_OUT_OF_MEMORY),
							 errmsg("out of memory")));
				node->text = document_utf8_to_server(num, strlen(num));
			}
			break;
		case json_type_string:
			{
				const char *s = json_object_get_string(value);
				int			slen = json_object_get_string_len(value);

				json_check_string(name, s, slen);
				if (slen > 0)
					node->text = document_utf8_to_server(s, slen);
			}
			break;
		case json_type_object:
			{
				struct json_object_iterator it = json_object_iter_begin(value);
				struct json_object_iterator end = json_object_iter_end(value);

				while (!json_object_iter_equal(&it, &end))
				{
					json_add_member(node, json_object_iter_peek_name(&it),
									json_object_iter_peek_value(&it),
									depth + 1);
					json_object_iter_next(&it);
				}
			}
			break;
		case json_type_array:
			/* json_add_member unrolls arrays; only a nested one gets here */
			elog(ERROR, "unexpected JSON array for \"%s\"",
				 notify_quote_value(name));
			break;
	}
	return node;
}

/*
 * json_check_key
 *		A JSON key must be usable as an XML element name: ASCII letter or
 *		'_' first, then letters, digits, '_', '-' and '.'.
 */
static void
json_check_key(const char *key)
{
	const char *p = key;
	bool		ok = (*p != '\0');

	if (ok && !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
				*p == '_'))
		ok = false;
	for (; ok && *p; p++)
	{
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			  (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			ok = false;
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_JSON_TEXT),
				 errmsg("invalid key \"%s\" in NotificationDocument",
						notify_quote_value(document_utf8_to_server(key, strlen(key)))),
				 errdetail("Keys are element names: a letter or \"_\" followed by letters, digits, \"_\", \"-\" or \".\".")));
}

/*
 * json_check_string
 *		Refuse characters that XML cannot carry: NUL and control characters
 *		other than tab, line feed and carriage return.
 */
static void
json_check_string(const char *key, const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_JSON_TEXT),
					 errmsg("value of \"%s\" contains control character U+%04X",
							notify_quote_value(key), (unsigned int) c),
					 errdetail("Values may contain tab, line feed and carriage return but no other control character.")));
	}
}


/*---- Writing ----*/


/*
 * document_to_json
 *		Serialize a DocNode tree in the JSON form of a NotificationDocument.
 *
 * The root's name is dropped; attributes are plain keys; elements sharing
 * a name become one array at the position of the first of them, as does
 * a single element that is a list in Vidispine's binding (json_bindings);
 * an empty element is "".  synchronous and placeholder are written as
 * JSON booleans and retry and step as numbers when their text allows it;
 * every other value is a string.  One line, ", " and ": " separators.
 * Returns a palloc'd string.  Errors out if an element has text as well as
 * attributes or elements, which JSON cannot express.
 */
char *
document_to_json(const DocNode *root)
{
	StringInfoData buf;

	initStringInfo(&buf);
	json_write_object(&buf, root);
	return buf.data;
}

/*
 * json_write_object
 *		Append the children of node as one JSON object.
 */
static void
json_write_object(StringInfo buf, const DocNode *node)
{
	ListCell   *lc;
	bool		first = true;

	check_stack_depth();

	appendStringInfoChar(buf, '{');
	foreach(lc, node->children)
	{
		DocNode    *child = (DocNode *) lfirst(lc);
		ListCell   *lc2;
		bool		seen = false;
		int			count = 0;

		/* a name already written as part of an array is skipped */
		foreach(lc2, node->children)
		{
			DocNode    *other = (DocNode *) lfirst(lc2);

			if (other == child)
				break;
			if (strcmp(other->name, child->name) == 0)
			{
				seen = true;
				break;
			}
		}
		if (seen)
			continue;

		foreach(lc2, node->children)
		{
			if (strcmp(((DocNode *) lfirst(lc2))->name, child->name) == 0)
				count++;
		}

		if (!first)
			appendStringInfoString(buf, ", ");
		first = false;
		escape_json(buf, child->name);
		appendStringInfoString(buf, ": ");

		if (count == 1 &&
			(json_binding_of(node, child) == NULL ||
			 json_binding_of(node, child)->type != JB_LIST))
			json_write_value(buf, node, child);
		else
		{
			bool		first_elem = true;

			appendStringInfoChar(buf, '[');
			foreach(lc2, node->children)
			{
				DocNode    *other = (DocNode *) lfirst(lc2);

				if (strcmp(other->name, child->name) != 0)
					continue;
				if (!first_elem)
					appendStringInfoString(buf, ", ");
				first_elem = false;
				json_write_value(buf, node, other);
			}
			appendStringInfoChar(buf, ']');
		}
	}
	appendStringInfoChar(buf, '}');
}

/*
 * json_binding_of
 *		The row of json_bindings for element node under parent, or NULL
 *		(a string).
 */
static const JsonBinding *
json_binding_of(const DocNode *parent, const DocNode *node)
{
	int			i;

	for (i = 0; i < lengthof(json_bindings); i++)
	{
		const JsonBinding *b = &json_bindings[i];

		if (strcmp(b->name, node->name) == 0 &&
			(b->parent == NULL ||
			 (parent != NULL && strcmp(b->parent, parent->name) == 0)))
			return b;
	}
	return NULL;
}

/*
 * json_write_value
 *		Append the JSON value of one element or attribute node of parent.
 */
static void
json_write_value(StringInfo buf, const DocNode *parent, const DocNode *node)
{
	const char *t = node->text;
	const JsonBinding *binding;

	if (node->children != NIL)
	{
		if (t != NULL && t[0] != '\0')
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("element <%s> with both text and attributes cannot be written as JSON",
							notify_quote_value(node->name))));
		json_write_object(buf, node);
		return;
	}
	if (t == NULL || t[0] == '\0')
	{
		appendStringInfoString(buf, "\"\"");
		return;
	}
	binding = json_binding_of(parent, node);
	if (binding != NULL && binding->type == JB_BOOLEAN &&
		(strcmp(t, "true") == 0 || strcmp(t, "false") == 0))
	{
		appendStringInfoString(buf, t);
		return;
	}
	if (binding != NULL && binding->type == JB_NUMBER)
	{
		const char *p = t;
		bool		number = (*p >= '0' && *p <= '9') &&
			!(p[0] == '0' && p[1] != '\0');

		for (; number && *p; p++)
		{
			if (*p < '0' || *p > '9')
				number = false;
		}
		if (number)
		{
			appendStringInfoString(buf, t);
			return;
		}
	}
	escape_json(buf, t);
}
