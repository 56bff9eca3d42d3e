/* opt.h - the one option parser of the sincprobe commands (after git's
 * parse-options): a command declares one table of its options and one
 * usage array, and sp_opt_parse walks its argv once.
 *
 *     int json = 0;
 *     long nfft = 1024;
 *     const char *out = NULL;
 *     sp_opt opts[] = {
 *         SP_OPT_FLAG("--json", &json),
 *         SP_OPT_LONG("--nfft", &nfft, 16, 1048576),
 *         SP_OPT_STRING("--out", &out),
 *         SP_OPT_END,
 *     };
 *     int status, n = sp_opt_parse(usage, opts, 1, argc, argv, &status);
 *     if (n < 0) return status;
 *     // argv[1] .. argv[n]: the positional arguments, in order
 *
 * What the parser does, the same for every command:
 *   - An argument starting with '-' (also "-" alone) is an option; any
 *     other is a positional argument. -h and --help print the usage on
 *     stdout (exit status 0).
 *   - An option that takes a value takes the next argument, whatever it
 *     is ("--corpus --x" sets the corpus to "--x"), or, for names that
 *     start with "--", the text after '=' ("--split=dev").
 *   - Errors, each logged as "sincprobe: MESSAGE" (base/log.h) and then
 *     the usage on stderr (exit status 2), at the first problem in argv
 *     order:
 *         unknown option '--frob'
 *         unknown option '--spilt'; did you mean '--split'?   (a name near it)
 *         '--out' needs a value
 *         '--out' needs a non-empty value           (SP_OPT_NONEMPTY)
 *         '--json' takes no value                   (--json=1)
 *         invalid value 'x' for '--jobs': expected an integer from 1 to 256
 *         invalid value 'x' for '--seed': expected an integer >= 0   (hi LONG_MAX)
 *         invalid value 'x' for '--lm-weight': expected a number
 *         invalid value 'x' for '--format': expected tsv, npy or png
 *         unexpected argument 'x'                   (more than max_args)
 *   - An option given twice: the last value stands (SP_OPTION_LIST: every
 *     value is kept).
 * What stays with the command: which positional arguments are required,
 * options that do not go together, and checks of a value beyond its type
 * (a split name, an even nfft). The usage array, too, is the command's,
 * written out: its help lines group values of one option (afr's --format
 * tsv|npy|png) and describe positional arguments, and tests/man.sh checks
 * its synopsis lines against the man page's. */
#ifndef SP_OPT_H
#define SP_OPT_H

#include <stddef.h>

typedef enum {
    SP_OPTION_END,    /* ends a table */
    SP_OPTION_FLAG,   /* no value: *(int *)value = 1 */
    SP_OPTION_INT,    /* a whole decimal integer in [lo, hi] (within int): *(int *)value */
    SP_OPTION_LONG,   /* the same in a long: *(long *)value */
    SP_OPTION_NUMBER, /* a finite decimal number: *(double *)value */
    SP_OPTION_STRING, /* the argument itself: *(const char **)value */
    SP_OPTION_CHOICE, /* one of choices[]: its index in *(int *)value */
    SP_OPTION_LIST,   /* repeatable: each value appended, in order, to
                         *(sp_opt_list *)value (eval's --noise) */
    SP_OPTION_OTHER,  /* repeatable: every --NAME VALUE (or --NAME=VALUE) that
                         no other entry names, appended in order to
                         *(sp_opt_pairs *)value; name is unused */
    SP_OPTION_HINT,   /* no option: hint(arg, buf, size) says what an unknown
                         option with no option near it may have meant (train:
                         a config key), "" when nothing */
} sp_option_type;

enum {
    SP_OPT_NONEMPTY = 1, /* STRING: an empty value is refused */
};

typedef struct {
    sp_option_type type;
    const char *name;            /* as typed: "--split", "-q" */
    void *value;                 /* where the value goes (type above) */
    unsigned flags;              /* SP_OPT_NONEMPTY */
    long lo, hi;                 /* INT, LONG: the range, inclusive */
    const char *const *choices;  /* CHOICE: NULL-terminated */
    const char *(*hint)(const char *arg, char *buf, size_t size); /* HINT */
} sp_opt;

/* One --NAME VALUE of SP_OPTION_OTHER. Pointers into argv. */
typedef struct {
    const char *arg;   /* the option as typed: "--bins" or "--bins=3" */
    const char *name;  /* NAME: arg + 2, namelen characters */
    size_t namelen;
    const char *value;
} sp_opt_pair;

typedef struct {
    sp_opt_pair *v;
    size_t n;
} sp_opt_pairs;

/* Free the pairs' array (not the strings: they are argv's). */
void sp_opt_pairs_free(sp_opt_pairs *p);

/* The values of a SP_OPTION_LIST, in command-line order. Pointers into
 * argv. */
typedef struct {
    const char **v;
    size_t n;
} sp_opt_list;

/* Free the list's array (not the strings). */
void sp_opt_list_free(sp_opt_list *l);

/* The table's entries. The `1 ? (p) : (T *)0` makes the compiler check
 * that p points to the type the parser writes. */
#define SP_OPT_END { .type = SP_OPTION_END }
#define SP_OPT_FLAG(n, p) { .type = SP_OPTION_FLAG, .name = (n), .value = (1 ? (p) : (int *)0) }
#define SP_OPT_INT(n, p, l, h) \
    { .type = SP_OPTION_INT, .name = (n), .value = (1 ? (p) : (int *)0), .lo = (l), .hi = (h) }
#define SP_OPT_LONG(n, p, l, h) \
    { .type = SP_OPTION_LONG, .name = (n), .value = (1 ? (p) : (long *)0), .lo = (l), .hi = (h) }
#define SP_OPT_NUMBER(n, p) { .type = SP_OPTION_NUMBER, .name = (n), .value = (1 ? (p) : (double *)0) }
#define SP_OPT_STRING(n, p) { .type = SP_OPTION_STRING, .name = (n), .value = (1 ? (p) : (const char **)0) }
#define SP_OPT_STRING_NONEMPTY(n, p)                                                                     \
    { .type = SP_OPTION_STRING, .name = (n), .value = (1 ? (p) : (const char **)0), .flags = SP_OPT_NONEMPTY }
#define SP_OPT_CHOICE(n, p, c) \
    { .type = SP_OPTION_CHOICE, .name = (n), .value = (1 ? (p) : (int *)0), .choices = (c) }
#define SP_OPT_LIST(n, p) { .type = SP_OPTION_LIST, .name = (n), .value = (1 ? (p) : (sp_opt_list *)0) }
#define SP_OPT_OTHER(p) { .type = SP_OPTION_OTHER, .value = (1 ? (p) : (sp_opt_pairs *)0) }
#define SP_OPT_HINT(f) { .type = SP_OPTION_HINT, .hint = (f) }

/* Parse argv[1 .. argc-1] (argv[0] is the command's name) against opts,
 * accepting up to max_args positional arguments (-1: any number).
 * Returns the number n of positional arguments, moved in order to
 * argv[1 .. n]; or -1 when the command is to end at once with exit
 * status *status: 0 after -h/--help, 2 after a usage error (both already
 * printed; SP_OPTION_OTHER and SP_OPTION_LIST lists are then freed). */
int sp_opt_parse(const char *const *usage, const sp_opt *opts, int max_args, int argc, char **argv, int *status);

#endif
