// The gateway and its stations as real processes on loopback.

#include <gtest/gtest.h>

#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "Process.hpp"
#include "TestData.hpp"
#include "WavWriter.hpp"

using namespace loa::test;
using namespace std::chrono_literals;

namespace {
/// Starts loa-station on `sdpFile` for `seconds`, writing its WAV and output next to it.
std::unique_ptr<Process> startStation(const std::filesystem::path& dir, const std::string& name,
                                      const std::filesystem::path& sdpFile, double seconds) {
    return std::make_unique<Process>(
        std::vector<std::string>{LOA_STATION_BIN, "--sdp", sdpFile.string(), "--state", sdpFile.string() + ".state",
                                 "--duration", std::to_string(seconds),
                                 "--wav", (dir / (name + ".wav")).string()},
        dir / (name + ".json"), dir / (name + ".log"));
}

std::filesystem::path writeSdp(const std::filesystem::path& dir, const std::filesystem::path& config,
                               const std::string& id) {
    const auto path = dir / (id + ".sdp");
    std::ofstream(path) << stationKeys(config, id, true);
    return path;
}
}  // namespace

TEST(EndToEnd, ExampleConfigServesItsThreeStationsAndItsMulticastGroup) {
    TempDir dir;
    const auto config = sourceDir() / "config/example.yaml";
    const std::vector<std::string> ids = {"commune-001", "commune-002", "commune-003"};
    std::vector<std::unique_ptr<Process>> stations;
    for (const auto& id : ids) {
        // keys needs the same state dir as the gateway: the secret is created there on first use.
        Process keys({LOA_GATEWAY_BIN, "keys", "--config", config.string(), "--station", id, "--sdp", "--state-dir",
                      dir.path().string()},
                     dir.path() / (id + ".sdp"), dir.path() / (id + ".keys.err"));
        ASSERT_EQ(keys.wait(10s), 0) << keys.errors();
        stations.push_back(startStation(dir.path(), id, dir.path() / (id + ".sdp"), 6.0));
    }
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string(), "--state-dir", dir.path().string()},
                    dir.path() / "gateway.out", dir.path() / "gateway.log");
    for (auto& s : stations)
        ASSERT_EQ(s->wait(20s), 0) << s->errors();
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();

    for (size_t i = 0; i < stations.size(); ++i) {
        const auto stats = parseStats(stations[i]->output());
        SCOPED_TRACE(ids[i] + ": " + stations[i]->output());
        EXPECT_GE(stats.at("decoded"), 200);  // ~5.5 s of 20 ms frames, after start-up
        EXPECT_EQ(stats.at("decrypt_failures"), 0);
        EXPECT_EQ(stats.at("lost"), 0);
        EXPECT_EQ(stats.at("late"), 0);
        EXPECT_EQ(stats.at("last_priority"), 4);  // scheduled content
        const auto wav = loa::readWav(dir.path() / (ids[i] + ".wav"));
        EXPECT_GE(wav.samples.size(), 48000u * 4);
    }
}

TEST(EndToEnd, AStationWithTheWrongKeyDecodesNothingAndTheOthersAreUnaffected) {
    TempDir dir;
    const std::vector<StationSpec> specs = {{"st-a", freeUdpPort()}, {"st-b", freeUdpPort()}, {"st-c", freeUdpPort()}};
    const auto config = writeConfig(dir.path(), freeUdpPort(), {"a440.flac"}, specs);
    const auto sdpA = writeSdp(dir.path(), config, "st-a");
    const auto sdpC = writeSdp(dir.path(), config, "st-c");
    // st-b listens on its own port but holds st-c's key.
    std::string wrong = stationKeys(config, "st-c", true);
    const auto portC = std::to_string(specs[2].port), portB = std::to_string(specs[1].port);
    wrong.replace(wrong.find("m=audio " + portC), 8 + portC.size(), "m=audio " + portB);
    // ...and sends no reports: holding st-c's key, its reports would rightly move st-c's stream
    // to it (a station is whoever holds its key; see the NAT tests).
    const auto rtcp = wrong.find("a=rtcp:");
    wrong.erase(rtcp, wrong.find('\n', rtcp) + 1 - rtcp);
    const auto sdpB = dir.path() / "st-b-wrong.sdp";
    std::ofstream(sdpB) << wrong;

    auto a = startStation(dir.path(), "st-a", sdpA, 4.0);
    auto b = startStation(dir.path(), "st-b", sdpB, 4.0);
    auto c = startStation(dir.path(), "st-c", sdpC, 4.0);
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");
    for (auto* s : {a.get(), b.get(), c.get()})
        ASSERT_EQ(s->wait(20s), 0) << s->errors();
    EXPECT_EQ(gateway.stop(), 0);

    const auto statsB = parseStats(b->output());
    EXPECT_EQ(statsB.at("received"), 0) << b->output();
    EXPECT_EQ(statsB.at("decoded"), 0);
    EXPECT_GE(statsB.at("decrypt_failures"), 100);
    for (auto* s : {a.get(), c.get()}) {
        const auto stats = parseStats(s->output());
        EXPECT_GE(stats.at("decoded"), 150) << s->output();
        EXPECT_EQ(stats.at("decrypt_failures"), 0);
        EXPECT_EQ(stats.at("lost"), 0);
    }
}

TEST(EndToEnd, AStationFollowsARestartedGatewayWithoutReusingPacketIndexes) {
    TempDir dir;
    const std::vector<StationSpec> specs = {{"st-a", freeUdpPort(), loa::SrtpProfile::aeadAes128Gcm}};
    const auto config = writeConfig(dir.path(), freeUdpPort(), {"e660.mp3"}, specs);
    const auto sdp = writeSdp(dir.path(), config, "st-a");
    auto station = startStation(dir.path(), "st-a", sdp, 7.0);
    for (int run = 0; run < 2; ++run) {
        Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");
        std::this_thread::sleep_for(2500ms);
        EXPECT_EQ(gateway.stop(), 0) << gateway.errors();
        if (run == 0) {
            // What the first run reserved is on disk: the second run starts above it.
            EXPECT_EQ(Process::slurp(dir.path() / "state/srtp-rollover"), "64 0\n");
        }
    }
    ASSERT_EQ(station->wait(20s), 0);
    const auto stats = parseStats(station->output());
    EXPECT_EQ(stats.at("rollover_resyncs"), 1) << station->output();
    EXPECT_EQ(stats.at("decrypt_failures"), 0);
    EXPECT_GE(stats.at("decoded"), 200);
    EXPECT_EQ(Process::slurp(dir.path() / "state/srtp-rollover"), "128 64\n") << "reserved up to 128; the last run began at 64";
}
