/* read_paths.c -- expands command-line PATHs (files, directories, globs) into the logs to read.
 *
 * Input: the PATH arguments of a command such as `vigil stats`.  Output: a
 * vigil_pathlist of files in a stable order, plus VIGIL_DIAG_IGNORED and
 * VIGIL_DIAG_UNREADABLE diagnostics through the caller's sink.  The rules
 * (include/vigil/paths.h, issue 3):
 *
 *  - A file argument is taken as given (no content check): the user named it.
 *    A regular file is opened once to make sure it can be read; FIFOs and
 *    devices are passed through unopened (opening a FIFO would block).
 *  - A directory is walked recursively, depth first.  The entries of each
 *    directory are sorted by name (byte order), so Zeek's archive layout
 *    YYYY-MM-DD/conn.00:00:00-01:00:00.log.gz comes out chronologically.
 *    Each regular file's first 4 KiB go to vigil_looks_like_log; files that
 *    are not logs are reported once as ignored ("not a log").  Entries whose
 *    name starts with '.' (rsync temporaries, .git, ...) are not opened or
 *    descended into; each is reported once as ignored ("hidden file" /
 *    "hidden directory").  Other special files are ignored ("not a regular
 *    file").
 *  - Symbolic links are followed (stat, not lstat), but every directory is
 *    walked at most once, identified by (st_dev, st_ino): a symlink loop or a
 *    second link to a directory already walked ends there, silently.
 *  - Every file is kept at most once, by (st_dev, st_ino): the same file
 *    given twice, or a file inside a directory also given, is read once.
 *    Ignored or unreadable files are likewise reported only once.
 *  - An argument that does not exist but contains * ? or [ is expanded with
 *    glob(3), sorted; each match is then handled like an argument.
 *  - Whatever cannot be read (missing argument, glob without match, EACCES,
 *    a read error) is reported as VIGIL_DIAG_UNREADABLE with strerror(errno)
 *    as the detail and counted in list->unreadable.
 *
 * Memory: everything the list keeps comes from the caller's vigil_allocator;
 * only glob(3) and opendir(3) allocate through libc internally (and free
 * before returning).  On VIGIL_ENOMEM the list is left empty with nothing
 * allocated. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

#define HEAD_BYTES 4096 /* bytes of each walked file shown to looks_like_log */

/* What happened to a (dev, ino) already met. */
enum seen_state {
    SEEN_KEPT = 1,       /* a file in list->files */
    SEEN_IGNORED = 2,    /* a file reported as not a log */
    SEEN_UNREADABLE = 3, /* a file reported as unreadable */
    SEEN_DIR = 4         /* a directory already walked (or being walked) */
};

/* One slot of the (dev, ino) set; state 0 = empty. */
typedef struct seen_slot {
    dev_t dev;     /* st_dev */
    ino_t ino;     /* st_ino */
    uint8_t state; /* enum seen_state, 0 when the slot is free */
} seen_slot;

/* State of one vigil_paths_expand call.  Lives on the stack of that call. */
typedef struct expander {
    vigil_pathlist *list;       /* the caller's list being filled */
    vigil_allocator *alloc;     /* the list's own allocator copy (owned by list) */
    size_t files_cap;           /* capacity of list->files */
    seen_slot *seen;            /* open-addressing set of met inodes (owned) */
    size_t seen_cap;            /* power of two, 0 before first insert */
    size_t seen_count;          /* used slots */
    vigil_diag_fn diag;         /* caller's sink, may be NULL */
    void *diag_user;            /* passed back to diag */
} expander;

/* ---- the (dev, ino) set ----------------------------------------------------- */

static size_t seen_hash(dev_t dev, ino_t ino)
{
    uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15u ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4fu;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 32;
    return (size_t)h;
}

/* The slot for (dev, ino): either its entry or the empty slot where it
 * would go.  The table must have a free slot. */
static seen_slot *seen_find(const expander *x, dev_t dev, ino_t ino)
{
    size_t mask = x->seen_cap - 1;
    size_t i = seen_hash(dev, ino) & mask;
    while (x->seen[i].state && !(x->seen[i].dev == dev && x->seen[i].ino == ino))
        i = (i + 1) & mask;
    return &x->seen[i];
}

