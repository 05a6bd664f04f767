/* Imports ProcessPrng from bcryptprimitives.dll, as Go and Rust runtimes do:
 * it runs only where the DLL is found, and checks the bytes are not all
 * left as they were. Exit 0 on success. */
#include <stdio.h>
#include <string.h>
#include <windows.h>

__declspec(dllimport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size);

int main(void) {
  BYTE first[64], second[64];
  memset(first, 0, sizeof first);
  memset(second, 0, sizeof second);
  if (!ProcessPrng(first, sizeof first) || !ProcessPrng(second, sizeof second)) {
    fprintf(stderr, "ProcessPrng returned FALSE\n");
    return 1;
  }
  if (memcmp(first, second, sizeof first) == 0) {
    fprintf(stderr, "ProcessPrng gave the same 64 bytes twice\n");
    return 1;
  }
  printf("ProcessPrng ok\n");
  return 0;
}
