/* test_opt.c - the commands' option parser (src/cli/opt.c): each kind of
 * option, both value forms, positional arguments, and each error with
 * its message and exit status. */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "testlib.h"

#include <limits.h>
#include <math.h>

static const char *const usage[] = { "sincprobe test [--x]", NULL };

/* The variables of one table. */
typedef struct {
    int flag, small, choice;
    long big;
    double num;
    const char *str, *nonempty;
    sp_opt_list list;
    sp_opt_pairs other;
} vars;

static const char *const colours[] = { "red", "green", "blue", NULL };

/* What stderr got during the parse. */
static char errbuf[4096];

/* Parse the words of line with max_args positionals; *st gets the exit
 * status when it returns -1. with_other: the table has SP_OPT_OTHER. */
static int parse(vars *v, int with_other, int max_args, const char *line, char **args, int *st)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s", line);
    int argc = 0;
    args[argc++] = "test";
    for (char *w = strtok(buf, " "); w; w = strtok(NULL, " ")) args[argc++] = strcmp(w, "''") ? w : "";
    args[argc] = NULL;
    memset(v, 0, sizeof *v);
    v->num = NAN;
    sp_opt opts[] = {
        SP_OPT_FLAG("--flag", &v->flag),
        SP_OPT_FLAG("-f", &v->flag),
        SP_OPT_INT("--small", &v->small, 1, 10),
        SP_OPT_LONG("--big", &v->big, 0, LONG_MAX),
        SP_OPT_NUMBER("--num", &v->num),
        SP_OPT_STRING("--str", &v->str),
        SP_OPT_STRING_NONEMPTY("--nonempty", &v->nonempty),
        SP_OPT_CHOICE("--colour", &v->choice, colours),
        SP_OPT_LIST("--list", &v->list),
        with_other ? (sp_opt)SP_OPT_OTHER(&v->other) : (sp_opt)SP_OPT_END,
        SP_OPT_END,
    };
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(fileno(stderr));
    dup2(fileno(tmp), fileno(stderr));
    int n = sp_opt_parse(usage, opts, max_args, argc, args, st);
    fflush(stderr);
    dup2(saved, fileno(stderr));
    close(saved);
    rewind(tmp);
    size_t len = fread(errbuf, 1, sizeof errbuf - 1, tmp);
    errbuf[len] = '\0';
    fclose(tmp);
    return n;
}

/* The first line of what stderr got. */
static const char *first_line(void)
{
    static char line[sizeof errbuf];
    snprintf(line, sizeof line, "%s", errbuf);
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    return line;
}

#define EXPECT_ERROR(v, other, max, line, msg)                                                    \
    do {                                                                                          \
        char *args_[64];                                                                          \
        int st_ = -1;                                                                             \
        CHECK_MSG(parse(v, other, max, line, args_, &st_) == -1, "%s: parsed", line);             \
        CHECK_MSG(st_ == SP_EXIT_USAGE, "%s: status %d", line, st_);                              \
        CHECK_MSG(!strcmp(first_line(), "sincprobe: " msg), "%s: got '%s'", line, first_line()); \
        CHECK_MSG(strstr(errbuf, "\nusage: sincprobe test [--x]\n") != NULL, "%s: no usage", line); \
    } while (0)

