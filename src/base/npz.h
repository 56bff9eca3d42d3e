/* npz.h - NumPy .npz archives: a ZIP file of .npy members NAME.npy, as
 * numpy.savez writes them and numpy.load reads them (returning a dict-like
 * NpzFile of arrays by NAME).
 *
 * Writing: members stored uncompressed (method 0) with their CRC-32, no
 * data descriptors, no ZIP64 (an archive and each member below 4 GiB),
 * into a temporary file renamed onto the path when complete (util.h's
 * sp_atomic_*). Reading: the central directory of any ZIP whose members
 * are stored (numpy.savez's, with or without ZIP64 extra fields);
 * compressed members (numpy.savez_compressed) are refused by name. */
#ifndef SP_NPZ_H
#define SP_NPZ_H

#include <stddef.h>
#include <stdint.h>
#include "base/npy.h"
#include "base/util.h"

typedef struct {
    char *name;      /* without ".npy" */
    uint32_t crc;
    size_t size;     /* bytes */
    size_t offset;   /* of its local header */
} sp_npz_member;

typedef struct {
    sp_atomic_file af;
    const char *path;
    size_t at;       /* bytes written so far */
    sp_npz_member *v;
    int n, cap;
} sp_npz_writer;

int sp_npz_create(sp_npz_writer *w, const char *path, sp_error *err);
/* A member NAME.npy holding an array (sp_npy_fwrite's arguments). */
int sp_npz_add(sp_npz_writer *w, const char *name, sp_npy_dtype t, const void *data, int rank,
               const long *shape, sp_error *err);
/* A member holding text (sp_npy_fwrite_text's arguments). */
int sp_npz_add_text(sp_npz_writer *w, const char *name, const char *const *s, long n, int rank,
                    sp_error *err);
/* Write the central directory and rename the file onto its path; or, on
 * any earlier failure, sp_npz_abort (removes the temporary file). Both
 * free w. */
int sp_npz_commit(sp_npz_writer *w, sp_error *err);
void sp_npz_abort(sp_npz_writer *w);

/* An archive read into memory. */
typedef struct {
    char *path;
    char *buf;
    size_t len;
    int n;
    char **name;         /* member names without ".npy" */
    size_t *data, *size; /* each member's .npy bytes: buf + data[i], size[i] */
} sp_npz;

int sp_npz_open(sp_npz *z, const char *path, sp_error *err);
void sp_npz_close(sp_npz *z);
/* Index of the member called name, or -1. */
int sp_npz_find(const sp_npz *z, const char *name);
/* Member i as sp_npy_parse returns it (caller frees). */
void *sp_npz_array(const sp_npz *z, int i, sp_npy_dtype *t, int *rank, long *shape, sp_error *err);

#endif
