/*
 * Interned byte strings.  A signed record or certificate is immutable and
 * every member of a mesh holds the same copy of it; a simulator running n
 * cores in one process would otherwise keep n copies of each (about half
 * of a 1000-node run's memory).  Blobs are found by a keyed SipHash of
 * their content and shared by reference count.
 */
#include "mb_crypto.h"

#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct blob {
  struct blob *next; /* hash chain */
  uint64_t hash;
  uint32_t refs;
  uint32_t len;
  uint8_t data[];
};

struct mb_blobs {
  struct blob **slots;
  size_t n_slots; /* a power of two */
  size_t count, bytes;
  uint8_t key[crypto_shorthash_KEYBYTES];
};

static struct blob *blob_of(const uint8_t *data) {
  return (struct blob *)(void *)(data - offsetof(struct blob, data));
}

struct mb_blobs *mb_blobs_new(void) {
  struct mb_blobs *b = calloc(1, sizeof(*b));
  if (b == NULL)
    return NULL;
  b->n_slots = 1024;
  b->slots = calloc(b->n_slots, sizeof(*b->slots));
  if (b->slots == NULL) {
    free(b);
    return NULL;
  }
  randombytes_buf(b->key, sizeof(b->key));
  return b;
}

void mb_blobs_free(struct mb_blobs *b) {
  if (b == NULL)
    return;
  for (size_t i = 0; i < b->n_slots; i++)
    for (struct blob *x = b->slots[i], *next; x != NULL; x = next) {
      next = x->next;
      free(x);
    }
  free(b->slots);
  free(b);
}

static uint64_t content_hash(const struct mb_blobs *b, const uint8_t *p,
                             size_t len) {
  uint8_t h[crypto_shorthash_BYTES];
  crypto_shorthash(h, p, len, b->key);
  uint64_t v;
  memcpy(&v, h, sizeof(v));
  return v;
}

/* Keeps chains short: doubles the table once it holds a blob per slot. */
static void grow(struct mb_blobs *b) {
  size_t n = 2 * b->n_slots;
  struct blob **slots = calloc(n, sizeof(*slots));
  if (slots == NULL)
    return; /* longer chains, still correct */
  for (size_t i = 0; i < b->n_slots; i++)
    for (struct blob *x = b->slots[i], *next; x != NULL; x = next) {
      next = x->next;
      struct blob **head = &slots[x->hash & (n - 1)];
      x->next = *head;
      *head = x;
    }
  free(b->slots);
  b->slots = slots;
  b->n_slots = n;
}

const uint8_t *mb_blob_get(struct mb_blobs *b, const uint8_t *p, size_t len) {
  if (len > UINT32_MAX)
    return NULL;
  uint64_t h = content_hash(b, p, len);
  struct blob **head = &b->slots[h & (b->n_slots - 1)];
  for (struct blob *x = *head; x != NULL; x = x->next)
    if (x->hash == h && x->len == len && memcmp(x->data, p, len) == 0 &&
        x->refs < UINT32_MAX) {
      x->refs++;
      return x->data;
    }
  struct blob *x = malloc(sizeof(*x) + (len ? len : 1));
  if (x == NULL)
    return NULL;
  x->hash = h;
  x->refs = 1;
  x->len = (uint32_t)len;
  memcpy(x->data, p, len);
  x->next = *head;
  *head = x;
  b->count++;
  b->bytes += len;
  if (b->count > b->n_slots)
    grow(b);
  return x->data;
}

void mb_blob_put(struct mb_blobs *b, const uint8_t *data) {
  if (data == NULL)
    return;
  struct blob *x = blob_of(data);
  if (--x->refs > 0)
    return;
  struct blob **pp = &b->slots[x->hash & (b->n_slots - 1)];
  while (*pp != x)
    pp = &(*pp)->next;
  *pp = x->next;
  b->count--;
  b->bytes -= x->len;
  free(x);
}

size_t mb_blob_len(const uint8_t *data) {
  return data ? blob_of(data)->len : 0;
}

void mb_blobs_get_stats(const struct mb_blobs *b, size_t *count,
                        size_t *bytes) {
  *count = b->count;
  *bytes = b->bytes;
}
