/* FNV-1a 64 and the derived pipe name. */
#include "names.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fault.h"

#define NP_PIPE_NAME_MAX 256

uint64_t np_fnv1a64(const void* data, size_t len) {
  const unsigned char* p = data;
  uint64_t h = np_fault(F_FNV_WRONG_BASIS) ? 0x84222325cbf29ce4ULL : 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 0x00000100000001B3ULL;
  }
  return h;
}

static int service_char_ok(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

const char* np_check_service(char* service, char* why, size_t why_len) {
  if (service[0] == '\0') {
    snprintf(why, why_len, "service_name: expected at least one character, got an empty name");
    return "service_name_empty";
  }
  for (size_t i = 0; service[i] != '\0'; i++) {
    if (service_char_ok(service[i])) continue;
    if (np_fault(F_SERVICE_SANITIZED)) {
      service[i] = '_';
      continue;
    }
    snprintf(why, why_len, "service_name: expected only [A-Za-z0-9-_.], got '%c' at index %u",
             service[i], (unsigned)i);
    return "service_name_bad_char";
  }
  return NULL;
}

/* The run_dir_msys_converted fault: what MSYS does to a POSIX-looking argument on its way to a
 * native program when MSYS2_ARG_CONV_EXCL is unset (/c/dir -> C:/dir, slashes kept). */
static void msys_convert_drive_path(char* path) {
  char d = path[0] == '/' ? path[1] : '\0';
  if (!((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z'))) return;
  if (path[2] != '/' && path[2] != '\0') return;
  path[0] = (char)toupper((unsigned char)d);
  path[1] = ':';
}

/* The args_ansi_code_page fault: the bytes a main(argc, argv) program gets for this argument,
 * the run_dir in the ANSI code page (Windows-1252 on an English system; best fit, '?' for what
 * it cannot spell) instead of UTF-8. NULL when out of memory. */
static char* ansi_of_utf8(const char* utf8) {
  int wn = MultiByteToWideChar(CP_UTF8, 0, utf8, -1, NULL, 0);
  wchar_t* w = malloc(sizeof(wchar_t) * (size_t)(wn > 0 ? wn : 1));
  char* out = NULL;
  if (w != NULL && wn > 0 && MultiByteToWideChar(CP_UTF8, 0, utf8, -1, w, wn) > 0) {
    int n = WideCharToMultiByte(CP_ACP, 0, w, -1, NULL, 0, NULL, NULL);
    out = n > 0 ? malloc((size_t)n) : NULL;
    if (out != NULL && WideCharToMultiByte(CP_ACP, 0, w, -1, out, n, NULL, NULL) <= 0) out[0] = 0;
  }
  free(w);
  return out;
}

const char* np_pipe_name(const char* run_dir_in, const char* service, char* out, size_t out_len) {
  char* run_dir = NULL;
  if (np_fault(F_ARGS_ANSI_CODE_PAGE)) {
    run_dir = ansi_of_utf8(run_dir_in);
  } else if ((run_dir = malloc(strlen(run_dir_in) + 1)) != NULL) {
    strcpy(run_dir, run_dir_in);
  }
  if (run_dir == NULL) return "pipe_name_too_long";
  if (np_fault(F_RUN_DIR_MSYS_CONVERTED)) msys_convert_drive_path(run_dir);
  size_t n = strlen(run_dir);
  if (np_fault(F_RUN_DIR_NORMALIZED)) {
    while (n > 0 && (run_dir[n - 1] == '\\' || run_dir[n - 1] == '/')) n--;
  }
  unsigned long long h = np_fnv1a64(run_dir, n);
  const char* fmt = "\\\\.\\pipe\\netipc-%016llx-%s";
  if (np_fault(F_HEX_UNPADDED)) fmt = "\\\\.\\pipe\\netipc-%llx-%s";
  int len = snprintf(out, out_len, fmt, h, service);
  free(run_dir);
  if (len < 0 || (size_t)len >= out_len || len > NP_PIPE_NAME_MAX) return "pipe_name_too_long";
  return NULL;
}
