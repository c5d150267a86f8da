// Faults that a broadcast gateway meets in the field: the disk under its database fills up, and
// the process is killed (kill -9) at a random moment while operators change things. Nothing it
// said it did is lost, nothing half-done is left, and the stations are served throughout.

#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>
#include <random>

#include "ApiClient.hpp"
#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "Process.hpp"
#include "TestData.hpp"
#include "WavWriter.hpp"
#include "api/HttpClient.hpp"

using namespace loa::test;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

const std::string kAdmin = "loa_admin_0123456789abcdef";

/// A gateway config with an API (one admin, no second operator needed) and two stations.
std::filesystem::path faultConfig(const std::filesystem::path& dir, const std::string& stateDir, uint16_t media,
                                  uint16_t api, const std::vector<uint16_t>& stationPorts) {
    ConfigBuilder config("gw", loopback(media));
    config.stateDir(stateDir)
        .mediaRoot((sourceDir() / "config/segments").string())
        .programme(ProgrammeConfig("national").playlist({segment("a440.flac")}))
        .api(ApiConfig(loopback(api)).twoPersonRule(false).token("admin", "admin", kAdmin))
        .emergency(EmergencyConfig().toneMs(2000).slots(16));
    for (size_t i = 0; i < stationPorts.size(); ++i) {
        config.station(StationConfig("st-" + std::to_string(i), "national")
                           .area("01/001")
                           .address(loopback(stationPorts[i]))
                           .key(b64(static_cast<uint8_t>(0x20 + i))));
    }
    return config.write(dir / "gw.yaml");
}

/// The fault tests' API client: the admin's token.
struct Api : ApiClient {
    explicit Api(uint16_t apiPort) : ApiClient{apiPort, kAdmin} {}
};

}  // namespace

