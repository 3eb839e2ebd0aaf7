; A move before homing: refused, and the run goes on.
G1 X10 F3000
G28 X
G1 X10 F3000
M400
