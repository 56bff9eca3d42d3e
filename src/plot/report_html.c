/* report_html.c - HTML escaping, figures and caption templates of the
 * report. See report_parts.h. */
#include "config.h"
#include "plot/report_parts.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void sp_html_esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

void sp_html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        default: fputc(*s, f);
        }
    }
}

char *sp_html_text_str(const char *s)
{
    size_t n = 1;
    for (const char *p = s; *p; p++) n += *p == '&' ? 5 : *p == '<' || *p == '>' ? 4 : 1;
    char *out = sp_xmalloc(n), *o = out;
    for (; *s; s++) {
        const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;
        if (e) o = stpcpy(o, e);
        else *o++ = *s;
    }
    *o = 0;
    return out;
}

void sp_html_url(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("._/-", *p))
            fputc(*p, f);
        else fprintf(f, "%%%02X", *p);
    }
}

char *sp_safe_name(const char *s)
{
    char *r = sp_xstrdup(s);
    for (char *p = r; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
            *p = '_';
    if (r[0] == '.') r[0] = '_';
    return r;
}

char *sp_report_probe_file(const sp_report *r, const char *id, const char *name)
{
    return sp_xasprintf("%s/probes/%s/%s", r->run, id, name);
}

char *sp_report_plot_base(const sp_report *r, const char *name)
{
    return sp_path_join(r->plots, name);
}

void sp_report_figure(sp_report *r, const char *name, const char *caption)
{
    const char *href = r->href ? r->href : "plots";
    fputs("<figure><a href=\"", r->h);
    sp_html_url(r->h, href);
    fputc('/', r->h);
    sp_html_url(r->h, name);
    fputs(".svg\"><img src=\"", r->h);
    sp_html_url(r->h, href);
    fputc('/', r->h);
    sp_html_url(r->h, name);
    fputs(".png\" alt=\"", r->h);
    sp_html_esc(r->h, name);
    fputs("\"></a><figcaption>", r->h);
    fputs(caption, r->h);
    fputs("</figcaption></figure>\n", r->h);
    r->figures++;
}

int sp_report_nothing(sp_report *r, const char *what)
{
    fputs("<p class=\"empty\">", r->h);
    sp_html_esc(r->h, what);
    fputs(": no finite values to draw.</p>\n", r->h);
    return 0;
}

char *sp_report_axes(const sp_plot_lines *p)
{
    return sp_xasprintf("x <span class=\"range\" data-axis=\"x\">%g .. %g</span>, y <span class=\"range\" "
                        "data-axis=\"y\">%g .. %g</span>",
                        p->xlo, p->xhi, p->ylo, p->yhi);
}

char *sp_template(const char *tpl, const sp_tvar *v, int nv, int html, const char *path, long line, sp_error *err)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) {
        sp_fail_oom(err, 0);
        return NULL;
    }
    void (*text)(FILE *, const char *) = html ? sp_html_text : NULL;
    for (const char *s = tpl ? tpl : ""; *s;) {
        const char *open = strchr(s, '{');
        size_t n = open ? (size_t)(open - s) : strlen(s);
        char *lit = sp_xasprintf("%.*s", (int)n, s);
        if (text) text(f, lit);
        else fputs(lit, f);
        free(lit);
        if (!open) break;
        const char *close = strchr(open, '}');
        int k = -1;
        for (int i = 0; close && i < nv && k < 0; i++)
            if (strlen(v[i].name) == (size_t)(close - open - 1) && !strncmp(v[i].name, open + 1, (size_t)(close - open - 1)))
                k = i;
        if (k < 0) {
            fclose(f);
            free(out);
            if (!close) sp_fail(err, "'%s' line %ld: a '{' without its '}' in '%s'", path, line, tpl);
            else sp_fail(err, "'%s' line %ld: no placeholder '%.*s' here", path, line, (int)(close - open + 1), open);
            return NULL;
        }
        if (text && !v[k].markup) text(f, v[k].value);
        else fputs(v[k].value, f);
        s = close + 1;
    }
    fclose(f);
    return out;
}
