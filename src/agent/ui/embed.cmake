# Compiles the dashboard's files into the agent: writes OUT, a C file with
# each of FILES (a ;-list) as a byte array, NUL-terminated, and the table
# agent_ui_assets (src/agent/ui.h) naming them.  Run as
#   cmake -DOUT=ui_assets.c -DFILES="a.html;b.js" -P embed.cmake
# file(READ ... HEX) instead of xxd: nothing beyond CMake is needed.
set(arrays "")
set(table "")
set(i 0)
foreach(path IN LISTS FILES)
  file(READ "${path}" hex HEX)
  string(LENGTH "${hex}" digits)
  math(EXPR len "${digits} / 2")
  # 16 bytes a line, to keep the generated file readable.
  string(REGEX REPLACE "(................................)" "\\1\n" hex "${hex}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  get_filename_component(name "${path}" NAME)
  string(APPEND arrays "static const unsigned char asset_${i}[] = {\n${bytes}0x00};\n")
  string(APPEND table "    {\"${name}\", asset_${i}, ${len}},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUT}.tmp"
     "/* Generated from src/agent/ui/ by src/agent/ui/embed.cmake. */\n"
     "#include \"ui.h\"\n\n${arrays}\n"
     "const struct agent_ui_asset agent_ui_assets[] = {\n${table}};\n"
     "const size_t agent_ui_n_assets = ${i};\n")
# Rewritten only when it changed: no rebuild of the agent otherwise.
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
