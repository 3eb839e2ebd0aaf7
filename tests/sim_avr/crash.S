; Two ways to crash. CRASH_JUMP: jump far beyond the end of the flash.
; Otherwise: run into an invalid opcode.
#include <avr/io.h>

#define IO(r) _SFR_IO_ADDR(r)

    .section .text
    .org 0
    nop
    nop
#ifdef CRASH_JUMP
    ldi r16, 3
    out IO(EIND), r16
    ldi r30, 0xff
    ldi r31, 0xff
    eijmp
#else
    .word 0x0001            ; reserved (simavr reports it; 0xffff it runs as SBRS)
#endif
done:
    rjmp done
