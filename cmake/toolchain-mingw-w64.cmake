# Cross-compiling the Windows programs with mingw-w64 (Debian's
# g++-mingw-w64-x86-64-posix: the -posix variant has std::thread and
# std::mutex). Programs are linked statically so they run under Wine with
# no DLLs beside them; ctest runs them through ci/wine-emulator.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(NETIPC_MINGW_PREFIX x86_64-w64-mingw32)
find_program(CMAKE_C_COMPILER ${NETIPC_MINGW_PREFIX}-gcc-posix)
find_program(CMAKE_CXX_COMPILER ${NETIPC_MINGW_PREFIX}-g++-posix)
find_program(CMAKE_RC_COMPILER ${NETIPC_MINGW_PREFIX}-windres)
if(NOT CMAKE_CXX_COMPILER)
  message(FATAL_ERROR "x86_64-w64-mingw32-g++-posix not found: apt-get install g++-mingw-w64-x86-64-posix")
endif()

set(CMAKE_FIND_ROOT_PATH /usr/${NETIPC_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/../ci/wine-emulator)
