# Runs at install time (dist/CMakeLists.txt): CMAKE_INSTALL_PREFIX is this
# installation's prefix, `cmake --install --prefix P` included, and
# file(INSTALL) adds $DESTDIR itself.  Fills the unit and the man page with
# the installed paths and places them and the example configuration.
function(mb_full_dir out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

mb_full_dir(CMAKE_INSTALL_FULL_BINDIR "${MB_BINDIR}")
# GNUInstallDirs' rule: the prefix /usr keeps its configuration in /etc.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" AND MB_SYSCONFDIR STREQUAL "etc")
  set(MESHBEAT_CONF_DIR "/etc/meshbeat")
else()
  mb_full_dir(sysconfdir "${MB_SYSCONFDIR}")
  set(MESHBEAT_CONF_DIR "${sysconfdir}/meshbeat")
endif()

set(MESHBEAT_UNIT_DIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
mb_full_dir(mandir "${MB_MANDIR}")

# One staging directory per destination, so two installations at once
# (the tests make several) do not write each other's files.
string(MD5 where "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
set(staged "${MB_BUILD_DIR}/install-${where}")
configure_file("${MB_DIST_DIR}/meshbeat.service.in"
               "${staged}/meshbeat.service" @ONLY)
configure_file("${MB_BUILD_DIR}/meshbeat.1.in" "${staged}/meshbeat.1" @ONLY)
file(INSTALL DESTINATION "${MESHBEAT_UNIT_DIR}"
     TYPE FILE FILES "${staged}/meshbeat.service")
file(INSTALL DESTINATION "${mandir}/man1" TYPE FILE FILES "${staged}/meshbeat.1")
file(INSTALL DESTINATION "${MESHBEAT_CONF_DIR}"
     TYPE FILE FILES "${MB_DIST_DIR}/meshbeat.conf.example")
