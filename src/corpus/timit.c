/* timit.c - see timit.h. */
#include "config.h"
#include "corpus/timit.h"
#include "corpus/sphere.h"
#include "corpus/voices.h"
#include "base/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const split_names[] = { "train", "dev", "core", "test", "all" };

int sp_split_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof split_names / sizeof split_names[0]); i++)
        if (strcmp(name, split_names[i]) == 0) return i;
    return -1;
}

const char *sp_split_name(int split)
{
    return split >= 0 && split <= SP_SPLIT_ALL ? split_names[split] : "?";
}

/* ---- directory listing, sorted so that scans are deterministic */

typedef struct {
    char **names;
    size_t n;
} listing;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const char *path, listing *l)
{
    l->names = NULL;
    l->n = 0;
    DIR *dir = opendir(path);
    if (!dir) return -1;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.') continue;
        if (l->n == cap) {
            cap = cap ? 2 * cap : 32;
            l->names = sp_xrealloc(l->names, cap * sizeof *l->names);
        }
        l->names[l->n++] = sp_xstrdup(e->d_name);
    }
    closedir(dir);
    if (l->n > 1) qsort(l->names, l->n, sizeof *l->names, cmp_str);
    return 0;
}

static void listing_free(listing *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
}

/* The entry of dir named `name` in any case, as a joined path, or NULL. */
static char *find_ci(const char *dir, const char *name)
{
    listing l;
    if (list_dir(dir, &l) != 0) return NULL;
    char *found = NULL;
    for (size_t i = 0; i < l.n && !found; i++)
        if (sp_strcaseeq(l.names[i], name)) found = sp_path_join(dir, l.names[i]);
    listing_free(&l);
    return found;
}

/* ---- speaker lists */

/* A dev or core list as read: its speaker ids with the line each came
 * from, and whether the tree has that speaker (set while scanning). */
typedef struct {
    char *path;       /* NULL: no list (every speaker of the part kept) */
    char (*ids)[16];
    long *line;
    int *found;
    size_t n;
} speaker_list;

static int is_speaker_name(const char *name);

/* One line of a list: a speaker id such as "faks0", else a warning naming
 * the line (a list of anything else would silently select nobody). */
static void list_line(speaker_list *sl, size_t *cap, char *line, long lineno, sp_diag *d)
{
    sp_strtrim(line);
    if (!*line || *line == '#') return;
    if (!is_speaker_name(line)) {
        sp_diag_warn(d, sl->path, lineno, "expected a speaker id such as 'faks0' (f or m, three letters, a digit), got '%.40s'",
                     line);
        return;
    }
    if (sl->n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        sl->ids = sp_xrealloc(sl->ids, *cap * sizeof *sl->ids);
        sl->line = sp_xrealloc(sl->line, *cap * sizeof *sl->line);
        sl->found = sp_xrealloc(sl->found, *cap * sizeof *sl->found);
    }
    snprintf(sl->ids[sl->n], 16, "%s", line);
    sp_strlower(sl->ids[sl->n]);
    sl->line[sl->n] = lineno;
    sl->found[sl->n] = 0;
    sl->n++;
}

static int load_speaker_list(const char *root, const char *name, speaker_list *sl, sp_diag *d, sp_error *err)
{
    memset(sl, 0, sizeof *sl);
    sl->path = find_ci(root, name);
    if (!sl->path) sl->path = sp_data_file(name, err);
    if (!sl->path) return -1;
    char *text = sp_read_file(sl->path, NULL, err);
    if (!text) return -1;
    size_t cap = 0;
    long lineno = 1;
    /* Line by line, empty lines counted, so that warnings name the right one. */
    for (char *line = text; line; lineno++) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        list_line(sl, &cap, line, lineno, d);
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return 0;
}

/* 1 when sl has no list or lists speaker (marking it found). */
static int keep_speaker(speaker_list *sl, const char *speaker)
{
    if (!sl->path) return 1;
    int kept = 0;
    for (size_t i = 0; i < sl->n; i++)
        if (strcmp(sl->ids[i], speaker) == 0) kept = sl->found[i] = 1;
    return kept;
}

/* The listed speakers the tree lacks, each a warning at its line. */
static void warn_unfound(const speaker_list *sl, sp_diag *d)
{
    for (size_t i = 0; i < sl->n && !sp_diag_stop(d); i++) {
        if (sl->found[i]) continue;
        char folder[16];
        snprintf(folder, sizeof folder, "%s", sl->ids[i]);
        sp_strupper(folder);
        sp_diag_warn(d, sl->path, sl->line[i], "speaker '%s' is not in the corpus (no TEST/DRn/%s folder)", sl->ids[i],
                     folder);
    }
}

