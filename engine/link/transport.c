#include "transport.h"

#include <string.h>

#include "transport_serial.h"
#include "transport_sim.h"

uint64_t link_byte_ns(const struct link_transport *t)
{
    if (!t->baud)
        return 0;
    return (10 * LINK_NS_PER_SEC + t->baud - 1) / t->baud;
}

struct link_transport *link_transport_open(const char *device, uint32_t baud, char *err,
                                           size_t errlen)
{
    if (!strncmp(device, "sim:", 4))
        return link_sim_open(device + 4, err, errlen);
    return link_serial_open(device, baud, err, errlen);
}
