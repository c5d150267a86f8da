// Replay across restarts, tried as an attacker would: genuine traffic is captured on its way to a
// gateway (a studio's feed, a parent's stream carrying a test alert, a station's reports), the
// gateway is killed with SIGKILL at a random moment, restarted, and the whole capture is replayed
// from another address. Nothing of it may take the air, raise a station's level, move a station
// or change what the API shows; every datagram of it is counted as refused; and genuine senders
// that simply continue are taken again at once.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "ApiClient.hpp"
#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "Process.hpp"
#include "Relay.hpp"
#include "StudioSender.hpp"
#include "TestData.hpp"
#include "srtp/SrtpSession.hpp"

using namespace loa::test;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

const std::string kViewer = "loa_viewer_replay_0123456789abcdef";
const std::string kDuty = "loa_duty_replay_0123456789abcdef";
const std::string kAdmin = "loa_admin_replay_0123456789abcdef";

std::unique_ptr<Process> startGateway(const std::filesystem::path& dir, const std::filesystem::path& config,
                                      const std::string& name) {
    return std::make_unique<Process>(std::vector<std::string>{LOA_GATEWAY_BIN, "--config", config.string()},
                                     dir / (name + ".out"), dir / (name + ".log"));
}

/// A time in [lo, hi) ms, from the test's own seeded generator.
std::chrono::milliseconds randomMs(std::mt19937& random, int lo, int hi) {
    return std::chrono::milliseconds(lo + static_cast<int>(random() % static_cast<unsigned>(hi - lo)));
}

/// The level changes a loa-station heard between `from` and `to` (Unix ms).
std::vector<std::pair<int64_t, int>> changesBetween(const std::string& json, int64_t from, int64_t to) {
    std::vector<std::pair<int64_t, int>> out;
    for (const auto& c : priorityChanges(json)) {
        if (c.first >= from && c.first <= to) out.push_back(c);
    }
    return out;
}

/// Polls what programme 0 has on air until `until`; returns every source seen.
std::set<std::string> watchOnAir(const ApiClient& api, std::chrono::steady_clock::time_point until) {
    std::set<std::string> seen;
    while (std::chrono::steady_clock::now() < until) {
        seen.insert(api.onAir());
        std::this_thread::sleep_for(100ms);
    }
    return seen;
}

}  // namespace

