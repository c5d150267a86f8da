#include <gtest/gtest.h>

#include "common/Base64.hpp"

using namespace loa;

TEST(Base64, Rfc4648Vectors) {
    const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        const std::vector<uint8_t> data(plain.begin(), plain.end());
        EXPECT_EQ(base64Encode(data), encoded);
        auto decoded = base64Decode(encoded);
        ASSERT_TRUE(decoded) << encoded;
        EXPECT_EQ(*decoded, data);
    }
}

TEST(Base64, RejectsMalformedText) {
    for (const char* bad : {"Zg=", "Zg", "Z===", "Zm9v!A==", "=Zm9", "Zg==Zg==", "Zm9 v"}) {
        EXPECT_FALSE(base64Decode(bad)) << bad;
    }
}

TEST(Hex, RoundTripAndRejects) {
    const std::vector<uint8_t> data = {0x00, 0x7f, 0x80, 0xff};
    EXPECT_EQ(hexEncode(data), "007f80ff");
    EXPECT_EQ(*hexDecode("007F80ff"), data);
    EXPECT_FALSE(hexDecode("0"));
    EXPECT_FALSE(hexDecode("zz"));
}
