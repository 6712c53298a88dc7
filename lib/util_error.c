/* util_error.c -- names of statuses, skip reasons, formats and enums. */
#include "internal.h"

const char *vigil_strerror(vigil_status st)
{
    switch (st) {
    case VIGIL_OK: return "success";
    case VIGIL_ENOMEM: return "out of memory";
    case VIGIL_EIO: return "input/output error";
    case VIGIL_EINVAL: return "invalid argument";
    case VIGIL_ENOENT: return "no such file or not readable";
    case VIGIL_EFORMAT: return "not a log format vigil reads";
    case VIGIL_EUNSUPPORTED: return "not supported by this build";
    case VIGIL_ELIMIT: return "internal limit exceeded";
    case VIGIL_ETHREAD: return "could not start a thread";
    case VIGIL_ESTATE: return "not a usable vigil state database";
    case VIGIL_EBUSY: return "the state database is in use by another run";
    case VIGIL_ENOSPC: return "no space left on the device";
    }
    return "unknown status";
}

static const char *const skip_names[VIGIL_SKIP__COUNT] = {
    [VIGIL_SKIP_NONE] = "none",
    [VIGIL_SKIP_TOO_FEW_FIELDS] = "too_few_fields",
    [VIGIL_SKIP_TOO_MANY_FIELDS] = "too_many_fields",
    [VIGIL_SKIP_BAD_TIMESTAMP] = "bad_timestamp",
    [VIGIL_SKIP_BAD_ADDRESS] = "bad_address",
    [VIGIL_SKIP_BAD_PORT] = "bad_port",
    [VIGIL_SKIP_BAD_NUMBER] = "bad_number",
    [VIGIL_SKIP_BAD_JSON] = "bad_json",
    [VIGIL_SKIP_NO_HEADER] = "no_header",
    [VIGIL_SKIP_BAD_HEADER] = "bad_header",
    [VIGIL_SKIP_UNKNOWN_LOG_TYPE] = "unknown_log_type",
    [VIGIL_SKIP_BINARY] = "binary_data",
    [VIGIL_SKIP_TRUNCATED_GZIP] = "truncated_gzip",
    [VIGIL_SKIP_LINE_TOO_LONG] = "line_too_long",
    [VIGIL_SKIP_BAD_PACKET] = "bad_packet",
    [VIGIL_SKIP_TRUNCATED_CAPTURE] = "truncated_capture",
    [VIGIL_SKIP_MISSING_FIELD] = "missing_field",
};

const char *vigil_skip_reason_name(vigil_skip_reason r)
{
    if ((unsigned)r >= VIGIL_SKIP__COUNT || !skip_names[r]) return "unknown";
    return skip_names[r];
}

const char *vigil_format_name(vigil_format f)
{
    switch (f) {
    case VIGIL_FORMAT_ZEEK_TSV: return "zeek-tsv";
    case VIGIL_FORMAT_ZEEK_JSON: return "zeek-json";
    case VIGIL_FORMAT_EVE: return "eve";
    case VIGIL_FORMAT_PCAP: return "pcap";
    case VIGIL_FORMAT_UNKNOWN: break;
    }
    return "unknown";
}

const char *vigil_log_type_name(vigil_log_type t)
{
    switch (t) {
    case VIGIL_LOG_CONN: return "conn";
    case VIGIL_LOG_DNS: return "dns";
    case VIGIL_LOG_SSL: return "ssl";
    case VIGIL_LOG_HTTP: return "http";
    case VIGIL_LOG_OTHER: return "other";
    case VIGIL_LOG_UNKNOWN: break;
    }
    return "unknown";
}

const char *vigil_proto_name(vigil_proto p)
{
    switch (p) {
    case VIGIL_PROTO_TCP: return "tcp";
    case VIGIL_PROTO_UDP: return "udp";
    case VIGIL_PROTO_ICMP: return "icmp";
    case VIGIL_PROTO_UNKNOWN: break;
    }
    return "unknown_transport";
}

static const char *const cs_names[VIGIL_CS__COUNT] = {
    "-", "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0",
    "RSTRH", "SH", "SHR", "OTH",
};

const char *vigil_conn_state_name(vigil_conn_state s)
{
    if ((unsigned)s >= VIGIL_CS__COUNT) return "-";
    return cs_names[s];
}
