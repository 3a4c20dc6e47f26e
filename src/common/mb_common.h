/*
 * meshbeat common layer: error codes, hex text, UTF-8 checks, a deterministic
 * RNG, and a strict, bounded CBOR reader and writer on top of libcbor.
 * Everything above this layer uses these; this layer uses only libc and
 * libcbor.
 *
 * Error convention (the same in every module of meshbeat):
 *   a function returns 0 (or a non-negative count) on success and a negative
 *   code on failure.  A negative code is either -errno (for OS errors) or one
 *   of the MB_E* project codes below.  mb_strerror() names both kinds.
 *   Objects that can explain a failure further carry an error buffer of
 *   their own; there is no global or thread-local error state.
 *
 * Ownership: nothing in this header allocates.  Readers and writers work on
 * caller-owned buffers and never keep pointers past the caller's buffer.
 */
#ifndef MESHBEAT_COMMON_H
#define MESHBEAT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- error codes ------------------------------------------------------- */

/* X(name, value, message).  Values sit far below any errno so that -errno and
 * project codes never collide. */
#define MB_ERRNO_MAP(X)                                                        \
  X(MB_ETRUNCATED, -2001, "input ends inside an item")                         \
  X(MB_ETRAILING, -2002, "trailing bytes after the item")                      \
  X(MB_ETYPE, -2003, "item has the wrong CBOR type")                           \
  X(MB_ENONCANON, -2004, "item is not in deterministic encoding")              \
  X(MB_EINDEF, -2005, "indefinite length is not allowed")                      \
  X(MB_ETOOBIG, -2006, "item or count exceeds its limit")                      \
  X(MB_EDEPTH, -2007, "nesting is too deep")                                   \
  X(MB_EMISSING, -2008, "a required field is missing")                         \
  X(MB_EDUPKEY, -2009, "map keys are duplicated or out of order")              \
  X(MB_ERANGE, -2010, "value is out of range")                                 \
  X(MB_ENOSPACE, -2011, "output does not fit the buffer or budget")            \
  X(MB_EMALFORMED, -2012, "malformed CBOR")                                    \
  X(MB_EBADSIG, -2101, "signature does not verify")                            \
  X(MB_EALG, -2102, "unsupported or missing signature algorithm")              \
  X(MB_EKID, -2103, "missing or malformed key id")                             \
  X(MB_EEXPIRED, -2104, "certificate has expired")                             \
  X(MB_ENOTYET, -2105, "certificate is not valid yet")                         \
  X(MB_EAUTHORITY, -2106, "certificate is signed by another authority")        \
  X(MB_ENOCERT, -2107, "sender has no valid admission certificate")            \
  X(MB_ECERTNODE, -2108, "certificate belongs to another node")                \
  X(MB_ECERTNAME, -2112, "name or failure domain contradicts the certificate") \
  X(MB_EREPLAY, -2201, "sequence number already seen")                         \
  X(MB_ESTALE, -2202, "sequence number is older than the replay window")       \
  X(MB_EKEYPERM, -2301, "key file is readable by group or others")             \
  X(MB_EKEYFORMAT, -2302, "key file is not a meshbeat secret key")             \
  X(MB_EVERSION, -2401, "unsupported protocol version")                        \
  X(MB_EKIND, -2402, "unknown message or record kind")                         \
  X(MB_EINVAL, -2403, "invalid argument")                                      \
  X(MB_ECONFIG, -2404, "the configuration asks for what cannot be")            \
  X(MB_ENOTSTORE, -2501, "directory does not hold a meshbeat store")           \
  X(MB_ESCHEMA, -2502, "store schema is newer than this program")              \
  X(MB_ECORRUPT, -2503, "store is damaged or unreadable")                      \
  X(MB_ESTOREEMPTY, -2504,                                                     \
    "store has lost its data (empty or missing data file)")                    \
  X(MB_EOUTBOXFULL, -2505, "the outbox is full: delivery not queued")          \
  X(MB_ERAFTGAP, -2506, "the Raft log has no entry before that index")         \
  X(MB_ESIGNER, -2701, "record is not signed by the signer its kind needs")    \
  X(MB_EHELD, -2702, "this record is already held")                            \
  X(MB_EOLDER, -2703, "a newer record of this kind and subject is held")       \
  X(MB_EFULL, -2704, "no room for another record of this kind")                \
  X(MB_ELAPSED, -2705, "the record has lapsed")                                \
  X(MB_EREVOKED, -2706, "the node is revoked by the cluster authority")        \
  X(MB_ESUBJECT, -2707, "the record's subject is not the one its kind needs")  \
  X(MB_EHTTP_DNS, -2901, "the endpoint's host name did not resolve")           \
  X(MB_EHTTP_CONNECT, -2902, "could not connect to the endpoint")              \
  X(MB_EHTTP_TLS, -2903, "the TLS handshake or certificate check failed")      \
  X(MB_EHTTP_TIMEOUT, -2904, "the HTTP request timed out")                     \
  X(MB_EHTTP_EXCHANGE, -2905,                                                  \
    "the connection failed during the exchange (reset, no or bad reply)")      \
  X(MB_EHTTP_CANCELLED, -2906, "the HTTP request was cancelled")               \
  X(MB_ERAIDNAME, -3001, "no array of that name")                              \
  X(MB_ERAIDEXISTS, -3002, "an array of that name already exists")             \
  X(MB_ERAIDDEVICE, -3003, "no device of that id in the ledger")               \
  X(MB_ERAIDSTATE, -3004,                                                      \
    "the device, slot or task is no longer in the state the command needs")    \
  X(MB_ERAIDSPACE, -3005, "the device has not that much free capacity")        \
  X(MB_ERAIDPLACE, -3006,                                                      \
    "the placement breaks a rule (device not up, draining or used twice)")     \
  X(MB_ERAIDTASK, -3007, "no live task of that id")                            \
  X(MB_ERAIDLEVEL, -3008, "the level, data and parity do not fit together")    \
  X(MB_ERAIDFAILED, -3009, "the array has failed (lost more than its parity)") \
  X(MB_ERAIDINDEX, -3010, "the log index is not after the last applied one")   \
  X(MB_ERAIDCHECK, -3011, "the RAID state breaks one of its invariants")       \
  X(MB_ENOTLEADER, -3101, "this server is not the Raft leader")                \
  X(MB_EBUSY, -3102, "a voter change is already in progress")                  \
  X(MB_ENOENT, -3103, "no such item is stored")                                \
  X(MB_ERAFT, -3104, "the Raft library refused the request")                   \
  X(MB_EFRAGMENT, -3105, "a Raft message fragment contradicts its message")    \
  X(MB_ENOTCOORD, -3201, "this device is not a RAID coordinator")

