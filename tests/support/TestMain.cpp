// One test environment for every test binary: libsrtp and GStreamer initialised once, quiet logs.

#include <gtest/gtest.h>

#include "GstRuntime.hpp"
#include "common/Log.hpp"
#include "srtp/SrtpSession.hpp"

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    loa::log::setLevel(loa::log::Level::warn);
    loa::initLibSrtp();
    loa::gst::ensureInitialised();
    return RUN_ALL_TESTS();
}
