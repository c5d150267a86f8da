// The tests' config builder against the gateway's own parser: every value it writes reads back
// as that value, so the YAML the integration tests run on cannot drift from what parseSettings
// takes.

#include <gtest/gtest.h>

#include <fstream>

#include "ApiClient.hpp"
#include "ConfigBuilder.hpp"
#include "TestData.hpp"
#include "api/ApiHandler.hpp"
#include "settings/Settings.hpp"

using namespace loa;
using namespace loa::test;

namespace {

/// What the gateway makes of `config`, as if it were dir/gw.yaml.
Settings parsedBuilderConfig(const ConfigBuilder& config, const std::filesystem::path& dir) {
    return parseSettings(config.yaml(), dir / "gw.yaml");
}

SocketAddress builderAddress(const std::string& text) {
    return *SocketAddress::parse(text);
}

}  // namespace

TEST(ConfigBuilder, EverySetterReadsBackAsItsValue) {
    TempDir dir;
    const auto console = dir.path() / "console";
    std::filesystem::create_directories(console);
    std::ofstream(console / "index.html") << "<html></html>";
    const std::vector<uint8_t> gcmKey(keyMaterialLength(SrtpProfile::aeadAes128Gcm), 0x22);
    const auto config =
        ConfigBuilder("gw-1", "[::1]:5004")
            .stateDir("var/state")
            .mediaRoot((sourceDir() / "config/segments").string())
            .logLevel(log::Level::debug)
            .timezone("Asia/Ho_Chi_Minh")
            .stationOfflineS(45)
            .fanout(FanoutConfig().workers(2).pacingMs(5).slots(20).realtimePriority(10))
            .programme(ProgrammeConfig("national")
                           .name("National programme")
                           .payloadType(111)
                           .bitrate(64000)
                           .channels(2)
                           .complexity(9)
                           .frameMs(10)
                           .application(OpusApplication::lowdelay)
                           .crossfadeMs(80)
                           .live(IngestConfig(loopback(6006))
                                     .key(b64(0x11))
                                     .jitterMs(60)
                                     .timeoutMs(700)
                                     .returnMs(900)
                                     .silenceS(0)
                                     .source("10.0.0.0/8")
                                     .source("127.0.0.1:7000"))
                           .upstream(IngestConfig(loopback(6008))
                                         .profile(SrtpProfile::aeadAes128Gcm)
                                         .allowPlainRtp()
                                         .source("10.77.1.2:5004")
                                         .parent("central"))
                           .playlist({segment("a440.flac"), segment("e660.mp3")}, PlaylistMode::shuffle)
                           .filler({segment("tone-1khz.wav")}, PlaylistMode::once))
            .programme(ProgrammeConfig("regional").playlist({segment("a880.opus")}))
            .station(StationConfig("st-1", "national")
                         .name("Station one")
                         .address(loopback(40001))
                         .profile(SrtpProfile::aeadAes128Gcm)
                         .key(b64(gcmKey))
                         .area("01/001/00001")
                         .group("riverside")
                         .group("hills")
                         .acceptsTests())
            .station(StationConfig("st-2", "regional").port(6000).acceptsTests(false))
            .schedule(ScheduleConfig("morning", "national")
                          .at("06:30")
                          .day("mon")
                          .day("fri")
                          .priority(SchedulePriority::bulletin)
                          .files({segment("a880.opus")}))
            .schedule(
                ScheduleConfig("once", "regional").at("12:00:30").date("2030-01-02").files({segment("a440.flac")}))
            .api(ApiConfig(loopback(8080))
                     .token("alice", "emergency", kAlice)
                     .tokens({{"vera", "viewer", kVera}, {"olga", "operator", kOlga}})
                     .twoPersonRule(false)
                     .confirmWindowS(60)
                     .console(console.string()))
            .emergency(EmergencyConfig()
                           .toneMs(1500)
                           .slots(8)
                           .message("flood", segment("a880.opus"))
                           .message("fire", segment("a440.flac")));
    const auto s = parsedBuilderConfig(config, dir.path());

    EXPECT_EQ(s.gateway.id, "gw-1");
    EXPECT_EQ(s.gateway.stateDir, dir.path() / "var/state");
    EXPECT_EQ(s.gateway.mediaListen, builderAddress("[::1]:5004"));
    ASSERT_EQ(s.gateway.mediaRoots.size(), 1u);
    EXPECT_EQ(s.gateway.mediaRoots[0], sourceDir() / "config/segments");
    EXPECT_EQ(s.gateway.logLevel, log::Level::debug);
    EXPECT_EQ(s.gateway.timezone, "Asia/Ho_Chi_Minh");
    EXPECT_EQ(s.gateway.stationOfflineS, 45);
    EXPECT_EQ(s.gateway.fanout, (FanoutSettings{2, 5, 20, 10}));

    ASSERT_EQ(s.programmes.size(), 2u);
    const auto& p = s.programmes[0];
    EXPECT_EQ(p.id, "national");
    EXPECT_EQ(p.name, "National programme");
    EXPECT_EQ(p.payloadType, 111);
    EXPECT_EQ(p.encoder, (EncoderSettings{64000, 2, 9, 10, OpusApplication::lowdelay}));
    EXPECT_EQ(p.crossfadeMs, 80);
    ASSERT_TRUE(p.live && p.upstream && p.playlist && p.filler);
    EXPECT_EQ(p.live->listen, builderAddress("127.0.0.1:6006"));
    EXPECT_EQ(p.live->key, std::vector<uint8_t>(30, 0x11));
    EXPECT_EQ(p.live->jitterMs, 60);
    EXPECT_EQ(p.live->timeoutMs, 700);
    EXPECT_EQ(p.live->returnMs, 900);
    EXPECT_EQ(p.live->silenceS, 0);
    EXPECT_EQ(p.live->sources,
              (std::vector{*AddressPattern::parse("10.0.0.0/8"), *AddressPattern::parse("127.0.0.1:7000")}));
    EXPECT_EQ(p.upstream->listen, builderAddress("127.0.0.1:6008"));
    EXPECT_EQ(p.upstream->profile, SrtpProfile::aeadAes128Gcm);
    EXPECT_FALSE(p.upstream->key);
    EXPECT_TRUE(p.upstream->allowPlainRtp);
    EXPECT_EQ(p.upstream->sources, std::vector{*AddressPattern::parse("10.77.1.2:5004")});
    EXPECT_EQ(p.upstream->parent, "central");
    EXPECT_EQ(p.playlist->playlist.mode, PlaylistMode::shuffle);
    EXPECT_EQ(p.playlist->playlist.files,
              (std::vector<std::filesystem::path>{segment("a440.flac"), segment("e660.mp3")}));
    EXPECT_EQ(p.filler->playlist.mode, PlaylistMode::once);
    EXPECT_EQ(p.filler->playlist.files, std::vector<std::filesystem::path>{segment("tone-1khz.wav")});
    EXPECT_EQ(s.programmes[1].id, "regional");
    EXPECT_EQ(s.programmes[1].playlist->playlist.mode, PlaylistMode::loop);

    ASSERT_EQ(s.stations.size(), 2u);
    const auto& st = s.stations[0];
    EXPECT_EQ(st.id, "st-1");
    EXPECT_EQ(st.name, "Station one");
    EXPECT_EQ(st.programme, "national");
    EXPECT_EQ(st.address, builderAddress("127.0.0.1:40001"));
    EXPECT_EQ(st.profile, SrtpProfile::aeadAes128Gcm);
    EXPECT_EQ(st.key, gcmKey);
    EXPECT_EQ(st.area, "01/001/00001");
    EXPECT_EQ(st.groups, (std::vector<std::string>{"riverside", "hills"}));
    EXPECT_TRUE(st.acceptsTests);
    EXPECT_EQ(s.stations[1].programme, "regional");
    EXPECT_TRUE(s.stations[1].learnsAddress());
    EXPECT_EQ(s.stations[1].port, 6000);
    EXPECT_FALSE(s.stations[1].acceptsTests);

    ASSERT_EQ(s.schedule.size(), 2u);
    EXPECT_EQ(s.schedule[0].id, "morning");
    EXPECT_EQ(s.schedule[0].programme, "national");
    EXPECT_EQ(s.schedule[0].secondOfDay, 6 * 3600 + 30 * 60);
    EXPECT_EQ(s.schedule[0].weekdays, (1 << 1) | (1 << 5));
    EXPECT_EQ(s.schedule[0].priority, SchedulePriority::bulletin);
    EXPECT_EQ(s.schedule[0].files, std::vector<std::filesystem::path>{segment("a880.opus")});
    EXPECT_EQ(s.schedule[1].secondOfDay, 12 * 3600 + 30);
    EXPECT_EQ(s.schedule[1].date, (std::array<int, 3>{2030, 1, 2}));
    EXPECT_EQ(s.schedule[1].priority, SchedulePriority::normal);

    ASSERT_TRUE(s.api);
    EXPECT_EQ(s.api->listen, builderAddress("127.0.0.1:8080"));
    ASSERT_EQ(s.api->tokens.size(), 3u);
    const std::vector<TestToken> tokens = {
        {"alice", "emergency", kAlice}, {"vera", "viewer", kVera}, {"olga", "operator", kOlga}};
    for (size_t i = 0; i < tokens.size(); ++i) {
        EXPECT_EQ(s.api->tokens[i].name, tokens[i].name);
        EXPECT_EQ(toString(s.api->tokens[i].role), tokens[i].role);
        EXPECT_EQ(s.api->tokens[i].sha256, tokenHash(tokens[i].token));
    }
    EXPECT_FALSE(s.api->twoPersonRule);
    EXPECT_EQ(s.api->confirmWindowS, 60);
    EXPECT_EQ(s.api->console, console);

    EXPECT_EQ(s.emergency.toneMs, 1500);
    EXPECT_EQ(s.emergency.slots, 8);
    EXPECT_EQ(s.emergency.messages, (std::vector<std::pair<std::string, std::filesystem::path>>{
                                        {"flood", segment("a880.opus")}, {"fire", segment("a440.flac")}}));
}