enum mb_err {
  MB_OK = 0,
#define MB_ERR_ENUM(name, value, msg) name = value,
  MB_ERRNO_MAP(MB_ERR_ENUM)
#undef MB_ERR_ENUM
};

/* Message for a project code or a negative errno; never NULL. */
const char *mb_strerror(int code);
/* Symbolic name ("MB_EBADSIG", "ENOENT", ...); never NULL. */
const char *mb_errname(int code);

/* ---- hex --------------------------------------------------------------- */

/* Writes 2*len lowercase hex characters and a NUL into out (size >= 2*len+1).
 */
void mb_hex_encode(char *out, const uint8_t *bin, size_t len);
/* Parses exactly 2*len hex characters (either case); MB_EINVAL otherwise. */
int mb_hex_decode(uint8_t *bin, size_t len, const char *hex);

/* ---- UTF-8 ------------------------------------------------------------- */

/* True when p[0..n) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
bool mb_utf8_valid(const uint8_t *p, size_t n);
/* True when s is NUL-terminated within max bytes and valid UTF-8: what the
 * decoders accept in a text field of that size. */
bool mb_text_ok(const char *s, size_t max);

/* ---- deterministic RNG ------------------------------------------------- */

/* xoshiro256**: the same seed gives the same sequence on every machine.
 * For protocol randomness (probe order, jitter) and simulation, never keys. */
