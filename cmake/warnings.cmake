# Every target of ours compiles without warnings. GCC and Clang (natively,
# mingw-w64 here, MSYS2's mingw-w64 on Windows) make them errors; MSVC is not
# built here, so its warnings are shown but not fatal.
if(MSVC)
  set(NETIPC_WARNINGS /W4 /utf-8)
else()
  set(NETIPC_WARNINGS -Wall -Wextra -Werror)
endif()

function(netipc_warnings target)
  target_compile_options(${target} PRIVATE ${NETIPC_WARNINGS})
endfunction()