TEST(Faults, ADiskFullForTheDatabaseRefusesChangesWith503AndServesOnUntilThereIsRoom) {
    if (::geteuid() != 0 || std::system("command -v unshare nsenter >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "needs root and util-linux's unshare and nsenter to give the database a small disk of its own";
    TempDir dir;
    const uint16_t media = freeUdpPort(), apiPort = freeUdpPort(), stationPort = freeUdpPort();
    const auto state = dir.path() / "state";
    std::filesystem::create_directories(state);
    const auto config = faultConfig(dir.path(), state.string(), media, apiPort, {stationPort});
    const Api api{apiPort};
    auto listener = startStation(dir.path(), "st-0", stationPort, std::vector<uint8_t>(30, 0x20), 9);
    // The state directory on a 2 MiB tmpfs seen only by the gateway (its own mount namespace).
    Process gateway({"unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                     "mount -t tmpfs -o size=2m loa-state '" + state.string() + "' && exec " + LOA_GATEWAY_BIN +
                         " --config '" + config.string() + "'"},
                    dir.path() / "gw.out", dir.path() / "gw.log");
    ASSERT_TRUE(api.waitReady(10s)) << gateway.errors();
    // The playlist on air for a while first: what follows checks that it goes on without a gap
    // while the disk is full, so it must be audible before the disk fills (its file is decoded
    // on a thread of its own, and the gateway serves silence until then).
    ASSERT_TRUE(api.waitOnAir("playlist", 10s)) << api.call("GET", "/api/status").body;
    std::this_thread::sleep_for(1s);
    auto insideGateway = [&](const std::string& command) {
        return std::system(("nsenter -t " + std::to_string(gateway.pid()) + " -m sh -c '" + command + "' 2>/dev/null")
                               .c_str());
    };
    insideGateway("dd if=/dev/zero of=" + state.string() + "/fill bs=64k");  // until it stops: full

    // Everything else is refused first...
    const std::string station = R"({"id":"st-new","programme":"national","address":"127.0.0.1:9","key":")" + b64(0x55) +
                                "\"}";
    const auto add = api.call("POST", "/api/stations", station);
    EXPECT_EQ(add.status, 503) << add.body;
    EXPECT_NE(add.body.find("full"), std::string::npos) << add.body;
    EXPECT_EQ(Json::parse(api.call("GET", "/api/stations").body).size(), 1u) << "refused, yet added";
    EXPECT_EQ(api.call("GET", "/api/status").status, 200) << "reads still work";
    // ...while an emergency goes through on the space kept for it.
    const std::string alert = R"({"status":"actual","targets":{"all":true}})";
    const auto accepted = api.call("POST", "/api/emergencies", alert);
    ASSERT_TRUE(accepted.status == 200 || accepted.status == 201) << accepted.body;
    EXPECT_EQ(Json::parse(accepted.body)["state"], "active") << accepted.body;
    EXPECT_EQ(api.metric("loa_state_reserve_spent"), 1);
    const auto again = api.call("POST", "/api/stations", station);
    EXPECT_EQ(again.status, 503) << again.body;
    EXPECT_NE(again.body.find("kept for emergencies is in use"), std::string::npos) << again.body;
    // A refusal it cannot audit now is refused all the same, and a refused trigger (a viewer's
    // role, a missing token) does not spend what is left for emergencies.
    EXPECT_EQ((ApiClient{apiPort, ""}).call("GET", "/api/status").status, 401);
    EXPECT_EQ(api.call("GET", "/api/status").status, 200) << "still serving";

    // Room again: the reserve is restored and the same change goes through.
    ASSERT_EQ(insideGateway("rm " + state.string() + "/fill"), 0);
    loa::HttpResult added;
    for (auto until = std::chrono::steady_clock::now() + 15s; std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(500ms))
        if ((added = api.call("POST", "/api/stations", station)).status == 201) break;
    EXPECT_EQ(added.status, 201) << added.body;
    EXPECT_EQ(api.metric("loa_state_reserve_spent"), 0);

    ASSERT_EQ(listener->wait(20s), 0) << listener->errors();
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();
    const auto stats = parseStats(listener->output());
    EXPECT_EQ(stats.at("decrypt_failures"), 0);
    EXPECT_LE(stats.at("lost"), 2) << "the station was not served throughout: " << listener->output();
    const auto changes = priorityChanges(listener->output());
    ASSERT_FALSE(changes.empty());
    EXPECT_EQ(changes.back().second, 1) << "the accepted emergency went on air";
    // The programme played without a gap while the disk was full, up to the emergency (whose
    // tone is followed by silence: it has no message).
    const auto audio = loa::readWav(dir.path() / "st-0.wav").samples;
    const auto first = std::find_if(audio.begin(), audio.end(), [](float x) { return std::abs(x) > 0.01f; });
    const auto emergencyAt = static_cast<size_t>(std::max<int64_t>(0, changes.back().first - changes.front().first) * 48);
    const auto end = audio.begin() + static_cast<std::ptrdiff_t>(std::min(emergencyAt, audio.size()));
    ASSERT_LT(first, end);
    EXPECT_LT(longestGapMs(std::vector<float>(first, end), 48000, 0.01f), 100);
}

TEST(Faults, Kill9AtRandomMomentsLosesNoAcceptedEmergencyOrScheduleChangeAndLeavesNothingHalfDone) {
    TempDir dir;
    const uint16_t media = freeUdpPort(), apiPort = freeUdpPort();
    const auto config = faultConfig(dir.path(), "state", media, apiPort, {freeUdpPort(), freeUdpPort()});
    const Api api{apiPort};
    std::mt19937 random(20261123);
    std::vector<std::string> acceptedEmergencies, acceptedEntries;
    constexpr int kRounds = 12;
    for (int round = 0; round < kRounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        auto gateway = std::make_unique<Process>(
            std::vector<std::string>{LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out",
            dir.path() / ("gw-" + std::to_string(round) + ".log"));
        ASSERT_TRUE(api.waitReady(10s)) << gateway->errors();
        // Everything accepted before is still there, and the emergencies are on air again.
        const auto listed = api.call("GET", "/api/emergencies?all=1");
        ASSERT_EQ(listed.status, 200) << listed.body << gateway->errors();
        const auto emergencies = Json::parse(listed.body);
        for (const auto& id : acceptedEmergencies) {
            const auto it = std::find_if(emergencies.begin(), emergencies.end(),
                                         [&](const Json& e) { return e.value("id", "") == id; });
            ASSERT_NE(it, emergencies.end()) << "emergency " << id << " accepted, then lost";
        }
        const auto schedule = api.call("GET", "/api/schedule").body;
        for (const auto& id : acceptedEntries)
            EXPECT_NE(schedule.find("\"" + id + "\""), std::string::npos) << "entry " << id << " accepted, then lost";
        const auto listedStations = api.call("GET", "/api/stations");
        ASSERT_EQ(listedStations.status, 200) << listedStations.body << gateway->errors();
        const auto stations = Json::parse(listedStations.body);
        const bool anyActive = std::any_of(emergencies.begin(), emergencies.end(),
                                           [](const Json& e) { return e.value("state", "") == "active"; });
        if (anyActive) {
            EXPECT_EQ(stations[0].value("level", ""), "emergency")
                << "an active emergency did not resume: " << stations.dump();
        }
        // Every record is whole: each emergency was audited.
        const auto audit = api.call("GET", "/api/audit?limit=500").body;
        for (const auto& e : emergencies)
            EXPECT_NE(audit.find(e.value("id", "")), std::string::npos) << "emergency without its audit: " << e.dump();

        // Two operators at once, and the power cut at a random moment.
        const std::string n = std::to_string(round);
        auto emergency = std::async(std::launch::async, [&] {
            return api.call("POST", "/api/emergencies", R"({"status":"actual","targets":{"all":true}})");
        });
        auto entry = std::async(std::launch::async, [&] {
            return api.call("POST", "/api/schedule",
                            R"({"id":"news-)" + n + R"(","programme":"national","at":"06:00:00","days":["mon"],"files":[")" +
                                (sourceDir() / "config/segments/tone-1khz.wav").string() + "\"]}");
        });
        std::this_thread::sleep_for(std::chrono::microseconds(random() % 20000));
        gateway->signal(SIGKILL);
        const auto e = emergency.get();
        const auto s = entry.get();
        gateway->wait(5s);
        if (e.status == 200 || e.status == 201) {
            const auto answer = Json::parse(e.body, nullptr, false);
            ASSERT_TRUE(answer.is_object()) << e.status << " with " << e.body;
            acceptedEmergencies.push_back(answer.value("id", ""));
        }
        if (s.status == 200 || s.status == 201) acceptedEntries.push_back("news-" + n);
        // The database is consistent after the kill.
        Process check({"sqlite3", (dir.path() / "state/loa.db").string(), "PRAGMA integrity_check;"},
                      dir.path() / "check.out", dir.path() / "check.err");
        ASSERT_EQ(check.wait(10s), 0) << check.errors();
        EXPECT_EQ(check.output(), "ok\n");
    }
    std::cout << "[ MEASURE  ] " << acceptedEmergencies.size() << " emergencies and " << acceptedEntries.size()
              << " schedule entries answered before a kill -9 in " << kRounds << " rounds\n";
    // A last start: all of them are there.
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw-last.log");
    ASSERT_TRUE(api.waitReady(10s)) << gateway.errors();
    const auto all = api.call("GET", "/api/emergencies?all=1").body;
    for (const auto& id : acceptedEmergencies)
        EXPECT_NE(all.find(id), std::string::npos) << id;
    const auto schedule = api.call("GET", "/api/schedule").body;
    for (const auto& id : acceptedEntries)
        EXPECT_NE(schedule.find(id), std::string::npos) << id;
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();
}