TEST(ConfigBuilder, WhatATestLeavesUnsetIsNotWrittenAndKeepsTheParsersDefault) {
    TempDir dir;
    const auto config = ConfigBuilder("gw", loopback(5004))
                            .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
                            .station(StationConfig("c-1", "national"));
    const std::string yaml = config.yaml();
    for (const char* key : {"log_level", "timezone", "fanout", "encoder", "mode", "srtp_profile", "key",
                            "accepts_tests", "api", "emergency", "schedule"})
        EXPECT_EQ(yaml.find(std::string(key) + ":"), std::string::npos) << key << " in\n" << yaml;
    const auto s = parsedBuilderConfig(config, dir.path());
    EXPECT_EQ(s.gateway.stateDir, dir.path() / "state");
    EXPECT_EQ(s.programmes[0].encoder, EncoderSettings{});
    EXPECT_EQ(s.programmes[0].playlist->playlist.mode, PlaylistMode::loop);
    EXPECT_TRUE(s.stations[0].learnsAddress());
    EXPECT_EQ(s.stations[0].port, 5004 /* the parser's default */);
    EXPECT_FALSE(s.stations[0].key);
    EXPECT_FALSE(s.api);
    EXPECT_EQ(s.emergency, EmergencySettings{});
}

TEST(ConfigBuilder, AnApiOffLoopbackHasItsCertificateAndAnEmptyEmergencySectionIsValid) {
    TempDir dir;
    const auto config = ConfigBuilder("gw", "0.0.0.0:5004")
                            .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
                            .api(ApiConfig("0.0.0.0:8443")
                                     .tls("certs/api.crt", "/etc/loa/api.key")
                                     .token("vera", "viewer", kVera)
                                     .console("none"))
                            .emergency(EmergencyConfig());
    const auto s = parsedBuilderConfig(config, dir.path());
    ASSERT_TRUE(s.api);
    EXPECT_EQ(s.api->certificate, dir.path() / "certs/api.crt");
    EXPECT_EQ(s.api->privateKey, std::filesystem::path("/etc/loa/api.key"));
    EXPECT_FALSE(s.api->console);
    EXPECT_TRUE(s.api->twoPersonRule) << "the parser's default";
    EXPECT_EQ(s.emergency, EmergencySettings{});
}

