// The station registry: what a receiver report teaches the gateway, and what it refuses.

#include "control/StationRegistry.hpp"

#include <gtest/gtest.h>

#include "TestData.hpp"
#include "rtp/Rtcp.hpp"

using namespace loa;

namespace {

class StationRegistryTest : public ::testing::Test {
protected:
    test::TempDir dir;
    StateStore store{dir.path() / "loa.db"};
    StationRegistry registry{store, 5};
    const std::vector<uint8_t> key = std::vector<uint8_t>(30, 0x61);
    static constexpr uint32_t kStreamSsrc = 0x1000;
    SrtpSession reporter{SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, key,
                         reporterSsrcFor(kStreamSsrc)};
    SocketAddress from = *SocketAddress::parse("10.9.8.7:40000");

    void SetUp() override { registry.setStations({{"st-1", kStreamSsrc, SrtpProfile::aesCm128HmacSha1_80, key}}); }

    std::vector<uint8_t> report(SrtpSession& session, uint8_t fractionLost = 0) {
        ReceiverReport rr;
        rr.reporterSsrc = reporterSsrcFor(kStreamSsrc);
        rr.hasBlock = true;
        rr.sourceSsrc = kStreamSsrc;
        rr.fractionLost = fractionLost;
        std::vector<uint8_t> packet(128);
        size_t length = writeReceiverReport(rr, packet);
        EXPECT_EQ(session.protectRtcp(packet, length), SrtpResult::ok);
        packet.resize(length);
        return packet;
    }
};

}  // namespace

TEST_F(StationRegistryTest, AGenuineReportTeachesWhereAndSinceWhenAStationIsOnline) {
    auto first = report(reporter, 64);
    const auto moved = registry.handle(first, from, 100000);
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->station, "st-1");
    EXPECT_EQ(moved->address, from);
    EXPECT_EQ(store.learnedAddresses().size(), 1u) << "saved before it is used";
    auto status = *registry.status("st-1");
    EXPECT_TRUE(registry.online(status, 100000));
    EXPECT_EQ(status.onlineSinceMs, 100000);
    EXPECT_EQ(status.fractionLost, 64);

    auto second = report(reporter);
    EXPECT_FALSE(registry.handle(second, from, 102000)) << "same address: nothing to move";
    EXPECT_EQ(registry.status("st-1")->onlineSinceMs, 100000) << "still online since the first";
    // Silent past station_offline_s (5 s), then heard again: online since then.
    EXPECT_FALSE(registry.online(*registry.status("st-1"), 108000));
    auto third = report(reporter);
    registry.handle(third, from, 110000);
    EXPECT_EQ(registry.status("st-1")->onlineSinceMs, 110000);
}

TEST_F(StationRegistryTest, JunkUnknownForgedAndReplayedReportsAreCountedAndMoveNothing) {
    auto genuine = report(reporter);
    ASSERT_TRUE(registry.handle(genuine, from, 1000));
    const auto elsewhere = *SocketAddress::parse("10.6.6.6:1");

    std::vector<uint8_t> junk = {0x00, 0x01, 0x02};
    EXPECT_FALSE(registry.handle(junk, elsewhere, 2000));
    auto replayed = genuine;  // handle() decrypts in place only on a copy: the bytes are as sent
    EXPECT_FALSE(registry.handle(replayed, elsewhere, 2000));
    SrtpSession forger(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80,
                       std::vector<uint8_t>(30, 0x99), reporterSsrcFor(kStreamSsrc));
    report(forger);  // an index not seen yet: libsrtp checks for replays before authenticating
    auto forged = report(forger);
    EXPECT_FALSE(registry.handle(forged, elsewhere, 2000));
    ReceiverReport stranger;
    stranger.reporterSsrc = 0xdead;
    std::vector<uint8_t> unknown(64);
    unknown.resize(writeReceiverReport(stranger, unknown));
    EXPECT_FALSE(registry.handle(unknown, elsewhere, 2000));

    const auto c = registry.counters();
    EXPECT_EQ(c.reports, 1u);
    EXPECT_EQ(c.malformed, 1u);
    EXPECT_EQ(c.authFailures, 1u) << "the forgery";
    EXPECT_EQ(c.replays, 1u) << "the replay";
    EXPECT_EQ(c.unknown, 1u);
    EXPECT_EQ(registry.status("st-1")->learned, from) << "nothing moved it";
}

