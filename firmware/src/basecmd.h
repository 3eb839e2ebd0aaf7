/* Objects by oid, run-time memory, and the move queue. */
#ifndef LOCKSTEP_BASECMD_H
#define LOCKSTEP_BASECMD_H

#include <stdint.h>

/* Zeroed memory for an object configured by a config_* command; the
 * MCU shuts down rather than return NULL. The object is registered (found
 * by oid_lookup and oid_next) only when the command returns without a
 * shutdown: command dispatch calls oid_commit after every command. */
void *oid_alloc(uint8_t oid, void *type, uint16_t size);
void oid_commit(void);
/* The object of that oid and type, or a shutdown. */
void *oid_lookup(uint8_t oid, void *type);
/* Iterate all objects of a type: for (i = -1; (p = oid_next(&i, type));) */
void *oid_next(uint8_t *i, void *type);
#define foreach_oid(pos, data, type) for (pos = -1; (data = oid_next(&pos, type));)

/* Fixed-size entries shared by everything that queues future events
 * (stepper moves, digital out changes); allocated at finalize_config. */
void move_request_size(uint16_t size);
void *move_alloc(void);
void move_free(void *m);

uint8_t ctr_is_finalized(void);

#endif
