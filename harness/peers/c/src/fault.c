/* Selects at most one fault from the environment; off by default. */
#include "fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_fault = F_NONE;

static const char* const kNames[] = {"",
#define NP_FAULT_NAME(id, name) #name,
                                     NP_FAULTS(NP_FAULT_NAME)
#undef NP_FAULT_NAME
};

int np_fault_init(void) {
  const char* v = getenv("NETIPC_FAULT");
  if (v == NULL || v[0] == '\0') return 0;
  for (int i = 1; i < F_COUNT; i++) {
    if (strcmp(kNames[i], v) == 0) {
      g_fault = i;
      return 0;
    }
  }
  fprintf(stderr, "netipc-c-peer: unknown NETIPC_FAULT '%s' (see faults.toml)\n", v);
  return -1;
}

int np_fault(int id) { return g_fault == id; }
