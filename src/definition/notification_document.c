/*-------------------------------------------------------------------------
 *
 * notification_document.c
 *	  The two spellings of a NotificationDocument, XML and JSON, read into
 *	  and written out of the generic DocNode tree of definition.h.
 *
 * document_read() only decides the spelling and builds the tree; what the
 * elements mean is parse.c's business.  The readers are built
 * for untrusted input:
 *
 *	- The size limit notify_ext.max_document_size is checked before any
 *	  parser sees the text, and nesting is limited to DOC_MAX_DEPTH levels.
 *	- XML goes through libxml2 inside core's pg_xml_init()/pg_xml_done()
 *	  bracket, with XML_PARSE_NONET and without NOENT, DTDLOAD, DTDATTR or
 *	  DTDVALID.  A document type declaration stops the parser the moment
 *	  it is seen (SAX internalSubset hook), so no entity declaration is
 *	  ever read, let alone expanded or fetched.
 *	- Parser messages are reported without the source excerpt libxml2
 *	  would attach, because that excerpt may hold a URL password or an SQS
 *	  secret from the document.
 *	- JSON is read by json-c in strict mode, and the text it accepted is
 *	  then checked against RFC 8259 for what strict mode still lets
 *	  through (json_check_text): NaN, Infinity and other bare words that
 *	  are not JSON values, raw control characters in strings, \u0000 (which
 *	  json-c silently cuts a key at) and UTF-16 surrogates without their
 *	  pair (which json-c silently replaces).  A key repeated in one object
 *	  is refused like a repeated XML attribute, where json-c would keep the
 *	  last value.
 *	- Names and values from the document are shown in messages through
 *	  notify_quote_value(): bounded in length, control characters escaped.
 *
 * Ownership: libxml2 and json-c allocate with malloc.  Every xmlDoc,
 * parser context, json_tokener and json_object lives only inside one
 * PG_TRY block of this file and is freed on both the normal and the error
 * path.  Strings are copied into palloc memory (converted to the server
 * encoding) before the foreign object is freed; the resulting DocNode tree
 * is palloc'd in the caller's memory context.
 *
 * Output is deterministic: elements and attributes are written in tree
 * order, so the canonical tree built by parse.c always yields
 * byte-identical XML and JSON.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/notification_document.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <json-c/json_object.h>
#include <json-c/json_object_iterator.h>
#include <json-c/json_tokener.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/json.h"
#include "utils/xml.h"

#include "definition/definition.h"
#include "guc.h"
#include "common/text_escape.h"

/* Deepest element nesting accepted in either spelling */
#define DOC_MAX_DEPTH	32

/* libxml2 2.12 made the error argument of structured handlers const */
#if LIBXML_VERSION >= 21200
typedef const xmlError *DocXmlErrorPtr;
#else
typedef xmlErrorPtr DocXmlErrorPtr;
#endif

/*
 * State shared with the libxml2 callbacks of one parse; reached through
 * the parser context's _private pointer.
 */
typedef struct XmlReadState
{
	bool		saw_doctype;	/* a <!DOCTYPE was met: parse was stopped */
	bool		failed;			/* an error-level message was reported */
	int			line;			/* position of the first error */
	int			column;
	char	   *message;		/* first error message (palloc'd) or NULL */
} XmlReadState;

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

/*---- Local helpers ----*/

static DocNode *doc_node_new(const char *name, const char *text, bool is_attr);
static char *utf8_to_server(const char *s, int len);
static bool is_blank(const char *s);
static void xml_read_error(void *data, DocXmlErrorPtr error);
static void xml_refuse_doctype(void *ctx, const xmlChar *name,
							   const xmlChar *external_id,
							   const xmlChar *system_id);
static DocNode *xml_read(const char *text, int len);
static DocNode *xml_element_to_node(xmlNodePtr elem, int depth);
static DocNode *json_read(const char *text, int len);
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
static void xml_append_escaped(StringInfo buf, const char *s, bool attribute);
static void xml_write_element(StringInfo buf, const DocNode *node, int level,
							  bool is_root);
static void json_write_object(StringInfo buf, const DocNode *node);
static void json_write_value(StringInfo buf, const DocNode *node);


/*---- Reading ----*/

