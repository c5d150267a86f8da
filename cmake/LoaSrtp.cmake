# libsrtp2 built against OpenSSL by scripts/build-srtp (see that script for why).
# Provides the imported target loa::srtp. Debian's NSS-backed shared libsrtp2 is never linked.
set(LOA_SRTP_PREFIX "${CMAKE_SOURCE_DIR}/.deps/libsrtp2-openssl" CACHE PATH
    "Prefix of the OpenSSL-backed libsrtp2 build")
find_library(LOA_SRTP_LIBRARY NAMES libsrtp2.a PATHS "${LOA_SRTP_PREFIX}/lib" NO_DEFAULT_PATH)
find_path(LOA_SRTP_INCLUDE_DIR NAMES srtp2/srtp.h PATHS "${LOA_SRTP_PREFIX}/include" NO_DEFAULT_PATH)
if(NOT LOA_SRTP_LIBRARY OR NOT LOA_SRTP_INCLUDE_DIR)
  message(FATAL_ERROR "The OpenSSL build of libsrtp2 is missing from ${LOA_SRTP_PREFIX}: run scripts/setup "
                      "(or scripts/build-srtp) first.")
endif()
# The private headers of the same build, for the one file that reaches into libsrtp's streams.
find_path(LOA_SRTP_PRIVATE_INCLUDE_DIR NAMES srtp_priv.h PATHS "${LOA_SRTP_PREFIX}/include/srtp2-private"
          NO_DEFAULT_PATH)
if(NOT LOA_SRTP_PRIVATE_INCLUDE_DIR)
  message(FATAL_ERROR "The private headers of libsrtp2 are missing from ${LOA_SRTP_PREFIX}: run "
                      "scripts/build-srtp again.")
endif()
add_library(loa::srtp STATIC IMPORTED GLOBAL)
set_target_properties(loa::srtp PROPERTIES
  IMPORTED_LOCATION "${LOA_SRTP_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${LOA_SRTP_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "OpenSSL::Crypto")
message(STATUS "libsrtp2 (OpenSSL build): ${LOA_SRTP_LIBRARY}")