static void speaker_list_free(speaker_list *sl)
{
    free(sl->path);
    free(sl->ids);
    free(sl->line);
    free(sl->found);
    memset(sl, 0, sizeof *sl);
}

/* ---- names */

/* "DR1".."DR8" in any case -> 1..8, else 0. */
static int dialect_of(const char *name)
{
    if (strlen(name) == 3 && tolower((unsigned char)name[0]) == 'd' &&
        tolower((unsigned char)name[1]) == 'r' && name[2] >= '1' && name[2] <= '8')
        return name[2] - '0';
    return 0;
}

/* <F|M> + 3 letters + 1 digit. */
static int is_speaker_name(const char *name)
{
    if (strlen(name) != 5) return 0;
    char c = (char)tolower((unsigned char)name[0]);
    if (c != 'f' && c != 'm') return 0;
    for (int i = 1; i < 4; i++)
        if (!isalpha((unsigned char)name[i])) return 0;
    return isdigit((unsigned char)name[4]) != 0;
}

/* SA/SI/SX + digits, any case. */
static int is_utt_stem(const char *stem)
{
    if (strlen(stem) < 3 || tolower((unsigned char)stem[0]) != 's') return 0;
    char k = (char)tolower((unsigned char)stem[1]);
    if (k != 'a' && k != 'i' && k != 'x') return 0;
    for (const char *p = stem + 2; *p; p++)
        if (!isdigit((unsigned char)*p)) return 0;
    return 1;
}

/* ---- scanning */

static void add_utt(sp_corpus *c, size_t *cap, const sp_utt_ref *r)
{
    if (c->n == *cap) {
        *cap = *cap ? 2 * *cap : 256;
        c->utts = sp_xrealloc(c->utts, *cap * sizeof *c->utts);
    }
    c->utts[c->n++] = *r;
}

/* The utterances of one speaker folder. */
static void scan_speaker(sp_corpus *c, size_t *cap, const char *spkdir, const char *part,
                         int dialect, const char *spk, int test, int include_sa, sp_diag *d)
{
    listing l;
    if (list_dir(spkdir, &l) != 0) {
        sp_diag_add(d, spkdir, 0, "cannot read folder: %s", strerror(errno));
        return;
    }
    /* Group files by stem: names are sorted, but case variants may
     * interleave, so look each stem up among all names. */
    for (size_t i = 0; i < l.n && !sp_diag_stop(d); i++) {
        char stem[64];
        const char *dot = strchr(l.names[i], '.');
        if (!dot || (size_t)(dot - l.names[i]) >= sizeof stem) continue;
        memcpy(stem, l.names[i], (size_t)(dot - l.names[i]));
        stem[dot - l.names[i]] = '\0';
        if (!is_utt_stem(stem)) continue;
        /* Handle each stem once: at its first file in sorted order. */
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            if (strncasecmp(l.names[k], stem, strlen(stem)) == 0 && l.names[k][strlen(stem)] == '.') seen = 1;
        if (seen) continue;
        if (!include_sa && tolower((unsigned char)stem[1]) == 'a') continue;
        sp_utt_ref r;
        memset(&r, 0, sizeof r);
        char *wav_riff = NULL;
        for (size_t k = 0; k < l.n; k++) {
            const char *nm = l.names[k];
            if (strncasecmp(nm, stem, strlen(stem)) != 0 || nm[strlen(stem)] != '.') continue;
            const char *ext = nm + strlen(stem) + 1;
            char **slot = NULL;
            if (sp_strcaseeq(ext, "wav")) slot = &r.wav;
            else if (sp_strcaseeq(ext, "wav.wav")) slot = &wav_riff;
            else if (sp_strcaseeq(ext, "phn")) slot = &r.phn;
            else if (sp_strcaseeq(ext, "wrd")) slot = &r.wrd;
            else if (sp_strcaseeq(ext, "txt")) slot = &r.txt;
            if (slot && !*slot) *slot = sp_path_join(spkdir, nm);
        }
        /* The LDC's SPHERE .WAV is preferred over a RIFF copy beside it. */
        if (!r.wav) r.wav = wav_riff;
        else free(wav_riff);
        char ustem[64];
        snprintf(ustem, sizeof ustem, "%s", stem);
        sp_strupper(ustem);
        char uspk[16];
        snprintf(uspk, sizeof uspk, "%s", spk);
        sp_strupper(uspk);
        r.id = sp_xasprintf("%s/DR%d/%s/%s", part, dialect, uspk, ustem);
        snprintf(r.speaker, sizeof r.speaker, "%s", spk);
        sp_strlower(r.speaker);
        r.sex = r.speaker[0];
        r.dialect = dialect;
        r.test = test;
        char *where = sp_path_join(spkdir, stem);
        if (!r.phn) sp_diag_add(d, where, 0, "missing .PHN file for utterance '%s'", r.id);
        if (!r.wav) sp_diag_add(d, where, 0, "missing audio (.WAV) for utterance '%s'", r.id);
        free(where);
        add_utt(c, cap, &r);
    }
    listing_free(&l);
}