/* The state of (dev, ino), 0 when never met. */
static int seen_get(const expander *x, const struct stat *st)
{
    if (!x->seen_cap) return 0;
    return seen_find(x, st->st_dev, st->st_ino)->state;
}

/* Records (dev, ino) with `state` (overwriting an earlier state). */
static vigil_status seen_put(expander *x, const struct stat *st, int state)
{
    if ((x->seen_count + 1) * 10 > x->seen_cap * 7) {
        size_t ncap = x->seen_cap ? x->seen_cap * 2 : 64;
        seen_slot *old = x->seen;
        size_t ocap = x->seen_cap;
        seen_slot *fresh = vigil__calloc(x->alloc, ncap, sizeof *fresh);
        if (!fresh) return VIGIL_ENOMEM;
        x->seen = fresh;
        x->seen_cap = ncap;
        for (size_t i = 0; i < ocap; i++)
            if (old[i].state) *seen_find(x, old[i].dev, old[i].ino) = old[i];
        vigil__free(x->alloc, old);
    }
    seen_slot *s = seen_find(x, st->st_dev, st->st_ino);
    if (!s->state) x->seen_count++;
    s->dev = st->st_dev;
    s->ino = st->st_ino;
    s->state = (uint8_t)state;
    return VIGIL_OK;
}

/* ---- results ------------------------------------------------------------------ */

static void report(expander *x, vigil_diag_kind kind, const char *file, const char *detail)
{
    if (kind == VIGIL_DIAG_IGNORED) x->list->ignored++;
    else x->list->unreadable++;
    if (!x->diag) return;
    vigil_diag d = { .kind = kind, .reason = VIGIL_SKIP_NONE, .file = file,
                     .line = 0, .count = 1, .log = NULL, .detail = detail };
    x->diag(x->diag_user, &d);
}

/* Appends a copy of `path` to the list. */
static vigil_status keep(expander *x, const char *path)
{
    vigil_pathlist *l = x->list;
    if (l->count == x->files_cap) {
        size_t ncap = x->files_cap ? x->files_cap * 2 : 16;
        char **nf = vigil__realloc(x->alloc, l->files, ncap * sizeof *nf);
        if (!nf) return VIGIL_ENOMEM;
        l->files = nf;
        x->files_cap = ncap;
    }
    char *copy = vigil__strdup(x->alloc, path);
    if (!copy) return VIGIL_ENOMEM;
    l->files[l->count++] = copy;
    return VIGIL_OK;
}

/* Reads up to HEAD_BYTES of an open file into buf; -1 on a read error. */
static long read_head(int fd, char *buf)
{
    size_t got = 0;
    while (got < HEAD_BYTES) {
        ssize_t n = read(fd, buf + got, HEAD_BYTES - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    return (long)got;
}

/* ---- files and directories --------------------------------------------------- */

static vigil_status walk_dir(expander *x, const char *dir, const struct stat *st);

/* A file met in a directory walk: kept when it looks like a log. */
static vigil_status walk_file(expander *x, const char *path, const struct stat *st)
{
    if (seen_get(x, st)) return VIGIL_OK; /* kept or reported already */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        vigil_status rc = seen_put(x, st, SEEN_UNREADABLE);
        if (rc == VIGIL_OK) report(x, VIGIL_DIAG_UNREADABLE, path, strerror(e));
        return rc;
    }
    char head[HEAD_BYTES];
    long n = read_head(fd, head);
    int e = errno;
    close(fd);
    if (n < 0) {
        vigil_status rc = seen_put(x, st, SEEN_UNREADABLE);
        if (rc == VIGIL_OK) report(x, VIGIL_DIAG_UNREADABLE, path, strerror(e));
        return rc;
    }
    if (!vigil_looks_like_log(path, head, (size_t)n)) {
        vigil_status rc = seen_put(x, st, SEEN_IGNORED);
        if (rc == VIGIL_OK) report(x, VIGIL_DIAG_IGNORED, path, "not a log");
        return rc;
    }
    vigil_status rc = seen_put(x, st, SEEN_KEPT);
    if (rc == VIGIL_OK) rc = keep(x, path);
    return rc;
}

/* A file named by the user (an argument or a glob match): taken as given. */
static vigil_status given_file(expander *x, const char *path, const struct stat *st)
{
    int state = seen_get(x, st);
    if (state == SEEN_KEPT || state == SEEN_UNREADABLE) return VIGIL_OK;
    if (S_ISREG(st->st_mode)) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            int e = errno;
            vigil_status rc = seen_put(x, st, SEEN_UNREADABLE);
            if (rc == VIGIL_OK) report(x, VIGIL_DIAG_UNREADABLE, path, strerror(e));
            return rc;
        }
        close(fd);
    }
    /* A file a walk ignored and the user then names is read after all. */
    vigil_status rc = seen_put(x, st, SEEN_KEPT);
    if (rc == VIGIL_OK) rc = keep(x, path);
    return rc;
}

