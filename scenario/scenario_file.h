/* A scenario file (scenarios/NAME.scn, docs/scenarios.md): a printer, a
 * backend, G-code, faults, and what must happen. */
#ifndef LOCKSTEP_SCENARIO_FILE_H
#define LOCKSTEP_SCENARIO_FILE_H

#include <stddef.h>
#include <stdint.h>

#define SCN_MAX_FAULTS 16
#define SCN_MAX_EXPECT 32
#define SCN_TEXT_MAX 200

enum scn_expect_kind {
    SCN_POSITION,  /* carriages at X/Y/Z mm, within one microstep */
    SCN_REACH,     /* a heater block at or above C by T s */
    SCN_HOLD,      /* a heater block within C +- D from T s to the end */
    SCN_SHUTDOWN,  /* the shutdown reason is TEXT, by T s */
    SCN_ANSWER,    /* G-code line N was answered TEXT */
    SCN_ERROR,     /* some line was answered "!! TEXT" */
    SCN_STEP_LATE, /* no step edge later than N ticks after its clock */
    SCN_LOST,      /* microsteps a stepper lost (all: "none") */
};

struct scn_expect {
    enum scn_expect_kind kind;
    unsigned line; /* where in the scenario file, for messages */
    char name[48]; /* heater or stepper; "" for all (lost none) */
    char text[SCN_TEXT_MAX];
    double pos[3];
    unsigned has_pos;         /* bit per axis */
    double value, band, time; /* time < 0: no deadline */
    unsigned long gcode_line;
    int64_t count;
};

struct scenario {
    char path[1024];
    char name[128]; /* the file's name without .scn */
    char purpose[256];
    char printer[1024]; /* resolved against the scenario's folder */
    char backend[1100]; /* avr, native, or avr=FILE.elf (set by the caller) */
    uint64_t seed;
    char faults[SCN_MAX_FAULTS][128];
    size_t nfaults;
    char *gcode;               /* the G-code text, one command per line */
    unsigned gcode_first_line; /* the scenario line of G-code line 1 (0: from a file) */
    struct scn_expect expect[SCN_MAX_EXPECT];
    size_t nexpect;
};

/* Read a scenario. default_printer is used when it names none. Returns 0,
 * or -1 with err naming the file, line and what was expected. */
int scenario_load(const char *path, const char *default_printer, struct scenario *s, char *err,
                  size_t errlen);
void scenario_free(struct scenario *s);

#endif
