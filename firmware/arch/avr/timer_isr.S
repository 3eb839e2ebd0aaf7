; Timer1 compare-A interrupt: runs the timer list.
;
; This is the firmware's hot path, and on an 8-bit AVR a C function call
; per step (prologue, 32-bit arithmetic through memory, epilogue) costs
; more than the step itself. So the interrupt takes a stepper's
; constant-rate step here, exactly as stepper_event() would (count - 1,
; waketime + interval, the pulse between two writes to PINx, the same
; list order), and calls the timer's C function for everything else: the
; last step of a move, moves with add != 0, long pulses, long intervals,
; and every other kind of timer.
;
; Between timers it waits in here for one due within MIN_TRY ticks rather
; than leave and come back, polling the UART so no byte is lost; when
; tasks are waiting it leaves after REPEAT ticks so they get time.
;
; Waketimes are compared in their low 16 bits, which is valid for the
; reasons given at sched_timer_near_still_first() in sched.h: every timer
; up to the sentinel lies in one 16-bit window, and a fast-path step moves
; its timer on by at most SCHED_NEAR_TICKS. r18:r19 always holds the low
; half of the earliest waketime when the code reaches `wait`.
#include <avr/io.h>

#include "asm_layout.h"

        .section .bss.timer_isr_start,"aw",@nobits
timer_isr_start:
        .zero 2

        .section .text.timer_isr,"ax",@progbits
        .global TIMER1_COMPA_vect
TIMER1_COMPA_vect:
        push r0
        in r0, _SFR_IO_ADDR(SREG)
        push r0
        push r1
        clr r1
        push r18
        push r19
        push r20
        push r21
        push r22
        push r23
        push r24
        push r25
        push r26
        push r27
        push r28
        push r29
        push r30
        push r31
        lds r24, _SFR_MEM_ADDR(TCNT1L)
        lds r25, _SFR_MEM_ADDR(TCNT1H)
        sts timer_isr_start, r24
        sts timer_isr_start + 1, r25
        rjmp dispatch

head_wake:
        lds r30, sched_timer_head
        lds r31, sched_timer_head + 1
        ldd r18, Z + T_WAKE
        ldd r19, Z + T_WAKE + 1
        rjmp wait

        ; Any timer but a fast-path step: call its function. C saves Y
        ; (t) and r2-r17; it may use ELPM, which changes RAMPZ.
call_timer:
        movw r28, r30
        ldd r0, Z + T_FUNC
        ldd r31, Z + T_FUNC + 1
        mov r30, r0
        movw r24, r28
        in r0, _SFR_IO_ADDR(RAMPZ)
        push r0
        eicall
        pop r0
        out _SFR_IO_ADDR(RAMPZ), r0
        cpi r24, A_SF_STILL_FIRST
        brne 1f
        ldd r18, Y + T_WAKE
        ldd r19, Y + T_WAKE + 1
        rjmp wait
1:      mov r22, r24
        movw r24, r28
        call timer_refile_slow
        movw r18, r24
        rjmp wait

dispatch:
        lds r30, sched_timer_head
        lds r31, sched_timer_head + 1
        ldd r24, Z + T_FUNC
        ldd r25, Z + T_FUNC + 1
        cpi r24, lo8(gs(stepper_event))
        ldi r22, hi8(gs(stepper_event))
        cpc r25, r22
        brne call_timer
        ldd r22, Z + S_FLAGS
        andi r22, S_SLOW_FLAGS
        brne call_timer
        ldd r24, Z + S_COUNT
        ldd r25, Z + S_COUNT + 1
        sbiw r24, 1
        breq call_timer         ; the move's last step loads the next move

        ; The step. From the first write to PINx to the second is the
        ; pulse: 32 cycles, more when the waketime carries into its high
        ; half; STEP_PULSE_FREE_TICKS (arch_port.h) promises this.
        ldd r26, Z + S_STEP_REGS
        ldd r27, Z + S_STEP_REGS + 1
        ldd r0, Z + S_STEP_BIT
        st X, r0                ; step edge
        std Z + S_COUNT, r24
        std Z + S_COUNT + 1, r25
        ldd r18, Z + T_WAKE
        ldd r19, Z + T_WAKE + 1
        ldd r20, Z + S_INTERVAL
        ldd r21, Z + S_INTERVAL + 1
        add r18, r20
        adc r19, r21
        std Z + T_WAKE, r18
        std Z + T_WAKE + 1, r19
        brcc 1f
        ldd r20, Z + T_WAKE + 2
        ldd r21, Z + T_WAKE + 3
        subi r20, 0xff
        sbci r21, 0xff
        std Z + T_WAKE + 2, r20
        std Z + T_WAKE + 3, r21
1:      ld r28, Z               ; Y = t->next: never NULL, the sentinel
        ldd r29, Z + 1          ; is always filed after t
        ldd r22, Y + T_WAKE
        ldd r23, Y + T_WAKE + 1
        cp r18, r22
        cpc r19, r23
        st X, r0                ; end of the pulse
        brpl refile             ; no longer before every other timer

        ; Wait for the earliest timer if it is due soon, else arm the
        ; compare for it and leave.
