// An invariant broken under the fuzzer is a crash, with the reason printed.
#pragma once

#include <cstdio>
#include <cstdlib>

#define NETIPC_FUZZ_CHECK(cond)                                                           \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "invariant broken at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)
