; Shows how many instructions run after SEI and after RETI before a
; pending interrupt is taken (the datasheet says one).
;
; Phase 1: TIMER1 COMPA and COMPB are both pending while I=0. Then
; "sei" is followed by a run of "inc r20"; each handler stores r20, the
; count of main-program instructions executed so far: COMPA in GPIOR1
; (1 on the chip: SEI + one instruction), COMPB in GPIOR2 (2 on the chip:
; after RETI, one more instruction).
; Phase 2: TIMER3 COMPA pending. "sei; cli" ten times must not take it.
; Count stored at 0x200 (0 on the chip).
; Phase 3: the same interrupt and an idle loop "sei; nop; cli": stock
; Klipper's. 0x201 = times the handler ran within 10 rounds (1 on the
; chip; 0 if the interrupt is never taken).
#include <avr/io.h>

#define IO(r) _SFR_IO_ADDR(r)

    .section .text
    .org 0
    jmp start
    .org TIMER1_COMPA_vect_num * 4
    jmp isr_t1a
    .org TIMER1_COMPB_vect_num * 4
    jmp isr_t1b
    .org TIMER3_COMPA_vect_num * 4
    jmp isr_t3a
    .org _VECTORS_SIZE

start:
    clr r1
    clr r20
    ldi r16, 40
    sts OCR1AH, r1
    sts OCR1AL, r16
    ldi r16, 60
    sts OCR1BH, r1
    sts OCR1BL, r16
    ldi r16, (1 << OCIE1A) | (1 << OCIE1B)
    sts TIMSK1, r16
    ldi r16, (1 << CS10)
    sts TCCR1B, r16
wait1:
    sbis IO(TIFR1), OCF1B
    rjmp wait1
    sei
    inc r20
    inc r20
    inc r20
    inc r20
    inc r20
    inc r20
    cli
    sts TIMSK1, r1

    ; phase 2
    ldi r16, 40
    sts OCR3AH, r1
    sts OCR3AL, r16
    ldi r16, (1 << OCIE3A)
    sts TIMSK3, r16
    ldi r16, (1 << CS30)
    sts TCCR3B, r16
wait3:
    sbis IO(TIFR3), OCF3A
    rjmp wait3
    clr r21                 ; handler runs
    ldi r22, 10
p2:
    sei
    cli
    dec r22
    brne p2
    sts 0x200, r21

    ; phase 3
    ldi r22, 10
p3:
    sei
    nop
    cli
    dec r22
    brne p3
    sts 0x201, r21
    ldi r16, 0xAA
    sts 0x20F, r16
done:
    rjmp done

isr_t1a:
    out IO(GPIOR1), r20
    reti
isr_t1b:
    out IO(GPIOR2), r20
    reti
isr_t3a:
    inc r21
    sts TIMSK3, r1          ; once is enough
    reti
