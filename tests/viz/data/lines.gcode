; Two long extruding lines with slow acceleration (slow-accel.cfg): the
; viewer's tests look for each phase's colour along them.
G28
M83
G1 Z0.3 F600
G1 X60 Y100 F6000
G1 X140 Y100 E3 F3000
G1 X140 Y140 F6000
G1 X60 Y140 E3 F1200