static int cmp_utt(const void *a, const void *b)
{
    return strcmp(((const sp_utt_ref *)a)->id, ((const sp_utt_ref *)b)->id);
}

/* One TRAIN or TEST folder: its DRn folders and their speakers. */
static void scan_part(sp_corpus *c, size_t *cap, const char *partdir, const char *part, int test,
                      speaker_list *keep, int include_sa, sp_diag *d)
{
    listing drs;
    list_dir(partdir, &drs);
    int ndr = 0;
    for (size_t i = 0; i < drs.n && !sp_diag_stop(d); i++) {
        int dialect = dialect_of(drs.names[i]);
        char *drdir = sp_path_join(partdir, drs.names[i]);
        if (!sp_is_dir(drdir)) {
            free(drdir);
            continue;
        }
        if (!dialect) {
            /* TIMIT has eight dialect regions: a DR9 or a stray folder is
             * most likely a copying mistake, not data to drop unsaid. */
            sp_diag_warn(d, drdir, 0, "folder '%s' is not a dialect folder DR1..DR8: its speakers are left out",
                         drs.names[i]);
            free(drdir);
            continue;
        }
        ndr++;
        listing spks;
        list_dir(drdir, &spks);
        for (size_t k = 0; k < spks.n && !sp_diag_stop(d); k++) {
            char *spkdir = sp_path_join(drdir, spks.names[k]);
            if (!sp_is_dir(spkdir)) {
                free(spkdir);
                continue;
            }
            if (!is_speaker_name(spks.names[k])) {
                sp_diag_add(d, spkdir, 0, "speaker folder '%s' is not named <F|M>xxxN (sex, three letters, a digit)",
                            spks.names[k]);
                free(spkdir);
                continue;
            }
            char low[16];
            snprintf(low, sizeof low, "%s", spks.names[k]);
            sp_strlower(low);
            if (!keep_speaker(keep, low)) {
                free(spkdir);
                continue;
            }
            scan_speaker(c, cap, spkdir, part, dialect, spks.names[k], test, include_sa, d);
            free(spkdir);
        }
        listing_free(&spks);
        free(drdir);
    }
    listing_free(&drs);
    if (ndr == 0) sp_diag_add(d, partdir, 0, "no dialect folders DR1..DR8");
}


int sp_corpus_scan(sp_corpus *c, const char *root, int split, int include_sa,
                   sp_diag *d, sp_error *err)
{
    memset(c, 0, sizeof *c);
    if (split < 0 || split > SP_SPLIT_ALL) return sp_fail(err, "unknown split");
    if (!sp_is_dir(root)) {
        struct stat st;
        return sp_fail(err, stat(root, &st) != 0 ? "corpus '%s' does not exist" : "corpus '%s' is not a directory",
                       root);
    }
    c->root = sp_xstrdup(root);
    sp_synth_status_check(root, d);
    if (sp_diag_stop(d)) return 0;

    speaker_list keep;
    memset(&keep, 0, sizeof keep);
    if (split == SP_SPLIT_DEV || split == SP_SPLIT_CORE) {
        const char *name = split == SP_SPLIT_DEV ? "dev_spk.list" : "core_spk.list";
        if (load_speaker_list(root, name, &keep, d, err) != 0) {
            speaker_list_free(&keep);
            sp_corpus_free(c);
            return -1;
        }
    }
    size_t cap = 0;
    static const char *const parts[] = { "TRAIN", "TEST" };
    for (int t = 0; t < 2; t++) {
        int want = split == SP_SPLIT_ALL || (t == 0 ? split == SP_SPLIT_TRAIN : split != SP_SPLIT_TRAIN);
        if (!want) continue;
        /* Every case variant of the folder (a tree may mix copies). */
        listing top;
        list_dir(root, &top);
        int nparts = 0;
        for (size_t ti = 0; ti < top.n && !sp_diag_stop(d); ti++) {
            if (!sp_strcaseeq(top.names[ti], parts[t])) continue;
            char *partdir = sp_path_join(root, top.names[ti]);
            if (!sp_is_dir(partdir)) {
                free(partdir);
                continue;
            }
            nparts++;
            scan_part(c, &cap, partdir, parts[t], t == 1, &keep, include_sa, d);
            free(partdir);
        }
        listing_free(&top);
        if (nparts == 0 && !sp_diag_stop(d))
            sp_diag_add(d, root, 0, "no %s folder: expected the TIMIT layout ROOT/TRAIN|TEST/DRn/SPEAKER", parts[t]);
    }
    if (keep.path && !sp_diag_stop(d)) warn_unfound(&keep, d);
    if (c->n == 0 && !sp_diag_stop(d)) {
        if (keep.path)
            sp_diag_warn(d, keep.path, 0, "split %s has no speakers: the list names none of the corpus's TEST speakers",
                         sp_split_name(split));
        else
            sp_diag_warn(d, root, 0, "split %s has no speakers", sp_split_name(split));
    }
    speaker_list_free(&keep);
    if (c->n > 1) qsort(c->utts, c->n, sizeof *c->utts, cmp_utt);
    return 0;
}

