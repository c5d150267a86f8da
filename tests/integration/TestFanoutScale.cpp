// A few hundred stations through the real gateway: every one hears a continuous, authentic
// stream, and one that cannot be reached disturbs none of them.

#include <gtest/gtest.h>

#include <thread>

#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "Process.hpp"
#include "StationFarm.hpp"
#include "TestData.hpp"
#include "common/Base64.hpp"
#include "srtp/StationKeys.hpp"

using namespace loa;
using namespace loa::test;
using namespace std::chrono_literals;

TEST(FanoutScale, ThreeHundredStationsHearContinuousAuthenticStreams) {
    TempDir dir;
    constexpr int kStations = 300;
    const uint16_t port = freeUdpPort();
    ConfigBuilder config("scale", loopback(freeUdpPort()));
    config.programme(ProgrammeConfig("national").playlist({segment("a440.flac")}));
    std::vector<std::string> addresses;
    for (int i = 0; i < kStations; ++i) {
        addresses.push_back("127.3." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1));
        config.station(StationConfig("st-" + std::to_string(i), "national")
                           .address(addresses.back() + ":" + std::to_string(port))
                           .profile(i % 2 ? SrtpProfile::aeadAes128Gcm : SrtpProfile::aesCm128HmacSha1_80));
    }
    // Nobody listens at this one's port: its packets are refused by the kernel.
    config.station(StationConfig("unreachable", "national").address(loopback(freeUdpPort())));
    config.write(dir.path() / "gateway.yaml");

    stationKeys(dir.path() / "gateway.yaml", "st-0", true);  // creates the gateway secret
    const auto secret = *hexDecode(Process::slurp(dir.path() / "state/secret").substr(0, 64));
    std::vector<StationFarm::Station> stations;
    for (int i = 0; i < kStations; ++i) {
        const auto profile = i % 2 ? SrtpProfile::aeadAes128Gcm : SrtpProfile::aesCm128HmacSha1_80;
        stations.push_back({*SocketAddress::parse(addresses[static_cast<size_t>(i)] + ":" + std::to_string(port)),
                            deriveStationKey(secret, "st-" + std::to_string(i), profile), profile});
    }
    StationFarm farm(port, stations, 1);
    Process gateway({LOA_GATEWAY_BIN, "--config", (dir.path() / "gateway.yaml").string()}, dir.path() / "gw.out",
                    dir.path() / "gw.log");
    farm.run(std::chrono::steady_clock::now() + 4500ms);
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();

    expectEveryPacket(farm, 150);  // ~4 s at 50 packets/s after start-up
    for (int i = 0; i < kStations; ++i)
        EXPECT_EQ(farm.counters()[static_cast<size_t>(i)].ssrc, deriveStationSsrc(secret, "st-" + std::to_string(i)));
    // Send jitter is the bench's to measure (loa-bench fanout), not a pass/fail here.
}