/*
 * document_read
 *		Parse a NotificationDocument spelled in XML or in JSON.
 *
 * text need not be NUL-terminated; len is its length in bytes.  The first
 * non-blank character decides the spelling: '<' is XML, '{' is JSON; blanks
 * and a UTF-8 byte order mark before it are skipped.
 *
 * Returns the root DocNode, named "NotificationDocument" in both cases,
 * palloc'd in CurrentMemoryContext.  Nothing is validated beyond the form:
 * well-formedness, the XML root element and namespace, no DTD, no mixed
 * content, size and depth limits.  Every failure is an ereport(ERROR):
 * ERRCODE_PROGRAM_LIMIT_EXCEEDED for size and depth,
 * ERRCODE_INVALID_XML_DOCUMENT / ERRCODE_INVALID_XML_CONTENT for XML,
 * ERRCODE_INVALID_JSON_TEXT for JSON, ERRCODE_INVALID_PARAMETER_VALUE when
 * the text is neither.
 */
DocNode *
document_read(const char *text, int len)
{
	int			i = 0;

	if (len > notify_ext_max_document_size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("NotificationDocument of %d bytes exceeds the limit of %d bytes",
						len, notify_ext_max_document_size),
				 errhint("The limit is set by \"notify_ext.max_document_size\".")));

	/* skip blanks and a UTF-8 byte order mark */
	while (i < len)
	{
		if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
			text[i] == '\r')
			i++;
		else if (i + 2 < len && (unsigned char) text[i] == 0xEF &&
				 (unsigned char) text[i + 1] == 0xBB &&
				 (unsigned char) text[i + 2] == 0xBF)
			i += 3;
		else
			break;
	}

	if (i < len && text[i] == '<')
		return xml_read(text + i, len - i);
	if (i < len && text[i] == '{')
		return json_read(text + i, len - i);

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("document is neither XML nor JSON"),
			 errdetail("A NotificationDocument starts with \"<\" in XML or with \"{\" in JSON.")));
	return NULL;				/* keep compiler quiet */
}

/*
 * doc_node_new
 *		Allocate a DocNode; name and text are copied, text may be NULL.
 */
static DocNode *
doc_node_new(const char *name, const char *text, bool is_attr)
{
	DocNode    *node = palloc0(sizeof(DocNode));

	node->name = pstrdup(name);
	node->text = text ? pstrdup(text) : NULL;
	node->is_attr = is_attr;
	node->children = NIL;
	return node;
}

/*
 * utf8_to_server
 *		Copy len bytes of UTF-8 into a palloc'd, NUL-terminated string in the
 *		server encoding.  Errors out if a character has no equivalent there.
 */
static char *
utf8_to_server(const char *s, int len)
{
	char	   *copy = pnstrdup(s, len);
	char	   *conv = pg_any_to_server(copy, strlen(copy), PG_UTF8);

	if (conv != copy)
		pfree(copy);
	return conv;
}

/*
 * is_blank
 *		True when s is NULL or holds only XML white space.
 */
static bool
is_blank(const char *s)
{
	if (s == NULL)
		return true;
	for (; *s; s++)
	{
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	}
	return true;
}

/*
 * xml_read_error
 *		libxml2 structured error handler for one parse (sax->serror).
 *
 * Remembers the first error-level message with its position and ignores
 * warnings (the checks that matter, such as the namespace, are made on the
 * tree afterwards).  It must not ereport: libxml2 is mid-parse.  The entity
 * name in "entity not defined" messages is dropped because an unescaped
 * '&' in a password would otherwise show part of it.
 */
static void
xml_read_error(void *data, DocXmlErrorPtr error)
{
	xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr) data;
	XmlReadState *state;

	if (ctxt == NULL || ctxt->_private == NULL || error == NULL)
		return;
	state = (XmlReadState *) ctxt->_private;
	if (error->level < XML_ERR_ERROR)
		return;
	if (!state->failed)
	{
		state->line = error->line;
		state->column = error->int2;
		if (error->code == XML_ERR_UNDECLARED_ENTITY ||
			error->code == XML_WAR_UNDECLARED_ENTITY)
			state->message = pstrdup("Reference to an undefined entity");
		else if (error->message != NULL)
		{
			char	   *msg = pstrdup(error->message);
			int			n = strlen(msg);

			while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ' ||
							 msg[n - 1] == '.'))
				msg[--n] = '\0';
			state->message = msg;
		}
	}
	state->failed = true;
}

