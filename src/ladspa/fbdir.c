/* fbdir.c - the search path of exported filterbanks, the catalog of the
 * files found there, and UniqueID assignment (fbdir.h has the rules). */
#include "ladspa/fbdir.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int sp_fb_id_valid(unsigned long id)
{
    return id >= 1 && id <= (unsigned long)SP_FB_ID_MAX;
}

unsigned long sp_fb_home_slot(const char *name)
{
    uint32_t h = 2166136261u; /* FNV-1a, 32 bits */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h % SP_FB_ID_SLOTS;
}

// ----------------------------------------------------------------------------
// the search path

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s/%s", a, b);
    return s;
}

char *sp_fb_user_dir(void)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    if (xdg && xdg[0] == '/') return join(xdg, "sincprobe/ladspa");
    const char *home = getenv("HOME");
    if (home && home[0]) return join(home, ".local/share/sincprobe/ladspa");
    return NULL;
}

void sp_fb_dirs_free(char **dirs, int n)
{
    for (int i = 0; i < n; i++) free(dirs[i]);
    free(dirs);
}

/* Append a copy of len bytes of s to the list. */
static int push_dir(char ***dirs, int *n, const char *s, size_t len)
{
    char **nd = realloc(*dirs, (size_t)(*n + 1) * sizeof *nd);
    if (!nd) return -1;
    *dirs = nd;
    if (!(nd[*n] = malloc(len + 1))) return -1;
    memcpy(nd[*n], s, len);
    nd[*n][len] = '\0';
    (*n)++;
    return 0;
}

int sp_fb_search_path(char ***dirs, int *n, sp_error *err)
{
    *dirs = NULL;
    *n = 0;
    const char *p = getenv("SINCPROBE_LADSPA_PATH");
    while (p && *p) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len && push_dir(dirs, n, p, len) != 0) goto oom;
        p = colon ? colon + 1 : NULL;
    }
    char *user = sp_fb_user_dir();
    if (user) {
        int rc = push_dir(dirs, n, user, strlen(user));
        free(user);
        if (rc != 0) goto oom;
    }
    return 0;
oom:
    sp_fb_dirs_free(*dirs, *n);
    *dirs = NULL;
    *n = 0;
    return sp_fail_oom(err, 0);
}

// ----------------------------------------------------------------------------
// the catalog

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .spfb regular files of dir, sorted, as full paths. A missing or
 * unreadable directory gives none. -1 when out of memory. */
static int list_dir(const char *dir, char ***files, int *n)
{
    *files = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *de;
    size_t ext = strlen(SP_FB_EXT);
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len <= ext || strcmp(de->d_name + len - ext, SP_FB_EXT) != 0) continue;
        char *path = join(dir, de->d_name);
        struct stat st;
        if (!path) rc = -1;
        else if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) free(path);
        else if (push_dir(files, n, path, strlen(path)) != 0) rc = -1, free(path);
        else free(path);
    }
    closedir(d);
    if (rc == 0 && *n > 1) qsort(*files, (size_t)*n, sizeof **files, by_name);
    return rc;
}

/* Why e is not to be loaded after the loaded entries of cat, or NULL. */
static const sp_fb_entry *clash(const sp_fb_catalog *cat, const sp_fb_entry *e, const char **what)
{
    for (int i = 0; i < cat->n; i++) {
        const sp_fb_entry *o = &cat->e[i];
        if (!o->loaded) continue;
        if (strcmp(o->fb.name, e->fb.name) == 0) {
            *what = "the name";
            return o;
        }
        unsigned long a = e->fb.id_bank, b = e->fb.id_filter;
        if (a == o->fb.id_bank || a == o->fb.id_filter || b == o->fb.id_bank || b == o->fb.id_filter) {
            *what = "a UniqueID";
            return o;
        }
    }
    return NULL;
}

static int add_file(sp_fb_catalog *cat, char *path)
{
    sp_fb_entry *ne = realloc(cat->e, (size_t)(cat->n + 1) * sizeof *ne);
    if (!ne) return -1;
    cat->e = ne;
    sp_fb_entry *e = &ne[cat->n];
    memset(e, 0, sizeof *e);
    e->path = path;
    sp_error err;
    if (sp_fbfile_read(&e->fb, path, &err) != 0) {
        snprintf(e->why, sizeof e->why, "%s", err.msg);
    } else {
        e->readable = 1;
        const char *what;
        const sp_fb_entry *o = clash(cat, e, &what);
        if (o)
            snprintf(e->why, sizeof e->why, "%s: %s of model '%s' is already loaded from '%s'", path, what,
                     o->fb.name, o->path);
        else
            e->loaded = 1;
    }
    cat->n++;
    return 0;
}

int sp_fb_catalog_load(sp_fb_catalog *cat, char *const *dirs, int n, sp_error *err)
{
    cat->e = NULL;
    cat->n = 0;
    for (int d = 0; d < n; d++) {
        char **files;
        int nf;
        if (list_dir(dirs[d], &files, &nf) != 0) goto oom;
        int rc = 0;
        for (int i = 0; i < nf; i++) {
            if (rc == 0 && add_file(cat, files[i]) == 0) continue;
            rc = -1;
            free(files[i]);
        }
        free(files);
        if (rc != 0) goto oom;
    }
    return 0;
oom:
    sp_fb_catalog_free(cat);
    return sp_fail_oom(err, 0);
}

void sp_fb_catalog_free(sp_fb_catalog *cat)
{
    for (int i = 0; i < cat->n; i++) {
        free(cat->e[i].path);
        sp_fbfile_free(&cat->e[i].fb);
    }
    free(cat->e);
    cat->e = NULL;
    cat->n = 0;
}

// ----------------------------------------------------------------------------
// UniqueIDs

/* 1 when a readable file of a name other than name uses id. */
static int taken(const sp_fb_catalog *cat, const char *name, unsigned long id)
{
    for (int i = 0; i < cat->n; i++) {
        const sp_fb_entry *e = &cat->e[i];
        if (!e->readable || strcmp(e->fb.name, name) == 0) continue;
        if (e->fb.id_bank == id || e->fb.id_filter == id) return 1;
    }
    return 0;
}

int sp_fb_assign_ids(const sp_fb_catalog *cat, const char *name, unsigned long *id_bank, unsigned long *id_filter,
                     sp_error *err)
{
    for (int i = 0; i < cat->n; i++) {
        const sp_fbfile *fb = &cat->e[i].fb;
        if (!cat->e[i].readable || strcmp(fb->name, name) != 0) continue;
        if (!taken(cat, name, fb->id_bank) && !taken(cat, name, fb->id_filter)) {
            *id_bank = fb->id_bank;
            *id_filter = fb->id_filter;
            return 0;
        }
    }
    unsigned long home = sp_fb_home_slot(name);
    for (unsigned long i = 0; i < SP_FB_ID_SLOTS; i++) {
        unsigned long s = (home + i) % SP_FB_ID_SLOTS, a = SP_FB_ID_BASE + 2 * s;
        if (!taken(cat, name, a) && !taken(cat, name, a + 1)) {
            *id_bank = a;
            *id_filter = a + 1;
            return 0;
        }
    }
    return sp_fail(err, "no free UniqueID pair left in %#lx-%#lx", SP_FB_ID_BASE,
                   SP_FB_ID_BASE + 2 * SP_FB_ID_SLOTS - 1);
}
