/* bcryptprimitives.dll for Wine before 8.13, which has none.
 *
 * The Go runtime since Go 1.22 and Rust's std since 1.78 take their random
 * bytes from ProcessPrng in this DLL and stop at start when it is missing
 * ("fatal error: bcryptprimitives.dll not found"). The harness installs this
 * DLL into the Wine prefixes it makes, and only where Wine has no
 * bcryptprimitives.dll of its own; never into a real Windows system32. */
#include <windows.h>

/* advapi32's RtlGenRandom, under its exported name. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Windows documents ProcessPrng as always returning TRUE; RtlGenRandom can
 * fail only on a broken system, and then the caller must not get zeros
 * presented as random. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
  const ULONG largest = 1u << 30;
  while (size > 0) {
    ULONG chunk = size > largest ? largest : (ULONG)size;
    if (!SystemFunction036(data, chunk)) {
      return FALSE;
    }
    data += chunk;
    size -= chunk;
  }
  return TRUE;
}