/*
 * xml_refuse_doctype
 *		SAX internalSubset hook: a <!DOCTYPE> was found.  Record it and stop
 *		the parser before any declaration inside it is read.
 */
static void
xml_refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
				   const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr) ctx;

	if (ctxt == NULL)
		return;
	if (ctxt->_private != NULL)
		((XmlReadState *) ctxt->_private)->saw_doctype = true;
	xmlStopParser(ctxt);
}

/*
 * xml_read
 *		Parse XML text (len bytes, server encoding) into a DocNode tree.
 *
 * The xmlDoc and the parser context are freed on every path.
 */
static DocNode *
xml_read(const char *text, int len)
{
	PgXmlErrorContext *xmlerrcxt;
	volatile xmlParserCtxtPtr ctxt = NULL;
	volatile xmlDocPtr doc = NULL;
	DocNode    *volatile result = NULL;
	XmlReadState state;
	char	   *copy;
	char	   *utf8;

	/* libxml2 gets UTF-8 and is told so, whatever the XML declaration says */
	copy = pnstrdup(text, len);
	utf8 = pg_server_to_any(copy, strlen(copy), PG_UTF8);

	memset(&state, 0, sizeof(state));

	xmlerrcxt = pg_xml_init(PG_XML_STRICTNESS_ALL);

	PG_TRY();
	{
		xmlNodePtr	root;
		const char *ns;

		ctxt = xmlNewParserCtxt();
		if (ctxt == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not allocate XML parser context")));
		ctxt->_private = &state;
		ctxt->sax->serror = xml_read_error;
		ctxt->sax->internalSubset = xml_refuse_doctype;

		doc = xmlCtxtReadMemory(ctxt, utf8, strlen(utf8), NULL, "UTF-8",
								XML_PARSE_NONET | XML_PARSE_NOBLANKS |
								XML_PARSE_NOCDATA);

		if (state.saw_doctype || (doc != NULL && doc->intSubset != NULL))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_DOCUMENT),
					 errmsg("document type declarations are not allowed in a NotificationDocument"),
					 errdetail("A <!DOCTYPE> could declare entities; notify_ext never reads one.")));
		if (state.failed || doc == NULL || !ctxt->wellFormed)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_DOCUMENT),
					 errmsg("invalid XML in NotificationDocument"),
					 state.message ?
					 errdetail("Line %d, column %d: %s.", state.line,
							   state.column,
							   notify_quote_value(state.message)) :
					 errdetail("The XML parser could not read the document.")));
		if (pg_xml_error_occurred(xmlerrcxt))
			xml_ereport(xmlerrcxt, ERROR, ERRCODE_INVALID_XML_DOCUMENT,
						"could not parse NotificationDocument");

		root = xmlDocGetRootElement(doc);
		if (root == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_DOCUMENT),
					 errmsg("NotificationDocument has no root element")));
		if (xmlStrcmp(root->name, (const xmlChar *) "NotificationDocument") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_DOCUMENT),
					 errmsg("unexpected root element <%s>",
							notify_quote_value(utf8_to_server((const char *) root->name,
															  xmlStrlen(root->name)))),
					 errdetail("The root element must be <NotificationDocument>.")));
		ns = (root->ns && root->ns->href) ? (const char *) root->ns->href : NULL;
		if (ns == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_DOCUMENT),
					 errmsg("element <NotificationDocument> has no namespace"),
					 errhint("Add xmlns=\"%s\" to the root element.",
							 VIDISPINE_NS)));
		if (strcmp(ns, VIDISPINE_NS) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_DOCUMENT),
					 errmsg("element <NotificationDocument> is in namespace \"%s\"",
							notify_quote_value(utf8_to_server(ns, strlen(ns)))),
					 errdetail("A NotificationDocument belongs to namespace \"%s\".",
							   VIDISPINE_NS)));

		result = xml_element_to_node(root, 1);
	}
	PG_CATCH();
	{
		if (doc != NULL)
			xmlFreeDoc(doc);
		if (ctxt != NULL)
			xmlFreeParserCtxt(ctxt);
		pg_xml_done(xmlerrcxt, true);
		PG_RE_THROW();
	}
	PG_END_TRY();

	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	pg_xml_done(xmlerrcxt, false);

	if (utf8 != copy)
		pfree(utf8);
	pfree(copy);

	return result;
}