int main(void)
{
    vars v;
    char *args[64];
    int st = -1;
    /* the command line's log sink, as main.c installs it: errors as
     * "sincprobe: MESSAGE" on stderr */
    sp_log_set_sink(sp_cli_log, NULL, 0);

    /* every kind, both value forms, positionals compacted in order */
    int n = parse(&v, 0, -1, "a --flag --small 3 b --big=123 --num -2.5e1 --str --x --colour=blue c", args, &st);
    CHECK(n == 3);
    CHECK(n == 3 && !strcmp(args[1], "a") && !strcmp(args[2], "b") && !strcmp(args[3], "c"));
    CHECK(v.flag == 1 && v.small == 3 && v.big == 123 && v.num == -25.0);
    CHECK(v.str && !strcmp(v.str, "--x")); /* a value is the next argument, whatever it is */
    CHECK(v.choice == 2);
    CHECK(errbuf[0] == '\0');
    /* the last of a repeated option stands; an alias sets the same variable */
    n = parse(&v, 0, 0, "--small 2 --small=9 -f --str= --colour red", args, &st);
    CHECK(n == 0 && v.small == 9 && v.flag == 1 && v.str && !*v.str && v.choice == 0);
    /* nothing given: nothing touched */
    n = parse(&v, 0, 1, "", args, &st);
    CHECK(n == 0 && !v.flag && !v.str && isnan(v.num));

    /* -h and --help anywhere as an option: usage on stdout, status 0 */
    CHECK(parse(&v, 0, 0, "--flag --help", args, &st) == -1 && st == SP_EXIT_OK && errbuf[0] == '\0');
    CHECK(parse(&v, 0, 1, "x -h", args, &st) == -1 && st == SP_EXIT_OK);
    /* ... but not as a value */
    CHECK(parse(&v, 0, 0, "--str --help", args, &st) == 0 && !strcmp(v.str, "--help"));

    /* errors: the first in argv order */
    EXPECT_ERROR(&v, 0, 1, "--frob", "unknown option '--frob'");
    EXPECT_ERROR(&v, 0, 1, "--frob=3 --small x", "unknown option '--frob=3'");
    EXPECT_ERROR(&v, 0, 1, "-", "unknown option '-'");
    /* no prefix matching; the nearest option named (base/util.h's sp_suggest) */
    EXPECT_ERROR(&v, 0, 1, "--flags", "unknown option '--flags'; did you mean '--flag'?");
    EXPECT_ERROR(&v, 0, 1, "--smal=3", "unknown option '--smal=3'; did you mean '--small'?");
    EXPECT_ERROR(&v, 0, 1, "--small", "'--small' needs a value");
    EXPECT_ERROR(&v, 0, 1, "--small 0", "invalid value '0' for '--small': expected an integer from 1 to 10");
    EXPECT_ERROR(&v, 0, 1, "--small=11", "invalid value '11' for '--small': expected an integer from 1 to 10");
    EXPECT_ERROR(&v, 0, 1, "--small 3x", "invalid value '3x' for '--small': expected an integer from 1 to 10");
    EXPECT_ERROR(&v, 0, 1, "--big -1", "invalid value '-1' for '--big': expected an integer >= 0");
    EXPECT_ERROR(&v, 0, 1, "--num x", "invalid value 'x' for '--num': expected a number");
    EXPECT_ERROR(&v, 0, 1, "--num inf", "invalid value 'inf' for '--num': expected a number");
    EXPECT_ERROR(&v, 0, 1, "--nonempty ''", "'--nonempty' needs a non-empty value");
    EXPECT_ERROR(&v, 0, 1, "--nonempty=", "'--nonempty' needs a non-empty value");
    EXPECT_ERROR(&v, 0, 1, "--colour pink", "invalid value 'pink' for '--colour': expected red, green or blue");
    EXPECT_ERROR(&v, 0, 1, "--flag=1", "'--flag' takes no value");
    EXPECT_ERROR(&v, 0, 1, "a b", "unexpected argument 'b'");
    EXPECT_ERROR(&v, 0, 0, "a", "unexpected argument 'a'");
    EXPECT_ERROR(&v, 0, 1, "a b --help", "unexpected argument 'b'");
    EXPECT_ERROR(&v, 0, 1, "--frob --help", "unknown option '--frob'");

    /* SP_OPT_LIST: every value kept, in order, both forms */
    n = parse(&v, 0, 1, "--list a=1,b --str s --list=c=2 p --list ''", args, &st);
    CHECK(n == 1 && v.list.n == 3);
    if (v.list.n == 3) CHECK(!strcmp(v.list.v[0], "a=1,b") && !strcmp(v.list.v[1], "c=2") && !*v.list.v[2]);
    sp_opt_list_free(&v.list);
    CHECK(v.list.v == NULL && v.list.n == 0);
    EXPECT_ERROR(&v, 0, 1, "--list x --list", "'--list' needs a value");
    CHECK(v.list.v == NULL && v.list.n == 0); /* freed when the parse stops */

    /* SP_OPT_OTHER: every other --NAME VALUE, in order, as typed */
    n = parse(&v, 1, 2, "p --bins 3 --log-steps=1,2 q --flag --x --y", args, &st);
    CHECK(n == 2 && !strcmp(args[1], "p") && !strcmp(args[2], "q") && v.flag);
    CHECK(v.other.n == 3);
    if (v.other.n == 3) {
        const sp_opt_pair *p = v.other.v;
        CHECK(!strcmp(p[0].arg, "--bins") && p[0].namelen == 4 && !strncmp(p[0].name, "bins", 4) &&
              !strcmp(p[0].value, "3"));
        CHECK(!strcmp(p[1].arg, "--log-steps=1,2") && p[1].namelen == 9 && !strncmp(p[1].name, "log-steps", 9) &&
              !strcmp(p[1].value, "1,2"));
        CHECK(!strcmp(p[2].arg, "--x") && p[2].namelen == 1 && !strcmp(p[2].value, "--y"));
    }
    sp_opt_pairs_free(&v.other);
    CHECK(v.other.v == NULL && v.other.n == 0);
    /* a table's own options still win; a single dash is never OTHER */
    EXPECT_ERROR(&v, 1, 2, "--bins 3 --small 0", "invalid value '0' for '--small': expected an integer from 1 to 10");
    CHECK(v.other.v == NULL && v.other.n == 0); /* freed when the parse stops */
    EXPECT_ERROR(&v, 1, 2, "-x 3", "unknown option '-x'");
    EXPECT_ERROR(&v, 1, 2, "--bins", "'--bins' needs a value");

    return sp_test_result("test_opt");
}