/* Joins dir and name with exactly one '/'.  Caller frees. */
static char *join(expander *x, const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    int slash = !(dl == 1 && dir[0] == '/');
    char *p = vigil__malloc(x->alloc, dl + (size_t)slash + nl + 1);
    if (!p) return NULL;
    memcpy(p, dir, dl);
    if (slash) p[dl] = '/';
    memcpy(p + dl + (size_t)slash, name, nl + 1);
    return p;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Handles one entry of a directory being walked. */
static vigil_status walk_entry(expander *x, const char *path, const char *name)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        /* Gone since readdir, a dangling symlink, or a symlink loop. */
        report(x, VIGIL_DIAG_UNREADABLE, path, strerror(errno));
        return VIGIL_OK;
    }
    if (name[0] == '.') {
        if (seen_get(x, &st)) return VIGIL_OK;
        vigil_status rc = seen_put(x, &st, S_ISDIR(st.st_mode) ? SEEN_DIR : SEEN_IGNORED);
        if (rc == VIGIL_OK)
            report(x, VIGIL_DIAG_IGNORED, path,
                   S_ISDIR(st.st_mode) ? "hidden directory" : "hidden file");
        return rc;
    }
    if (S_ISDIR(st.st_mode)) return walk_dir(x, path, &st);
    if (S_ISREG(st.st_mode)) return walk_file(x, path, &st);
    if (seen_get(x, &st)) return VIGIL_OK;
    vigil_status rc = seen_put(x, &st, SEEN_IGNORED);
    if (rc == VIGIL_OK) report(x, VIGIL_DIAG_IGNORED, path, "not a regular file");
    return rc;
}

/* Walks `dir` (whose stat is *st) recursively, entries sorted by name.  The
 * directory is read completely and closed before descending, so the depth
 * of the tree never costs more than one open descriptor. */
static vigil_status walk_dir(expander *x, const char *dir, const struct stat *st)
{
    if (seen_get(x, st)) return VIGIL_OK; /* walked already, or a loop */
    vigil_status rc = seen_put(x, st, SEEN_DIR);
    if (rc != VIGIL_OK) return rc;
    DIR *d = opendir(dir);
    if (!d) {
        report(x, VIGIL_DIAG_UNREADABLE, dir, strerror(errno));
        return VIGIL_OK;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int read_err = 0;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            read_err = errno;
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            char **nn = vigil__realloc(x->alloc, names, ncap * sizeof *nn);
            if (!nn) { rc = VIGIL_ENOMEM; break; }
            names = nn;
            cap = ncap;
        }
        names[n] = vigil__strdup(x->alloc, e->d_name);
        if (!names[n]) { rc = VIGIL_ENOMEM; break; }
        n++;
    }
    closedir(d);
    if (rc == VIGIL_OK && read_err) report(x, VIGIL_DIAG_UNREADABLE, dir, strerror(read_err));
    if (rc == VIGIL_OK && n > 1) qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n && rc == VIGIL_OK; i++) {
        char *path = join(x, dir, names[i]);
        if (!path) { rc = VIGIL_ENOMEM; break; }
        rc = walk_entry(x, path, names[i]);
        vigil__free(x->alloc, path);
    }
    for (size_t i = 0; i < n; i++) vigil__free(x->alloc, names[i]);
    vigil__free(x->alloc, names);
    return rc;
}

