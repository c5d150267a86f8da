#include <gtest/gtest.h>

#include <numeric>

#include "common/Base64.hpp"
#include "crypto/Hkdf.hpp"
#include "srtp/StationKeys.hpp"

using namespace loa;

namespace {
std::vector<uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}
std::vector<uint8_t> range(uint8_t from, uint8_t to) {
    std::vector<uint8_t> v(to - from);
    std::iota(v.begin(), v.end(), from);
    return v;
}
}  // namespace

TEST(Hkdf, Rfc5869TestCase1) {
    const std::vector<uint8_t> ikm(22, 0x0b);
    const auto okm = hkdfSha256(ikm, range(0x00, 0x0d), range(0xf0, 0xfa), 42);
    EXPECT_EQ(hexEncode(okm), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(Hkdf, Rfc5869TestCase3EmptySaltAndInfo) {
    const std::vector<uint8_t> ikm(22, 0x0b);
    const auto okm = hkdfSha256(ikm, {}, {}, 42);
    EXPECT_EQ(hexEncode(okm), "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

// Fixed vectors computed independently (Python hmac/hashlib) from the documented derivation.
TEST(StationKeys, DerivationMatchesFixedVectors) {
    const auto secret = range(0, 32);
    EXPECT_EQ(hexEncode(deriveStationKey(secret, "commune-001", SrtpProfile::aesCm128HmacSha1_80)),
              "af89b7d54df3960a6317cf0143c5e2f45aeddfc968bf8ab3906fbe871f3c");
    EXPECT_EQ(hexEncode(deriveStationKey(secret, "commune-001", SrtpProfile::aeadAes128Gcm)),
              "1b8594c1f5779d71bded7944ead2c642621e455f31dd373020385c41");
    EXPECT_EQ(deriveStationSsrc(secret, "commune-001"), 1734767296u);
}

TEST(StationKeys, EveryStationGetsItsOwnKey) {
    const auto secret = bytes("a gateway secret of enough length");
    EXPECT_NE(deriveStationKey(secret, "commune-001", SrtpProfile::aesCm128HmacSha1_80),
              deriveStationKey(secret, "commune-002", SrtpProfile::aesCm128HmacSha1_80));
    EXPECT_NE(
        deriveStationKey(secret, "commune-001", SrtpProfile::aesCm128HmacSha1_80),
        deriveStationKey(bytes("another gateway's secret value"), "commune-001", SrtpProfile::aesCm128HmacSha1_80));
}
