/* json.h - a minimal JSON writer for --json output: one object printed to
 * a FILE, with strings escaped as RFC 8259 requires. The caller nests
 * objects and arrays with begin/end; commas are inserted automatically. */
#ifndef SP_JSON_H
#define SP_JSON_H

#include <stdio.h>

#define SP_JSON_DEPTH 16

typedef struct {
    FILE *f;
    int depth;
    int count[SP_JSON_DEPTH]; /* members written at each depth */
    int pretty;
} sp_json;

void sp_json_init(sp_json *j, FILE *f, int pretty);
/* key may be NULL inside arrays. */
void sp_json_begin_object(sp_json *j, const char *key);
void sp_json_end_object(sp_json *j);
void sp_json_begin_array(sp_json *j, const char *key);
void sp_json_end_array(sp_json *j);
void sp_json_string(sp_json *j, const char *key, const char *value);
void sp_json_long(sp_json *j, const char *key, long value);
/* Non-finite numbers are written as null. */
void sp_json_double(sp_json *j, const char *key, double value);
void sp_json_bool(sp_json *j, const char *key, int value);
/* Ends the top-level value with a newline. */
void sp_json_finish(sp_json *j);

#endif
