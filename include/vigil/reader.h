/* reader.h -- open a log file of any supported format and pull records. */
#ifndef VIGIL_READER_H
#define VIGIL_READER_H

#include <stddef.h>
#include <stdint.h>
#include <vigil/alloc.h>
#include <vigil/diag.h>
#include <vigil/error.h>
#include <vigil/record.h>

/* Input formats.  Append-only. */
typedef enum vigil_format {
    VIGIL_FORMAT_UNKNOWN = 0,
    VIGIL_FORMAT_ZEEK_TSV = 1,   /* Zeek ASCII logs with #fields headers */
    VIGIL_FORMAT_ZEEK_JSON = 2,  /* Zeek JSON, one object per line */
    VIGIL_FORMAT_EVE = 3,        /* Suricata EVE JSON */
    VIGIL_FORMAT_PCAP = 4        /* pcap / pcapng (flows built by vigil) */
} vigil_format;

/* "zeek-tsv", "zeek-json", "eve", "pcap", "unknown". */
const char *vigil_format_name(vigil_format f);

/* Options for opening a reader.  Zero-initialise, then set what you need. */
typedef struct vigil_reader_opts {
    const vigil_allocator *alloc; /* NULL: libc */
    vigil_diag_fn diag;           /* NULL: diagnostics are only counted */
    void *diag_user;              /* passed back to diag */
    size_t max_line;              /* longest line accepted; 0: 64 MiB */
    double pcap_idle_timeout;     /* pcap: seconds of silence that end a
                                     flow; 0: Zeek's defaults (tcp 300 s
                                     inactivity, udp 60 s, icmp 60 s) */
    const char *const *fields;    /* NULL: every field is read.  Else a
                                     NULL-terminated list of the Zeek field
                                     names the caller reads ("id.resp_p",
                                     "query", ...): a reader may leave the
                                     other fields unset instead of converting
                                     and checking them, so a bad value in a
                                     column the caller never reads costs no
                                     record.  ts, id.orig_h and id.resp_h are
                                     always read.  Borrowed: must outlive the
                                     reader.  Zeek TSV honours it; the other
                                     formats read every field. */
    int (*conn_early)(void *user, const vigil_record *rec);
                                  /* NULL: every record is returned.  Else
                                     called for a conn record as soon as
                                     its ts, id.orig_h, id.resp_h,
                                     local_orig and local_resp are read
                                     (of its conn fields only those are set
                                     during the call; the record is the
                                     reader's).  A return
                                     of 0 means the caller is done with the
                                     record: it is counted (counts.records)
                                     but not returned, and its other fields
                                     are neither converted nor checked -- a
                                     bad value there costs no record, as
                                     with `fields`.  Any other return: the
                                     record is read whole and returned as
                                     usual (and may still be skipped).
                                     Zeek TSV makes the call for lines in
                                     Zeek's own conn column order with the
                                     default markers (its fast path); other
                                     lines and formats are returned whole,
                                     without the call. */
    void *conn_early_user;        /* passed back to conn_early */
} vigil_reader_opts;

typedef struct vigil_reader vigil_reader;

/* Per-reader counters, for the caller's summary. */
typedef struct vigil_reader_counts {
    uint64_t records;                       /* records returned (or taken
                                               by conn_early) */
    uint64_t skipped;                       /* records skipped, all reasons */
    uint64_t by_reason[VIGIL_SKIP__COUNT];  /* skipped per reason */
    uint64_t lines;                         /* lines (packets for pcap) seen */
    uint64_t bytes;                         /* input bytes consumed (after
                                               decompression) */
} vigil_reader_counts;

/* Opens `path` (plain or gzip-compressed), sniffing its format from its
 * content and its log type from its headers or file name.  On success *out
 * owns the open file; free it with vigil_reader_free.  VIGIL_ENOENT when the
 * file cannot be opened, VIGIL_EFORMAT when the content is not a log at all
 * (the caller decides whether that is an error or an ignored file). */
vigil_status vigil_reader_open(vigil_reader **out, const char *path,
                               const vigil_reader_opts *opts);

/* Same, over `len` bytes in memory (copied? no: borrowed, must outlive the
 * reader).  `name` stands for the file name in diagnostics and type
 * detection. */
vigil_status vigil_reader_open_mem(vigil_reader **out, const char *name,
                                   const void *data, size_t len,
                                   const vigil_reader_opts *opts);

/* Reads the next record.  On VIGIL_OK, *rec points to a record borrowed
 * until the next call, or is NULL at the end of input.  Bad records are
 * skipped, counted and reported, never returned; only I/O and memory
 * failures return an error. */
vigil_status vigil_reader_next(vigil_reader *r, const vigil_record **rec);

/* The raw text of a named field of the current record (TSV column name or
 * JSON key, e.g. "label"), borrowed like the record.  NULL when the record
 * has no such field; *len receives the length. */
const char *vigil_reader_field(const vigil_reader *r, const char *name,
                               size_t *len);

/* The format the reader detected. */
vigil_format vigil_reader_format(const vigil_reader *r);

/* Counters so far (borrowed, updated by each next()). */
const vigil_reader_counts *vigil_reader_counts_get(const vigil_reader *r);

/* Closes the file and frees the reader; NULL is a no-op. */
void vigil_reader_free(vigil_reader *r);

/* Looks at a file's name and first bytes and says whether it is shaped like
 * a log vigil reads (1) or not (0): used by directory walks to ignore
 * READMEs, checksum lists and configs. */
int vigil_looks_like_log(const char *name, const void *head, size_t len);

#endif
