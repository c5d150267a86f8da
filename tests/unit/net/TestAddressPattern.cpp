#include "net/AddressPattern.hpp"

#include <gtest/gtest.h>

using namespace loa;

namespace {
SocketAddress at(const char* text) {
    return *SocketAddress::parse(text);
}
}  // namespace

TEST(AddressPattern, MatchesAnAddressAnAddressAndPortAndANetwork) {
    const auto host = *AddressPattern::parse("10.77.1.2");
    EXPECT_TRUE(host.matches(at("10.77.1.2:5004")));
    EXPECT_TRUE(host.matches(at("10.77.1.2:9")));
    EXPECT_FALSE(host.matches(at("10.77.1.3:5004")));

    const auto port = *AddressPattern::parse("10.77.1.2:5004");
    EXPECT_TRUE(port.matches(at("10.77.1.2:5004")));
    EXPECT_FALSE(port.matches(at("10.77.1.2:5005")));

    const auto net = *AddressPattern::parse("10.77.0.0/16");
    EXPECT_TRUE(net.matches(at("10.77.200.9:1")));
    EXPECT_FALSE(net.matches(at("10.78.0.1:1")));
    const auto odd = *AddressPattern::parse("192.168.1.128/25");
    EXPECT_TRUE(odd.matches(at("192.168.1.200:1")));
    EXPECT_FALSE(odd.matches(at("192.168.1.127:1")));

    const auto v6 = *AddressPattern::parse("fd00::/8");
    EXPECT_TRUE(v6.matches(at("[fd12::1]:5004")));
    EXPECT_FALSE(v6.matches(at("[fe80::1]:5004")));
    EXPECT_FALSE(v6.matches(at("10.0.0.1:5004"))) << "another family";
    EXPECT_TRUE(AddressPattern::parse("[::1]:5004")->matches(at("[::1]:5004")));
    EXPECT_TRUE(AddressPattern::parse("::1")->matches(at("[::1]:7")));
    EXPECT_FALSE(AddressPattern::parse("10.0.0.1")->matches(SocketAddress{})) << "no address at all";
}

TEST(AddressPattern, RefusesWhatIsNotOne) {
    for (const char* bad : {"", "host.example", "10.0.0.1:0", "10.0.0.1:70000", "10.0.0.0/33", "fd00::/129",
                            "10.0.0.1/", "[::1", "[::1]x", "1.2.3"})
        EXPECT_FALSE(AddressPattern::parse(bad)) << bad;
}
