; A few moves with some heat, for the tests of `lockstep run`.
M104 S100
G28 X Y
G1 X50 Y50 F6000
G1 X150 Y60 F9000
G4 P1000
M400
