# lockstep_avr_program(NAME SOURCE [NOSTART] [MCU mcu] [DEFINES d...]):
# build a small test program for the simulated AVR into
# ${CMAKE_CURRENT_BINARY_DIR}/NAME.elf, with a target avrprog_NAME.
# NOSTART: no C runtime; the source supplies the vector table at 0.
include_guard(GLOBAL)

function(lockstep_avr_program name src)
  cmake_parse_arguments(A "NOSTART" "MCU" "DEFINES" ${ARGN})
  if(NOT A_MCU)
    set(A_MCU atmega2560)
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.elf)
  set(flags -mmcu=${A_MCU} -DF_CPU=16000000UL -Os -std=gnu11 -Wall -Wextra -Werror)
  foreach(d ${A_DEFINES})
    list(APPEND flags -D${d})
  endforeach()
  if(A_NOSTART)
    list(APPEND flags -nostartfiles -nostdlib)
  endif()
  add_custom_command(OUTPUT ${out}
    COMMAND ${AVR_GCC} ${flags} ${CMAKE_CURRENT_SOURCE_DIR}/${src} -o ${out}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${src}
    COMMENT "avr-gcc ${name}.elf for ${A_MCU}" VERBATIM)
  add_custom_target(avrprog_${name} DEPENDS ${out})
endfunction()

# lockstep_avr_test(NAME SOURCE PROGRAMS...): a cmocka test linked with the
# simulated-MCU library; each program's ELF path is passed to it as the
# macro <PROGRAM>_ELF (upper case).
function(lockstep_avr_test name src)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE lockstep_sim PkgConfig::CMOCKA)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/sim_avr
    ${CMAKE_SOURCE_DIR}/sim/avr)
  foreach(p ${ARGN})
    string(TOUPPER ${p} P)
    target_compile_definitions(${name} PRIVATE ${P}_ELF="${CMAKE_CURRENT_BINARY_DIR}/${p}.elf")
    add_dependencies(${name} avrprog_${p})
  endforeach()
  add_test(NAME ${name} COMMAND ${name})
endfunction()