TEST(Replay, AStudioFeedCapturedBeforeARestartNeverTakesTheAirAfterIt) {
    TempDir dir;
    std::mt19937 random(20261130);
    const uint16_t media = freeUdpPort(), apiPort = freeUdpPort(), live = freeUdpPort(), stationPort = freeUdpPort();
    const auto config = ConfigBuilder("gw", loopback(media))
                            .programme(ProgrammeConfig("national")
                                           .playlist({segment("a440.flac")})
                                           .live(IngestConfig(loopback(live))
                                                     .key(b64(0x60))
                                                     .jitterMs(40)
                                                     .timeoutMs(300)
                                                     .returnMs(300)
                                                     .silenceS(0)))
                            .station(StationConfig("st", "national").address(loopback(stationPort)).key(b64(0x31)))
                            .api(ApiConfig(loopback(apiPort)).twoPersonRule(false).token("vera", "viewer", kViewer))
                            .write(dir.path() / "gw.yaml");
    const ApiClient api{apiPort, kViewer};
    const auto liveAddress = *loa::SocketAddress::parse("127.0.0.1:" + std::to_string(live));
    Relay relay(liveAddress);
    loa::StudioOptions o;
    o.destination = *loa::SocketAddress::parse("127.0.0.1:" + std::to_string(relay.insidePort()));
    o.key = std::vector<uint8_t>(30, 0x60);
    o.toneHz = 800;
    loa::StudioSender studio(o);  // one studio throughout: its sequence continues, as a real one's does
    auto station = startStation(dir.path(), "st", stationPort, std::vector<uint8_t>(30, 0x31), 40);

    auto gateway = startGateway(dir.path(), config, "gw-0");
    ASSERT_TRUE(api.waitReady(10s)) << gateway->errors();
    std::vector<std::pair<int64_t, int64_t>> replayWindows;
    size_t replayed = 0;
    constexpr int kRounds = 3;
    for (int round = 0; round < kRounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        // The studio on air, captured on its way; the gateway killed at a random moment.
        studio.start();
        ASSERT_TRUE(api.waitOnAir("live", 5s)) << "the genuine studio did not take the air";
        std::this_thread::sleep_for(randomMs(random, 300, 2000));
        gateway->signal(SIGKILL);
        gateway->wait(5s);
        studio.stop();
        gateway = startGateway(dir.path(), config, "gw-" + std::to_string(round + 1));
        ASSERT_TRUE(api.waitReady(10s)) << gateway->errors();
        ASSERT_TRUE(api.waitOnAir("playlist", 5s));

        // Everything captured so far, replayed in real time from another address.
        const auto capture = relay.captured();
        const int64_t from = unixMs();
        std::set<std::string> seen;
        std::thread watch([&] { seen = watchOnAir(api, std::chrono::steady_clock::now() + capture.size() * 20ms + 500ms); });
        replayed += replay(capture, liveAddress, 20ms);
        watch.join();
        replayWindows.emplace_back(from, unixMs());
        EXPECT_EQ(seen, std::set<std::string>{"playlist"}) << "a replayed feed took the air";
        const double stale = api.waitMetric(
            R"(loa_ingest_refused_total{programme="national",feed="national/live",reason="stale"})",
            static_cast<double>(capture.size()), 3s);
        EXPECT_EQ(stale, static_cast<double>(capture.size())) << "each replayed packet is refused as from before a restart";
        EXPECT_EQ(api.metric(R"(loa_ingest_packets_total{programme="national",feed="national/live"})"), 0);
    }

    // A studio that simply continues through a kill -9 is taken again within a second.
    studio.start();
    ASSERT_TRUE(api.waitOnAir("live", 5s));
    std::this_thread::sleep_for(randomMs(random, 200, 1000));
    gateway->signal(SIGKILL);
    gateway->wait(5s);
    gateway = startGateway(dir.path(), config, "gw-last");
    ASSERT_TRUE(api.waitReady(10s)) << gateway->errors();
    const auto ready = std::chrono::steady_clock::now();
    const std::string series = R"(loa_ingest_packets_total{programme="national",feed="national/live"})";
    while (api.metric(series) <= 0 && std::chrono::steady_clock::now() - ready < 3s)
        std::this_thread::sleep_for(20ms);
    const auto back = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - ready);
    std::cout << "[ MEASURE  ] the continuing studio was taken again " << back.count() << " ms after the restart\n";
    EXPECT_LE(back.count(), 1000);
    EXPECT_TRUE(api.waitOnAir("live", 3s));
    studio.stop();

    station->signal(SIGINT);
    ASSERT_EQ(station->wait(10s), 0);
    EXPECT_EQ(gateway->stop(), 0) << gateway->errors();
    // The station never heard the live level while a capture was replayed.
    for (const auto& [from, to] : replayWindows) {
        for (const auto& [at, level] : changesBetween(station->output(), from, to))
            EXPECT_NE(level, 2) << "the station heard the replayed studio at " << at;
    }
    EXPECT_GT(replayed, 0u);
}