/* One argument or glob match that exists (stat in *st). */
static vigil_status given_path(expander *x, const char *path, const struct stat *st)
{
    if (S_ISDIR(st->st_mode)) return walk_dir(x, path, st);
    return given_file(x, path, st);
}

static int has_glob_chars(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static int glob_err(const char *epath, int eerrno)
{
    (void)epath;
    (void)eerrno;
    return 0; /* keep going: unreadable directories just match nothing */
}

/* An argument that does not exist but looks like a pattern. */
static vigil_status expand_glob(expander *x, const char *pattern)
{
    glob_t g;
    memset(&g, 0, sizeof g);
    int r = glob(pattern, 0, glob_err, &g);
    if (r == GLOB_NOSPACE) {
        globfree(&g);
        return VIGIL_ENOMEM;
    }
    if (r != 0) {
        /* GLOB_NOMATCH, or GLOB_ABORTED (cannot happen with glob_err). */
        globfree(&g);
        report(x, VIGIL_DIAG_UNREADABLE, pattern, strerror(ENOENT));
        return VIGIL_OK;
    }
    vigil_status rc = VIGIL_OK;
    for (size_t i = 0; i < g.gl_pathc && rc == VIGIL_OK; i++) {
        struct stat st;
        if (stat(g.gl_pathv[i], &st) != 0) {
            report(x, VIGIL_DIAG_UNREADABLE, g.gl_pathv[i], strerror(errno));
            continue;
        }
        rc = given_path(x, g.gl_pathv[i], &st);
    }
    globfree(&g);
    return rc;
}

/* ---- public ---------------------------------------------------------------------- */

vigil_status vigil_paths_expand(vigil_pathlist *list, const char *const *argv,
                                size_t argc, const vigil_allocator *alloc,
                                vigil_diag_fn diag, void *diag_user)
{
    if (!list) return VIGIL_EINVAL;
    memset(list, 0, sizeof *list);
    if (argc && !argv) return VIGIL_EINVAL;

    /* The list keeps its own copy of the allocator, so the caller's struct
     * need not outlive it. */
    vigil_allocator tmp;
    vigil__alloc_init(&tmp, alloc);
    vigil_allocator *own = vigil__malloc(&tmp, sizeof *own);
    if (!own) return VIGIL_ENOMEM;
    *own = tmp;
    list->alloc = own;

    expander x = { .list = list, .alloc = own, .diag = diag, .diag_user = diag_user };
    vigil_status rc = VIGIL_OK;
    for (size_t i = 0; i < argc && rc == VIGIL_OK; i++) {
        const char *arg = argv[i];
        if (!arg || !arg[0]) {
            report(&x, VIGIL_DIAG_UNREADABLE, arg ? arg : "", strerror(ENOENT));
            continue;
        }
        struct stat st;
        if (stat(arg, &st) == 0) {
            rc = given_path(&x, arg, &st);
        } else if (errno == ENOENT && has_glob_chars(arg)) {
            rc = expand_glob(&x, arg);
        } else {
            report(&x, VIGIL_DIAG_UNREADABLE, arg, strerror(errno));
        }
    }
    vigil__free(own, x.seen);
    if (rc != VIGIL_OK) vigil_pathlist_free(list);
    return rc;
}

void vigil_pathlist_free(vigil_pathlist *list)
{
    if (!list || !list->alloc) return;
    vigil_allocator a = *list->alloc;
    for (size_t i = 0; i < list->count; i++) vigil__free(&a, list->files[i]);
    vigil__free(&a, list->files);
    /* The allocator copy was allocated by vigil_paths_expand through itself. */
    vigil__free(&a, (void *)(uintptr_t)list->alloc);
    memset(list, 0, sizeof *list);
}
