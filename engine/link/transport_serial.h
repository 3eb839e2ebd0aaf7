/* A real serial port, USB CDC device or pseudo-terminal. */
#ifndef LOCKSTEP_LINK_TRANSPORT_SERIAL_H
#define LOCKSTEP_LINK_TRANSPORT_SERIAL_H

#include "transport.h"

struct link_transport *link_serial_open(const char *path, uint32_t baud, char *err, size_t errlen);

#endif
