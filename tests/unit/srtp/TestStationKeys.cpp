#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "TestData.hpp"
#include "common/Error.hpp"
#include "srtp/StationKeys.hpp"

using namespace loa;

TEST(GatewaySecret, ProcessesMakingItAtOnceAllReadTheOneWholeSecret) {
    // The keys command beside a first start: one makes it, the others read it, never a part of it.
    for (int round = 0; round < 30; ++round) {
        test::TempDir dir;
        const auto path = dir.path() / "state" / "secret";
        std::vector<std::vector<uint8_t>> got(8);
        std::vector<std::string> errors(8);
        std::vector<std::thread> makers;
        for (size_t k = 0; k < got.size(); ++k) {
            makers.emplace_back([&, k] {
                try {
                    got[k] = loadOrCreateSecret(path);
                } catch (const std::exception& e) {
                    errors[k] = e.what();
                }
            });
        }
        for (auto& t : makers)
            t.join();
        for (size_t k = 0; k < got.size(); ++k) {
            EXPECT_EQ(errors[k], "") << "round " << round;
            EXPECT_EQ(got[k], got[0]) << "round " << round;
        }
        EXPECT_EQ(got[0].size(), 32u);
        size_t files = 0;
        for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(path.parent_path()))
            ++files;
        EXPECT_EQ(files, 1u) << "a partial secret was left behind";
    }
}

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
