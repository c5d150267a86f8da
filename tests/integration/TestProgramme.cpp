// The programme bus with real processes on loopback: a GStreamer studio on the live ingest,
// and a parent gateway relayed by a child gateway.

#include <gtest/gtest.h>

#include <cmath>

#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "Process.hpp"
#include "StudioSender.hpp"
#include "TestData.hpp"
#include "WavWriter.hpp"
#include "api/HttpClient.hpp"

using namespace loa::test;
using namespace std::chrono_literals;

namespace {
std::vector<uint8_t> keyOf(uint8_t fill) {
    return std::vector<uint8_t>(30, fill);
}

/// Gateway `id` on 127.0.0.1:`mediaPort`, its state in state-ID, the bundled segments a media root.
ConfigBuilder gatewayConfig(const std::string& id, uint16_t mediaPort) {
    return ConfigBuilder(id, loopback(mediaPort))
        .stateDir("state-" + id)
        .mediaRoot((sourceDir() / "config/segments").string());
}

/// An ingest (live or upstream) on 127.0.0.1:`port` with quick timeouts for tests.
IngestConfig quickIngest(uint16_t port) {
    return IngestConfig(loopback(port)).jitterMs(40).timeoutMs(300).returnMs(400).silenceS(0);
}

}  // namespace

TEST(Programme, AGStreamerStudioTakesTheAirAndThePlaylistReturnsWhenItStops) {
    TempDir dir;
    const uint16_t mediaPort = freeUdpPort(), livePort = freeUdpPort(), stationPort = freeUdpPort();
    const auto stationKey = keyOf(0x21);
    // The live feed's key is derived from the gateway secret: the studio takes it from `keys`.
    const auto config =
        gatewayConfig("gw", mediaPort)
            .programme(ProgrammeConfig("national")
                           .crossfadeMs(50)
                           .live(quickIngest(livePort))
                           .playlist({segment("tone-1khz.wav")}))
            .station(StationConfig("st", "national").address(loopback(stationPort)).key(b64(stationKey)))
            .write(dir.path() / "gw.yaml");
    Process keys({LOA_GATEWAY_BIN, "keys", "--config", config.string(), "--ingest", "national/live"},
                 dir.path() / "keys.out", dir.path() / "keys.err");
    ASSERT_EQ(keys.wait(10s), 0) << keys.errors();
    const auto at = keys.output().find("srtpenc key=): ");
    ASSERT_NE(at, std::string::npos) << keys.output();
    const std::string studioKeyHex = keys.output().substr(at + 15, 60);
    auto station = startStation(dir.path(), "st", stationPort, stationKey, 9.0);
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");
    std::this_thread::sleep_for(2s);
    {
        // An independent studio encoder: GStreamer's own opusenc and srtpenc.
        Process studio({"gst-launch-1.0",
                        "audiotestsrc",
                        "is-live=true",
                        "freq=600",
                        "volume=0.3",
                        "!",
                        "audio/x-raw,rate=48000,channels=1",
                        "!",
                        "opusenc",
                        "!",
                        "rtpopuspay",
                        "pt=96",
                        "!",
                        "srtpenc",
                        "key=" + studioKeyHex,
                        "rtp-cipher=aes-128-icm",
                        "rtp-auth=hmac-sha1-80",
                        "rtcp-cipher=aes-128-icm",
                        "rtcp-auth=hmac-sha1-80",
                        "!",
                        "udpsink",
                        "host=127.0.0.1",
                        "port=" + std::to_string(livePort)},
                       dir.path() / "studio.out", dir.path() / "studio.err");
        std::this_thread::sleep_for(4s);
        // The studio dies without a goodbye (SIGKILL when `studio` goes).
    }
    ASSERT_EQ(station->wait(15s), 0) << station->errors();
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();

    const auto audio = loa::readWav(dir.path() / "st.wav").samples;
    ASSERT_GE(audio.size(), 48000u * 8);
    const auto runs = toneRuns(audio, {600, 1000});
    SCOPED_TRACE(describe(runs));
    EXPECT_EQ(sequenceOf(runs, 5), (std::vector<int>{1000, 600, 1000}));
    for (const auto& [tone, windows] : runs) {
        if (tone == 600) {
            EXPECT_GE(windows, 30) << "the studio was on air for over 3 s";
        }
    }
    // The takeover is a crossfade: no gap from the playlist into the studio.
    const size_t studioEnd = [&] {
        size_t end = 0, windows = 0;
        for (const auto& [tone, n] : runs) {
            windows += static_cast<size_t>(n);
            if (tone == 600) end = windows;
        }
        return end * 4800;
    }();
    ASSERT_GT(studioEnd, 48000u);
    EXPECT_LE(
        longestGapMs({audio.begin() + 4800, audio.begin() + static_cast<std::ptrdiff_t>(studioEnd)}, 48000, 0.02f),
        10.0);
    const std::string log = gateway.errors();
    EXPECT_NE(log.find("on air: live (live): preempts playlist"), std::string::npos) << log;
    EXPECT_NE(log.find("live: yields: no packets for"), std::string::npos) << log;
    EXPECT_NE(log.find("on air: playlist (scheduled): live no packets for"), std::string::npos) << log;
}

