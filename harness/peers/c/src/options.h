/* What the command line asked for. */
#ifndef NP_OPTIONS_H
#define NP_OPTIONS_H

#include "common.h"

typedef struct {
  int minimal; /* the positional form: READY / PASS lines */
  char* run_dir;
  char* service;
  char pipe_name[512];
  np_config cfg;
  uint32_t sessions;
  int serve_forever;
  int shm_prepare;
  DWORD deadline_ms;
  uint32_t payload_size;
  uint32_t messages;
  uint32_t pipeline;
  uint32_t batch;
  int echo_all;
} np_options;

int np_run_server(const np_options* o);
int np_run_client(const np_options* o);

#endif
