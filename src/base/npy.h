/* npy.h - NumPy .npy files (format 1.0) and TSV tables, the two output
 * formats of run directories: numpy.load and numpy.loadtxt, gnuplot and
 * spreadsheets read them directly.
 *
 * A .npy file is the magic "\x93NUMPY", version 1.0, a little-endian u16
 * header length, and an ASCII dict
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
 * padded with spaces and a final '\n' so that the data starts at a
 * multiple of 64 bytes; then the elements in C order, little-endian.
 *
 * Every writer here writes a temporary file and renames it onto the path
 * (util.h's sp_atomic_*): the file is whole or as it was. Errors follow
 * base/error.h: 0, or -1 with a message in err. */
#ifndef SP_NPY_H
#define SP_NPY_H

#include <stddef.h>
#include <stdio.h>
#include "base/error.h"

/* The same values as sincprobe/probe.h's sp_probe_dtype. */
typedef enum { SP_NPY_F32 = 0, SP_NPY_F64 = 1, SP_NPY_I32 = 2 } sp_npy_dtype;

#define SP_NPY_MAXRANK 8

/* Bytes per element of t. */
size_t sp_npy_dtype_size(sp_npy_dtype t);

/* Write an array of rank 0..SP_NPY_MAXRANK (shape[i] >= 0; data holds
 * their product of elements; rank 0 is one scalar) to f / to path. */
int sp_npy_fwrite(FILE *f, sp_npy_dtype t, const void *data, int rank, const long *shape, sp_error *err);
int sp_npy_write(const char *path, sp_npy_dtype t, const void *data, int rank, const long *shape,
                 sp_error *err);

/* Read a .npy file (format 1.x or 2.x) of '<f4', '<f8' or '<i4' (or the
 * big-endian forms; '<i8', numpy's default integers, is read as
 * SP_NPY_I32 when every value fits), C order, rank <= SP_NPY_MAXRANK. Returns the data
 * (caller frees), with *t, *rank and shape[0..rank) filled; NULL with err. */
void *sp_npy_read(const char *path, sp_npy_dtype *t, int *rank, long *shape, sp_error *err);

/* The same from len bytes of a .npy file in memory (a member of a .npz);
 * path names it in messages. */
void *sp_npy_parse(const void *data, size_t len, const char *path, sp_npy_dtype *t, int *rank, long *shape,
                   sp_error *err);

/* A text array (numpy's '<U' unicode strings, readable without pickle):
 * rank 0, the one string s[0] (numpy: str(a)), or rank 1, n strings.
 * The strings are UTF-8; each is stored as UCS-4 padded to the longest. */
int sp_npy_fwrite_text(FILE *f, const char *const *s, long n, int rank, sp_error *err);

/* A TSV table: a header row of ncols names (no tabs or newlines in them),
 * then nrows rows of rows[r * ncols + c], each number as %.10g ("nan",
 * "inf", "-inf" where not finite). */
int sp_tsv_write(const char *path, int ncols, const char *const *header, long nrows,
                 const double *rows, sp_error *err);

/* len bytes of text, atomically. */
int sp_text_write(const char *path, const char *text, size_t len, sp_error *err);

#endif
