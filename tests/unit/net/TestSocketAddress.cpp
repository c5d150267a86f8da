#include <gtest/gtest.h>

#include "net/SocketAddress.hpp"

using namespace loa;

TEST(SocketAddress, ParsesIpv4AndIpv6) {
    auto v4 = SocketAddress::parse("127.0.0.1:5004");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->family(), AF_INET);
    EXPECT_EQ(v4->port(), 5004);
    EXPECT_TRUE(v4->isLoopback());
    EXPECT_EQ(v4->toString(), "127.0.0.1:5004");

    auto v6 = SocketAddress::parse("[::1]:40001");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->family(), AF_INET6);
    EXPECT_EQ(v6->toString(), "[::1]:40001");
    EXPECT_TRUE(v6->isLoopback());

    EXPECT_TRUE(SocketAddress::parse("239.1.2.3:5000")->isMulticast());
}

TEST(SocketAddress, RejectsWhatIsNotANumericAddressAndPort) {
    for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "localhost:5004",
                            "::1:5004", "[::1]5004", "[::1]:", "1.2.3.4:80x", "300.1.1.1:5"}) {
        EXPECT_FALSE(SocketAddress::parse(bad)) << bad;
    }
}
