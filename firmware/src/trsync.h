/* Trigger synchronisation: an endstop (or the host) triggers a trsync,
 * and every stepper registered on it stops at once. */
#ifndef LOCKSTEP_TRSYNC_H
#define LOCKSTEP_TRSYNC_H

#include <stdint.h>

struct trsync;
struct trsync_signal {
    struct trsync_signal *next;
    void (*func)(struct trsync_signal *s, uint8_t reason);
};

struct trsync *trsync_oid_lookup(uint8_t oid);
void trsync_add_signal(struct trsync *ts, struct trsync_signal *s);
/* Trigger (from timer or command context); the first trigger wins. */
void trsync_do_trigger(struct trsync *ts, uint8_t reason);

#endif