/*
 * xml_element_to_node
 *		Convert one libxml2 element (and its subtree) into a DocNode.
 *
 * depth is the nesting level of elem (root = 1).  Attributes become
 * is_attr children, in document order, ahead of the element children.
 * Comments and processing instructions are skipped; CDATA counts as text.
 * White space between elements is dropped; any other text next to
 * elements is mixed content and an error.
 */
static DocNode *
xml_element_to_node(xmlNodePtr elem, int depth)
{
	DocNode    *node;
	xmlAttrPtr	attr;
	xmlNodePtr	child;
	StringInfoData text;
	bool		has_elements = false;
	char	   *name;

	check_stack_depth();

	name = utf8_to_server((const char *) elem->name, xmlStrlen(elem->name));
	if (depth > DOC_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("NotificationDocument is nested more than %d levels deep",
						DOC_MAX_DEPTH)));
	if (elem->ns == NULL || elem->ns->href == NULL ||
		strcmp((const char *) elem->ns->href, VIDISPINE_NS) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_XML_DOCUMENT),
				 errmsg("element <%s> is in namespace \"%s\"",
						notify_quote_value(name),
						(elem->ns && elem->ns->href) ?
						notify_quote_value(utf8_to_server((const char *) elem->ns->href,
														  xmlStrlen(elem->ns->href))) : ""),
				 errdetail("Every element of a NotificationDocument belongs to namespace \"%s\".",
						   VIDISPINE_NS)));

	node = doc_node_new(name, NULL, false);

	for (attr = elem->properties; attr != NULL; attr = attr->next)
	{
		StringInfoData aname;
		StringInfoData avalue;
		xmlNodePtr	t;

		initStringInfo(&aname);
		if (attr->ns != NULL && attr->ns->prefix != NULL)
			appendStringInfo(&aname, "%s:", (const char *) attr->ns->prefix);
		appendStringInfoString(&aname, (const char *) attr->name);

		initStringInfo(&avalue);
		for (t = attr->children; t != NULL; t = t->next)
		{
			if (t->content != NULL)
				appendStringInfoString(&avalue, (const char *) t->content);
		}
		node->children = lappend(node->children,
								 doc_node_new(utf8_to_server(aname.data, aname.len),
											  utf8_to_server(avalue.data, avalue.len),
											  true));
	}

	initStringInfo(&text);
	for (child = elem->children; child != NULL; child = child->next)
	{
		switch (child->type)
		{
			case XML_ELEMENT_NODE:
				has_elements = true;
				node->children = lappend(node->children,
										 xml_element_to_node(child, depth + 1));
				break;
			case XML_TEXT_NODE:
			case XML_CDATA_SECTION_NODE:
				if (child->content != NULL)
					appendStringInfoString(&text, (const char *) child->content);
				break;
			case XML_COMMENT_NODE:
			case XML_PI_NODE:
				break;
			default:
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_XML_CONTENT),
						 errmsg("unsupported XML node type %d in element <%s>",
								(int) child->type, notify_quote_value(name))));
		}
	}

	if (has_elements)
	{
		if (!is_blank(text.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_CONTENT),
					 errmsg("element <%s> mixes text and elements",
							notify_quote_value(name)),
					 errdetail("An element of a NotificationDocument holds either text or elements.")));
	}
	else if (text.len > 0)
		node->text = utf8_to_server(text.data, text.len);

	pfree(text.data);
	return node;
}

/*
 * json_read
 *		Parse JSON text (len bytes, server encoding, starting at '{') into a
 *		DocNode tree.
 *
 * The root object holds "action" and "trigger"; a root of the form
 * {"NotificationDocument": {...}} is unwrapped.  The tokener and every
 * json_object are freed on every path.
 */
