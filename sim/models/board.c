#include "board.h"

#include <stdio.h>
#include <string.h>

/* Each board lives in its own file (board_NAME.c). */
extern const struct board board_ramps14;

static const struct board *const boards[] = {
    &board_ramps14,
};

#define BOARD_COUNT (sizeof(boards) / sizeof(boards[0]))

const struct board *board_find(const char *name)
{
    for (size_t i = 0; name && i < BOARD_COUNT; i++)
        if (strcmp(boards[i]->name, name) == 0)
            return boards[i];
    return NULL;
}

const char *board_names(void)
{
    /* Kept in step with the table by the board tests. */
    return "ramps14";
}

size_t board_count(void)
{
    return BOARD_COUNT;
}

const struct board *board_at(size_t i)
{
    return i < BOARD_COUNT ? boards[i] : NULL;
}

const struct board_stepper *board_stepper(const struct board *b, const char *name)
{
    for (size_t i = 0; name && i < b->stepper_count; i++)
        if (strcmp(b->steppers[i].name, name) == 0)
            return &b->steppers[i];
    return NULL;
}

const struct board_heater *board_heater(const struct board *b, const char *name)
{
    for (size_t i = 0; name && i < b->heater_count; i++)
        if (strcmp(b->heaters[i].name, name) == 0)
            return &b->heaters[i];
    return NULL;
}

/* The atmega2560 has no port I, and port G stops at PG5. */
static unsigned port_width(char port)
{
    if (port < 'A' || port > 'L' || port == 'I')
        return 0;
    return port == 'G' ? 6 : 8;
}

int board_pin_number(const char *name, unsigned *pin, char *err, size_t errlen)
{
    const char *expected = "a pin of the atmega2560: P, a port A-H or J-L, a bit 0-7 (PG0-PG5 "
                           "on port G), e.g. \"PF0\"";
    if (!name) {
        snprintf(err, errlen, "expected %s, got nothing", expected);
        return -1;
    }
    if (strlen(name) != 3 || name[0] != 'P' || !port_width(name[1]) || name[2] < '0' ||
        name[2] > '9') {
        snprintf(err, errlen, "expected %s, got \"%s\"", expected, name);
        return -1;
    }
    unsigned bit = (unsigned)(name[2] - '0');
    if (bit >= port_width(name[1])) {
        snprintf(err, errlen, "pin \"%s\": port %c has bits 0-%u only", name, name[1],
                 port_width(name[1]) - 1);
        return -1;
    }
    *pin = (unsigned)(name[1] - 'A') * 8 + bit;
    return 0;
}

int board_pin_name(unsigned pin, char *buf, size_t len)
{
    unsigned bit = pin % 8;
    bool valid = pin / 8 < 12 && bit < port_width((char)('A' + pin / 8));
    char port = valid ? (char)('A' + pin / 8) : '?';
    if (valid)
        snprintf(buf, len, "P%c%u", port, bit);
    else
        snprintf(buf, len, "?");
    return valid ? 0 : -1;
}