TEST(Programme, AChildGatewayRelaysItsParentPlaysItsOwnWhenTheParentIsIdleAndKeepsTheParentsEmergency) {
    TempDir dir;
    const uint16_t parentMedia = freeUdpPort(), parentLive = freeUdpPort(), parentUpstream = freeUdpPort();
    const uint16_t childMedia = freeUdpPort(), childLive = freeUdpPort(), childUpstream = freeUdpPort();
    const uint16_t stationPort = freeUdpPort();
    const auto relayKey = keyOf(0x31), stationKey = keyOf(0x32);
    const auto parentStudioKey = keyOf(0x33), nationalKey = keyOf(0x34), childStudioKey = keyOf(0x35);
    // Parent: its studio (600 Hz) and, above it, the national feed (which will carry an
    // emergency, 1500 Hz); nothing else: idle, it plays its filler (silence, marked filler).
    const auto parent =
        gatewayConfig("parent", parentMedia)
            .programme(ProgrammeConfig("national")
                           .live(quickIngest(parentLive).key(b64(parentStudioKey)))
                           .upstream(quickIngest(parentUpstream).key(b64(nationalKey))))
            .station(StationConfig("child", "national").address(loopback(childUpstream)).key(b64(relayKey)))
            .write(dir.path() / "parent.yaml");
    // Child: the parent as its upstream, its own studio (800 Hz), its own segments (1000 Hz).
    const auto child =
        gatewayConfig("child", childMedia)
            .programme(ProgrammeConfig("province")
                           .upstream(quickIngest(childUpstream).key(b64(relayKey)))
                           .live(quickIngest(childLive).key(b64(childStudioKey)))
                           .playlist({segment("tone-1khz.wav")}))
            .station(StationConfig("commune", "province").address(loopback(stationPort)).key(b64(stationKey)))
            .write(dir.path() / "child.yaml");
    auto station = startStation(dir.path(), "commune", stationPort, stationKey, 11.0);
    Process parentGateway({LOA_GATEWAY_BIN, "--config", parent.string()}, dir.path() / "parent.out",
                          dir.path() / "parent.log");
    Process childGateway({LOA_GATEWAY_BIN, "--config", child.string()}, dir.path() / "child.out",
                         dir.path() / "child.log");
    auto studio = [](uint16_t port, const std::vector<uint8_t>& key, double hz, uint8_t priority) {
        loa::StudioOptions o;
        o.destination = *loa::SocketAddress::parse("127.0.0.1:" + std::to_string(port));
        o.key = key;
        o.toneHz = hz;
        o.priority = priority;
        return std::make_unique<loa::StudioSender>(o);
    };
    std::this_thread::sleep_for(2500ms);  // the parent is idle: the child plays its own segments
    auto parentStudio = studio(parentLive, parentStudioKey, 600, 0);
    parentStudio->start();
    std::this_thread::sleep_for(2500ms);  // the parent's studio, relayed
    auto childStudio = studio(childLive, childStudioKey, 800, 0);
    childStudio->start();
    std::this_thread::sleep_for(2500ms);                           // the child's own studio over its upstream
    auto national = studio(parentUpstream, nationalKey, 1500, 1);  // an emergency from above the parent
    national->start();
    ASSERT_EQ(station->wait(15s), 0) << station->errors();
    national->stop();
    childStudio->stop();
    parentStudio->stop();
    EXPECT_EQ(childGateway.stop(), 0) << childGateway.errors();
    EXPECT_EQ(parentGateway.stop(), 0) << parentGateway.errors();

    const auto stats = parseStats(station->output());
    EXPECT_EQ(stats.at("last_priority"), 1) << "the parent's emergency stays an emergency";
    EXPECT_EQ(stats.at("decrypt_failures"), 0);
    const auto audio = loa::readWav(dir.path() / "commune.wav").samples;
    const auto runs = toneRuns(audio, {600, 800, 1000, 1500});
    SCOPED_TRACE(describe(runs));
    EXPECT_EQ(sequenceOf(runs, 5), (std::vector<int>{1000, 600, 800, 1500}));
    const std::string log = childGateway.errors();
    EXPECT_NE(log.find("on air: upstream (emergency): preempts live (live)"), std::string::npos) << log;
}

