// The gateway's command line and its reload: errors say where, bad input changes nothing.

#include <gtest/gtest.h>

#include <csignal>

#include "ApiClient.hpp"
#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "Process.hpp"
#include "TestData.hpp"

using namespace loa::test;
using namespace std::chrono_literals;

TEST(Cli, CheckConfigAcceptsTheExampleAndNamesFileLineAndKeyOfAnError) {
    TempDir dir;
    Process good({LOA_GATEWAY_BIN, "--check-config", (sourceDir() / "config/example.yaml").string()},
                 dir.path() / "good.out", dir.path() / "good.err");
    EXPECT_EQ(good.wait(10s), 0) << good.errors();
    EXPECT_NE(good.output().find("valid"), std::string::npos);

    const auto broken = dir.path() / "broken.yaml";
    std::ofstream(broken) << "gateway:\n  id: gw\n  state_dir: s\n  media:\n    listen: 127.0.0.1:5004\n    ttl: 3\n";
    for (auto args : {std::vector<std::string>{LOA_GATEWAY_BIN, "--check-config", broken.string()},
                      std::vector<std::string>{LOA_GATEWAY_BIN, "--config", broken.string()}}) {
        Process bad(args, dir.path() / "bad.out", dir.path() / "bad.err");
        EXPECT_EQ(bad.wait(10s), 1);
        EXPECT_NE(bad.errors().find(broken.string() + ":6: gateway.media.ttl: unknown key"), std::string::npos)
            << bad.errors();
    }
}

TEST(Cli, CheckConfigRefusesTwoTokensWhoseNamesDifferOnlyInCase) {
    TempDir dir;
    const auto config = basicConfig(freeUdpPort(), {"a440.flac"}, {{"st-a", freeUdpPort()}})
                            .api(ApiConfig(loopback(freeUdpPort()))
                                     .tokens({{"alice", "emergency", "loa_alice_lower_0123456789"},
                                              {"Alice", "emergency", "loa_alice_upper_0123456789"}})
                                     .twoPersonRule(true))
                            .write(dir.path() / "gateway.yaml");
    Process check({LOA_GATEWAY_BIN, "--check-config", config.string()}, dir.path() / "c.out", dir.path() / "c.err");
    EXPECT_EQ(check.wait(10s), 1);
    EXPECT_NE(check.errors().find("api.tokens[1].name: duplicate token name 'Alice'"), std::string::npos)
        << check.errors();
}

TEST(Cli, KeysRefusesAnUnknownStation) {
    TempDir dir;
    const auto config = writeConfig(dir.path(), freeUdpPort(), {"a440.flac"}, {{"st-a", freeUdpPort()}});
    Process keys({LOA_GATEWAY_BIN, "keys", "--config", config.string(), "--station", "nobody"}, dir.path() / "k.out",
                 dir.path() / "k.err");
    EXPECT_EQ(keys.wait(10s), 1);
    EXPECT_NE(keys.errors().find("no station 'nobody'"), std::string::npos) << keys.errors();
}

TEST(Cli, AStationAskedToPlayWithoutAnAudioDeviceSaysSoAndFails) {
    TempDir dir;
    // Every audio sink GStreamer could pick ranked out: what a receiver without a sound card sees.
    const std::string noSinks =
        "alsasink:0,pulsesink:0,openalsink:0,jackaudiosink:0,osssink:0,oss4sink:0,pipewiresink:0,sdlaudiosink:0";
    auto station = spawnWithEnvironment({{"GST_PLUGIN_FEATURE_RANK", noSinks}},
                                        {LOA_STATION_BIN, "--listen", "127.0.0.1:" + std::to_string(freeUdpPort()),
                                         "--key", b64(1), "--play", "--duration", "2"},
                                        dir.path() / "s.out", dir.path() / "s.err");
    EXPECT_EQ(station->wait(10s), 1);
    EXPECT_NE(station->errors().find("no audio output device could be opened"), std::string::npos) << station->errors();
}