int sp_corpus_has_part(const char *root, const char *part)
{
    char *dir = find_ci(root, part);
    int yes = dir && sp_is_dir(dir);
    free(dir);
    return yes;
}

void sp_corpus_free(sp_corpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        sp_utt_ref *r = &c->utts[i];
        free(r->id);
        free(r->wav);
        free(r->phn);
        free(r->wrd);
        free(r->txt);
    }
    free(c->utts);
    free(c->root);
    memset(c, 0, sizeof *c);
}

/* ---- one utterance */

int sp_utt_load(const sp_utt_ref *r, const sp_phoneset *ps, sp_utt *u, sp_diag *d)
{
    memset(u, 0, sizeof *u);
    size_t before = d->n;
    if (r->wav) sp_audio_read_pcm16(r->wav, &u->audio, &u->n, d);
    if (sp_diag_stop(d)) return (int)(d->n - before);
    int have_audio = u->audio != NULL;

    if (r->phn && sp_segs_read(r->phn, &u->phn, d) == 0 && !sp_diag_stop(d)) {
        u->phone61 = sp_xmalloc((u->phn.n ? u->phn.n : 1) * sizeof *u->phone61);
        for (size_t i = 0; i < u->phn.n && !sp_diag_stop(d); i++) {
            const sp_seg *g = &u->phn.v[i];
            u->phone61[i] = sp_phone61(ps, g->label);
            if (sp_diag_stop(d)) break;
            if (u->phone61[i] < 0)
                sp_diag_add(d, r->phn, g->line, "unknown phone '%s': expected one of TIMIT's 61 symbols", g->label);
            else if (i == 0 && g->begin != 0)
                sp_diag_add(d, r->phn, g->line, "first phone segment begins at %ld, expected 0", g->begin);
            /* After a skipped malformed line the neighbours cannot be
             * compared: that line's problem is already reported. */
            if (i > 0 && !g->after_skip && !sp_diag_stop(d)) {
                long prev = u->phn.v[i - 1].end;
                if (g->begin > prev)
                    sp_diag_add(d, r->phn, g->line, "gap: segment begins at %ld but the previous one ends at %ld", g->begin, prev);
                else if (g->begin < prev)
                    sp_diag_add(d, r->phn, g->line, "overlap: segment begins at %ld but the previous one ends at %ld", g->begin, prev);
            }
        }
        if (u->phn.n == 0 && !sp_diag_stop(d)) sp_diag_add(d, r->phn, 0, "no phone segments");
        if (have_audio && u->phn.n > 0 && !sp_diag_stop(d)) {
            const sp_seg *last = &u->phn.v[u->phn.n - 1];
            if (last->end > u->n)
                sp_diag_add(d, r->phn, last->line, "last segment ends at %ld, beyond the audio's %ld samples", last->end, u->n);
        }
    }
    if (r->wrd && !sp_diag_stop(d) && sp_segs_read(r->wrd, &u->wrd, d) == 0 && have_audio) {
        for (size_t i = 0; i < u->wrd.n && !sp_diag_stop(d); i++)
            if (u->wrd.v[i].end > u->n)
                sp_diag_add(d, r->wrd, u->wrd.v[i].line, "word ends at %ld, beyond the audio's %ld samples", u->wrd.v[i].end, u->n);
    }
    if (r->txt && !sp_diag_stop(d)) {
        long b, e;
        char *text = NULL;
        if (sp_txt_read(r->txt, &b, &e, &text, d) == 0 && have_audio && e > u->n + 1)
            sp_diag_add(d, r->txt, 1, "text ends at %ld, beyond the audio's %ld samples", e, u->n);
        free(text);
    }
    return (int)(d->n - before);
}

void sp_utt_free(sp_utt *u)
{
    free(u->audio);
    free(u->phone61);
    sp_segs_free(&u->phn);
    sp_segs_free(&u->wrd);
    memset(u, 0, sizeof *u);
}
