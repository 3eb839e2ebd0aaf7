#include "stepkin.h"

int stepkin_coefficients(enum stepkin kind, double coef[AXIS_COUNT])
{
    for (int i = 0; i < AXIS_COUNT; i++)
        coef[i] = 0;
    switch (kind) {
    case STEPKIN_CARTESIAN_X:
        coef[AXIS_X] = 1;
        return 0;
    case STEPKIN_CARTESIAN_Y:
        coef[AXIS_Y] = 1;
        return 0;
    case STEPKIN_CARTESIAN_Z:
        coef[AXIS_Z] = 1;
        return 0;
    case STEPKIN_COREXY_A:
        coef[AXIS_X] = 1;
        coef[AXIS_Y] = 1;
        return 0;
    case STEPKIN_COREXY_B:
        coef[AXIS_X] = 1;
        coef[AXIS_Y] = -1;
        return 0;
    case STEPKIN_EXTRUDER:
        coef[AXIS_E] = 1;
        return 0;
    }
    return -1;
}