TEST(Replay, AParentsStreamCapturedDuringATestAlertNeverRaisesAChildsStationsAfterItRestarts) {
    TempDir dir;
    std::mt19937 random(20261201);
    const uint16_t parentMedia = freeUdpPort(), parentApi = freeUdpPort(), childMedia = freeUdpPort(),
                   childApi = freeUdpPort(), upstream = freeUdpPort(), stationPort = freeUdpPort();
    const auto upstreamAddress = *loa::SocketAddress::parse("127.0.0.1:" + std::to_string(upstream));
    Relay relay(upstreamAddress);
    const auto parentConfig =
        ConfigBuilder("centre", loopback(parentMedia))
            .stateDir("state-parent")
            .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
            .station(StationConfig("province", "national")
                         .area("01")
                         .acceptsTests()
                         .address(loopback(relay.insidePort()))
                         .key(b64(0x51)))
            .api(ApiConfig(loopback(parentApi)).twoPersonRule(false).token("duty", "emergency", kDuty))
            .emergency(EmergencyConfig().toneMs(30000))
            .write(dir.path() / "parent.yaml");
    const auto childConfig =
        ConfigBuilder("province", loopback(childMedia))
            .stateDir("state-child")
            .programme(ProgrammeConfig("province")
                           .playlist({segment("a880.opus")})
                           .upstream(IngestConfig(loopback(upstream))
                                         .key(b64(0x51))
                                         .jitterMs(40)
                                         .timeoutMs(300)
                                         .returnMs(300)
                                         .silenceS(0)))
            .station(StationConfig("commune", "province").acceptsTests().address(loopback(stationPort)).key(b64(0x71)))
            .api(ApiConfig(loopback(childApi)).twoPersonRule(false).token("vera", "viewer", kViewer))
            .write(dir.path() / "child.yaml");
    const ApiClient parentApiClient{parentApi, kDuty}, child{childApi, kViewer};
    auto station = startStation(dir.path(), "commune", stationPort, std::vector<uint8_t>(30, 0x71), 45);
    auto childGw = startGateway(dir.path(), childConfig, "child-0");
    ASSERT_TRUE(child.waitReady(10s)) << childGw->errors();

    std::vector<std::pair<int64_t, int64_t>> replayWindows;
    for (int round = 0; round < 3; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        // The parent runs a test alert for the province; the child relays it, and is killed at a
        // random moment while it does.
        auto parentGw = startGateway(dir.path(), parentConfig, "parent-" + std::to_string(round));
        ASSERT_TRUE(parentApiClient.waitReady(10s)) << parentGw->errors();
        const auto alert = parentApiClient.call("POST", "/api/emergencies",
                                                R"({"status":"test","targets":{"stations":["province"]}})");
        ASSERT_EQ(alert.status, 201) << alert.body;
        // The child relays it, as its own record of the parent's alert.
        const std::string id = Json::parse(alert.body)["id"];
        const auto relayedBy = std::chrono::steady_clock::now() + 5s;
        while (child.get("/api/emergencies").dump().find(id) == std::string::npos &&
               std::chrono::steady_clock::now() < relayedBy)
            std::this_thread::sleep_for(50ms);
        ASSERT_NE(child.get("/api/emergencies").dump().find(id), std::string::npos) << "the child did not relay it";
        std::this_thread::sleep_for(randomMs(random, 300, 2000));
        childGw->signal(SIGKILL);
        childGw->wait(5s);
        EXPECT_EQ(parentGw->stop(), 0) << parentGw->errors();  // no genuine upstream from here on

        childGw = startGateway(dir.path(), childConfig, "child-" + std::to_string(round + 1));
        ASSERT_TRUE(child.waitReady(10s)) << childGw->errors();
        ASSERT_TRUE(child.waitOnAir("playlist", 5s));
        const auto capture = relay.captured();
        const int64_t from = unixMs();
        std::set<std::string> seen;
        std::thread watch([&] { seen = watchOnAir(child, std::chrono::steady_clock::now() + capture.size() * 20ms + 500ms); });
        replay(capture, upstreamAddress, 20ms);
        watch.join();
        replayWindows.emplace_back(from, unixMs());
        EXPECT_EQ(seen, std::set<std::string>{"playlist"}) << "a replayed upstream took the air";
        EXPECT_EQ(child.get("/api/emergencies"), Json::array()) << "the child shows an emergency nobody sent";
        const double stale = child.waitMetric(
            R"(loa_ingest_refused_total{programme="province",feed="province/upstream",reason="stale"})",
            static_cast<double>(capture.size()), 3s);
        EXPECT_EQ(stale, static_cast<double>(capture.size()));
    }
    station->signal(SIGINT);
    ASSERT_EQ(station->wait(10s), 0);
    EXPECT_EQ(childGw->stop(), 0) << childGw->errors();
    bool heardTheAlert = false;
    for (const auto& c : priorityChanges(station->output()))
        heardTheAlert = heardTheAlert || c.second == 1;
    EXPECT_TRUE(heardTheAlert) << "the genuine alert never reached the commune: the test proves nothing";
    for (const auto& [from, to] : replayWindows) {
        for (const auto& [at, level] : changesBetween(station->output(), from, to))
            EXPECT_GT(level, 3) << "the commune's level rose while a capture was replayed, at " << at;
    }
}

