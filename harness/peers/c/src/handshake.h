/* The server decision of wire-envelope.md 4.3 and the client's check of a HELLO_ACK. */
#ifndef NP_HANDSHAKE_H
#define NP_HANDSHAKE_H

#include "common.h"
#include "wire.h"

/* Profiles this peer implements: NAMED_PIPE only. */
#define NP_PROFILES_IMPLEMENTED 0x01u

/* The HELLO a client proposes from its config. */
void np_hello_from_config(const np_config* c, np_hello* h);
/* Decides a HELLO; fills `ack` and returns a transport_status, with the rule when not OK.
 * Takes a session_id from the server's counter only on success. */
unsigned np_decide(const np_config* server, const np_hello* h, np_ack* ack, const char** rule);
/* Checks an OK HELLO_ACK against the HELLO it answers; returns the broken rule or NULL. */
const char* np_check_ack(const np_hello* h, const np_ack* a, char* why, size_t why_len);

#endif