TEST(Programme, AScheduleChangedByReloadPlaysItsEntryOnTime) {
    TempDir dir;
    const uint16_t mediaPort = freeUdpPort(), stationPort = freeUdpPort();
    const auto stationKey = keyOf(0x41);
    const auto base = gatewayConfig("gw", mediaPort)
                          .timezone("Asia/Ho_Chi_Minh")
                          .programme(ProgrammeConfig("national").playlist({segment("a880.opus")}))
                          .station(StationConfig("st", "national").address(loopback(stationPort)).key(b64(stationKey)));
    const auto config = base.write(dir.path() / "gw.yaml");
    auto station = startStation(dir.path(), "st", stationPort, stationKey, 13.0);
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");
    std::this_thread::sleep_for(2s);
    // A priority bulletin today, 4 s from now in Asia/Ho_Chi_Minh (UTC+7), added at runtime.
    const time_t due = std::time(nullptr) + 4;
    const time_t inVietnam = due + 7 * 3600;
    tm local{};
    gmtime_r(&inVietnam, &local);
    char at[16], date[16];
    std::strftime(at, sizeof at, "%H:%M:%S", &local);
    std::strftime(date, sizeof date, "%Y-%m-%d", &local);
    ConfigBuilder(base)
        .schedule(ScheduleConfig("bulletin", "national")
                      .priority(loa::SchedulePriority::bulletin)
                      .at(at)
                      .date(date)
                      .files({segment("tone-1khz.wav")}))  // 5 s
        .write(config);
    gateway.signal(SIGHUP);
    ASSERT_EQ(station->wait(15s), 0) << station->errors();
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();

    const auto audio = loa::readWav(dir.path() / "st.wav").samples;
    const auto runs = toneRuns(audio, {880, 1000});
    SCOPED_TRACE(describe(runs));
    EXPECT_EQ(sequenceOf(runs, 5), (std::vector<int>{880, 1000, 880}));
    // It starts on its second: the station's recording starts with the gateway's first packet.
    const auto changes = priorityChanges(station->output());
    ASSERT_FALSE(changes.empty()) << station->output();
    const int64_t firstPacketMs = changes.front().first;
    size_t windows = 0;
    for (const auto& [tone, n] : runs) {
        if (tone == 1000) break;
        windows += static_cast<size_t>(n);
    }
    const double expected = static_cast<double>(int64_t{due} * 1000 - firstPacketMs) / 1000;
    EXPECT_NEAR(static_cast<double>(windows) / 10, expected, 0.3);
    for (const auto& [tone, n] : runs) {
        if (tone == 1000) {
            EXPECT_NEAR(n, 50, 2) << "the bulletin plays its 5 s once";
        }
    }
    const std::string log = gateway.errors();
    EXPECT_NE(log.find("schedule replaced (1 entries)"), std::string::npos) << log;
    EXPECT_NE(log.find("bulletin starts (priority bulletin)"), std::string::npos) << log;
}

