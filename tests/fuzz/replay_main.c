/*
 * Replays files through a fuzz target without libFuzzer, so the seed corpus
 * and every regression input run as plain tests in every build (gcc, no
 * sanitizers included).
 *
 * Usage: fuzz_replay_<name> PATH...  Each PATH is a file or a directory whose
 * regular files are replayed in name order.  A missing directory is skipped
 * (regression directories exist only once a target has had a crash); no
 * input at all is an error, so a misplaced corpus cannot pass silently.
 *
 * Each input gets a heap buffer of exactly its size, so under AddressSanitizer
 * a read one byte past the input is caught as it would be under libFuzzer.
 */
#include "fuzz_common.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

/* Reads the input into a heap buffer of exactly its size and runs it. */
static int replay_file(const char *path) {
  struct stat st;
  FILE *f = fopen(path, "rb");
  if (f == NULL || fstat(fileno(f), &st) != 0) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    if (f != NULL)
      fclose(f);
    return -1;
  }
  size_t len = (size_t)st.st_size;
  uint8_t *buf = malloc(len > 0 ? len : 1);
  int ok = buf != NULL && fread(buf, 1, len, f) == len;
  fclose(f);
  if (ok)
    LLVMFuzzerTestOneInput(buf, len);
  else
    fprintf(stderr, "replay: %s: cannot read\n", path);
  free(buf);
  return ok ? 0 : -1;
}

static int cmp_names(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_regular(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Replays every regular file of dir; returns how many, or -errno. */
static int replay_dir(const char *dir) {
  struct dirent **names;
  int n = scandir(dir, &names, NULL, cmp_names);
  if (n < 0)
    return errno == ENOENT ? 0 : -errno;
  int count = 0, rc = 0;
  for (int i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
    if (rc == 0 && names[i]->d_name[0] != '.' && is_regular(path)) {
      rc = replay_file(path);
      count++;
    }
    free(names[i]);
  }
  free(names);
  return rc != 0 ? rc : count;
}

int main(int argc, char **argv) {
  int total = 0;
  for (int i = 1; i < argc; i++) {
    int n = is_regular(argv[i]) ? (replay_file(argv[i]) == 0 ? 1 : -1)
                                : replay_dir(argv[i]);
    if (n < 0) {
      fprintf(stderr, "replay: %s: failed\n", argv[i]);
      return 1;
    }
    printf("replay: %s: %d inputs\n", argv[i], n);
    total += n;
  }
  if (total == 0) {
    fprintf(stderr, "replay: no inputs found\n");
    return 1;
  }
  printf("replay: %d inputs, no crash\n", total);
  return 0;
}