static DocNode *
json_read(const char *text, int len)
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
					   notify_quote_value(utf8_to_server(text + start, (int) n))),
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
							notify_quote_value(utf8_to_server(key, strlen(key)))),
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
								notify_quote_value(utf8_to_server(key, strlen(key)))),
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
	char	   *name = utf8_to_server(key, strlen(key));

	check_stack_depth();
	if (depth > DOC_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("NotificationDocument is nested more than %d levels deep",
						DOC_MAX_DEPTH)));

	node = doc_node_new(name, NULL, false);

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
				node->text = utf8_to_server(num, strlen(num));
			}
			break;
		case json_type_string:
			{
				const char *s = json_object_get_string(value);
				int			slen = json_object_get_string_len(value);

				json_check_string(name, s, slen);
				if (slen > 0)
					node->text = utf8_to_server(s, slen);
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
						notify_quote_value(utf8_to_server(key, strlen(key)))),
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
 * document_to_xml
 *		Serialize a DocNode tree as an XML NotificationDocument.
 *
 * The root element gets xmlns="http://xml.vidispine.com/schema/vidispine";
 * is_attr children become attributes; an element without text or children
 * is written <name/>.  Two spaces indent each level; there is no XML
 * declaration and no trailing newline.  Returns a palloc'd string.
 * Errors out (internal error) if an element holds both text and elements,
 * which neither reader produces.
 */
char *
document_to_xml(const DocNode *root)
{
	StringInfoData buf;

	initStringInfo(&buf);
	xml_write_element(&buf, root, 0, true);
	return buf.data;
}

/*
 * xml_append_escaped
 *		Append s as XML through notify_xml_escape_char() (common/): element
 *		text by NOTIFY_XML_DOC_TEXT, attribute values by
 *		NOTIFY_XML_DOC_ATTR, which also escapes quotes, TAB and LF.
 */
static void
xml_append_escaped(StringInfo buf, const char *s, bool attribute)
{
	for (; *s; s++)
		notify_xml_escape_char(buf, (unsigned char) *s, s, 1,
							   attribute ? NOTIFY_XML_DOC_ATTR : NOTIFY_XML_DOC_TEXT);
}

/*
 * xml_write_element
 *		Append one element, indented by level, and its subtree.
 */
static void
xml_write_element(StringInfo buf, const DocNode *node, int level, bool is_root)
{
	ListCell   *lc;
	int			nelements = 0;

	check_stack_depth();

	appendStringInfoSpaces(buf, level * 2);
	appendStringInfo(buf, "<%s", node->name);
	if (is_root)
		appendStringInfoString(buf, " xmlns=\"" VIDISPINE_NS "\"");

	foreach(lc, node->children)
	{
		DocNode    *child = (DocNode *) lfirst(lc);

		if (child->is_attr)
		{
			appendStringInfo(buf, " %s=\"", child->name);
			xml_append_escaped(buf, child->text ? child->text : "", true);
			appendStringInfoChar(buf, '"');
		}
		else
			nelements++;
	}

	if (nelements == 0)
	{
		if (node->text == NULL || node->text[0] == '\0')
			appendStringInfoString(buf, "/>");
		else
		{
			appendStringInfoChar(buf, '>');
			xml_append_escaped(buf, node->text, false);
			appendStringInfo(buf, "</%s>", node->name);
		}
		return;
	}

	if (node->text != NULL && node->text[0] != '\0')
		elog(ERROR, "element <%s> holds both text and elements",
			 notify_quote_value(node->name));

	appendStringInfoString(buf, ">\n");
	foreach(lc, node->children)
	{
		DocNode    *child = (DocNode *) lfirst(lc);

		if (child->is_attr)
			continue;
		xml_write_element(buf, child, level + 1, false);
		appendStringInfoChar(buf, '\n');
	}
	appendStringInfoSpaces(buf, level * 2);
	appendStringInfo(buf, "</%s>", node->name);
}

/*
 * document_to_json
 *		Serialize a DocNode tree in the JSON form of a NotificationDocument.
 *
 * The root's name is dropped; attributes are plain keys; elements sharing
 * a name become one array at the position of the first of them; an empty
 * element is "".  synchronous and placeholder are written as JSON
 * booleans and retry and step as numbers when their text allows it;
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

		if (count == 1)
			json_write_value(buf, child);
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
				json_write_value(buf, other);
			}
			appendStringInfoChar(buf, ']');
		}
	}
	appendStringInfoChar(buf, '}');
}

/*
 * json_write_value
 *		Append the JSON value of one element or attribute.
 */
static void
json_write_value(StringInfo buf, const DocNode *node)
{
	const char *t = node->text;

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
	if ((strcmp(node->name, "synchronous") == 0 ||
		 strcmp(node->name, "placeholder") == 0) &&
		(strcmp(t, "true") == 0 || strcmp(t, "false") == 0))
	{
		appendStringInfoString(buf, t);
		return;
	}
	if (strcmp(node->name, "retry") == 0 || strcmp(node->name, "step") == 0)
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
