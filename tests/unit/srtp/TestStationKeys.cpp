#include <gtest/gtest.h>

#include <fstream>

#include "TestData.hpp"
#include "common/Error.hpp"
#include "srtp/StationKeys.hpp"

using namespace loa;

TEST(GatewaySecret, IsMadeOnFirstUseAndAnExampleOneIsRefused) {
    test::TempDir dir;
    const auto made = loadOrCreateSecret(dir.path() / "secret");
    EXPECT_EQ(made.size(), 32u);
    EXPECT_EQ(loadOrCreateSecret(dir.path() / "secret"), made);
    for (const char* example : {"00000000000000000000000000000000", "000102030405060708090a0b0c0d0e0f",
                                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
        std::ofstream(dir.path() / "example") << example << "\n";
        try {
            loadOrCreateSecret(dir.path() / "example");
            ADD_FAILURE() << example << " was taken";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("is an example"), std::string::npos) << e.what();
        }
    }
}