TEST(StationRegistryFloors, AReportCapturedBeforeARestartMovesNothingAfterItAndTheStationIsTakenAgainAtOnce) {
    test::TempDir dir;
    const std::vector<uint8_t> key(30, 0x62);
    constexpr uint32_t kSsrc = 0x2000;
    const std::vector<RegisteredStation> stations = {{"st-1", kSsrc, SrtpProfile::aesCm128HmacSha1_80, key}};
    SrtpSession reporter(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, key,
                         reporterSsrcFor(kSsrc));
    const auto report = [&] {
        ReceiverReport rr;
        rr.reporterSsrc = reporterSsrcFor(kSsrc);
        std::vector<uint8_t> packet(128);
        size_t length = writeReceiverReport(rr, packet);
        EXPECT_EQ(reporter.protectRtcp(packet, length), SrtpResult::ok);
        packet.resize(length);
        return packet;
    };
    const auto home = *SocketAddress::parse("10.1.1.1:5004"), attacker = *SocketAddress::parse("10.6.6.6:5004");
    std::vector<std::vector<uint8_t>> captured;
    for (int restart = 0; restart < 3; ++restart) {
        SCOPED_TRACE("run " + std::to_string(restart));
        StateStore store(dir.path() / "loa.db");
        ReplayFloors floors(dir.path() / "floors.db");
        StationRegistry registry(store, 5, &floors);
        registry.setStations(stations);
        floors.flush();  // what start() does before anything is received
        // Everything captured in earlier runs is refused, and moves nothing.
        for (auto copy : captured) {
            EXPECT_FALSE(registry.handle(copy, attacker, 5000));
            EXPECT_TRUE(registry.settle().empty());
        }
        EXPECT_EQ(registry.counters().stale, captured.size());
        EXPECT_EQ(registry.counters().reports, 0u);
        if (restart > 0) {
            EXPECT_EQ(registry.status("st-1")->learned, home) << "where it was, as saved";
        }
        // The genuine station continues: taken at its first or second report.
        int sent = 0;
        while (registry.counters().reports == 0 && sent < 2) {
            auto r = report();
            ++sent;
            captured.push_back(r);
            registry.handle(r, home, 6000);
            registry.settle();  // as the receiving thread does after each batch
        }
        EXPECT_EQ(registry.counters().reports, 1u) << "not taken within two reports";
        for (int i = 0; i < 3; ++i) {
            auto r = report();
            captured.push_back(r);
            registry.handle(r, home, 7000);
            registry.settle();
            if (i < 2 || restart != 1) floors.flush();  // the flusher, between two reports (run 1 dies before it)
        }
        EXPECT_EQ(registry.counters().reports, 4u);
        EXPECT_TRUE(registry.online(*registry.status("st-1"), 7000));
    }  // each run ends as after kill -9: no last flush
}

TEST_F(StationRegistryTest, OneStationAddedChangedOrRemovedLeavesTheOthersAsTheyWere) {
    auto first = report(reporter);
    ASSERT_TRUE(registry.handle(first, from, 100000));
    const std::vector<uint8_t> otherKey(30, 0x62);
    registry.update({{"st-2", 0x2000, SrtpProfile::aesCm128HmacSha1_80, otherKey}}, {});
    ASSERT_TRUE(registry.status("st-2"));
    EXPECT_TRUE(registry.online(*registry.status("st-1"), 100500)) << "st-1 kept its status";
    // st-1 changed, same key: keeps its status and replay window (its old report is a replay).
    registry.update({{"st-1", kStreamSsrc, SrtpProfile::aesCm128HmacSha1_80, key}}, {});
    EXPECT_TRUE(registry.online(*registry.status("st-1"), 100500));
    EXPECT_FALSE(registry.handle(first, *SocketAddress::parse("10.6.6.6:1"), 100600));
    EXPECT_EQ(registry.status("st-1")->learned, from);
    auto second = report(reporter);
    EXPECT_FALSE(registry.handle(second, from, 101000)) << "still taken: same address";
    EXPECT_EQ(registry.status("st-1")->reports, 2u);
    // Removed: its reports are no one's.
    registry.update({}, {"st-1"});
    EXPECT_FALSE(registry.status("st-1"));
    auto third = report(reporter);
    EXPECT_FALSE(registry.handle(third, from, 102000));
    EXPECT_TRUE(registry.status("st-2")) << "the other stays";
}