TEST(Programme, AScheduleEntryAddedOverTheApiPlaysOnTimeAndSurvivesARestart) {
    TempDir dir;
    const uint16_t mediaPort = freeUdpPort(), stationPort = freeUdpPort(), api = freeUdpPort();
    const auto stationKey = keyOf(0x42);
    const std::string token = "loa_operator_for_the_schedule_test";
    const auto config =
        gatewayConfig("gw", mediaPort)
            .timezone("Asia/Ho_Chi_Minh")
            .programme(ProgrammeConfig("national").playlist({segment("a880.opus")}))
            .station(StationConfig("st", "national").address(loopback(stationPort)).key(b64(stationKey)))
            .api(ApiConfig(loopback(api)).token("olga", "operator", token))
            .write(dir.path() / "gw.yaml");
    const loa::HttpTarget target{"http://127.0.0.1:" + std::to_string(api), token, "", false};
    auto station = startStation(dir.path(), "st", stationPort, stationKey, 9.0);
    auto gateway = std::make_unique<Process>(std::vector<std::string>{LOA_GATEWAY_BIN, "--config", config.string()},
                                             dir.path() / "gw.out", dir.path() / "gw.log");
    std::this_thread::sleep_for(1500ms);
    const time_t due = std::time(nullptr) + 3;
    const time_t inVietnam = due + 7 * 3600;
    tm local{};
    gmtime_r(&inVietnam, &local);
    char at[16], date[16];
    std::strftime(at, sizeof at, "%H:%M:%S", &local);
    std::strftime(date, sizeof date, "%Y-%m-%d", &local);
    const std::string entry =
        std::string(R"({"id": "bulletin", "programme": "national", "priority": "bulletin", "at": ")") + at +
        R"(", "date": ")" + date + R"(", "files": [")" + segment("tone-1khz.wav") + R"("]})";
    const auto added = loa::httpRequest(target, "POST", "/api/schedule", entry);
    ASSERT_EQ(added.status, 201) << added.body;
    ASSERT_EQ(station->wait(15s), 0) << station->errors();
    EXPECT_EQ(gateway->stop(), 0) << gateway->errors();
    const auto runs = toneRuns(loa::readWav(dir.path() / "st.wav").samples, {880, 1000});
    SCOPED_TRACE(describe(runs));
    EXPECT_EQ(sequenceOf(runs, 5), (std::vector<int>{880, 1000})) << "the bulletin took the air on its second";

    // The entry is in the state database: a restarted gateway still has it.
    gateway = std::make_unique<Process>(std::vector<std::string>{LOA_GATEWAY_BIN, "--config", config.string()},
                                        dir.path() / "gw2.out", dir.path() / "gw2.log");
    std::string listed;
    for (int i = 0; i < 50 && listed.find("bulletin") == std::string::npos; ++i) {
        std::this_thread::sleep_for(100ms);
        try {
            listed = loa::httpRequest(target, "GET", "/api/schedule").body;
        } catch (const std::exception&) {
        }
    }
    EXPECT_NE(listed.find("\"id\": \"bulletin\""), std::string::npos) << listed;
    EXPECT_EQ(loa::httpRequest(target, "POST", "/api/schedule/bulletin/remove").status, 200);
    EXPECT_EQ(gateway->stop(), 0) << gateway->errors();
}
