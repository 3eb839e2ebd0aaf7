; Pin edges on a known cycle schedule. No vector table: execution starts
; with the first instruction at cycle 0. The comment on each line is the
; cycle the instruction starts (datasheet cycle counts), and the edge it
; makes (pin number: (port - 'A') * 8 + bit).
#include <avr/io.h>

#define IO(r) _SFR_IO_ADDR(r)

    .section .text
    .org 0
    clr r17                 ; 0
    ldi r16, 0x80           ; 1
    out IO(DDRB), r16       ; 2   PB7 output, PORTB7 = 0: no edge
    out IO(PORTB), r16      ; 3   pin 15 -> 1
    nop                     ; 4
    nop                     ; 5
    out IO(PORTB), r17      ; 6   pin 15 -> 0
    sbi IO(PORTB), 7        ; 7   pin 15 -> 1 (2 cycles)
    cbi IO(PORTB), 7        ; 9   pin 15 -> 0
    sbi IO(PINB), 7         ; 11  pin 15 -> 1 (a one written to PINx toggles)
    out IO(DDRB), r17       ; 13  pin 15 -> 0 (an input is not driven)
    out IO(DDRB), r16       ; 14  pin 15 -> 1 (output again, PORTB7 still 1)
    ldi r18, 0x05           ; 15
    sts DDRL, r18           ; 16  extended I/O space; PORTL = 0: no edge
    sts PORTL, r18          ; 18  pins 88 and 90 -> 1
    ldi r16, 0x08           ; 20
    out IO(DDRA), r16       ; 21
    ldi r19, 10             ; 22
loop:
    out IO(PINA), r16       ; 23 + 4k  pin 3 toggles, k = 0..9
    dec r19                 ; 24 + 4k
    brne loop               ; 25 + 4k (2 cycles taken, 1 not)
    ldi r16, 0xAA           ; 62
    sts 0x20F, r16          ; 63
done:
    rjmp done
