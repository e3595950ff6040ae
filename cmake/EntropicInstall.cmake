# `cmake --install`: the headers and the exported targets in three components,
#   core  include/entropic/ without the io headers and the kernels; entropic::entropic
#   io    the headers of ENTROPIC_IO_HEADERS; entropic::io (when stb and zlib were found)
#   cuda  include/entropic/cuda/*.cuh; entropic::cuda, its objects (when nvcc was found)
# A plain `cmake --install` installs all three; `--component` picks one. Each target has its own
# export file, and entropicConfig.cmake loads io and cuda only when asked for them, so that a
# user of the core alone needs neither stb, zlib nor a CUDA toolkit.
set(ENTROPIC_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/entropic)

# CONFIGURE_DEPENDS: a header added later is installed without a manual re-configure.
file(GLOB_RECURSE _entropic_headers RELATIVE ${PROJECT_SOURCE_DIR}/include/entropic CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/include/entropic/*.hpp ${PROJECT_SOURCE_DIR}/include/entropic/*.cuh)
foreach(h IN LISTS _entropic_headers)
  if(h IN_LIST ENTROPIC_IO_HEADERS)
    set(component io)
  elseif(h MATCHES "^cuda/")
    set(component cuda)
  else()
    set(component core)
  endif()
  get_filename_component(dir ${h} DIRECTORY)
  install(FILES include/entropic/${h} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/entropic/${dir} COMPONENT ${component})
endforeach()
foreach(h IN LISTS ENTROPIC_IO_HEADERS)
  if(NOT h IN_LIST _entropic_headers)
    message(FATAL_ERROR "ENTROPIC_IO_HEADERS names include/entropic/${h}, which does not exist")
  endif()
endforeach()

install(TARGETS entropic EXPORT entropicTargets COMPONENT core)
install(EXPORT entropicTargets NAMESPACE entropic:: DESTINATION ${ENTROPIC_CMAKE_INSTALL_DIR} COMPONENT core)
if(TARGET entropic_io)
  install(TARGETS entropic_io EXPORT entropicIoTargets COMPONENT io)
  install(EXPORT entropicIoTargets NAMESPACE entropic:: DESTINATION ${ENTROPIC_CMAKE_INSTALL_DIR} COMPONENT io)
endif()
set(ENTROPIC_INSTALLED_CUDA_ARCHITECTURES "")
if(TARGET entropic_cuda)
  install(TARGETS entropic_cuda EXPORT entropicCudaTargets
          OBJECTS DESTINATION ${CMAKE_INSTALL_LIBDIR}/entropic COMPONENT cuda)
  install(EXPORT entropicCudaTargets NAMESPACE entropic:: DESTINATION ${ENTROPIC_CMAKE_INSTALL_DIR} COMPONENT cuda)
  get_target_property(ENTROPIC_INSTALLED_CUDA_ARCHITECTURES entropic_cuda CUDA_ARCHITECTURES)
endif()

configure_package_config_file(cmake/entropicConfig.cmake.in
  ${PROJECT_BINARY_DIR}/entropicConfig.cmake
  INSTALL_DESTINATION ${ENTROPIC_CMAKE_INSTALL_DIR})
# The core is headers only, but the cuda objects are built for this machine's ABI.
if(TARGET entropic_cuda)
  set(_entropic_arch_independent)
else()
  set(_entropic_arch_independent ARCH_INDEPENDENT)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/entropicConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ${_entropic_arch_independent})
install(FILES ${PROJECT_BINARY_DIR}/entropicConfig.cmake ${PROJECT_BINARY_DIR}/entropicConfigVersion.cmake
  DESTINATION ${ENTROPIC_CMAKE_INSTALL_DIR} COMPONENT core)