TEST(Replay, AStationsReportsCapturedBeforeARestartNeverMoveItAndItIsTakenAgainAtOnce) {
    TempDir dir;
    std::mt19937 random(20261202);
    const uint16_t media = freeUdpPort(), apiPort = freeUdpPort(), stationPort = freeUdpPort();
    const auto mediaAddress = *loa::SocketAddress::parse("127.0.0.1:" + std::to_string(media));
    const auto config = ConfigBuilder("gw", loopback(media))
                            .stationOfflineS(5)
                            .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
                            .station(StationConfig("nat-1", "national").port(stationPort).key(b64(0x6e)))
                            .api(ApiConfig(loopback(apiPort)).twoPersonRule(false).token("vera", "viewer", kViewer))
                            .write(dir.path() / "gw.yaml");
    const ApiClient api{apiPort, kViewer};
    // The station sits behind a recording NAT: its reports reach the gateway from the NAT's port.
    Relay nat(mediaAddress);
    std::string sdp = stationKeys(config, "nat-1", true);
    const std::string rtcp = "a=rtcp:" + std::to_string(media) + " IN IP4 127.0.0.1";
    ASSERT_NE(sdp.find(rtcp), std::string::npos) << sdp;
    sdp.replace(sdp.find(rtcp), rtcp.size(), "a=rtcp:" + std::to_string(nat.insidePort()) + " IN IP4 127.0.0.1");
    std::ofstream(dir.path() / "nat-1.sdp") << sdp;
    const std::string where = nat.outsideAddress().toString();
    auto stationView = [&]() -> Json {
        const auto stations = api.get("/api/stations");
        return stations.is_array() && !stations.empty() ? stations[0] : Json();
    };

    auto gateway = startGateway(dir.path(), config, "gw-0");
    ASSERT_TRUE(api.waitReady(10s)) << gateway->errors();
    Process station({LOA_STATION_BIN, "--sdp", (dir.path() / "nat-1.sdp").string(), "--listen",
                     "127.0.0.1:" + std::to_string(stationPort), "--state", (dir.path() / "station-state").string(),
                     "--duration", "40"},
                    dir.path() / "st.json", dir.path() / "st.log");
    for (int round = 0; round < 3; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        const auto runStart = std::chrono::steady_clock::now();
        while (stationView().value("learned_address", "") != where && std::chrono::steady_clock::now() - runStart < 6s)
            std::this_thread::sleep_for(50ms);
        ASSERT_EQ(stationView().value("learned_address", ""), where);
        std::this_thread::sleep_for(randomMs(random, 500, 4500));  // a report or two more, then killed
        gateway->signal(SIGKILL);
        gateway->wait(5s);
        gateway = startGateway(dir.path(), config, "gw-" + std::to_string(round + 1));
        ASSERT_TRUE(api.waitReady(10s)) << gateway->errors();
        const auto restarted = std::chrono::steady_clock::now();
        const double reportsBefore = stationView().value("reports", 0);

        // Every report captured so far, from an attacker's address: none moves the station, none
        // counts as heard.
        const auto capture = nat.captured();
        const std::string stale = R"(loa_media_refused_total{reason="stale"})";
        const double staleBefore = api.metric(stale);
        replay(capture, mediaAddress, 5ms);
        // Each replayed report refused as from before the restart (and perhaps the genuine
        // station's first report after it, which its floor covers too): counted as the gateway
        // gets to them (a busy machine takes longer than the replay).
        const double refused = api.waitMetric(stale, staleBefore + static_cast<double>(capture.size()), 3s) - staleBefore;
        const auto view = stationView();
        EXPECT_EQ(view.value("learned_address", ""), where) << view.dump();
        EXPECT_GE(refused, static_cast<double>(capture.size()));
        EXPECT_LE(refused, static_cast<double>(capture.size() + 1));

        // The genuine station goes on: taken again at its next report or the one after.
        while (stationView().value("reports", 0) <= reportsBefore && std::chrono::steady_clock::now() - restarted < 6s)
            std::this_thread::sleep_for(50ms);
        const auto back =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - restarted);
        std::cout << "[ MEASURE  ] the station's reports were taken again " << back.count()
                  << " ms after the restart\n";
        EXPECT_LE(back.count(), 4500) << "not within its next two reports (every 2 s)";
        EXPECT_TRUE(stationView().value("online", false));
    }
    station.signal(SIGINT);
    ASSERT_EQ(station.wait(10s), 0) << station.errors();
    EXPECT_EQ(gateway->stop(), 0) << gateway->errors();
    const std::string log = Process::slurp(dir.path() / "gw-3.log");
    EXPECT_EQ(log.find("reports from 127.0.0.1:" + std::to_string(0)), std::string::npos);
    for (int run = 0; run <= 3; ++run) {
        const std::string text = Process::slurp(dir.path() / ("gw-" + std::to_string(run) + ".log"));
        for (size_t at = text.find(": reports from "); at != std::string::npos; at = text.find(": reports from ", at + 1))
            EXPECT_EQ(text.compare(at + 15, where.size(), where), 0) << "a station moved: " << text.substr(at, 80);
    }
}

