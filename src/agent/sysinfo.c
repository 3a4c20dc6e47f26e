/*
 * The heartbeat payload, read from the machine on the payload timer (never
 * on the datagram path): capacity and free space of the data directory's
 * filesystem, cpu busy since the last sample, memory used, load, and the
 * first thermal zone when there is one.
 */
#include "agent_state.h"

#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

static bool read_cpu(uint64_t *busy, uint64_t *total) {
  FILE *f = fopen("/proc/stat", "r");
  if (f == NULL)
    return false;
  unsigned long long v[8] = {0};
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                 &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
  fclose(f);
  if (n < 4)
    return false;
  *total = 0;
  for (int i = 0; i < 8; i++)
    *total += v[i];
  *busy = *total - v[3] - v[4]; /* idle and iowait are not busy */
  return true;
}

static bool read_meminfo(uint32_t *permille) {
  FILE *f = fopen("/proc/meminfo", "r");
  if (f == NULL)
    return false;
  char line[256];
  unsigned long long total = 0, avail = 0, v;
  while (fgets(line, sizeof(line), f) != NULL) {
    if (sscanf(line, "MemTotal: %llu kB", &v) == 1)
      total = v;
    else if (sscanf(line, "MemAvailable: %llu kB", &v) == 1)
      avail = v;
  }
  fclose(f);
  if (total == 0 || avail > total)
    return false;
  *permille = (uint32_t)((total - avail) * 1000 / total);
  return true;
}

static bool read_load(uint32_t *x100) {
  FILE *f = fopen("/proc/loadavg", "r");
  double load;
  bool ok = f != NULL && fscanf(f, "%lf", &load) == 1 && load >= 0;
  if (f != NULL)
    fclose(f);
  if (ok)
    *x100 = (uint32_t)(load * 100.0 + 0.5);
  return ok;
}

static bool read_temp(int32_t *milli_c) {
  FILE *f = fopen("/sys/class/thermal/thermal_zone0/temp", "r");
  long t;
  bool ok = f != NULL && fscanf(f, "%ld", &t) == 1;
  if (f != NULL)
    fclose(f);
  if (ok)
    *milli_c = (int32_t)t;
  return ok;
}

void agent_sample_payload(struct agent_payload *p, const char *data_dir) {
  struct statvfs vfs;
  if (statvfs(data_dir, &vfs) == 0) {
    p->capacity = (uint64_t)vfs.f_blocks * vfs.f_frsize;
    p->available = (uint64_t)vfs.f_bavail * vfs.f_frsize;
  }
  struct mb_health *h = &p->health;
  h->have = 0;
  uint64_t busy, total;
  if (read_cpu(&busy, &total)) {
    if (p->cpu_total > 0 && total > p->cpu_total) {
      h->cpu_permille =
          (uint32_t)((busy - p->cpu_busy) * 1000 / (total - p->cpu_total));
      h->have |= MB_HEALTH_CPU;
    }
    p->cpu_busy = busy;
    p->cpu_total = total;
  }
  if (read_meminfo(&h->mem_permille))
    h->have |= MB_HEALTH_MEM;
  if (read_load(&h->load_x100))
    h->have |= MB_HEALTH_LOAD;
  if (read_temp(&h->temp_mc))
    h->have |= MB_HEALTH_TEMP;
}

/* Worth telling the mesh: free space moved by 1 % of capacity or more.
 * Health figures ride along with the next such record; announcing every
 * cpu wiggle would make each member pull each record every few seconds. */
bool agent_payload_changed(const struct agent_payload *now,
                           const struct agent_payload *told) {
  if (now->capacity != told->capacity)
    return true;
  uint64_t a = now->available, b = told->available;
  uint64_t diff = a > b ? a - b : b - a;
  return diff * 100 >= now->capacity && diff > 0;
}
