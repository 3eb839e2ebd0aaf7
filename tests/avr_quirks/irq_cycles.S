; Shows what entering an interrupt costs. TIMER1 COMPA fires while the
; CPU runs NOPs (phase 1) and, again, while it sleeps (phase 2). The
; vector itself samples TIFR1 and jumps to a handler that toggles PB7
; (pin 15): the toggles' cycles give the latency. COMPB falls due two
; cycles after COMPA, so within the entry cycles: the handler finds its
; flag already set on the chip. TIFR1 samples at 0x200 and 0x201.
#include <avr/io.h>

#define IO(r) _SFR_IO_ADDR(r)

    .section .text
    .org 0
    jmp start
    .org TIMER1_COMPA_vect_num * 4
    in r18, IO(TIFR1)
    rjmp isr_t1a
    .org _VECTORS_SIZE

start:
    clr r1
    ldi r26, 0x00           ; X = 0x200: where the handler stores
    ldi r27, 0x02
    ldi r16, 0x80
    out IO(DDRB), r16
    ldi r16, 100
    sts OCR1AH, r1
    sts OCR1AL, r16
    ldi r16, 102
    sts OCR1BH, r1
    sts OCR1BL, r16
    ldi r16, (1 << OCIE1A)
    sts TIMSK1, r16
    ldi r16, (1 << CS10)
    sts TCCR1B, r16
    sei
    .rept 200
    nop
    .endr

    ; phase 2: the same, asleep (idle mode)
    cli
    sts TCCR1B, r1
    ldi r16, 0xff
    out IO(TIFR1), r16
    sts TCNT1H, r1
    sts TCNT1L, r1
    ldi r16, (1 << SE)
    out IO(SMCR), r16
    ldi r16, (1 << CS10)
    sts TCCR1B, r16
    sei
    sleep
    cli
    ldi r16, 0xAA
    sts 0x20F, r16
done:
    rjmp done

isr_t1a:
    sbi IO(PINB), 7
    st X+, r18
    reti
