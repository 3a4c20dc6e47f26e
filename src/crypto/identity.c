/*
 * Node identity: an Ed25519 key pair whose public half is the node id.
 *
 * Happy path: keygen writes the 32-byte seed as hex into a new 0600 file;
 * load reads it back and re-derives the pair.
 * Failure modes: the file exists already (save refuses to overwrite a key),
 * the file is readable by others (load refuses: a leaked key is a forged
 * node), the file is anything else (load refuses with MB_EKEYFORMAT).
 */
#include "mb_crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_MAGIC "meshbeat-ed25519-secret-v1 "
#define KEY_FILE_MAX 256

void mb_identity_generate(struct mb_identity *id) {
  crypto_sign_keypair(id->pk, id->sk);
  id->scheme = NULL;
}

void mb_identity_from_seed(struct mb_identity *id,
                           const uint8_t seed[MB_SEED_LEN]) {
  crypto_sign_seed_keypair(id->pk, id->sk, seed);
  id->scheme = NULL;
}

void mb_identity_wipe(struct mb_identity *id) {
  sodium_memzero(id->sk, sizeof(id->sk));
}

void mb_node_id_hex(char out[MB_NODE_ID_HEX_LEN + 1],
                    const uint8_t id[MB_NODE_ID_LEN]) {
  mb_hex_encode(out, id, MB_NODE_ID_LEN);
}

int mb_node_id_parse(uint8_t id[MB_NODE_ID_LEN], const char *hex) {
  if (strlen(hex) != MB_NODE_ID_HEX_LEN)
    return MB_EINVAL;
  return mb_hex_decode(id, MB_NODE_ID_LEN, hex);
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    p += k;
    n -= (size_t)k;
  }
  return MB_OK;
}

int mb_identity_save(const struct mb_identity *id, const char *path) {
  char line[sizeof(KEY_FILE_MAGIC) + 2 * MB_SEED_LEN + 2];
  char hex[2 * MB_SEED_LEN + 1];
  mb_hex_encode(hex, id->sk, MB_SEED_LEN); /* sk begins with the seed */
  snprintf(line, sizeof(line), "%s%s\n", KEY_FILE_MAGIC, hex);
  sodium_memzero(hex, sizeof(hex));

  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    sodium_memzero(line, sizeof(line));
    return -errno;
  }
  /* The umask may only remove bits, but be explicit: 0600, nothing more. */
  int rc = fchmod(fd, 0600) < 0 ? -errno : MB_OK;
  if (rc == MB_OK)
    rc = write_all(fd, line, strlen(line));
  if (rc == MB_OK && fsync(fd) < 0)
    rc = -errno;
  sodium_memzero(line, sizeof(line));
  if (close(fd) < 0 && rc == MB_OK)
    rc = -errno;
  if (rc != MB_OK)
    unlink(path);
  return rc;
}

static int read_key_text(int fd, char *buf, size_t cap) {
  size_t len = 0;
  for (;;) {
    ssize_t k = read(fd, buf + len, cap - 1 - len);
    if (k < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    if (k == 0)
      break;
    len += (size_t)k;
    if (len == cap - 1)
      return MB_EKEYFORMAT;
  }
  buf[len] = '\0';
  return MB_OK;
}

static int parse_key_text(struct mb_identity *id, char *text) {
  size_t magic = strlen(KEY_FILE_MAGIC);
  if (strncmp(text, KEY_FILE_MAGIC, magic) != 0)
    return MB_EKEYFORMAT;
  char *hex = text + magic;
  size_t n = strcspn(hex, "\r\n");
  if (n != 2 * MB_SEED_LEN || strspn(hex + n, "\r\n") != strlen(hex + n))
    return MB_EKEYFORMAT;
  hex[n] = '\0';
  uint8_t seed[MB_SEED_LEN];
  if (mb_hex_decode(seed, MB_SEED_LEN, hex) != MB_OK)
    return MB_EKEYFORMAT;
  mb_identity_from_seed(id, seed);
  sodium_memzero(seed, sizeof(seed));
  return MB_OK;
}

int mb_identity_load(struct mb_identity *id, const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  struct stat st;
  int rc = fstat(fd, &st) < 0 ? -errno : MB_OK;
  if (rc == MB_OK && !S_ISREG(st.st_mode))
    rc = MB_EKEYFORMAT;
  if (rc == MB_OK && (st.st_mode & 077) != 0)
    rc = MB_EKEYPERM;
  char text[KEY_FILE_MAX];
  if (rc == MB_OK)
    rc = read_key_text(fd, text, sizeof(text));
  close(fd);
  if (rc == MB_OK)
    rc = parse_key_text(id, text);
  sodium_memzero(text, sizeof(text));
  return rc;
}
