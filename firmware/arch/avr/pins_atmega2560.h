/* The atmega2560's pin names, as the "pin" enumeration of the data
 * dictionary. Included by each port that presents these pins. */
#ifndef LOCKSTEP_PINS_ATMEGA2560_H
#define LOCKSTEP_PINS_ATMEGA2560_H

#include "decl.h"

#define GPIO(PORT, NUM) (((PORT) - 'A') * 8 + (NUM))

DECL_ENUMERATION_RANGE("pin", "PA0", GPIO('A', 0), 8);
DECL_ENUMERATION_RANGE("pin", "PB0", GPIO('B', 0), 8);
DECL_ENUMERATION_RANGE("pin", "PC0", GPIO('C', 0), 8);
DECL_ENUMERATION_RANGE("pin", "PD0", GPIO('D', 0), 8);
DECL_ENUMERATION_RANGE("pin", "PE0", GPIO('E', 0), 8);
DECL_ENUMERATION_RANGE("pin", "PF0", GPIO('F', 0), 8);
DECL_ENUMERATION_RANGE("pin", "PG0", GPIO('G', 0), 6);
DECL_ENUMERATION_RANGE("pin", "PH0", GPIO('H', 0), 8);
DECL_ENUMERATION_RANGE("pin", "PJ0", GPIO('J', 0), 8);
DECL_ENUMERATION_RANGE("pin", "PK0", GPIO('K', 0), 8);
DECL_ENUMERATION_RANGE("pin", "PL0", GPIO('L', 0), 8);

#endif
