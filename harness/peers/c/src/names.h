/* Pipe-name derivation (NP-2, NP-3) and the service-name rule (NP-4). */
#ifndef NP_NAMES_H
#define NP_NAMES_H

#include <stddef.h>
#include <stdint.h>

uint64_t np_fnv1a64(const void* data, size_t len);
/* Checks (or, under the service_sanitized fault, rewrites) `service`; returns the broken rule name
 * or NULL, with a sentence in `why`. */
const char* np_check_service(char* service, char* why, size_t why_len);
/* Writes `\\.\pipe\netipc-{h}-{service}` as UTF-8; returns the broken rule or NULL. */
const char* np_pipe_name(const char* run_dir, const char* service, char* out, size_t out_len);

#endif