TEST(ConfigBuilder, ExtraYamlLandsInItsOwnSection) {
    TempDir dir;
    const auto config =
        ConfigBuilder("gw", loopback(5004))
            .gatewayExtra("audit_max_rows: 5000\n")
            .programme(ProgrammeConfig("national")
                           .playlist({segment("a440.flac")})
                           .live(IngestConfig(loopback(5006)).extra("ssrc_takeover_ms: 250"))
                           .extra("loudness:\n  target_dbfs: -18\n"))
            .station(StationConfig("st", "national").address(loopback(40001)).extra("groups: [a, b]"))
            .schedule(ScheduleConfig("s", "national").at("06:00").files({segment("a440.flac")}).extra("gain_db: -3"))
            .api(ApiConfig(loopback(8080)).token("vera", "viewer", kVera).extra("max_body_bytes: 2048"))
            .emergency(EmergencyConfig().extra("slots: 2"))
            .fanout(FanoutConfig().extra("slots: 4"))
            .extra("multicast_groups:\n  - id: district-01\n    programme: national\n    address: 239.255.0.1:5100\n");
    const auto s = parsedBuilderConfig(config, dir.path());
    EXPECT_EQ(s.gateway.auditMaxRows, 5000);
    EXPECT_EQ(s.gateway.fanout.slots, 4);
    EXPECT_EQ(s.programmes[0].live->ssrcTakeoverMs, 250);
    ASSERT_TRUE(s.programmes[0].loudness);
    EXPECT_EQ(s.programmes[0].loudness->targetDbfs, -18);
    EXPECT_EQ(s.stations[0].groups, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(s.schedule[0].gainDb, -3);
    EXPECT_EQ(s.api->maxBodyBytes, 2048);
    EXPECT_EQ(s.emergency.slots, 2);
    ASSERT_EQ(s.multicastGroups.size(), 1u);
    EXPECT_EQ(s.multicastGroups[0].address, builderAddress("239.255.0.1:5100"));
}

TEST(ConfigBuilder, APathThatYamlWouldMisreadIsQuoted) {
    TempDir dir;
    const auto odd = dir.path() / "it's #1: [a] {b}.wav";
    std::ofstream(odd) << "";
    const auto config =
        ConfigBuilder("gw", loopback(5004)).programme(ProgrammeConfig("national").playlist({odd.string()}));
    const auto s = parsedBuilderConfig(config, dir.path());
    EXPECT_EQ(s.programmes[0].playlist->playlist.files, std::vector<std::filesystem::path>{odd});
}

TEST(ConfigBuilder, WriteConfigIsTheBasicConfigOnDisk) {
    TempDir dir;
    const auto file = writeConfig(dir.path(), 5004, {"a440.flac", "e660.mp3"},
                                  {{"st-a", 40001}, {"st-b", 40002, SrtpProfile::aeadAes128Gcm}}, "basic.yaml");
    EXPECT_EQ(file, dir.path() / "basic.yaml");
    const auto s = loadSettings(file);
    EXPECT_EQ(s.gateway.id, "test-gateway");
    EXPECT_EQ(s.gateway.stateDir, dir.path() / "state");
    EXPECT_EQ(s.gateway.mediaListen, builderAddress("127.0.0.1:5004"));
    ASSERT_EQ(s.programmes.size(), 1u);
    EXPECT_EQ(s.programmes[0].id, "national");
    EXPECT_EQ(s.programmes[0].playlist->playlist,
              (PlaylistSettings{PlaylistMode::loop, {segment("a440.flac"), segment("e660.mp3")}}));
    ASSERT_EQ(s.stations.size(), 2u);
    EXPECT_EQ(s.stations[0].address, builderAddress("127.0.0.1:40001"));
    EXPECT_EQ(s.stations[0].profile, SrtpProfile::aesCm128HmacSha1_80);
    EXPECT_EQ(s.stations[1].id, "st-b");
    EXPECT_EQ(s.stations[1].programme, "national");
    EXPECT_EQ(s.stations[1].profile, SrtpProfile::aeadAes128Gcm);
}