TEST(Cli, KeysPrintsAMulticastGroupsKeyAndALiveFeedsKey) {
    TempDir dir;
    const auto example = (sourceDir() / "config/example.yaml").string();
    Process group(
        {LOA_GATEWAY_BIN, "keys", "--config", example, "--group", "district-01", "--state-dir", dir.path().string()},
        dir.path() / "g.out", dir.path() / "g.err");
    EXPECT_EQ(group.wait(10s), 0) << group.errors();
    EXPECT_NE(group.output().find("group: district-01"), std::string::npos) << group.output();
    EXPECT_NE(group.output().find("c=IN IP4 239.255.0.1"), std::string::npos) << group.output();
    Process live(
        {LOA_GATEWAY_BIN, "keys", "--config", example, "--ingest", "national/live", "--state-dir", dir.path().string()},
        dir.path() / "l.out", dir.path() / "l.err");
    EXPECT_EQ(live.wait(10s), 0) << live.errors();
    EXPECT_NE(live.output().find("listen: 127.0.0.1:5006"), std::string::npos) << live.output();
    EXPECT_NE(live.output().find("key (hex, for GStreamer srtpenc key=): "), std::string::npos) << live.output();
    Process wrong({LOA_GATEWAY_BIN, "keys", "--config", example, "--ingest", "national/studio", "--state-dir",
                   dir.path().string()},
                  dir.path() / "w.out", dir.path() / "w.err");
    EXPECT_EQ(wrong.wait(10s), 1);
    EXPECT_NE(wrong.errors().find("PROGRAMME/live or PROGRAMME/upstream"), std::string::npos) << wrong.errors();
}

TEST(Reload, SighupAddsAStationWithoutAGapAndABrokenFileChangesNothing) {
    TempDir dir;
    const StationSpec a{"st-a", freeUdpPort()}, b{"st-b", freeUdpPort()};
    const uint16_t media = freeUdpPort();
    const auto config = writeConfig(dir.path(), media, {"a880.opus"}, {a});
    // The next config lives beside it and shares its state dir, hence its secret and keys.
    const auto next = writeConfig(dir.path(), media, {"a880.opus"}, {a, b}, "next.yaml");
    std::ofstream(dir.path() / "a.sdp") << stationKeys(config, "st-a", true);
    std::ofstream(dir.path() / "b.sdp") << stationKeys(next, "st-b", true);

    auto station = [&](const char* name) {
        return std::make_unique<Process>(
            std::vector<std::string>{LOA_STATION_BIN, "--state", (dir.path() / (std::string(name) + "-state")).string(), "--sdp",
                                     (dir.path() / (std::string(name) + ".sdp")).string(),
                                     "--duration", "7", "--jitter-ms", "100"},
            dir.path() / (std::string(name) + ".json"), dir.path() / (std::string(name) + ".log"));
    };
    auto stationA = station("a");
    auto stationB = station("b");
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");
    std::this_thread::sleep_for(2s);
    std::filesystem::copy_file(next, config, std::filesystem::copy_options::overwrite_existing);
    gateway.signal(SIGHUP);
    std::this_thread::sleep_for(1500ms);
    std::ofstream(config) << "gateway: [this is not a config\n";
    gateway.signal(SIGHUP);
    ASSERT_EQ(stationA->wait(20s), 0);
    ASSERT_EQ(stationB->wait(20s), 0);
    EXPECT_TRUE(gateway.running()) << "a broken reload stopped the gateway";
    EXPECT_EQ(gateway.stop(), 0);

    const auto log = gateway.errors();
    EXPECT_NE(log.find("1 station(s) added, 0 changed, 0 removed"), std::string::npos) << log;
    EXPECT_NE(log.find("reload refused, still running on the previous config"), std::string::npos) << log;
    const auto statsA = parseStats(stationA->output());
    EXPECT_GE(statsA.at("decoded"), 300) << stationA->output();  // ~6.9 s, through both reloads
    EXPECT_EQ(statsA.at("lost"), 0);
    EXPECT_EQ(statsA.at("underruns"), 0) << "st-a heard a gap during the reloads";
    EXPECT_EQ(statsA.at("decrypt_failures"), 0);
    const auto statsB = parseStats(stationB->output());
    EXPECT_GE(statsB.at("decoded"), 200) << stationB->output();  // from the first reload on
    EXPECT_EQ(statsB.at("decrypt_failures"), 0);
}
