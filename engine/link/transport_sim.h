/* An in-process simulated MCU (sim/sim_mcu.h) as a transport. Its clock
 * is the MCU's cycle counter; poll() advances the simulation in short
 * slices so that the host sees replies at the simulated time they were
 * sent and answers as soon as it would on a real wire. */
#ifndef LOCKSTEP_LINK_TRANSPORT_SIM_H
#define LOCKSTEP_LINK_TRANSPORT_SIM_H

#include "transport.h"

struct sim_mcu;

/* spec as for sim_mcu_create(): "avr", "avr=FILE.elf" or "native". */
struct link_transport *link_sim_open(const char *spec, char *err, size_t errlen);
/* Use an MCU someone else created; own != 0 hands it over to be
 * destroyed with the transport. */
struct link_transport *link_sim_wrap(struct sim_mcu *m, int own);
struct sim_mcu *link_sim_mcu(struct link_transport *t);

/* Conversions between cycles and transport time. */
uint64_t link_cycles_to_ns(uint64_t cycles, uint32_t freq);
/* Rounds up, so that running to the result reaches the time. */
uint64_t link_ns_to_cycles(uint64_t ns, uint32_t freq);

#endif
