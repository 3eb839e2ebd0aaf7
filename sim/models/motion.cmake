# Motion physics around the MCU: stepper drivers and motors, axis
# mechanics with endstops, and the boards' pin wiring. Included from
# sim/CMakeLists.txt.
add_library(lockstep_models_motion STATIC
  ${CMAKE_CURRENT_LIST_DIR}/stepper_model.c
  ${CMAKE_CURRENT_LIST_DIR}/axis_model.c
  ${CMAKE_CURRENT_LIST_DIR}/endstop_switch.c
  ${CMAKE_CURRENT_LIST_DIR}/corexy_model.c
  ${CMAKE_CURRENT_LIST_DIR}/board.c
  ${CMAKE_CURRENT_LIST_DIR}/board_ramps14.c)
target_include_directories(lockstep_models_motion PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(lockstep_models_motion PUBLIC m)
