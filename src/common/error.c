/* Names and messages for project codes and negative errno values. */
#include "mb_common.h"

#include <string.h>

const char *mb_strerror(int code) {
  switch (code) {
  case MB_OK:
    return "success";
#define MB_ERR_MSG(name, value, msg)                                           \
  case name:                                                                   \
    return msg;
    MB_ERRNO_MAP(MB_ERR_MSG)
#undef MB_ERR_MSG
  default:
    break;
  }
  if (code < 0 && code > -4096)
    return strerror(-code);
  return "unknown error";
}

const char *mb_errname(int code) {
  switch (code) {
  case MB_OK:
    return "MB_OK";
#define MB_ERR_NAME(name, value, msg)                                          \
  case name:                                                                   \
    return #name;
    MB_ERRNO_MAP(MB_ERR_NAME)
#undef MB_ERR_NAME
  default:
    break;
  }
#ifdef __GLIBC__
  if (code < 0 && code > -4096) {
    const char *n = strerrorname_np(-code);
    if (n != NULL)
      return n;
  }
#endif
  return "EUNKNOWN";
}