struct mb_rng {
  uint64_t s[4];
};

void mb_rng_seed(struct mb_rng *r, uint64_t seed);
uint64_t mb_rng_next(struct mb_rng *r);
/* Uniform in [0, n); 0 when n <= 1. */
uint64_t mb_rng_below(struct mb_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double mb_rng_unit(struct mb_rng *r);

/* ---- CBOR writer ------------------------------------------------------- */

/*
 * A writer fills a caller buffer front to back.  Every call either writes its
 * whole item head or nothing; once a call fails the writer stays failed
 * (sticky MB_ENOSPACE), so a builder may write many items and check once.
 * Encodings are the deterministic ones of RFC 8949 §4.2.1 (shortest heads,
 * definite lengths); map keys must be written in ascending encoded order by
 * the caller, which the codecs do by construction.
 */
struct mb_cbor_writer {
  uint8_t *buf;
  size_t cap;
  size_t len;
  int err;
};

void mb_cw_init(struct mb_cbor_writer *w, uint8_t *buf, size_t cap);
void mb_cw_uint(struct mb_cbor_writer *w, uint64_t v);
void mb_cw_int(struct mb_cbor_writer *w, int64_t v);
void mb_cw_bytes(struct mb_cbor_writer *w, const void *p, size_t n);
void mb_cw_text(struct mb_cbor_writer *w, const char *s, size_t n);
void mb_cw_textz(struct mb_cbor_writer *w, const char *s);
void mb_cw_array(struct mb_cbor_writer *w, size_t n);
void mb_cw_map(struct mb_cbor_writer *w, size_t n);
void mb_cw_tag(struct mb_cbor_writer *w, uint64_t tag);
void mb_cw_bool(struct mb_cbor_writer *w, bool v);
void mb_cw_null(struct mb_cbor_writer *w);
/* Head of a byte string of n bytes; the caller then writes exactly n bytes of
 * content (used to wrap an item that is encoded in place). */
void mb_cw_bytes_head(struct mb_cbor_writer *w, size_t n);
void mb_cw_raw(struct mb_cbor_writer *w, const void *p, size_t n);
/* 0 when every call so far fitted, MB_ENOSPACE otherwise. */
int mb_cw_status(const struct mb_cbor_writer *w);

/* ---- CBOR reader ------------------------------------------------------- */

enum mb_cbor_type {
  MB_CBOR_UINT,
  MB_CBOR_NEGINT, /* value is -1 - u */
  MB_CBOR_BYTES,
  MB_CBOR_TEXT,
  MB_CBOR_ARRAY,
  MB_CBOR_MAP,
  MB_CBOR_TAG,
  MB_CBOR_FALSE,
  MB_CBOR_TRUE,
  MB_CBOR_NULL,
  MB_CBOR_UNDEFINED,
  MB_CBOR_FLOAT,
};

/* One item head.  For BYTES/TEXT, ptr/len point into the reader's input. */
struct mb_cbor_token {
  enum mb_cbor_type type;
  uint64_t u;          /* UINT/NEGINT magnitude, ARRAY/MAP count, TAG number */
  const uint8_t *ptr;  /* BYTES/TEXT content */
  size_t len;          /* BYTES/TEXT length */
  double f;            /* FLOAT value */
  const uint8_t *head; /* where the head starts in the input */
  size_t head_len;     /* bytes of the head (plus content for BYTES/TEXT) */
};

/*
 * A reader walks caller-owned input one item head at a time, with no
 * allocation.  It rejects indefinite lengths, non-shortest heads (so only
 * deterministic encodings pass), and items that run past the input.
 * Floats are passed through in whatever width they came: meshbeat never
 * writes one, so they can only appear in unknown fields, which are skipped.
 * Skipping nested items is bounded by MB_CBOR_MAX_DEPTH.
 */
#define MB_CBOR_MAX_DEPTH 8

struct mb_cbor_reader {
  const uint8_t *p;
  const uint8_t *end;
};

void mb_cr_init(struct mb_cbor_reader *r, const uint8_t *buf, size_t len);
bool mb_cr_done(const struct mb_cbor_reader *r);
int mb_cr_next(struct mb_cbor_reader *r, struct mb_cbor_token *t);
/* Reads one head and insists on its type. */
int mb_cr_expect(struct mb_cbor_reader *r, enum mb_cbor_type type,
                 struct mb_cbor_token *t);
int mb_cr_uint(struct mb_cbor_reader *r, uint64_t *v);
int mb_cr_int(struct mb_cbor_reader *r, int64_t *v);
int mb_cr_bytes(struct mb_cbor_reader *r, const uint8_t **p, size_t *n);
int mb_cr_text(struct mb_cbor_reader *r, const char **p, size_t *n);
int mb_cr_bool(struct mb_cbor_reader *r, bool *v);
/* Reads a text item of at most max bytes into dst (NUL-terminated).  Text
 * must be valid UTF-8 (RFC 8949 §3.1) without NUL: MB_ERANGE otherwise. */
int mb_cr_text_copy(struct mb_cbor_reader *r, char *dst, size_t max);
/* Skips one whole item (with everything nested in it). */
int mb_cr_skip(struct mb_cbor_reader *r);
/* Skips the remainder of an item whose head t was already read. */
int mb_cr_skip_rest(struct mb_cbor_reader *r, const struct mb_cbor_token *t,
                    int depth);

/*
 * Map walking with deterministic-order checks: keys must be integers in
 * strictly ascending encoded order (which also rules out duplicates).
 * Usage:  mb_cr_map_begin(r, &it, max); while ((rc = mb_cr_map_key(r, &it,
 * &key)) > 0) { switch (key) { ... default: mb_cr_skip(r); } }
 */
struct mb_cbor_map_iter {
  uint64_t left;
  const uint8_t *prev_key;
  size_t prev_len;
};

int mb_cr_map_begin(struct mb_cbor_reader *r, struct mb_cbor_map_iter *it,
                    uint64_t max_pairs);
/* 1 with *key set, 0 when the map is exhausted, negative on error. */
int mb_cr_map_key(struct mb_cbor_reader *r, struct mb_cbor_map_iter *it,
                  int64_t *key);

/*
 * Whole-map walking, the shape of every decoder in meshbeat: field() reads
 * (or skips) the value of each key, keys arrive in deterministic order, and
 * the keys 0..31 that were present come back as bits in *seen (may be NULL)
 * for the caller's required-field check.
 */
typedef int (*mb_cr_field_fn)(struct mb_cbor_reader *r, int64_t key, void *ctx);

int mb_cr_map_walk(struct mb_cbor_reader *r, uint64_t max_pairs,
                   mb_cr_field_fn field, void *ctx, uint32_t *seen);
/* The same over a buffer that must hold exactly one map (MB_ETRAILING). */
int mb_cr_map_walk_all(const uint8_t *p, size_t n, uint64_t max_pairs,
                       mb_cr_field_fn field, void *ctx, uint32_t *seen);

/* ---- RFC 3339 times (timefmt.c) --------------------------------------- */

/* "2026-11-22T18:00:00.123Z" plus NUL. */
#define MB_TIME_LEN 25

/* Formats a wall-clock time in ms since the Unix epoch as RFC 3339 UTC with
 * milliseconds.  0, or MB_ERANGE outside years 0000-9999 (out is then
 * "invalid"), MB_ENOSPACE when cap < MB_TIME_LEN. */
int mb_time_format(char *out, size_t cap, int64_t unix_ms);
/* Parses an RFC 3339 date-time ("Z" or +hh:mm offset, optional fraction,
 * truncated to ms) into ms since the epoch.  0 or MB_EINVAL. */
int mb_time_parse(const char *s, int64_t *unix_ms);

#endif
