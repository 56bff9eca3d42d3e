/* json.c - see json.h. */
#include "config.h"
#include "base/json.h"

#include <math.h>

void sp_json_init(sp_json *j, FILE *f, int pretty)
{
    j->f = f;
    j->depth = 0;
    j->count[0] = 0;
    j->pretty = pretty;
}

static void write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20) fprintf(f, "\\u%04x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* Comma, indentation and key before a member. */
static void member(sp_json *j, const char *key)
{
    if (j->count[j->depth]++ > 0) fputc(',', j->f);
    if (j->pretty && j->depth > 0) {
        fputc('\n', j->f);
        for (int i = 0; i < j->depth; i++) fputs("  ", j->f);
    }
    if (key) {
        write_string(j->f, key);
        fputs(j->pretty ? ": " : ":", j->f);
    }
}

static void open_(sp_json *j, const char *key, char c)
{
    member(j, key);
    fputc(c, j->f);
    if (j->depth + 1 < SP_JSON_DEPTH) j->depth++;
    j->count[j->depth] = 0;
}

static void close_(sp_json *j, char c)
{
    int had = j->count[j->depth];
    if (j->depth > 0) j->depth--;
    if (j->pretty && had) {
        fputc('\n', j->f);
        for (int i = 0; i < j->depth; i++) fputs("  ", j->f);
    }
    fputc(c, j->f);
}

void sp_json_begin_object(sp_json *j, const char *key) { open_(j, key, '{'); }
void sp_json_end_object(sp_json *j) { close_(j, '}'); }
void sp_json_begin_array(sp_json *j, const char *key) { open_(j, key, '['); }
void sp_json_end_array(sp_json *j) { close_(j, ']'); }

void sp_json_string(sp_json *j, const char *key, const char *value)
{
    member(j, key);
    write_string(j->f, value);
}

void sp_json_long(sp_json *j, const char *key, long value)
{
    member(j, key);
    fprintf(j->f, "%ld", value);
}

void sp_json_double(sp_json *j, const char *key, double value)
{
    member(j, key);
    if (isfinite(value)) fprintf(j->f, "%.10g", value);
    else fputs("null", j->f);
}

void sp_json_bool(sp_json *j, const char *key, int value)
{
    member(j, key);
    fputs(value ? "true" : "false", j->f);
}

void sp_json_finish(sp_json *j)
{
    fputc('\n', j->f);
    fflush(j->f);
}
