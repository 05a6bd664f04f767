# What a wheel carries beside the Python package (scikit-build-core's "wheel"
# state only: an editable install reads these from the checkout, and ci/
# cross-builds the programs into build/win64). The harness finds them through
# netipc_conformance/runtime/locations.py and programs.py:
#   netipc_conformance/vectors/          the golden vectors and their schemas
#   netipc_conformance/peers/reference/  the reference manifests (--peer reference)
#   netipc_conformance/win64/            the Windows programs (and the
#                                        bcryptprimitives.dll Wine 8.0 lacks), laid out as
#                                        build/win64, when mingw-w64 is on the build machine
install(DIRECTORY ${PROJECT_SOURCE_DIR}/vectors/ DESTINATION netipc_conformance/vectors
        COMPONENT python)
install(FILES ${PROJECT_SOURCE_DIR}/harness/peers/reference/full.toml
              ${PROJECT_SOURCE_DIR}/harness/peers/reference/minimal.toml
        DESTINATION netipc_conformance/peers/reference COMPONENT python)

option(NETIPC_WHEEL_PROGRAMS "Cross-build the Windows programs into the wheel (mingw-w64)" ON)
# Every file of harness/netipc_conformance/runtime/programs.py's PROGRAMS (test_packaging.py checks).
set(NETIPC_WHEEL_PROGRAM_FILES
    reference/programs/agent/netipc-agent.exe
    reference/programs/ref_peer/netipc-ref-peer.exe
    reference/programs/rawpipe_bench/netipc-rawpipe.exe
    reference/programs/bcryptprimitives/bcryptprimitives.dll)
find_program(NETIPC_MINGW_CC x86_64-w64-mingw32-gcc-posix)
find_program(NETIPC_MINGW_CXX x86_64-w64-mingw32-g++-posix)
if(NOT NETIPC_WHEEL_PROGRAMS)
  message(STATUS "NETIPC_WHEEL_PROGRAMS is OFF: the wheel carries no Windows programs")
elseif(NOT NETIPC_MINGW_CC OR NOT NETIPC_MINGW_CXX)
  message(WARNING "mingw-w64 not found (x86_64-w64-mingw32-g++-posix): the wheel carries no "
                  "Windows programs; `run` will ask for --programs DIR. To build them in: "
                  "apt-get install g++-mingw-w64-x86-64-posix, then build the wheel again.")
else()
  # A separate CMake tree with the toolchain file, as ci/lib.sh's build/win64,
  # without the tests; it stays in the wheel's build dir, so rebuilds are incremental.
  include(ExternalProject)
  set(NETIPC_WHEEL_WIN64 ${CMAKE_BINARY_DIR}/win64)
  list(TRANSFORM NETIPC_WHEEL_PROGRAM_FILES PREPEND ${NETIPC_WHEEL_WIN64}/ OUTPUT_VARIABLE built)
  ExternalProject_Add(netipc_wheel_programs
    SOURCE_DIR ${PROJECT_SOURCE_DIR}
    BINARY_DIR ${NETIPC_WHEEL_WIN64}
    CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/toolchain-mingw-w64.cmake
               -DCMAKE_BUILD_TYPE=Release -DNETIPC_BUILD_TESTS=OFF
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --target netipc-agent netipc-ref-peer
                  netipc-rawpipe bcryptprimitives
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    BUILD_BYPRODUCTS ${built})
  foreach(file IN LISTS NETIPC_WHEEL_PROGRAM_FILES)
    get_filename_component(folder ${file} DIRECTORY)
    install(PROGRAMS ${NETIPC_WHEEL_WIN64}/${file} DESTINATION netipc_conformance/win64/${folder}
            COMPONENT python)
  endforeach()
endif()