TEST(Replay, ARestartedStationIsServedAtItsFirstOrSecondReportAndNeverRepeatsAReportIndex) {
    TempDir dir;
    const uint16_t media = freeUdpPort(), apiPort = freeUdpPort();
    const auto mediaAddress = *loa::SocketAddress::parse("127.0.0.1:" + std::to_string(media));
    const auto config = ConfigBuilder("gw", loopback(media))
                            .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
                            .station(StationConfig("c-1", "national"))
                            .api(ApiConfig(loopback(apiPort))
                                     .twoPersonRule(false)
                                     .tokens({{"vera", "viewer", kViewer}, {"ada", "admin", kAdmin}}))
                            .write(dir.path() / "gw.yaml");
    const std::string sdp = stationKeys(config, "c-1", true);
    const std::string rtcp = "a=rtcp:" + std::to_string(media) + " IN IP4 127.0.0.1";
    auto gateway = startGateway(dir.path(), config, "gw");
    const ApiClient api{apiPort, kViewer};
    ASSERT_TRUE(api.waitReady(10s)) << gateway->errors();

    // Runs of the station, each behind a NAT mapping of its own (a 4G modem after a reboot gets
    // a new public port: only a report the gateway takes brings the stream there): each is served
    // at once. The third is cut off by a power cut; the fourth has lost its state (a new SD card)
    // and is refused until an administrator gives it a new key, and the fifth, with that key, is
    // served at once.
    std::vector<std::unique_ptr<Relay>> taps;
    const ApiClient admin{apiPort, kAdmin};
    std::string currentSdp = sdp;
    for (int run = 0; run < 5; ++run) {
        SCOPED_TRACE("run " + std::to_string(run));
        auto& tap = *taps.emplace_back(std::make_unique<Relay>(mediaAddress));
        std::string mine = currentSdp;
        mine.replace(mine.find(rtcp), rtcp.size(), "a=rtcp:" + std::to_string(tap.insidePort()) + " IN IP4 127.0.0.1");
        const auto sdpFile = dir.path() / ("c-1-" + std::to_string(run) + ".sdp");
        std::ofstream(sdpFile) << mine;
        const uint16_t port = freeUdpPort();
        std::vector<std::string> args = {LOA_STATION_BIN, "--sdp", sdpFile.string(), "--listen",
                                         "127.0.0.1:" + std::to_string(port), "--duration", run == 1 ? "3" : "5"};
        if (run < 3) args.insert(args.end(), {"--state", (dir.path() / "station-state").string()});
        if (run == 4) args.insert(args.end(), {"--state", (dir.path() / "new-sd-card").string()});
        Process station(args, dir.path() / ("st-" + std::to_string(run) + ".json"),
                        dir.path() / ("st-" + std::to_string(run) + ".log"));
        if (run == 2) {
            std::this_thread::sleep_for(2500ms);
            station.signal(SIGKILL);  // power cut: no goodbye
            station.wait(5s);
            continue;
        }
        ASSERT_EQ(station.wait(15s), 0) << station.errors();
        const auto stats = parseStats(station.output());
        EXPECT_EQ(stats.at("decrypt_failures"), 0);
        if (run == 3) {
            EXPECT_EQ(stats.at("received"), 0) << "a station whose indexes went back was served: " << station.output();
            // The operator's way back: a new key epoch, audited, and the station's new SDP.
            const auto rekey = admin.call("POST", "/api/stations/c-1/rekey");
            ASSERT_EQ(rekey.status, 200) << rekey.body;
            const auto answer = Json::parse(rekey.body);
            EXPECT_EQ(answer["key_epoch"], 1);
            currentSdp = answer["sdp"];
            EXPECT_NE(currentSdp, sdp) << "the same key";
            const auto audit = admin.get("/api/audit?limit=5");
            EXPECT_TRUE(std::any_of(audit.begin(), audit.end(), [](const Json& a) {
                return a["action"] == "station.rekey" && a["outcome"] == "ok";
            })) << audit.dump();
            continue;
        }
        // Served from its first or second report: of its ~5 s (3 s) of stream, at most the
        // first ~1.5 s missing.
        EXPECT_GE(stats.at("received"), run == 1 ? 70 : 170) << station.output();
    }
    EXPECT_EQ(gateway->stop(), 0) << gateway->errors();

    // Every report index the runs sent, as they crossed the tap: none twice.
    // Under the first key, with its state kept, they only go up.
    std::set<uint32_t> seen;
    uint32_t previous = 0;
    for (size_t run = 0; run < 4; ++run) {
        for (const auto& packet : taps[run]->captured()) {
            const auto index = loa::SrtpSession::rtcpIndexOf(loa::SrtpProfile::aesCm128HmacSha1_80, packet);
            ASSERT_TRUE(index);
            EXPECT_TRUE(seen.insert(*index).second) << "report index " << *index << " sent twice under one key";
            if (run < 3) {
                EXPECT_GT(*index, previous) << "an index went back";
            }
            previous = *index;
        }
    }
    EXPECT_GE(seen.size(), 10u);
}
