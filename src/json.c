/* json.c: strict parsing of untrusted JSON, and type-checked cJSON lookups. */
#include "json.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Keys compared pairwise up to this many members; larger objects are sorted, so a body
 * of 100k keys costs n log n, not n^2. */
#define DUP_SMALL 8
/* How much of a duplicate key a message echoes. */
#define ECHO_MAX 48

static int json_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
json_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	text_vformat(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

const cJSON *
json_get(const cJSON *o, const char *key)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

const char *
json_get_str(const cJSON *o, const char *key)
{
	const cJSON *v = json_get(o, key);

	return cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring : NULL;
}

int
json_check_text(const char *body, size_t len, char *err, size_t errlen)
{
	const unsigned char *s = (const unsigned char *)body;
	bool in_str = false;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];

		if (c >= 0x80) {
			size_t n = text_utf8_seq(body + i, len - i);

			if (n == 0)
				return json_fail(err, errlen, "invalid UTF-8 at byte %zu", i);
			i += n;
			continue;
		}
		if (in_str && c < 0x20)
			return json_fail(err, errlen, "control character 0x%02x in a string at "
			    "byte %zu", c, i);
		if (!in_str && c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return json_fail(err, errlen, "control character 0x%02x at byte %zu", c, i);
		if (c == '"') {
			in_str = !in_str;
		} else if (in_str && c == '\\') {
			/* cJSON would decode \u0000 into a NUL that cuts the C string short:
			 * "RelUp\u0000-not-RelUp" would read as "RelUp". */
			if (i + 5 < len && s[i + 1] == 'u' && memcmp(s + i + 2, "0000", 4) == 0)
				return json_fail(err, errlen, "\\u0000 (NUL) in a string at byte %zu",
				    i);
			/* The escaped byte cannot close the string. Any other byte after a
			 * backslash is checked as itself, and cJSON refuses the escape. */
			if (i + 1 < len && s[i + 1] != '\0' &&
			    strchr("\"\\/bfnrtu", s[i + 1]) != NULL)
				i++;
		}
		i++;
	}
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first key of o that occurs twice, or NULL; *oom on allocation failure. */
static const char *
dup_key(const cJSON *o, bool *oom)
{
	const cJSON *c, *d;
	const char **keys, *found = NULL;
	size_t n = 0, i = 0;

	cJSON_ArrayForEach(c, o)
		n++;
	if (n <= DUP_SMALL) {
		for (c = o->child; c != NULL; c = c->next)
			for (d = c->next; d != NULL; d = d->next)
				if (c->string != NULL && d->string != NULL &&
				    strcmp(c->string, d->string) == 0)
					return c->string;
		return NULL;
	}
	keys = malloc(n * sizeof(*keys));
	if (keys == NULL) {
		*oom = true;
		return NULL;
	}
	cJSON_ArrayForEach(c, o)
		keys[i++] = c->string != NULL ? c->string : "";
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 1; i < n && found == NULL; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			found = keys[i];
	free(keys);
	return found;
}

/* Every object of the tree, depth first (cJSON bounds the depth at CJSON_NESTING_LIMIT). */
static int
check_keys(const cJSON *v, char *err, size_t errlen)
{
	const cJSON *c;
	char what[ECHO_MAX + 4];

	if (cJSON_IsObject(v)) {
		bool oom = false;
		const char *k = dup_key(v, &oom);

		if (oom)
			return json_fail(err, errlen, "out of memory");
		if (k != NULL)
			return json_fail(err, errlen, "duplicate key \"%s\"",
			    text_echo(what, sizeof(what), k, "\"\\"));
	}
	if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		cJSON_ArrayForEach(c, v)
			if (check_keys(c, err, errlen) != 0)
				return -1;
	}
	return 0;
}

cJSON *
json_parse_strict(const char *body, size_t len, char *err, size_t errlen)
{
	const char *end = NULL;
	cJSON *root = NULL;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (body == NULL || len == 0) {
		(void)json_fail(err, errlen, "not JSON");
		return NULL;
	}
	if (json_check_text(body, len, err, errlen) != 0)
		return NULL;
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	for (; root != NULL && end != NULL && end < body + len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
			cJSON_Delete(root);
			root = NULL;
		}
	}
	if (root == NULL) {
		(void)json_fail(err, errlen, "not JSON");
		return NULL;
	}
	if (check_keys(root, err, errlen) != 0) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

cJSON *
json_parse_whole(const char *body, size_t len)
{
	return json_parse_strict(body, len, NULL, 0);
}

cJSON *
json_parse_array(const char *body)
{
	cJSON *root;

	if (body == NULL || (root = json_parse_whole(body, strlen(body))) == NULL)
		return NULL;
	if (!cJSON_IsArray(root)) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}