wait:   sbic _SFR_IO_ADDR(TIFR1), TOV1
        rjmp overflow
        lds r24, _SFR_MEM_ADDR(UCSR0A)
        sbrc r24, RXC0
        rjmp rx_byte
        lds r24, _SFR_MEM_ADDR(TCNT1L)
        lds r25, _SFR_MEM_ADDR(TCNT1H)
        movw r22, r18
        sub r22, r24
        sbc r23, r25
        breq due
        brpl not_due
due:    cpi r22, lo8(-A_PAST_TICKS)
        ldi r24, hi8(-A_PAST_TICKS)
        cpc r23, r24
        brlt too_late
        lds r24, sched_tasks_status
        tst r24
        brne tasks_waiting
        rjmp dispatch
not_due:
        cpi r22, lo8(A_MIN_TRY_TICKS + 1)
        cpc r23, r1
        brlo wait
        sts _SFR_MEM_ADDR(OCR1AH), r19
        sts _SFR_MEM_ADDR(OCR1AL), r18
        ldi r24, 1 << OCF1A
        out _SFR_IO_ADDR(TIFR1), r24
        lds r24, _SFR_MEM_ADDR(TCNT1L)  ; the compare may have passed
        lds r25, _SFR_MEM_ADDR(TCNT1H)  ; while we wrote it
        movw r22, r18
        sub r22, r24
        sbc r23, r25
        breq due
        brmi due
        rjmp leave
too_late:
        call timer_shutdown_past

        ; Tasks are waiting: after REPEAT ticks in here, leave them time.
tasks_waiting:
        lds r24, _SFR_MEM_ADDR(TCNT1L)
        lds r25, _SFR_MEM_ADDR(TCNT1H)
        lds r22, timer_isr_start
        lds r23, timer_isr_start + 1
        sub r24, r22
        sbc r25, r23
        cpi r24, lo8(TIMER_REPEAT_TICKS + 1)
        ldi r22, hi8(TIMER_REPEAT_TICKS + 1)
        cpc r25, r22
        brsh 1f
        rjmp dispatch
1:      rjmp defer
        ; t (Z) is due no earlier than the next timer (Y, waketime
        ; r22:r23), which becomes the earliest. File t after every timer
        ; due no later than it (equal times keep their order). If that is
        ; past the sentinel, the 16-bit comparison no longer holds there:
        ; the C insert walks in 32 bits.
refile: sts sched_timer_head, r28
        sts sched_timer_head + 1, r29
        lds r24, sched_sentinel + T_WAKE
        lds r25, sched_sentinel + T_WAKE + 1
        cp r18, r24
        cpc r19, r25
        brpl past_sentinel
        movw r20, r30           ; t; Y and Z now take turns as pos and next
walk_y: ldd r30, Y + T_NEXT
        ldd r31, Y + T_NEXT + 1
        ldd r24, Z + T_WAKE
        ldd r25, Z + T_WAKE + 1
        cp r18, r24
        cpc r19, r25
        brmi insert_y
        ldd r28, Z + T_NEXT
        ldd r29, Z + T_NEXT + 1
        ldd r24, Y + T_WAKE
        ldd r25, Y + T_WAKE + 1
        cp r18, r24
        cpc r19, r25
        brpl walk_y
        movw r26, r20           ; between Z and Y
        st X+, r28
        st X, r29
        std Z + T_NEXT, r20
        std Z + T_NEXT + 1, r21
        movw r18, r22
        rjmp wait
insert_y:                       ; between Y and Z
        movw r26, r20
        st X+, r30
        st X, r31
        std Y + T_NEXT, r20
        std Y + T_NEXT + 1, r21
        movw r18, r22
        rjmp wait
past_sentinel:
        movw r22, r30
        ldi r24, lo8(sched_sentinel)
        ldi r25, hi8(sched_sentinel)
        call sched_insert_after
        rjmp head_wake


        ; Timer1 overflowed while we are in here: count it (timer.c's
        ; timer_high) and clear the flag, as the overflow interrupt would.
overflow:
        ldi r24, 1 << TOV1
        out _SFR_IO_ADDR(TIFR1), r24
        lds r24, timer_high
        lds r25, timer_high + 1
        adiw r24, 1
        sts timer_high + 1, r25
        sts timer_high, r24
        rjmp wait

rx_byte:
        lds r24, _SFR_MEM_ADDR(UDR0)
        call serial_rx_byte
        rjmp head_wake

        ; Tasks are waiting and have waited long enough.
defer:  lds r24, _SFR_MEM_ADDR(TCNT1L)
        lds r25, _SFR_MEM_ADDR(TCNT1H)
        subi r24, lo8(-TIMER_DEFER_TICKS)
        sbci r25, hi8(-TIMER_DEFER_TICKS)
        sts _SFR_MEM_ADDR(OCR1AH), r25
        sts _SFR_MEM_ADDR(OCR1AL), r24
        ldi r24, 1 << OCF1A
        out _SFR_IO_ADDR(TIFR1), r24
leave:  pop r31
        pop r30
        pop r29
        pop r28
        pop r27
        pop r26
        pop r25
        pop r24
        pop r23
        pop r22
        pop r21
        pop r20
        pop r19
        pop r18
        pop r1
        pop r0
        out _SFR_IO_ADDR(SREG), r0
        pop r0
        reti
