# Thermal physics around the MCU: thermistors on an ADC pin, heater blocks
# and beds. Included from sim/CMakeLists.txt.
add_library(lockstep_models_thermal STATIC
  ${CMAKE_CURRENT_LIST_DIR}/thermistor_model.c
  ${CMAKE_CURRENT_LIST_DIR}/heater_model.c)
target_include_directories(lockstep_models_thermal PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(lockstep_models_thermal PUBLIC m)
