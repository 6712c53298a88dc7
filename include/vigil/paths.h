/* paths.h -- expand command-line PATHs (files, directories, globs) into logs. */
#ifndef VIGIL_PATHS_H
#define VIGIL_PATHS_H

#include <stddef.h>
#include <vigil/alloc.h>
#include <vigil/diag.h>
#include <vigil/error.h>

/* The files to read, in a stable order (each argument's files sorted by
 * name).  Owned by the list; free with vigil_pathlist_free. */
typedef struct vigil_pathlist {
    char **files;        /* NUL-terminated paths */
    size_t count;        /* number of files */
    size_t ignored;      /* files skipped in directory walks (not logs) */
    size_t unreadable;   /* arguments or entries that could not be read */
    const vigil_allocator *alloc; /* internal: what frees the list */
} vigil_pathlist;

/* Expands `argc` PATH arguments: a file is taken as is; a directory is
 * walked recursively and its files kept when vigil_looks_like_log says so
 * (others are reported once as VIGIL_DIAG_IGNORED); an argument that does
 * not exist but contains * ? or [ is expanded as a glob.  Paths that cannot
 * be read are reported as VIGIL_DIAG_UNREADABLE and counted.  Returns
 * VIGIL_OK even when some paths were unreadable (see list->unreadable);
 * VIGIL_ENOMEM on allocation failure. */
vigil_status vigil_paths_expand(vigil_pathlist *list, const char *const *argv,
                                size_t argc, const vigil_allocator *alloc,
                                vigil_diag_fn diag, void *diag_user);

/* Frees what vigil_paths_expand stored; the struct itself is the caller's. */
void vigil_pathlist_free(vigil_pathlist *list);

#endif
